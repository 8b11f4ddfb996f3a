"""The access layer's common ground: page figures cut to what the user may see (a node of the 组织架构 stands for
its subtree), the audit entry of a write, and the view each page reads."""


from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from analytics import (
    alerts,
    audit,
    ledger,
    org,
    scoring,
    state,
    views,
)
from analytics.access import (
    User,
    allowed_units,
    require,
    require_part,
    require_unit,
    scope_for,
    sees,
)
from analytics.config import ScoringConfig
from analytics.db import database_file
from analytics.errors import DashboardError
from analytics.metrics import ALL, Scope
from analytics.periods import Period

__all__ = ["VIEWS", "colour_history", "deductions", "filter_options", "incomplete_periods", "page_data", "scoped"]




# view name → (the permission it needs besides "view", the part of the analysis a user must see to get it at all,
# {key: the part that key needs}); keys not named need only the view's part. follow_up gives a user who sees the
# reminders but not the warnings the reminders alone (alerts.reminders).
VIEWS: dict[str, tuple[str | None, str | None, dict[str, str]]] = {
    "overview": (None, "figures", {"company": "scores", "company_previous": "scores", "worst_units": "scores",
                                   "warnings": "warnings"}),
    "problem_trends": (None, "figures", {}),
    "rectification": (None, "figures", {"bands": "problems", "bands_total": "problems", "lookback": "lookback",
                                        "lookback_seed": "lookback", "lookback_size": "lookback"}),
    "scores": (None, "scores", {}),
    "unit_portrait": (None, "portrait", {}),
    "follow_up": (None, None, {"agenda": "agenda"}),
    "supervision": ("supervision", None, {}),
    "group_view": ("group", "figures", {"scores": "scores", "heatmap": "scores", "warnings": "warnings"}),
}


def _db(con: duckdb.DuckDBPyConnection) -> Path:
    path = database_file(con)
    if path is None:
        raise DashboardError("审计日志需要数据库文件（内存数据库不能记录操作）")
    return path


def _record_write(con: duckdb.DuckDBPyConnection, user: User, action: str, outcome: str = "成功",
                  **details: object) -> dict:
    """Record a write to the database and anchor the trail there (audit.anchor): a trail cut short or rewritten
    up to this entry no longer matches the database. Within ``con``'s transaction when one is open."""
    db = _db(con)
    entry = audit.record(db, user, action, outcome, **details)
    audit.anchor(con, db, entry)
    return entry


# ---- reading ----

def _under(con: duckdb.DuckDBPyConnection) -> Callable[[str], tuple[str, ...]]:
    """A node's unit keys on this database (analytics.org): what a scoped user's node and a chosen node stand for."""
    return lambda node: org.units_under(con, node)


def scoped(con: duckdb.DuckDBPyConnection, user: User, scope: Scope) -> Scope:
    """The scope as asked (the units chosen are nodes of the 组织架构: each stands for its subtree), cut down to
    what the user may see."""
    under = _under(con)
    if scope.units is not None:
        scope = replace(scope, units=tuple(dict.fromkeys(k for node in scope.units for k in under(node))))
    return scope_for(user, scope, under)


def page_data(con: duckdb.DuckDBPyConnection, user: User, name: str, period: Period, scope: Scope = ALL,
              *extra: object, cfg: ScoringConfig) -> dict:
    """A page's figures (analytics.views.<name>, for this configuration) as this user may see them: their scope,
    without confidential sources unless they may see those, and only the parts of the page their role sees
    (access.PARTS)."""
    if name not in VIEWS:
        raise DashboardError(f"没有名为 {name} 的页面数据")
    permission, part, key_parts = VIEWS[name]
    require(user, permission or "view")
    if part:
        require_part(user, part)
    if name == "supervision":
        return views.supervision(con, period, allowed_units(user, _under(con)))
    warned = sees(user, "warnings")
    if name == "follow_up" and not warned:
        require_part(user, "reminders")
    if name == "unit_portrait":
        require_unit(user, str(extra[0]), _under(con))
    configured = {} if name == "problem_trends" else {"cfg": cfg}  # its counts depend on no setting
    data = getattr(views, name)(con, period, *extra, scoped(con, user, scope), **configured)
    tier = alerts.TIERS[0]
    if name == "overview" and not warned and sees(user, "reminders"):
        data["warnings"] = {tier: data["warnings"][tier]}  # the first tier's rows are all problems' reminders
        key_parts = {k: p for k, p in key_parts.items() if k != "warnings"}
    if name == "follow_up" and not warned:
        reminders = state.with_measures(con, period.index, alerts.reminders(con, period, data["by_tier"][tier]))
        data = {"warnings": reminders, "by_tier": {tier: reminders}, "counts": {tier: data["counts"][tier]}}
    return {k: v for k, v in data.items() if k not in key_parts or sees(user, key_parts[k])}


def deductions(con: duckdb.DuckDBPyConnection, user: User, period: Period, unit: str, dimension: str | None,
               scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """扣分明细 of one unit (and dimension), if the user may see scores and that unit."""
    require_part(user, "scores")
    require_unit(user, unit, _under(con))
    return scoring.score_deductions(con, period, unit, dimension, scoped(con, user, scope), cfg=cfg)


def colour_history(con: duckdb.DuckDBPyConnection, user: User, period: Period, unit: str, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """A unit's colour code per quarter with the 复绿 rule, if the user may see scores and that unit."""
    require_part(user, "scores")
    require_unit(user, unit, _under(con))
    return scoring.colour_history(con, unit, period, scoped(con, user, scope), cfg=cfg)


def incomplete_periods(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, int]:
    """Quarters whose figures are incomplete: problems left out of an import for their errors (ledger). A user
    limited to units is told only of imports that listed a problem of theirs (what was left out has no unit)."""
    require(user, "view")
    units = allowed_units(user, _under(con))
    return ledger.incomplete_periods(con, units)


def filter_options(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, list[str]]:
    """Units, sources and dimensions with problems that the user may see (for the sidebar); the units as a tree
    (组织架构): every node above a unit with problems too, down to the user's own node, in tree order."""
    scope = scoped(con, user, Scope())
    where, params = scope.where()
    found = {c: [r[0] for r in con.execute(
        f"SELECT DISTINCT {c} FROM problem_state WHERE {c} IS NOT NULL AND {where} ORDER BY 1", params).fetchall()]
        for c in ("unit", "source", "dimension")}
    top = scope.within[0] if scope.within else None  # the user's own node: nothing above it is theirs
    nodes = {key.split(org.SEP)[0] if i == 0 else org.SEP.join(key.split(org.SEP)[:i + 1])
             for key in found["unit"] for i in range(key.count(org.SEP) + 1)}
    nodes = {n for n in nodes if top is None or org.under(n, top)}
    order = {k: i for i, k in enumerate(org.known_units(con))}
    found["unit"] = sorted(nodes, key=lambda k: (order.get(k, len(order)), k))
    return found
