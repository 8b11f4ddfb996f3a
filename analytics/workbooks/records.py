"""What was generated and what came back: update_workbooks (one row per workbook handed out) and workbook_returns
(the imports that returned one), the collection for a quarter (收集情况), and the units whose figures for a
quarter are carried over because they reported nothing (未报送).

Readers tolerate a database without these tables (read-only, written before them): nothing generated yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import duckdb
import pandas as pd

from analytics.config import CLOSED_STATUS
from analytics.db import has_table
from analytics.metrics import Scope
from analytics.periods import Period
from analytics.workbooks.marker import Marker

# where a unit's problems in a quarter come from (收集情况's 状态)
RETURNED, REPORTED, MISSING, WAITING = "已回收更新表", "已报送台账", "未报送（沿用上期）", "待报送"


def new_marker(con: duckdb.DuckDBPyConnection, unit: str, base: Period) -> Marker:
    """The marker of a workbook about to be generated: the next free number, a fresh check code."""
    last = con.execute("SELECT coalesce(max(workbook_id), 0) FROM update_workbooks").fetchone()[0] \
        if has_table(con, "update_workbooks") else 0
    return Marker(int(last) + 1, unit, str(base), str(Period.from_index(base.index + 1)),
                  secrets.token_hex(8))


def record(con: duckdb.DuckDBPyConnection, marker: Marker, file_name: str, content: bytes, problems: int,
           user: str | None) -> None:
    """Keep a generated workbook (its marker and sha256, not its bytes: it is made again from the data at will)."""
    con.execute("INSERT INTO update_workbooks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [marker.workbook_id, marker.unit, marker.base_period, marker.period, marker.token, problems,
                 file_name, hashlib.sha256(content).hexdigest(), dt.datetime.now().replace(microsecond=0), user])


def known(con: duckdb.DuckDBPyConnection, marker: Marker) -> bool:
    """Whether the marker is one this database generated: number, unit, periods and check code all agree."""
    if not has_table(con, "update_workbooks"):
        return False
    return con.execute(
        "SELECT count(*) FROM update_workbooks WHERE workbook_id = ? AND unit = ? AND base_period = ? AND period = ?"
        " AND token = ?", [marker.workbook_id, marker.unit, marker.base_period, marker.period, marker.token]
    ).fetchall()[0][0] > 0  # fetched whole: the caller registers a table on this connection next


def record_return(con: duckdb.DuckDBPyConnection, import_id: int, marker: Marker) -> None:
    """An import that returned a workbook (inside the import's transaction: undone with it, see collection)."""
    con.execute("INSERT INTO workbook_returns VALUES (?, ?, ?, ?, ?)",
                [import_id, marker.workbook_id, marker.unit, marker.period, dt.datetime.now().replace(microsecond=0)])


def generated(con: duckdb.DuckDBPyConnection, period: Period | None = None) -> pd.DataFrame:
    """Workbooks generated (to be returned as ``period``'s ledger, or all), newest first."""
    if not has_table(con, "update_workbooks"):
        return pd.DataFrame(columns=["workbook_id", "unit", "base_period", "period", "problems", "file_name",
                                     "sha256", "created_at", "created_by"])
    where, params = ("WHERE period = ?", [str(period)]) if period else ("", [])
    return con.execute(f"""SELECT workbook_id, unit, base_period, period, problems, file_name, sha256, created_at,
                                  created_by FROM update_workbooks {where} ORDER BY workbook_id DESC""", params).df()


def collection(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> pd.DataFrame:
    """收集情况 for the quarter a unit reports: each unit that had problems not yet 销号 at the end of the quarter
    before, or was sent a workbook for it: its open problems then, the last workbook sent, the import that returned
    one (undone imports do not count), the problems it listed this quarter from any ledger, and its state."""
    where, params = scope.where()
    before = period.index - 1
    has_state = has_table(con, "problem_state")
    expected = con.execute(f"""
        SELECT unit, count(*) AS open_before FROM problem_state
        WHERE period_no = $before AND status <> $closed AND {where} GROUP BY unit
    """, params | {"before": before, "closed": CLOSED_STATUS}).df() if has_state \
        else pd.DataFrame(columns=["unit", "open_before"])
    listed = con.execute(f"""
        SELECT unit, count(*) FILTER (WHERE listed) AS listed, count(*) FILTER (WHERE NOT listed AND is_open)
               AS carried
        FROM problem_state WHERE period_no = $now AND {where} GROUP BY unit
    """, params | {"now": period.index}).df() if has_state else pd.DataFrame(columns=["unit", "listed", "carried"])
    units = scope.within or scope.units
    sent = _sent(con, period, units)
    frame = expected.merge(sent, on="unit", how="outer").merge(listed, on="unit", how="left")
    if frame.empty:
        return frame.assign(state=pd.Series(dtype=object))
    for c in ("open_before", "listed", "carried"):
        frame[c] = frame[c].fillna(0).astype(int)
    frame["state"] = [_state(r) for r in frame.itertuples()]
    order = {RETURNED: 2, REPORTED: 1, WAITING: 0, MISSING: 0}
    frame["rank"] = frame["state"].map(order)
    return frame.sort_values(["rank", "unit"]).drop(columns="rank").reset_index(drop=True)


def _sent(con: duckdb.DuckDBPyConnection, period: Period, units: tuple[str, ...] | None) -> pd.DataFrame:
    columns = ["unit", "workbook_id", "sent_at", "import_id", "returned_at"]
    if not has_table(con, "update_workbooks"):
        return pd.DataFrame(columns=columns)
    frame = con.execute("""
        WITH last_sent AS (
            SELECT unit, max(workbook_id) AS workbook_id, max(created_at) AS sent_at
            FROM update_workbooks WHERE period = $period GROUP BY unit
        ),
        back AS (
            SELECT r.unit, max(r.import_id) AS import_id, max(i.imported_at) AS returned_at
            FROM workbook_returns r JOIN imports i USING (import_id)
            WHERE r.period = $period AND i.undone_at IS NULL GROUP BY r.unit
        )
        SELECT s.unit, s.workbook_id, s.sent_at, b.import_id, b.returned_at
        FROM last_sent s LEFT JOIN back b USING (unit)
    """, {"period": str(period)}).df()
    return frame if units is None else frame[frame["unit"].isin(units)]


def _state(row: object) -> str:
    if pd.notna(row.import_id):
        return RETURNED
    if row.listed:
        return REPORTED
    return MISSING if row.carried else WAITING


def not_reported(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> pd.DataFrame:
    """Units whose figures in ``period`` rest on the quarter before: they have open problems then, and no ledger
    of the quarter listed any of their problems (their problems are carried over). unit, carried (open problems
    carried), in unit order; empty for the first quarter of all."""
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=["unit", "carried"])
    where, params = scope.where()
    return con.execute(f"""
        SELECT unit, count(*) FILTER (WHERE is_open) AS carried
        FROM problem_state WHERE period_no = $now AND {where}
        GROUP BY unit
        HAVING NOT bool_or(listed) AND count(*) FILTER (WHERE is_open) > 0
        ORDER BY unit
    """, params | {"now": period.index}).df()
