"""党委纪委会商: meetings, their agenda, their decisions (议定事项) tracked in a 督办清单 with progress notes.

A decision's status is computed against a date given by the caller (the page: today; a test: any day), never
stored: 已完成 once a progress note dated on or before it completes the decision, else 逾期 past its 时限, else
推进中 with any progress noted, else 未启动. A meeting's agenda opens with the decisions of earlier meetings still
open on its date, then the items chosen from the 会商议题建议清单 (alerts.meeting_agenda) and those added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.db import has_table
from analytics.errors import DashboardError

KINDS = ("综合会商", "专题会商", "即时会商")
NOT_STARTED, UNDERWAY, DONE, OVERDUE = "未启动", "推进中", "已完成", "逾期"
STATUSES = (NOT_STARTED, UNDERWAY, DONE, OVERDUE)
CARRIED, SUGGESTED, ADDED = "前次议定事项", "建议清单", "临时增加"
ORIGINS = (CARRIED, SUGGESTED, ADDED)
ITEM_COLUMNS = ("origin", "kind", "topic", "reason", "unit", "dimension", "problem_id", "decision_id")
MEETING_COLUMNS = ("meeting_id", "kind", "held_on", "topic", "participants", "period", "items", "decisions",
                   "recorded_by")
DECISION_COLUMNS = ("decision_id", "meeting_id", "meeting_kind", "held_on", "matter", "unit", "person", "due",
                    "status", "completed_on", "notes", "last_note", "last_noted_on")
PROGRESS_COLUMNS = ("decision_id", "note_no", "noted_on", "note", "completes", "recorded_by", "recorded_at")


@dataclass(frozen=True)
class Decision:
    """议定事项: what is to be done, by which unit and person, by when."""

    matter: str
    unit: str
    person: str | None
    due: dt.date

    def checked(self) -> Decision:
        matter, unit = (self.matter or "").strip(), (self.unit or "").strip()
        if not matter:
            raise DashboardError("请填写议定事项的内容")
        if not unit:
            raise DashboardError("请填写议定事项的责任单位")
        if not isinstance(self.due, dt.date):
            raise DashboardError("请填写议定事项的完成时限")
        return Decision(matter, unit, (self.person or "").strip() or None, self.due)


def _next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    # tables of the product's own: the names are constants, never user text
    return con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchone()[0]


def _meeting_exists(con: duckdb.DuckDBPyConnection, meeting_id: int) -> None:
    if not con.execute("SELECT count(*) FROM meetings WHERE meeting_id = ?", [int(meeting_id)]).fetchone()[0]:
        raise DashboardError(f"没有编号为 {meeting_id} 的会商记录")


# ---- writing (within the caller's transaction) ----

def record_meeting(con: duckdb.DuckDBPyConnection, kind: str, held_on: dt.date, topic: str, participants: str,
                   period: str | None, by: str, now: dt.datetime | None = None) -> int:
    """A new meeting; its id."""
    if kind not in KINDS:
        raise DashboardError(f"会商类型只能是{'、'.join(KINDS)}，不能是「{kind}」")
    if not isinstance(held_on, dt.date):
        raise DashboardError("请填写会商日期")
    if not (topic or "").strip():
        raise DashboardError("请填写会商主题")
    meeting_id = _next_id(con, "meetings", "meeting_id")
    con.execute("INSERT INTO meetings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [meeting_id, kind, held_on, topic.strip(), (participants or "").strip() or None, period,
                 now or dt.datetime.now(), by])
    return meeting_id


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip() or None


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def set_agenda(con: duckdb.DuckDBPyConnection, meeting_id: int, items: pd.DataFrame) -> int:
    """The meeting's agenda, replaced by these items (ITEM_COLUMNS; rows without a topic dropped); how many."""
    _meeting_exists(con, meeting_id)
    rows = []
    for item in items.reindex(columns=list(ITEM_COLUMNS)).to_dict("records"):
        topic = _text(item["topic"])
        if topic is None:
            continue
        origin = _text(item["origin"]) or ADDED
        if origin not in ORIGINS:
            raise DashboardError(f"议题来源只能是{'、'.join(ORIGINS)}，不能是「{origin}」")
        rows.append([int(meeting_id), len(rows) + 1, origin, _text(item["kind"]), topic, _text(item["reason"]),
                     _text(item["unit"]), _text(item["dimension"]), _int(item["problem_id"]),
                     _int(item["decision_id"])])
    con.execute("DELETE FROM meeting_items WHERE meeting_id = ?", [int(meeting_id)])
    if rows:
        con.executemany("INSERT INTO meeting_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def add_decision(con: duckdb.DuckDBPyConnection, meeting_id: int, decision: Decision, by: str,
                 now: dt.datetime | None = None) -> int:
    """A decision of the meeting, tracked from now on in the 督办清单; its id."""
    _meeting_exists(con, meeting_id)
    d = decision.checked()
    decision_id = _next_id(con, "meeting_decisions", "decision_id")
    con.execute("INSERT INTO meeting_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [decision_id, int(meeting_id), d.matter, d.unit, d.person, d.due, now or dt.datetime.now(), by])
    return decision_id


def add_progress(con: duckdb.DuckDBPyConnection, decision_id: int, noted_on: dt.date, note: str, completes: bool,
                 by: str, now: dt.datetime | None = None) -> int:
    """A progress note on a decision (``completes``: it reports the decision done on ``noted_on``); its number."""
    if not con.execute("SELECT count(*) FROM meeting_decisions WHERE decision_id = ?",
                       [int(decision_id)]).fetchone()[0]:
        raise DashboardError(f"没有编号为 {decision_id} 的议定事项")
    if not (note or "").strip():
        raise DashboardError("请填写进展情况")
    if not isinstance(noted_on, dt.date):
        raise DashboardError("请填写进展日期")
    note_no = con.execute("SELECT coalesce(max(note_no), 0) + 1 FROM decision_progress WHERE decision_id = ?",
                          [int(decision_id)]).fetchone()[0]
    con.execute("INSERT INTO decision_progress VALUES (?, ?, ?, ?, ?, ?, ?)",
                [int(decision_id), note_no, noted_on, note.strip(), bool(completes), now or dt.datetime.now(), by])
    return note_no


# ---- reading ----

def meetings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every meeting, latest first, with how many agenda items and decisions it has."""
    if not has_table(con, "meetings"):
        return pd.DataFrame(columns=list(MEETING_COLUMNS))
    return con.execute("""
        SELECT meeting_id, kind, held_on, topic, participants, period,
               (SELECT count(*) FROM meeting_items i WHERE i.meeting_id = m.meeting_id) AS items,
               (SELECT count(*) FROM meeting_decisions d WHERE d.meeting_id = m.meeting_id) AS decisions,
               recorded_by
        FROM meetings m ORDER BY held_on DESC, meeting_id DESC
    """).df()


def meeting(con: duckdb.DuckDBPyConnection, meeting_id: int) -> dict:
    """One meeting's record."""
    found = meetings(con)
    found = found[found["meeting_id"] == int(meeting_id)]
    if found.empty:
        raise DashboardError(f"没有编号为 {meeting_id} 的会商记录")
    return found.iloc[0].to_dict()


def meetings_of_units(con: duckdb.DuckDBPyConnection, units: tuple[str, ...]) -> set[int]:
    """The meetings with an agenda item or a decision for one of these units."""
    if not has_table(con, "meeting_items"):
        return set()
    return {r[0] for r in con.execute("""
        SELECT meeting_id FROM meeting_items WHERE list_contains($units, unit)
        UNION SELECT meeting_id FROM meeting_decisions WHERE list_contains($units, unit)
    """, {"units": list(units)}).fetchall()}


def agenda(con: duckdb.DuckDBPyConnection, meeting_id: int) -> pd.DataFrame:
    """The saved agenda of a meeting, in order."""
    if not has_table(con, "meeting_items"):
        return pd.DataFrame(columns=["item_no", *ITEM_COLUMNS])
    return con.execute(f"SELECT item_no, {', '.join(ITEM_COLUMNS)} FROM meeting_items WHERE meeting_id = ? "
                       "ORDER BY item_no", [int(meeting_id)]).df()


def decisions(con: duckdb.DuckDBPyConnection, as_of: dt.date, meeting_id: int | None = None,
              units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """督办清单: the decisions (of one meeting, of meetings held on or before as_of when none is given; of these
    责任单位 when given) with their status as of the date and their latest progress noted by then."""
    if not has_table(con, "meeting_decisions"):
        return pd.DataFrame(columns=list(DECISION_COLUMNS))
    frame = con.execute(f"""
        WITH notes AS (
            SELECT decision_id, count(*) AS notes, min(noted_on) FILTER (WHERE completes) AS completed_on,
                   arg_max(note, (noted_on, note_no)) AS last_note, max(noted_on) AS last_noted_on
            FROM decision_progress WHERE noted_on <= $as_of GROUP BY decision_id
        )
        SELECT d.decision_id, d.meeting_id, m.kind AS meeting_kind, m.held_on, d.matter, d.unit, d.person, d.due,
               CASE WHEN n.completed_on IS NOT NULL THEN '{DONE}' WHEN d.due < $as_of THEN '{OVERDUE}'
                    WHEN n.notes > 0 THEN '{UNDERWAY}' ELSE '{NOT_STARTED}' END AS status,
               n.completed_on, coalesce(n.notes, 0) AS notes, n.last_note, n.last_noted_on
        FROM meeting_decisions d JOIN meetings m USING (meeting_id) LEFT JOIN notes n USING (decision_id)
        WHERE (CAST($meeting_id AS INTEGER) IS NULL AND m.held_on <= $as_of OR d.meeting_id = $meeting_id)
          AND (CAST($units AS VARCHAR[]) IS NULL OR list_contains($units, d.unit))
        ORDER BY m.held_on, d.meeting_id, d.decision_id
    """, {"as_of": as_of, "meeting_id": meeting_id, "units": None if units is None else list(units)}).df()
    return frame[list(DECISION_COLUMNS)]


def progress(con: duckdb.DuckDBPyConnection, decision_id: int) -> pd.DataFrame:
    """A decision's progress notes, in order, each with who recorded it and when."""
    if not has_table(con, "decision_progress"):
        return pd.DataFrame(columns=list(PROGRESS_COLUMNS))
    return con.execute(f"SELECT {', '.join(PROGRESS_COLUMNS)} FROM decision_progress WHERE decision_id = ? "
                       "ORDER BY noted_on, note_no", [int(decision_id)]).df()


def open_decisions(con: duckdb.DuckDBPyConnection, held_on: dt.date, meeting_id: int | None = None) -> pd.DataFrame:
    """The decisions of meetings held on or before a meeting's date (other than that meeting) not done by then."""
    found = decisions(con, held_on)
    found = found[(found["status"] != DONE) & (found["meeting_id"] != (meeting_id or 0))]
    return found.reset_index(drop=True)


def opening_agenda(con: duckdb.DuckDBPyConnection, held_on: dt.date, suggested: pd.DataFrame,
                   meeting_id: int | None = None) -> pd.DataFrame:
    """A meeting's proposed agenda (ITEM_COLUMNS): the open decisions of earlier meetings first, then the
    suggested items (alerts.AGENDA_COLUMNS) in their order."""
    carried = [{"origin": CARRIED, "kind": CARRIED, "topic": f"督办落实：{d.matter}",
                "reason": f"{d.meeting_kind}（{d.held_on:%Y-%m-%d}）议定，责任单位{d.unit}，时限{d.due:%Y-%m-%d}，"
                          f"目前{d.status}" + (f"；最新进展：{d.last_note}" if isinstance(d.last_note, str) else ""),
                "unit": d.unit, "dimension": None, "problem_id": None, "decision_id": d.decision_id}
               for d in open_decisions(con, held_on, meeting_id).itertuples()]
    listed = [{"origin": SUGGESTED, "kind": r.get("kind"), "topic": r.get("topic"), "reason": r.get("reason"),
               "unit": r.get("unit"), "dimension": r.get("dimension"), "problem_id": r.get("problem_id"),
               "decision_id": None} for r in suggested.to_dict("records")]
    frame = pd.DataFrame([*carried, *listed], columns=list(ITEM_COLUMNS))
    return frame.astype({"problem_id": "Int64", "decision_id": "Int64"})
