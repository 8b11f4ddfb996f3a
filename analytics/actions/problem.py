"""One problem's 整改历程."""


from __future__ import annotations

import duckdb
import pandas as pd

from analytics import (
    views,
)
from analytics.access import (
    AccessDenied,
    User,
    require_part,
    sees,
)
from analytics.actions.base import scoped
from analytics.config import ScoringConfig
from analytics.metrics import ALL

__all__ = ["NO_SUCH_PROBLEM", "problem_history"]



NO_SUCH_PROBLEM = "找不到该问题，或该问题不在本角色可查看的范围内"


def problem_history(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, cfg: ScoringConfig) -> pd.DataFrame:
    """整改历程 of one problem (views.problem_history), for a user who sees problems: only within their units, never
    a problem from a source hidden from them (the same refusal as for a problem that does not exist, so that it
    does not tell that one exists); the warning of each quarter only for a role that sees the warnings."""
    require_part(user, "problems")
    found = views.problem_history(con, int(problem_id), scoped(con, user, ALL), cfg)
    if found.empty:
        raise AccessDenied(NO_SUCH_PROBLEM)
    return found if sees(user, "warnings") else found.drop(columns=["warning"])
