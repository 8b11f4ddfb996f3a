"""One problem across quarters (整改历程): its status, deadline, measures, progress and warning, quarter by quarter.

Read from problem_state (the state each quarter: a quarter whose ledger does not list the problem carries its
last report, as every figure does) and observations (the 整改措施, 整改进展 and 时限原文 each report gave, a blank
column inheriting the earlier value, and the ledger file of the quarter's last report). The warning is the tier
the problem reached at that quarter's end under the configured thresholds (alerts.LEVEL_RULE_SQL), for open
problems; a unit-level warning (问题集中, 较差) is not the problem's own.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.alerts import LEVEL_RULE_SQL, TIERS, level_thresholds
from analytics.config import ScoringConfig
from analytics.db import has_table
from analytics.metrics import ALL, Scope

HISTORY_COLUMNS = ("period", "period_no", "listed", "file_name", "status", "deadline", "deadline_text", "days_left",
                   "warning", "measures", "progress", "recurred", "unit", "source", "dimension", "problem_code",
                   "description")


def in_scope(con: duckdb.DuckDBPyConnection, problem_id: int, scope: Scope = ALL) -> bool:
    """Whether the problem exists and every quarter of it lies in the scope: a problem that was ever of another
    unit, or ever from a source hidden from the reader, is not shown at all (no quarter of it)."""
    if not has_table(con, "problem_state"):
        return False
    where, params = scope.where()
    total, inside = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {where}) FROM problem_state WHERE problem_id = $problem_id",
        params | {"problem_id": int(problem_id)}).fetchone()
    return total > 0 and total == inside


def problem_history(con: duckdb.DuckDBPyConnection, problem_id: int, cfg: ScoringConfig) -> pd.DataFrame:
    """One row per quarter from the problem's first to the last quarter with a ledger, oldest first (HISTORY_COLUMNS).

    ``listed``: the quarter's ledger lists it (``file_name`` is then that ledger's file); ``days_left``: days from
    the quarter's end to the deadline for an open problem with a dated deadline (negative: overdue; 0: due that
    day); ``warning``: the tier it reached then (None: none, or completed). Empty when there is no such problem.
    """
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    level, level_params = LEVEL_RULE_SQL, level_thresholds(cfg)
    states = con.execute(f"""
        SELECT period, period_no, listed, status, deadline,
               CASE WHEN is_open AND deadline IS NOT NULL THEN date_diff('day', period_end, deadline) END AS days_left,
               {level} AS level, coalesce(recurred, false) AS recurred,
               unit, source, dimension, problem_code, description
        FROM problem_state WHERE problem_id = $problem_id ORDER BY period_no
    """, level_params | {"problem_id": int(problem_id)}).df()
    if states.empty:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    # each quarter's last report, its free text inherited from earlier reports where a column was missing (NULL)
    reports = con.execute("""
        SELECT period_no, file_name,
               NULLIF(last_value(measures IGNORE NULLS) OVER w, '') AS measures,
               NULLIF(last_value(progress IGNORE NULLS) OVER w, '') AS progress,
               NULLIF(last_value(deadline_text IGNORE NULLS) OVER w, '') AS deadline_text
        FROM observations JOIN imports USING (import_id)
        WHERE problem_id = $problem_id
        WINDOW w AS (ORDER BY period_no, import_id, excel_row ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        QUALIFY row_number() OVER (PARTITION BY period_no ORDER BY import_id DESC, excel_row DESC) = 1
        ORDER BY period_no
    """, {"problem_id": int(problem_id)}).df()
    # a quarter without a report of its own carries the last one before it (as problem_state does)
    merged = pd.merge_asof(states.astype({"period_no": "int64"}), reports.astype({"period_no": "int64"}),
                           on="period_no", direction="backward")
    merged["file_name"] = merged["file_name"].where(merged["listed"].astype(bool))
    tiers = dict(enumerate(TIERS, start=1))
    merged["warning"] = [tiers.get(int(v)) if pd.notna(v) else None for v in merged["level"]]
    merged["days_left"] = merged["days_left"].astype("Int64")
    merged["listed"] = merged["listed"].astype(bool)
    merged["recurred"] = merged["recurred"].astype(bool)
    for text in ("file_name", "measures", "progress", "deadline_text", "warning"):  # a blank is None, not NaN
        merged[text] = merged[text].astype(object).where(merged[text].notna(), None)
    return merged[list(HISTORY_COLUMNS)]
