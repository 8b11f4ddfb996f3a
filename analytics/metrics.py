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
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.config import CLOSED_STATUS, OPEN_STATUSES
from analytics.db import has_table, sql_in, sql_text
from analytics.errors import DashboardError
from analytics.periods import Period, parse_period

OVERDUE_SQL = f"status IN {sql_in(OPEN_STATUSES)} AND deadline IS NOT NULL AND deadline < period_end"
# 已销号
CLOSED_SQL = f"status = {sql_text(CLOSED_STATUS)}"
# signed days past the deadline at the period end: > 0 exactly when an open problem is overdue; NULL without one
DAYS_OVERDUE_SQL = "date_diff('day', deadline, period_end)"
# ever reopened or marked 复发, as plain true or false (NULL counts as not)
RECURRED_SQL = "coalesce(recurred, false)"
# open (not completed), as problem_state stores it: a filter on it skips whole row groups, since each quarter's
# open problems are stored before its completed ones
OPEN_SQL = "is_open"

# The counts the cubes keep (analytics.derived builds them): per quarter × unit × source × dimension × severity
# in problem_cube, summed over sources in unit_cube, over units and severities in period_cube. Every filter the
# pages offer is one of their keys, so figures for any scope are sums over a few thousand rows.
COUNT_FIELDS = ("total", "new", "carried_over", "closed_this_period", "reopened", "closed", "completed", "open",
                "overdue", "recurred", "due", "on_time")
AGE_BUCKETS = (("≤30天", 0, 30), ("31–90天", 31, 90), ("91–180天", 91, 180), (">180天", 181, None))
AGE_COLUMNS = ("age_1", "age_2", "age_3", "age_4", "age_unknown")
# open problems per warning level (analytics.alerts.LEVEL_RULE_SQL)
LEVEL_COLUMNS = ("level_1", "level_2", "level_3")
# 已销号 with both dates, for 销号用时 (close_days counts them per quarter × source × dimension × days)
CLOSED_WITH_DATES_SQL = (f"NOT {OPEN_SQL} AND {CLOSED_SQL} AND found_date IS NOT NULL "
                         "AND closed_date IS NOT NULL AND closed_date >= found_date")
_SUMS_SQL = ", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT) AS {c}" for c in COUNT_FIELDS)


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None) -> pd.DataFrame:
    """A query's result as a DataFrame through Arrow, faster than .df() for text columns (pandas keeps text in
    Arrow)."""
    return query_arrow(con, sql, params).to_pandas(date_as_object=False)


def query_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None) -> pa.Table:
    """A query's result as an Arrow table, on its own cursor: .sql() refuses a connection holding an unfinished
    execute() result."""
    with con.cursor() as cur:
        return cur.sql(sql, params=params).to_arrow_table()


def cube(scope: Scope, *columns: str | None) -> str:
    """The smallest table to sum counts from for this scope and the columns a query groups by or reads:
    period_cube unless units are involved, else unit_cube unless sources are, else problem_cube."""
    units = scope.units is not None or scope.within is not None or any(c in ("unit", "severity") for c in columns)
    sources = scope.by_source or "source" in columns
    if not units:
        return "period_cube"
    return "unit_cube" if not sources else "problem_cube"


@dataclass(frozen=True)
class Scope:
    """Which problems a figure covers; None means all."""

    units: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    dimensions: tuple[str, ...] | None = None
    # the units a user may see at all (analytics.access); unlike ``units`` no view ever widens it
    within: tuple[str, ...] | None = None
    # sources the user may never see (confidential: analytics.access), not even counted; no view widens it either
    hidden_sources: tuple[str, ...] = ()

    def where(self) -> tuple[str, dict]:
        """A SQL condition and its bind parameters (never text pasted into SQL)."""
        clauses, params = [], {}
        for column, name, values in (("unit", "units", self.units), ("source", "sources", self.sources),
                                     ("dimension", "dimensions", self.dimensions), ("unit", "within", self.within)):
            if values is not None:
                clauses.append(f"list_contains(${name}, {column})")
                params[name] = list(values)
        if self.hidden_sources:
            clauses.append("(source IS NULL OR NOT list_contains($hidden_sources, source))")
            params["hidden_sources"] = list(self.hidden_sources)
        return (" AND ".join(clauses) or "TRUE"), params

    @property
    def by_source(self) -> bool:
        """Whether the scope filters on sources, so that only a table keeping the source can answer it."""
        return self.sources is not None or bool(self.hidden_sources)


ALL = Scope()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# 销号率, 整改完成率, 按期整改率: rate → (part, whole)
RATES = {"closure_rate": ("closed", "total"), "completion_rate": ("completed", "total"),
         "on_time_rate": ("on_time", "due")}


def with_rates(counts: dict) -> dict:
    """Add 销号率, 整改完成率 and 按期整改率 to a dict of counts."""
    return counts | {rate: _ratio(counts[part], counts[whole]) for rate, (part, whole) in RATES.items()}


def available_periods(con: duckdb.DuckDBPyConnection) -> list[Period]:
    """Quarters covered by the problem ledgers, oldest first (gaps between ledgers included)."""
    if not has_table(con, "problem_cube"):
        return []
    rows = con.execute(f"SELECT DISTINCT period_no FROM {cube(ALL)} ORDER BY 1").fetchall()
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
        f"SELECT {_SUMS_SQL} FROM {cube(scope)} WHERE period_no = $period_no AND {where}",
        params | {"period_no": period.index},
    ).fetchone() if has_table(con, "problem_cube") else (0,) * len(COUNT_FIELDS)
    return with_rates(dict(zip(COUNT_FIELDS, row, strict=True)))


def headline_of(trend_frame: pd.DataFrame, period: Period) -> dict:
    """headline() read off trend()'s rows (no breakdown) for the same scope: a page showing both runs one query."""
    rows = trend_frame[trend_frame["period_no"] == period.index]
    counts = {f: int(rows[f].iloc[0]) for f in COUNT_FIELDS} if len(rows) else dict.fromkeys(COUNT_FIELDS, 0)
    return with_rates(counts)


def breakdown(con: duckdb.DuckDBPyConnection, period: Period, by: str, scope: Scope = ALL) -> pd.DataFrame:
    """The headline counts and rates per source, dimension or unit, largest first."""
    if by not in ("source", "dimension", "unit"):
        raise ValueError(f"cannot break down by {by!r}")
    if not has_table(con, "problem_cube"):
        return pd.DataFrame(columns=[by, *COUNT_FIELDS])
    where, params = scope.where()
    return _rates(query_frame(
        con, f"SELECT {by}, {_SUMS_SQL} FROM {cube(scope, by)} WHERE period_no = $period_no AND {where} "
        f"GROUP BY {by} ORDER BY total DESC, {by}",
        params | {"period_no": period.index},
    ))


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rates per row of a frame of counts, added to it."""
    for rate, values in _rate_columns(frame).items():
        frame[rate] = values
    return frame


def _rate_columns(frame: pd.DataFrame) -> dict[str, list]:
    """The rates of each row of a frame of counts: rate → its values (None where the whole is 0)."""
    return {rate: [_ratio(p, w) for p, w in zip(frame[part].tolist(), frame[whole].tolist(), strict=True)]
            for rate, (part, whole) in RATES.items()}


CHANGE_FIELDS = ("total", "new", "closed", "completed", "open", "overdue", "recurred",
                 "closure_rate", "completion_rate", "on_time_rate")


def trend(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, by: str | None = None) -> pd.DataFrame:
    """Every quarter's counts and rates (optionally per source, dimension or unit), with 环比 and 同比 changes.

    Columns ``<figure>_qoq`` and ``<figure>_yoy`` hold the change against the previous quarter and the same
    quarter a year before (None where that quarter has no data).
    """
    return trends(con, scope, (by,))[by]


def trends(con: duckdb.DuckDBPyConnection, scope: Scope = ALL,
           bys: tuple[str | None, ...] = (None,)) -> dict[str | None, pd.DataFrame]:
    """trend() for several breakdowns at once (None: none), from one query: breakdown → its frame."""
    for by in bys:
        if by not in (None, "source", "dimension", "unit"):
            raise ValueError(f"cannot break down by {by!r}")
    if not has_table(con, "problem_cube"):
        return {by: pd.DataFrame(columns=["period", "period_no", *([by] if by else []), *COUNT_FIELDS]) for by in bys}
    where, params = scope.where()
    keys = [by for by in bys if by]
    columns = ", ".join(["period_no", *keys])
    # GROUPING() names each row's breakdown: a bit per key column, set when the row sums over it
    masks = {by: sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key != by) for by in bys}
    sets = ", ".join(f"({', '.join(['period_no', *([by] if by else [])])})" for by in bys)
    grouping = f"GROUPING({', '.join(keys)})" if keys else "0"
    frame = query_frame(con, f"""
        SELECT {grouping} AS breakdown, {columns}, {_SUMS_SQL} FROM {cube(scope, *keys)} WHERE {where}
        GROUP BY GROUPING SETS ({sets}) ORDER BY breakdown, {columns}
    """, params)
    breakdowns, quarters = frame.pop("breakdown").to_numpy(), frame["period_no"].to_numpy(np.int64)
    rates = _rate_columns(frame)
    groups = pd.factorize(breakdowns)[0]
    for key in keys:  # a row's group: its breakdown and its value there (the other key columns are NULL)
        codes = pd.factorize(frame[key], use_na_sentinel=False)[0]
        groups = groups * (int(codes.max(initial=0)) + 1) + codes
    values = np.column_stack([frame[f].to_numpy(dtype=float) if f in COUNT_FIELDS
                              else np.array(rates[f], dtype=float) for f in CHANGE_FIELDS])
    changes = _changes(values, groups, quarters, CHANGE_FIELDS)
    labels = {n: str(Period.from_index(int(n))) for n in np.unique(quarters)}
    out = {}
    for by in bys:  # each breakdown's rows, built in one go (inserting columns one by one cost more than the query)
        rows = np.flatnonzero(breakdowns == masks[by])
        out[by] = pd.DataFrame({
            "period": pd.array([labels[n] for n in quarters[rows]], dtype="str"),
            **{c: frame[c].array.take(rows) for c in ("period_no", *([by] if by else []), *COUNT_FIELDS)},
            **{rate: [listed[i] for i in rows] for rate, listed in rates.items()},
            **{name: change[rows] for name, change in changes.items()},
        })
    return out


def _changes(values: np.ndarray, groups: np.ndarray, quarters: np.ndarray,
             fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each row's change (``values``: a column per field) against the same group's row 1 and 4 quarters before
    (NaN where there is none), found by searching sorted (group, quarter) keys in numpy: pandas' index alignment
    cost more than the query."""
    keys = groups * (int(quarters.max(initial=0)) + 5) + quarters  # distinct per (group, quarter), lags included
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    changes = {}
    for lag, suffix in ((1, "qoq"), (4, "yoy")):
        at = np.minimum(np.searchsorted(ordered, keys - lag), max(len(keys) - 1, 0))
        found = ordered[at] == keys - lag if len(keys) else np.zeros(0, bool)
        earlier = np.full_like(values, np.nan)
        earlier[found] = values[order[at[found]]]
        change = values - earlier
        changes |= {f"{fld}_{suffix}": change[:, k] for k, fld in enumerate(fields)}
    return changes


def ageing(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """账龄: open problems by days since found (≤30, 31–90, 91–180, >180; 未填发现时间 where no date)."""
    order = [b[0] for b in AGE_BUCKETS] + ["未填发现时间"]
    counts = [0] * len(order)
    if has_table(con, "problem_cube"):
        where, params = scope.where()
        row = con.execute(
            f"SELECT {', '.join(f'coalesce(sum({c}), 0)' for c in AGE_COLUMNS)} FROM {cube(scope)} "
            f"WHERE period_no = $period_no AND {where}", params | {"period_no": period.index}).fetchone()
        counts = [int(v) for v in row]
    return pd.DataFrame({"bucket": order, "problems": counts})


def days_to_close(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """销号用时: mean and median days from found to closed, over problems 已销号 by the period with both dates.

    From how many problems took each number of days (a few hundred distinct values for 670,000 closed problems,
    kept in close_days for scopes without units): DuckDB's median sorted them all. The mean is the exact sum over
    the count, and the median the middle value, or the mean of the two middle ones, as DuckDB's median gives.
    """
    where, params = scope.where()
    if not has_table(con, "problem_state"):
        return {"closed_with_dates": 0, "mean_days": None, "median_days": None}
    params |= {"period_no": period.index}
    if cube(scope) == "period_cube":  # no unit involved
        sql = (f"SELECT days, sum(problems) FROM close_days WHERE period_no = $period_no AND {where} "
               "GROUP BY days ORDER BY days")
    else:
        sql = (f"SELECT days, count(*) FROM (SELECT date_diff('day', found_date, closed_date) AS days "
               f"FROM problem_state WHERE period_no = $period_no AND {CLOSED_WITH_DATES_SQL} AND {where}) "
               "GROUP BY days ORDER BY days")
    days, counts = con.execute(sql, params).fetchnumpy().values()
    total = int(counts.sum())
    if not total:
        return {"closed_with_dates": 0, "mean_days": None, "median_days": None}
    below = np.cumsum(counts)  # problems at or below each number of days

    def nth(k: int) -> int:  # the k-th smallest (from 0)
        return int(days[np.searchsorted(below, k + 1)])

    low, high = nth((total - 1) // 2), nth(total // 2)
    return {"closed_with_dates": total, "mean_days": round(int((days * counts).sum()) / total, 1),
            "median_days": float(low + 0.5 * (high - low))}


PROBLEM_COLUMNS = ("problem_id", "problem_code", "unit", "source", "dimension", "category", "description",
                   "owner", "severity", "status", "found_date", "deadline", "closed_date", "recurred")


def problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, only_open: bool = False,
             only_overdue: bool = False, status: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """问题清单: the problems of a period (one row each), with days overdue for open ones; most overdue first."""
    where, params = scope.where()
    conditions = [f"period_no = $period_no AND {where}"]
    if only_open:
        conditions.append(OPEN_SQL)
    if only_overdue:
        conditions.append(OVERDUE_SQL)
    if status is not None:
        conditions.append("status = $status")
        params["status"] = status
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=[*PROBLEM_COLUMNS, "days_overdue"])
    sql = f"""
        SELECT {", ".join(PROBLEM_COLUMNS)},
               CASE WHEN {OVERDUE_SQL} THEN {DAYS_OVERDUE_SQL} END AS days_overdue
        FROM problem_state WHERE {" AND ".join(conditions)}
        ORDER BY days_overdue DESC NULLS LAST, unit, problem_id
    """
    if limit is not None:
        sql += " LIMIT $limit"
        params["limit"] = int(limit)
    return con.execute(sql, params | {"period_no": period.index}).df()


def unit_dimension_matrix(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
                          only_open: bool = False) -> pd.DataFrame:
    """Problems per unit × dimension in a period (long form: unit, dimension, problems), for heatmaps."""
    where, params = scope.where()
    if not has_table(con, "problem_cube"):
        return pd.DataFrame(columns=["unit", "dimension", "problems"])
    measure = "open" if only_open else "total"
    return query_frame(con, f"""
        SELECT unit, dimension, CAST(sum({measure}) AS BIGINT) AS problems FROM {cube(scope, "unit")}
        WHERE period_no = $period_no AND {where}
        GROUP BY unit, dimension HAVING sum({measure}) > 0 ORDER BY unit, dimension
    """, params | {"period_no": period.index})
