"""监督清单: supervision measures done / due per quarter, per aspect (监督方面) and unit.

A quarter's list is the latest import of each measure in that quarter. A
measure is due in a quarter when its frequency says so (每月, 每周, 每季度,
常态化 and 长期: every quarter; 每半年: the second and fourth; 每年: the fourth),
or, for a dated measure, from the quarter of its deadline on; a measure with
neither is due every quarter. Done is the list's 完成情况 for that quarter.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.db import has_table
from analytics.periods import Period

# whether a measure of the list is due in its quarter (analytics.derived keeps each quarter's latest list with it in
# current_tasks)
DUE_SQL = """
    CASE
        WHEN frequency IN ('每月', '每周', '每季度', '常态化', '长期') THEN true
        WHEN frequency = '每半年' THEN period_no % 2 = 1
        WHEN frequency = '每年' THEN period_no % 4 = 3
        WHEN deadline IS NOT NULL THEN deadline <= period_end
        ELSE true
    END
"""
_COUNTS = """
    count(*) AS measures,
    count(*) FILTER (WHERE due) AS due,
    count(*) FILTER (WHERE due AND done) AS done,
    count(*) FILTER (WHERE due AND NOT done) AS not_done
"""


def _with_rate(frame: pd.DataFrame) -> pd.DataFrame:
    frame["done_rate"] = [round(d / n, 4) if n else None for d, n in zip(frame["done"], frame["due"], strict=True)]
    return frame


def _units_sql(units: tuple[str, ...] | None) -> tuple[str, dict]:
    """The measures of these units only (None: all): a unit's account sees its own part of the list."""
    return ("TRUE", {}) if units is None else ("list_contains($units, unit)", {"units": list(units)})


def task_progress(con: duckdb.DuckDBPyConnection, period: Period, by: str | None = None,
                  units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Measures, due, done and 完成率 for one quarter, in total or per aspect or unit (of ``units`` only)."""
    if by not in (None, "aspect", "unit"):
        raise ValueError(f"cannot break down by {by!r}")
    group = [by] if by else []
    columns = [*group, "measures", "due", "done", "not_done", "done_rate"]
    if not has_table(con, "current_tasks"):
        return pd.DataFrame(columns=columns)
    keys = ", ".join(group)
    where, params = _units_sql(units)
    frame = con.execute(
        f"SELECT {keys + ',' if keys else ''} {_COUNTS} FROM current_tasks WHERE period_no = $no AND {where}"
        f"{' GROUP BY ' + keys + ' ORDER BY ' + keys if keys else ''}", params | {"no": period.index},
    ).df()
    if not group and frame["measures"].iloc[0] == 0:
        frame = frame.iloc[0:0]
    return _with_rate(frame)[columns]


def task_trend(con: duckdb.DuckDBPyConnection, units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every quarter with a supervision list: measures, due, done, not done, 完成率 (of ``units`` only)."""
    if not has_table(con, "current_tasks"):
        return pd.DataFrame(columns=["period", "measures", "due", "done", "not_done", "done_rate"])
    where, params = _units_sql(units)
    frame = con.execute(f"SELECT period_no, {_COUNTS} FROM current_tasks WHERE {where} GROUP BY period_no "
                        "ORDER BY period_no", params).df()
    frame.insert(0, "period", [str(Period.from_index(int(n))) for n in frame.pop("period_no")])
    return _with_rate(frame)


def task_list(con: duckdb.DuckDBPyConnection, period: Period, units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The quarter's measures as listed, with whether each is due and done (undone due ones first; of ``units``
    only)."""
    if not has_table(con, "current_tasks"):
        return pd.DataFrame(columns=["seq", "aspect", "measure", "requirement", "unit", "frequency", "deadline",
                                     "status", "due", "done"])
    where, params = _units_sql(units)
    return con.execute(f"""
        SELECT seq, aspect, measure, requirement, unit, frequency, deadline, status, due, done
        FROM current_tasks WHERE period_no = $no AND {where}
        ORDER BY (due AND NOT done) DESC, excel_row
    """, params | {"no": period.index}).df()
