"""回头看 results: each problem of a quarter's 回头看 sample re-checked as 整改到位, 改而复发 or 需再了解.

A problem may be re-checked more than once for a quarter (a 需再了解 followed up, a slip corrected): the latest
check of each problem and quarter counts, the earlier ones stay as its history. 改而复发 makes the problem
recurred from that quarter on (analytics.state reads RECURRED_SQL into problem_state, so that every figure that
counts recurrence counts it) and proposes a 再通报.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.db import has_table
from analytics.errors import DashboardError
from analytics.metrics import ALL, Scope
from analytics.periods import Period

DONE, RECURRED, UNCLEAR = "整改到位", "改而复发", "需再了解"
RESULTS = (DONE, RECURRED, UNCLEAR)
# the latest check of each problem and sample quarter ({checks}: lookback_checks or a stand-in for it)
LATEST_SQL = """
    SELECT problem_id, period_no, arg_max(result, check_id) AS result, arg_max(note, check_id) AS note,
           arg_max(checked_on, check_id) AS checked_on, arg_max(recorded_by, check_id) AS recorded_by,
           count(*) AS times_checked
    FROM {checks} GROUP BY problem_id, period_no
"""
# per problem, the first sample quarter whose latest check found it 改而复发 (state.py joins it to problem_state)
RECURRED_SQL = f"""
    SELECT problem_id AS lookback_problem_id, min(period_no) AS lookback_no
    FROM (SELECT problem_id, period_no, arg_max(result, check_id) AS result FROM {{checks}} GROUP BY ALL)
    WHERE result = '{RECURRED}' GROUP BY ALL
"""
RESULT_COLUMNS = ("problem_id", "result", "note", "checked_on", "recorded_by", "times_checked")
SUMMARY_COLUMNS = ("period", "checked", "done", "recurred", "unclear", "done_rate")
RENOTIFY_COLUMNS = ("period", "problem_id", "problem_code", "unit", "dimension", "description", "note", "checked_on",
                    "proposal")


def record(con: duckdb.DuckDBPyConnection, problem_id: int, period: Period, result: str, note: str,
           checked_on: dt.date, by: str, now: dt.datetime | None = None) -> int:
    """Store one re-check (within the caller's transaction); its id. The problem must be 已销号 in the sample's
    quarter: only those are drawn."""
    if result not in RESULTS:
        raise DashboardError(f"回头看结果只能是{'、'.join(RESULTS)}，不能是「{result}」")
    if not isinstance(checked_on, dt.date):
        raise DashboardError("请填写回头看的日期")
    if result != DONE and not (note or "").strip():
        raise DashboardError(f"回头看结果为「{result}」时，请写明情况")
    check_id = con.execute("SELECT coalesce(max(check_id), 0) + 1 FROM lookback_checks").fetchone()[0]
    con.execute("INSERT INTO lookback_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [check_id, int(problem_id), period.index, result, (note or "").strip() or None, checked_on,
                 now or dt.datetime.now(), by])
    return check_id


def results(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """The latest re-check of each problem checked for this quarter's sample."""
    if not has_table(con, "lookback_checks"):
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return con.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM ({LATEST_SQL.format(checks='lookback_checks')}) "
                       "WHERE period_no = ? ORDER BY problem_id", [period.index]).df()


def _latest_in_scope(scope: Scope) -> tuple[str, dict]:
    """The latest checks joined to their problem's state in the sample's quarter, cut to the scope."""
    where, params = scope.where()
    return f"""
        SELECT l.*, s.problem_code, s.unit, s.source, s.dimension, s.description
        FROM ({LATEST_SQL.format(checks='lookback_checks')}) l
        JOIN problem_state s ON s.problem_id = l.problem_id AND s.period_no = l.period_no
        WHERE {where}
    """, params


def summary(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pd.DataFrame:
    """回头看 per quarter: problems re-checked, 整改到位, 改而复发, 需再了解, and 整改到位率 (到位 / checked)."""
    if not has_table(con, "lookback_checks") or not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    sql, params = _latest_in_scope(scope)
    frame = con.execute(f"""
        SELECT period_no, count(*) AS checked, count(*) FILTER (WHERE result = $done) AS done,
               count(*) FILTER (WHERE result = $recurred) AS recurred,
               count(*) FILTER (WHERE result = $unclear) AS unclear
        FROM ({sql}) GROUP BY period_no ORDER BY period_no
    """, params | {"done": DONE, "recurred": RECURRED, "unclear": UNCLEAR}).df()
    frame.insert(0, "period", [str(Period.from_index(int(n))) for n in frame["period_no"]])
    frame["done_rate"] = [round(d / c, 4) if c else None for d, c in zip(frame["done"], frame["checked"],
                                                                          strict=True)]
    return frame[list(SUMMARY_COLUMNS)]


def renotify(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """再通报 proposed: the problems a 回头看 of this quarter or an earlier one found 改而复发, latest first."""
    if not has_table(con, "lookback_checks") or not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(RENOTIFY_COLUMNS))
    sql, params = _latest_in_scope(scope)
    frame = con.execute(f"""
        SELECT period_no, problem_id, problem_code, unit, dimension, description, note, checked_on
        FROM ({sql}) WHERE result = $recurred AND period_no <= $period_no
        ORDER BY period_no DESC, unit, problem_id
    """, params | {"recurred": RECURRED, "period_no": period.index}).df()
    quarters = [Period.from_index(int(n)) for n in frame.pop("period_no")]
    frame.insert(0, "period", [str(q) for q in quarters])
    frame["proposal"] = [f"建议对{unit}再通报：{q.label}回头看发现该问题整改后又复发，督促重新整改并举一反三"
                         for unit, q in zip(frame["unit"], quarters, strict=True)]
    return frame[list(RENOTIFY_COLUMNS)]
