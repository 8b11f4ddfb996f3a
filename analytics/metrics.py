"""Figures as of a period end, in SQL over ``problem_state``: a connection in, plain data out.

Definitions (DOMAIN.md): a period's problems are all problems known by its
end, each with its latest reported status; 销号率 = 已销号 / total;
整改完成率 = (已整改 + 已销号) / total; overdue = open (未启动, 整改中, or
长期整改 with a dated deadline) and deadline before the period end;
按期整改率 = of problems due by the period end, the share completed on or
before the deadline. A rate with nothing to divide by is None, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.db import table_exists
from analytics.errors import DashboardError
from analytics.periods import Period, parse_period

OVERDUE_SQL = "status IN ('未启动', '整改中', '长期整改') AND deadline IS NOT NULL AND deadline < period_end"
COMPLETED_SQL = "status IN ('已整改', '已销号')"

_COUNTS_SQL = f"""
    count(*) AS total,
    count(*) FILTER (WHERE is_new) AS new,
    count(*) FILTER (WHERE carried_over) AS carried_over,
    count(*) FILTER (WHERE closed_now) AS closed_this_period,
    count(*) FILTER (WHERE reopened) AS reopened,
    count(*) FILTER (WHERE status = '已销号') AS closed,
    count(*) FILTER (WHERE {COMPLETED_SQL}) AS completed,
    count(*) FILTER (WHERE NOT ({COMPLETED_SQL})) AS open,
    count(*) FILTER (WHERE {OVERDUE_SQL}) AS overdue,
    count(*) FILTER (WHERE recurred) AS recurred,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= period_end) AS due,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= period_end AND {COMPLETED_SQL}
                     AND completed_on <= deadline) AS on_time
"""
COUNT_FIELDS = ("total", "new", "carried_over", "closed_this_period", "reopened", "closed", "completed", "open",
                "overdue", "recurred", "due", "on_time")


@dataclass(frozen=True)
class Scope:
    """Which problems a figure covers; None means all."""

    units: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    dimensions: tuple[str, ...] | None = None

    def where(self) -> tuple[str, dict]:
        """A SQL condition and its bind parameters (never text pasted into SQL)."""
        clauses, params = [], {}
        for column, values in (("unit", self.units), ("source", self.sources), ("dimension", self.dimensions)):
            if values is not None:
                clauses.append(f"list_contains(${column}s, {column})")
                params[f"{column}s"] = list(values)
        return (" AND ".join(clauses) or "TRUE"), params


ALL = Scope()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def with_rates(counts: dict) -> dict:
    """Add 销号率, 整改完成率 and 按期整改率 to a dict of counts."""
    return counts | {
        "closure_rate": _ratio(counts["closed"], counts["total"]),
        "completion_rate": _ratio(counts["completed"], counts["total"]),
        "on_time_rate": _ratio(counts["on_time"], counts["due"]),
    }


def available_periods(con: duckdb.DuckDBPyConnection) -> list[Period]:
    """Quarters covered by the problem ledgers, oldest first (gaps between ledgers included)."""
    if not table_exists(con, "problem_state"):
        return []
    rows = con.execute("SELECT DISTINCT period_no FROM problem_state ORDER BY 1").fetchall()
    return [Period.from_index(r[0]) for r in rows]


def resolve_period(con: duckdb.DuckDBPyConnection, period: str | Period | None) -> Period:
    """The period asked for, or the latest with data."""
    if isinstance(period, Period):
        return period
    if period:
        return parse_period(period)
    periods = available_periods(con)
    if not periods:
        raise DashboardError("数据库中还没有问题台账，请先导入")
    return periods[-1]


def headline(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """Total, new, carried over, closed, completed, open, overdue, recurred and the three rates for one period."""
    where, params = scope.where()
    row = con.execute(
        f"SELECT {_COUNTS_SQL} FROM problem_state WHERE period_no = $period_no AND {where}",
        params | {"period_no": period.index},
    ).fetchone() if table_exists(con, "problem_state") else (0,) * len(COUNT_FIELDS)
    return with_rates(dict(zip(COUNT_FIELDS, row, strict=True)))


def breakdown(con: duckdb.DuckDBPyConnection, period: Period, by: str, scope: Scope = ALL) -> pd.DataFrame:
    """The headline counts and rates per source, dimension or unit, largest first."""
    if by not in ("source", "dimension", "unit"):
        raise ValueError(f"cannot break down by {by!r}")
    if not table_exists(con, "problem_state"):
        return pd.DataFrame(columns=[by, *COUNT_FIELDS])
    where, params = scope.where()
    frame = con.execute(
        f"SELECT {by}, {_COUNTS_SQL} FROM problem_state WHERE period_no = $period_no AND {where} "
        f"GROUP BY {by} ORDER BY total DESC, {by}",
        params | {"period_no": period.index},
    ).df()
    for rate, (part, whole) in {"closure_rate": ("closed", "total"), "completion_rate": ("completed", "total"),
                                "on_time_rate": ("on_time", "due")}.items():
        frame[rate] = [_ratio(p, w) for p, w in zip(frame[part], frame[whole], strict=True)]
    return frame


def summary(con: duckdb.DuckDBPyConnection, period: str | Period | None = None, scope: Scope = ALL) -> dict:
    """The figures ``python -m analytics summary --json`` prints for one period."""
    p = resolve_period(con, period)
    head = headline(con, p, scope)
    out = {"period": str(p), "as_of": p.end.isoformat()}
    out |= {k: head[k] for k in ("total", "closed", "completed", "open", "overdue", "recurred", "new",
                                 "carried_over", "closed_this_period", "reopened",
                                 "closure_rate", "completion_rate", "on_time_rate")}
    for by in ("source", "dimension", "unit"):
        frame = breakdown(con, p, by, scope)
        out[f"by_{by}"] = {str(k): int(v) for k, v in zip(frame[by], frame["total"], strict=True)}
    return out

