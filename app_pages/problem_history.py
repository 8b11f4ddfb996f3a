"""整改历程: one problem quarter by quarter, in a dialog opened from any list of problems (common.table problems=True).

Not a page of its own: the dialog stays over the list it was opened from, which keeps its filters and scroll.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import actions
from analytics.access import User
from analytics.db import open_db
from analytics.errors import DashboardError
from app_pages import common, notice_parts

TEXT = st.column_config.TextColumn


@st.cache_data(show_spinner=False, max_entries=64)
def _history(db: str, rev: int | None, who: User, problem_id: int) -> pd.DataFrame:
    """The problem's quarters as the user may see them, cached until the data changes."""
    with open_db(db, read_only=True) as con:
        return actions.problem_history(con, who, problem_id, common.scoring())


def rows(history: pd.DataFrame) -> pd.DataFrame:
    """The history as the dialog shows it: the days to the deadline in words, whether the ledger listed it."""
    return history.assign(
        due=[common.due_text(d) for d in history["days_left"]],
        listed=["列入当季台账" if listed else "未列入（沿用上次报送）" for listed in history["listed"]],
        recurred=["是" if r else "否" for r in history["recurred"]])


@st.dialog("问题整改历程", width="large")
def show(problem_id: int) -> None:
    """The dialog: who and what the problem is, then a row per quarter (status, deadline, measures, warning)."""
    try:
        history = _history(str(common.db_path()), common.data_revision(), common.user(), problem_id)
    except DashboardError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    last = history.iloc[-1]

    def shown(field: str) -> str:  # ledger text for Markdown, a blank as "—"
        return common.plain(last[field] if pd.notna(last[field]) and str(last[field]) else common.BLANK)

    st.markdown(f"**问题编号**：{shown('problem_code')}　**责任单位**：{shown('unit')}　"
                f"**问题来源**：{shown('source')}　**维度**：{shown('dimension')}")
    st.caption(shown("description"))
    first, latest = history.iloc[0], history.iloc[-1]
    st.caption(f"自 {first['period']} 起共 {len(history)} 个季度，截至 {latest['period']} 的状态为"
               f"「{latest['status']}」。未列入某季台账的季度，沿用此前最近一次报送的情况。")
    warned = "warning" in history.columns
    common.table(
        rows(history), "问题整改历程", "problem_history_table", filtered=False,
        column_order=["period", "listed", "status", "deadline", "due", *(["warning"] if warned else []),
                      "measures", "progress", "deadline_text", "recurred", "file_name"],
        column_config={
            "period": TEXT("季度"), "listed": TEXT("台账报送"), "status": TEXT("整改状态"),
            "deadline": st.column_config.DateColumn("整改时限", format="YYYY-MM-DD"),
            "due": TEXT("逾期或剩余天数", help="以该季度末为当日计算；已完成的问题不计"),
            "warning": TEXT("预警"), "measures": TEXT("整改措施", width="large"),
            "progress": TEXT("整改进展", width="medium"), "deadline_text": TEXT("时限原文"),
            "recurred": TEXT("复发"), "file_name": TEXT("台账文件", width="medium"),
        })
    notice_parts.problem_documents(problem_id)
