"""What the app and the command line do on someone's behalf: checked against their role, then recorded.

Pages and CLI commands call these instead of views, ledger or export directly, so a role's limits hold
whatever a page happens to show: a department head's scope is cut to their unit here, an import without the
right is refused here, and every import, undo, export, download and account change lands in the audit trail.
One module per kind of work; this package gives them all under ``analytics.actions``.
"""

from analytics.actions.accounts import *  # noqa: F403
from analytics.actions.base import *  # noqa: F403
from analytics.actions.exports import *  # noqa: F403
from analytics.actions.followup import *  # noqa: F403
from analytics.actions.imports import *  # noqa: F403
from analytics.actions.logins import *  # noqa: F403
from analytics.actions.notice import *  # noqa: F403
from analytics.actions.organisation import *  # noqa: F403
from analytics.actions.problem import *  # noqa: F403
from analytics.actions.reports import *  # noqa: F403
from analytics.actions.workbooks import *  # noqa: F403
