"""会商 and the 督办清单, 回头看 results and the 典型问题案例库 (analytics.meetings, lookback, cases)."""


from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics import (
    alerts,
    cases,
    config,
    derived,
    lookback,
    meetings,
)
from analytics.access import (
    AccessDenied,
    User,
    allowed_units,
    require,
    require_part,
)
from analytics.actions.base import _record_write, _under, scoped
from analytics.actions.problem import NO_SUCH_PROBLEM
from analytics.config import ScoringConfig
from analytics.db import bump_revision, table_exists, transaction
from analytics.errors import DashboardError
from analytics.export import followup
from analytics.metrics import ALL, Scope
from analytics.periods import Period

__all__ = [
    "ISSUER", "add_decision", "add_progress", "case_files", "case_library", "case_tags", "decision_progress",
    "find_problems", "lookback_renotify", "lookback_sheet", "lookback_summary", "mark_case", "meeting_agenda",
    "meeting_list", "meeting_minutes", "proposed_agenda", "record_lookback", "record_meeting", "set_meeting_agenda",
    "supervision_list", "supervision_workbook", "unmark_case"
]



ISSUER = "纪委办公室"  # who signs the 会商纪要 and the 案例汇编


def _may_record(user: User, part: str) -> None:
    """Recording is the 纪委办's and the secretary's (follow_record), on what their role sees."""
    require(user, "follow_record")
    require_part(user, part)


def _problem_of(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, period: Period | None = None) -> dict:
    """A problem's state (in the quarter, else its latest) if the user may see it; the same refusal otherwise as
    for a problem that does not exist."""
    where, params = scoped(con, user, ALL).where()
    quarter = "$period_no" if period is not None else "(SELECT max(period_no) FROM problem_state)"
    found = con.execute(f"SELECT problem_id, status, unit FROM problem_state WHERE problem_id = $problem_id "
                        f"AND period_no = {quarter} AND {where}",
                        params | {"problem_id": int(problem_id)}
                        | ({"period_no": period.index} if period is not None else {})).fetchone() \
        if table_exists(con, "problem_state") else None
    if found is None:
        raise AccessDenied(NO_SUCH_PROBLEM)
    return dict(zip(("problem_id", "status", "unit"), found, strict=True))


def _whole_company(con: duckdb.DuckDBPyConnection, user: User, what: str) -> None:
    """会商 is the company's 党委纪委 mechanism: its records and minutes span every unit, so an account limited to a
    unit (组织架构) neither writes them nor takes the minutes away."""
    if allowed_units(user, _under(con)) is not None:
        raise AccessDenied(f"{what}由全公司范围的纪委书记、纪委办办理（本账户只能查看本单位及其下级）")


def _units_only(con: duckdb.DuckDBPyConnection, user: User, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a frame with a unit column that a user limited to units may see (all for the others)."""
    units = allowed_units(user, _under(con))
    return frame if units is None else frame[frame["unit"].isin(units)].reset_index(drop=True)


def record_meeting(con: duckdb.DuckDBPyConnection, user: User, kind: str, held_on: dt.date, topic: str,
                   participants: str, period: Period | None, items: pd.DataFrame,
                   now: dt.datetime | None = None) -> int:
    """A meeting with its agenda (meetings.ITEM_COLUMNS, as picked, edited and added on the page); its id."""
    _may_record(user, "agenda")
    _whole_company(con, user, "会商记录")
    with transaction(con):
        meeting_id = meetings.record_meeting(con, kind, held_on, topic, participants,
                                             str(period) if period else None, user.name, now)
        count = meetings.set_agenda(con, meeting_id, items)
        bump_revision(con)
    _record_write(con, user, "meeting_record", meeting_id=meeting_id, kind=kind, held_on=str(held_on), topic=topic,
                  items=count)
    return meeting_id


def set_meeting_agenda(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int, items: pd.DataFrame) -> int:
    """A meeting's agenda replaced (edited after the meeting was recorded); how many items."""
    _may_record(user, "agenda")
    _whole_company(con, user, "会商议题")
    with transaction(con):
        count = meetings.set_agenda(con, meeting_id, items)
        bump_revision(con)
    _record_write(con, user, "meeting_agenda", meeting_id=int(meeting_id), items=count)
    return count


def add_decision(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int, decision: meetings.Decision,
                 now: dt.datetime | None = None) -> int:
    """议定事项 of a meeting, into the 督办清单; its id."""
    _may_record(user, "agenda")
    _whole_company(con, user, "议定事项")
    with transaction(con):
        decision_id = meetings.add_decision(con, meeting_id, decision, user.name, now)
        bump_revision(con)
    d = decision.checked()
    _record_write(con, user, "decision_add", meeting_id=int(meeting_id), decision_id=decision_id, matter=d.matter,
                  unit=d.unit, person=d.person, due=str(d.due))
    return decision_id


def add_progress(con: duckdb.DuckDBPyConnection, user: User, decision_id: int, noted_on: dt.date, note: str,
                 completes: bool = False, now: dt.datetime | None = None) -> int:
    """A progress note on a decision (completes: it is done); its number."""
    _may_record(user, "agenda")
    _whole_company(con, user, "督办进展")
    with transaction(con):
        note_no = meetings.add_progress(con, decision_id, noted_on, note, completes, user.name, now)
        bump_revision(con)
    _record_write(con, user, "decision_progress", decision_id=int(decision_id), note_no=note_no,
                  noted_on=str(noted_on), completes=bool(completes), note=note)
    return note_no


def meeting_list(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """Every meeting, for the roles that see the agenda (a department head sees none unless access.toml says)."""
    require_part(user, "agenda")
    units = allowed_units(user, _under(con))
    listed = meetings.meetings(con)
    if units is None:
        return listed
    # a meeting's topic and participants are the company's: a unit's account sees that it was held, and when
    mine = listed[listed["meeting_id"].isin(meetings.meetings_of_units(con, units))].reset_index(drop=True)
    return mine.assign(topic=[f"{k}（涉及本单位事项）" for k in mine["kind"]], participants=None)


def meeting_agenda(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int) -> pd.DataFrame:
    require_part(user, "agenda")
    return _units_only(con, user, meetings.agenda(con, meeting_id))


def proposed_agenda(con: duckdb.DuckDBPyConnection, user: User, period: Period, held_on: dt.date,
                    scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """A new meeting's agenda to pick from: open decisions of earlier meetings, then the 会商议题建议清单."""
    require_part(user, "agenda")
    suggested = alerts.meeting_agenda(con, period, scoped(con, user, scope), cfg=cfg) \
        if table_exists(con, "problem_state") else pd.DataFrame(columns=list(alerts.AGENDA_COLUMNS))
    return _units_only(con, user, meetings.opening_agenda(con, held_on, suggested))


def supervision_list(con: duckdb.DuckDBPyConnection, user: User, as_of: dt.date,
                     meeting_id: int | None = None) -> pd.DataFrame:
    """督办清单 as of a date: a user limited to units sees only the decisions their unit is responsible for."""
    require_part(user, "agenda")
    return meetings.decisions(con, as_of, meeting_id, allowed_units(user, _under(con)))


def decision_progress(con: duckdb.DuckDBPyConnection, user: User, decision_id: int) -> pd.DataFrame:
    require_part(user, "agenda")
    units = allowed_units(user, _under(con))
    if units is not None and meetings.decisions(con, dt.date.max, None, units).query(
            "decision_id == @decision_id").empty:
        raise AccessDenied(f"{user.role}只能查看本单位（{user.unit}）的议定事项")
    return meetings.progress(con, decision_id)


def meeting_minutes(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int,
                    now: dt.datetime | None = None) -> tuple[str, bytes]:
    """会商纪要 (Word) of a meeting: (file name, bytes); the download itself is recorded by the page (downloaded)."""
    require_part(user, "agenda")
    require(user, "all_units")  # the minutes name every unit's decisions
    _whole_company(con, user, "会商纪要")
    record = meetings.meeting(con, meeting_id)
    held_on = record["held_on"].date() if hasattr(record["held_on"], "date") else record["held_on"]
    decided = meetings.decisions(con, held_on, meeting_id)
    carried = meetings.open_decisions(con, held_on, meeting_id)
    content = followup.minutes_docx(record, meetings.agenda(con, meeting_id), decided, carried, ISSUER,
                                    now or dt.datetime.now())
    return f"{record['kind']}纪要_{held_on:%Y%m%d}.docx", content


def supervision_workbook(con: duckdb.DuckDBPyConnection, user: User, as_of: dt.date) -> bytes:
    """督办清单 as of a date, as Excel (what supervision_list gives the user)."""
    return followup.supervision_xlsx(supervision_list(con, user, as_of), as_of)


def lookback_sheet(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """The quarter's 回头看 sample, each problem with its latest re-check (blank: not yet checked)."""
    require_part(user, "lookback")
    sample = alerts.lookback_sample(con, period, scoped(con, user, scope), cfg=cfg)
    checked = lookback.results(con, period)
    return sample.merge(checked, on="problem_id", how="left")


def record_lookback(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, period: Period, result: str,
                    note: str, checked_on: dt.date, *, cfg: ScoringConfig) -> int:
    """A 回头看 re-check of a problem 已销号 in the quarter; 改而复发 makes it recurred in every figure at once (the
    derived tables refreshed in the same transaction). Its id."""
    _may_record(user, "lookback")
    if _problem_of(con, user, problem_id, period)["status"] != config.CLOSED_STATUS:
        raise DashboardError(f"该问题在{period.label}末不是已销号问题，不在回头看范围内")
    with transaction(con):
        check_id = lookback.record(con, problem_id, period, result, note, checked_on, user.name)
        derived.refresh(con, cfg, [int(problem_id)])
        bump_revision(con)
    _record_write(con, user, "lookback_record", check_id=check_id, problem_id=int(problem_id), period=str(period),
                  result=result, checked_on=str(checked_on), note=note)
    return check_id


def lookback_summary(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL) -> pd.DataFrame:
    require_part(user, "lookback")
    return lookback.summary(con, scoped(con, user, scope))


def lookback_renotify(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """再通报 proposed for problems a 回头看 found 改而复发."""
    require_part(user, "lookback")
    return lookback.renotify(con, period, scoped(con, user, scope))


def mark_case(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, tags: list[str] | str,
              summary: str) -> list[str]:
    """Mark a problem the user may see as a typical case (or change its tags); the tags kept."""
    _may_record(user, "cases")
    _problem_of(con, user, problem_id)
    with transaction(con):
        kept = cases.mark(con, problem_id, tags, summary, user.name)
        bump_revision(con)
    _record_write(con, user, "case_mark", problem_id=int(problem_id), tags=kept, summary=summary)
    return kept


def unmark_case(con: duckdb.DuckDBPyConnection, user: User, problem_id: int) -> bool:
    _may_record(user, "cases")
    _problem_of(con, user, problem_id)
    with transaction(con):
        found = cases.unmark(con, problem_id)
        bump_revision(con)
    if found:
        _record_write(con, user, "case_unmark", problem_id=int(problem_id))
    return found


def case_library(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL,
                 tags: tuple[str, ...] | None = None) -> pd.DataFrame:
    """典型问题案例库 within what the user may see (their units, no hidden source)."""
    require_part(user, "cases")
    return cases.library(con, scoped(con, user, scope), tags)


def case_files(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL, tags: tuple[str, ...] | None = None,
               now: dt.datetime | None = None) -> dict[str, bytes]:
    """The library as shown to the user, as Excel and as a Word 警示教育 compilation: {"xlsx": …, "docx": …}."""
    listed = case_library(con, user, scope, tags)
    return {"xlsx": followup.cases_xlsx(listed), "docx": followup.cases_docx(listed, ISSUER, now or dt.datetime.now())}


def find_problems(con: duckdb.DuckDBPyConnection, user: User, text: str, limit: int = 20) -> pd.DataFrame:
    """Problems the user may see whose 问题编号 or description holds the text (latest quarter), to pick a case."""
    require_part(user, "cases")
    columns = ["problem_id", "problem_code", "unit", "description", "status"]
    if not (text or "").strip() or not table_exists(con, "problem_state"):
        return pd.DataFrame(columns=columns)
    where, params = scoped(con, user, ALL).where()
    return con.execute(f"""
        SELECT {', '.join(columns)} FROM problem_state
        WHERE period_no = (SELECT max(period_no) FROM problem_state) AND {where}
          AND (problem_code = $text OR contains(description, $text))
        ORDER BY problem_code = $text DESC, unit, problem_id LIMIT $limit
    """, params | {"text": text.strip(), "limit": int(limit)}).df()


def case_tags(con: duckdb.DuckDBPyConnection, user: User) -> list[str]:
    """Every tag in the case library, for its filter."""
    require_part(user, "cases")
    if allowed_units(user, _under(con)) is None:
        return cases.all_tags(con)
    return sorted({str(tag) for tags in case_library(con, user)["tags"] for tag in tags})
