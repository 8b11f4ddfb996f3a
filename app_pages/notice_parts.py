"""督办文书 where other pages show them: the documents beside each warning and the 逾期未回复 list on 预警督办, the
form that drafts a document from there, and a problem's documents in its 整改历程. Not a page of its own."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import actions, notices
from analytics.access import can
from analytics.db import open_db, table_exists
from analytics.errors import DashboardError
from analytics.periods import Period
from app_pages import common

TEXT = st.column_config.TextColumn
PAGE = "app_pages/notices.py"


def _reading(read):
    """``read(con)`` on the database read-only (None without one, or before the register exists)."""
    path = common.db_path()
    if not path.exists():
        return None
    with open_db(path, read_only=True) as con:
        return read(con) if table_exists(con, "notices") else None


def can_see_register() -> bool:
    return actions.can_notices(common.user())


def overdue() -> pd.DataFrame | None:
    """逾期未回复 as of today, for a role that sees the whole register (None for others)."""
    if not can_see_register():
        return None
    found = _reading(lambda con: actions.overdue_replies(con, common.user(), dt.date.today()))
    return found if found is not None else pd.DataFrame(columns=["number"])


def with_marks(rows: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Warnings rows with ``notice``: the documents already drafted for each (发文字号 and state)."""
    if rows.empty or not can_see_register():
        return rows
    marks = _reading(lambda con: actions.notice_marks(con, common.user(), period, rows, dt.date.today()))
    return rows.assign(notice=marks or [None] * len(rows))


def overdue_section(late: pd.DataFrame | None) -> None:
    if late is None or late.empty:
        return
    st.subheader(f"{notices.OVERDUE_REPLY}的督办文书（{len(late)}）")
    st.caption("已签发或送达、超过回复时限仍未收到书面回复的文书，本身即为预警，请跟进催办。")
    common.table(late, "逾期未回复的督办文书", "follow_up_overdue_replies", filtered=False,
                 column_order=["number", "kind", "unit", "reply_by", "days_late", "status"],
                 column_config={"number": TEXT("发文字号"), "kind": TEXT("文书类型"), "unit": TEXT("主送单位"),
                                "reply_by": st.column_config.DateColumn("回复时限", format="YYYY-MM-DD"),
                                "days_late": st.column_config.NumberColumn("逾期天数", format="%d"),
                                "status": TEXT("办理状态")})
    st.page_link(PAGE, label="前往督办文书登记簿", icon="📨")


def draft_form(warned: pd.DataFrame, period: Period) -> None:
    """起草督办文书 from this page: a unit and a kind (its problems of that tier), or chosen problems of one unit."""
    who = common.user()
    if not can(who, "notice_draft") or warned.empty:
        return
    with st.expander("起草督办文书", icon=":material/edit_document:"):
        units = list(dict.fromkeys(warned["unit"].dropna()))
        unit = st.selectbox("主送单位", units, key="notice_draft_unit")
        mine = warned[warned["unit"] == unit]
        highest = notices.KINDS[int(mine["level"].max()) - 1] if not mine.empty else notices.KINDS[0]
        kind = st.selectbox("文书类型", notices.KINDS, index=notices.KINDS.index(highest),
                            key=f"notice_draft_kind_{unit}")
        problems = mine[mine["problem_id"].notna()]
        labels = {int(r.problem_id): f"{r.problem_code or '—'} {str(r.description)[:30]}（{r.tier}）"
                  for r in problems.itertuples()}
        chosen = st.multiselect("列入的问题", list(labels), format_func=labels.get, key=f"notice_draft_problems_{unit}",
                                placeholder=f"不选：列入该单位本期达到「{kind}」预警的全部问题")
        ncfg = common.notices_config()
        reply_by = st.date_input("回复时限", dt.date.today() + dt.timedelta(days=ncfg.reply_days),
                                 min_value=dt.date.today(), key="notice_draft_reply_by")
        if st.button("起草", key="notice_draft_button", type="primary", icon=":material/draft:"):
            try:
                with open_db(common.db_path()) as con:
                    _, number = actions.draft_notice(con, who, ncfg, period, cfg=common.scoring(), kind=kind,
                                                     unit=None if chosen else unit, problem_ids=chosen or None,
                                                     reply_by=reply_by)
            except DashboardError as exc:
                st.error(common.plain(str(exc)), icon=":material/error:")
                return
            st.success(f"已起草 {number}，待纪委书记签发。", icon=":material/check:")
            st.page_link(PAGE, label="前往督办文书登记簿", icon="📨")


def problem_documents(problem_id: int) -> None:
    """The documents that listed a problem, in its 整改历程."""
    who = common.user()
    if not can(who, "notices"):
        return
    found = _reading(lambda con: actions.problem_notices(con, who, problem_id, dt.date.today()))
    if found is None or found.empty:
        return
    st.markdown("**督办文书**")
    common.table(found, "问题的督办文书", "problem_history_notices", filtered=False, download=False,
                 column_order=["number", "kind", "period", "state", "reply_by"],
                 column_config={"number": TEXT("发文字号"), "kind": TEXT("文书类型"), "period": TEXT("预警期间"),
                                "state": TEXT("办理状态"),
                                "reply_by": st.column_config.DateColumn("回复时限", format="YYYY-MM-DD")})
