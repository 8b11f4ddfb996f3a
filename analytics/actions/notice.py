"""督办文书 (analytics.notices): drafted, signed, delivered, replied to and verified, step by step."""


from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics import (
    history,
    notices,
)
from analytics.access import (
    AccessDenied,
    User,
    allowed_units,
    can,
    require,
    require_part,
    require_unit,
    sees,
)
from analytics.actions.base import _record_write, _under, scoped
from analytics.config import ScoringConfig
from analytics.db import table_exists
from analytics.errors import DashboardError
from analytics.export import records
from analytics.metrics import ALL
from analytics.periods import Period

__all__ = [
    "NO_SUCH_NOTICE", "can_notices", "draft_notice", "notice_detail", "notice_file", "notice_marks",
    "notice_register", "notice_step", "notice_steps_for", "overdue_replies", "problem_notices", "reply_file"
]



_STEP_PERMISSIONS = {notices.SIGN: "notice_sign", notices.DELIVER: "notice_handle", notices.REPLY: "notice_handle",
                     notices.VERIFY: "notice_handle", notices.RETURN: "notice_handle"}
_STEP_ACTIONS = {notices.SIGN: "notice_sign", notices.DELIVER: "notice_deliver", notices.REPLY: "notice_reply",
                 notices.VERIFY: "notice_verify", notices.RETURN: "notice_return"}
NO_SUCH_NOTICE = "找不到该督办文书，或该文书不在本角色可查看的范围内"


def _notice_units(con: duckdb.DuckDBPyConnection, user: User) -> tuple[str, ...] | None:
    """The recipients whose documents the user sees (None: all); a department head sees only documents delivered to
    their unit (never a draft), without the rule that warranted them unless their role sees the warnings."""
    require(user, "notices")
    return allowed_units(user, _under(con))


def _notice_statuses(user: User) -> tuple[str, ...] | None:
    # a department head sees documents once delivered; the 纪委's own roles, scoped to a 分公司 or not, every step
    return None if can(user, "all_units") else notices.STATUSES[notices.STATUSES.index(notices.DELIVERED):]


def _check_notice(con: duckdb.DuckDBPyConnection, user: User, notice_id: int) -> None:
    units, statuses = _notice_units(con, user), _notice_statuses(user)
    row = con.execute("SELECT unit, status FROM notices WHERE notice_id = ?", [int(notice_id)]).fetchone() \
        if table_exists(con, "notices") else None
    if row is None or (units is not None and row[0] not in units) or (statuses is not None and row[1] not in statuses):
        raise AccessDenied(NO_SUCH_NOTICE)


def notice_register(con: duckdb.DuckDBPyConnection, user: User, today: dt.date, *, kind: str | None = None,
                    statuses: tuple[str, ...] | None = None, units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """督办文书登记簿 as the user may see it (notices.register), filtered by kind, status and unit."""
    allowed, visible = _notice_units(con, user), _notice_statuses(user)
    if allowed is not None:
        units = tuple(u for u in (units or allowed) if u in allowed)
    if visible is not None:
        statuses = tuple(s for s in (statuses or visible) if s in visible)
    return notices.register(con, today, units=units, statuses=statuses, kind=kind)


def notice_detail(con: duckdb.DuckDBPyConnection, user: User, notice_id: int) -> dict:
    """One document (notices.detail), if the user may see it; the rules only for a role that sees the warnings."""
    _check_notice(con, user, notice_id)
    found = notices.detail(con, notice_id)
    if not sees(user, "warnings"):
        found["problems"] = found["problems"].drop(columns=["rule"])
        found["notice"]["basis"] = None
    return found


def overdue_replies(con: duckdb.DuckDBPyConnection, user: User, today: dt.date) -> pd.DataFrame:
    """逾期未回复 documents the user may see: a warning of its own on 预警督办."""
    return notices.overdue_replies(con, today, _notice_units(con, user))


def notice_marks(con: duckdb.DuckDBPyConnection, user: User, period: Period, warned: pd.DataFrame,
                 today: dt.date) -> list[str | None]:
    """For each row of a warnings list the user was shown: the documents already drafted for it (notices.marks);
    nothing for a user who does not see the whole register."""
    if not can_notices(user):
        return [None] * len(warned)
    return notices.marks(con, period, warned, today)


def can_notices(user: User) -> bool:
    """Whether the user sees the whole register (every unit, drafts included)."""
    return can(user, "notices") and sees(user, "warnings") and allowed_units(user) is None


def problem_notices(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, today: dt.date) -> pd.DataFrame:
    """The documents that list one problem, for a user who may see the problem (as problem_history) and the
    documents (a department head: delivered ones only)."""
    require_part(user, "problems")
    if not can(user, "notices") or not history.in_scope(con, int(problem_id), scoped(con, user, ALL)):
        return notices.for_problems(con, [], today)
    found = notices.for_problems(con, [int(problem_id)], today)
    visible = _notice_statuses(user)
    return found if visible is None else found[found["status"].isin(visible)].reset_index(drop=True)


def draft_notice(con: duckdb.DuckDBPyConnection, user: User, ncfg: notices.NoticeConfig, period: Period, *,
                 cfg: ScoringConfig, kind: str | None = None, unit: str | None = None,
                 problem_ids: list[int] | None = None, reply_by: dt.date | None = None,
                 now: dt.datetime | None = None) -> tuple[int, str]:
    """拟稿: a document to a unit listing its warned problems of the kind's tier (``unit``), or listing chosen problems
    (``problem_ids``); numbered and registered, recorded. (id, 发文字号)."""
    require(user, "notice_draft")
    require_part(user, "warnings")
    now = now or dt.datetime.now()
    scope = scoped(con, user, ALL)
    if problem_ids:
        draft = notices.draft_for_problems(con, period, scope, problem_ids, kind and notices.kind_of(kind), cfg=cfg)
    elif unit:
        require_unit(user, unit, _under(con))
        draft = notices.draft_for_unit(con, period, scope, unit, notices.kind_of(kind or ""), cfg=cfg)
    else:
        raise notices.NoticeRefused("请选择问题或责任单位")
    reply_by = reply_by or now.date() + dt.timedelta(days=ncfg.reply_days)
    notice_id, number = notices.store_draft(con, draft, ncfg, reply_by, user.name, user.role, now)
    _record_write(con, user, "notice_draft", notice_id=notice_id, number=number, kind=draft.kind, unit=draft.unit,
                  period=str(period), problems=[int(i) for i in draft.problems["problem_id"]],
                  reply_by=reply_by.isoformat())
    return notice_id, number


def notice_steps_for(user: User, status: str) -> list[str]:
    """The lifecycle steps (notices.STEPS) the user's role may take on a document of this status."""
    return [step for step, (allowed, _, _) in notices.STEPS.items()
            if status in allowed and can(user, _STEP_PERMISSIONS[step])]


def notice_step(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, step: str, *,
                ncfg: notices.NoticeConfig, note: str | None = None, reply_text: str | None = None,
                reply_file: notices.ReplyFile | None = None, reply_by: dt.date | None = None,
                now: dt.datetime | None = None) -> str:
    """One step of a document's lifecycle (签发, 送达, 登记回复, 核验通过, 退回重报) by a role allowed to take it;
    refused in Chinese when the document's status does not allow it; recorded. The new status."""
    if step not in _STEP_PERMISSIONS:
        raise notices.NoticeRefused(f"未知的文书办理步骤「{step}」")
    require(user, _STEP_PERMISSIONS[step])
    _check_notice(con, user, notice_id)
    now = now or dt.datetime.now()
    if step == notices.RETURN and reply_by is None:
        reply_by = now.date() + dt.timedelta(days=ncfg.reply_days)
    status = notices.advance(con, notice_id, step, user.name, user.role, now, note=note, reply_text=reply_text,
                             reply_file=reply_file, reply_by=reply_by, max_reply_mb=ncfg.max_reply_mb)
    number = notices.status_of(con, notice_id)[1]
    details: dict = {"notice_id": int(notice_id), "number": number, "status": status}
    if note:
        details["note"] = note
    if step == notices.REPLY:
        details |= {"text": bool(reply_text and reply_text.strip()),
                    "file": notices.safe_file_name(reply_file.name) if reply_file else None,
                    "sha256": records.sha256(reply_file.content) if reply_file else None}
    if step == notices.RETURN:
        details["reply_by"] = reply_by.isoformat()
    _record_write(con, user, _STEP_ACTIONS[step], **details)
    return status


def notice_file(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, fmt: str) -> tuple[str, bytes]:
    """The document as .docx or .pdf (the download itself: see downloaded), for a role that sees the whole register
    (the document carries the rules that warranted it)."""
    from analytics.export import notice as notice_export

    if not can_notices(user):
        raise AccessDenied(f"{user.role}无权下载督办文书")
    _check_notice(con, user, notice_id)
    found = notices.paper(con, notice_id)
    if fmt == "docx":
        return notice_export.file_name(found, fmt), notice_export.to_docx(found)
    if fmt == "pdf":
        return notice_export.file_name(found, fmt), notice_export.to_pdf(found)
    raise DashboardError(f"督办文书只能导出为 docx 或 pdf，不支持「{fmt}」")


def reply_file(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, reply_no: int) -> tuple[str, bytes]:
    """A reply's attached file, for a user who may see the document."""
    _check_notice(con, user, notice_id)
    return notices.reply_content(con, notice_id, reply_no)
