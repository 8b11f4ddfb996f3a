"""台账导入's part for a returned update workbook: whose it is, and what it changes since the quarter it was made
from (a table of changed fields, the new problems, the problems it no longer lists: carried over)."""

from __future__ import annotations

import streamlit as st

from analytics import actions
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.ingest.parse import ParsedFile
from analytics.workbooks.marker import Marker
from app_pages import common


def show(parsed: ParsedFile, marker: Marker | None, key: str) -> None:
    """The update workbook's changes, when the file is one (nothing otherwise)."""
    if marker is None or parsed.period is None:
        return
    try:
        with open_db(common.db_path(), read_only=True) as con:
            if not actions.returned_workbook(con, parsed, marker):
                st.warning(common.plain(
                    f"此文件是{marker.unit}的更新表（编号 {marker.workbook_id}，{marker.period}），但不是本看板生成的，"
                    "或所选期间与更新表不符：将按普通台账导入，不计入收集情况。"), icon=":material/warning:")
                return
            changes = actions.workbook_changes(con, common.user(), parsed, marker)
    except DashboardError as exc:
        st.error(common.plain(str(exc)))
        return
    st.markdown(f"**更新表**：{common.plain(marker.unit)}（编号 {marker.workbook_id}），"
                f"依据 {marker.base_period} 生成，作为 {marker.period} 台账导入")
    counts = st.columns(4)
    counts[0].metric("有变化的问题", changes.changed_problems)
    counts[1].metric("未变化", changes.unchanged)
    counts[2].metric("新增问题", len(changes.new))
    counts[3].metric("未列出（沿用上期）", len(changes.carried))
    if not changes.changed.empty:
        common.table(changes.changed.rename(columns={
            "problem_code": "问题编号", "description": "问题描述", "field": "项目", "before": "上期", "after": "本期"}),
            f"{marker.unit}更新表变化", f"{key}_changed", filtered=False,
            column_order=["问题编号", "问题描述", "项目", "上期", "本期"])
    if not changes.new.empty:
        st.markdown("**新增问题**")
        common.table(changes.new.rename(columns={"sheet": "工作表", "excel_row": "行号", "problem_code": "问题编号",
                                                 "description": "问题描述", "status": "整改状态"}),
                     f"{marker.unit}更新表新增问题", f"{key}_new", filtered=False)
    if not changes.carried.empty:
        st.markdown("**表中未列出的问题**：导入后沿用上期的状态，视为本期未报告")
        common.table(changes.carried.drop(columns="problem_id").rename(columns={
            "problem_code": "问题编号", "description": "问题描述", "status": "上期状态"}),
            f"{marker.unit}更新表未列出问题", f"{key}_carried", filtered=False)
    if changes.other_units:
        st.warning(common.plain(f"表中有其他单位的问题：{'、'.join(changes.other_units)}"), icon=":material/warning:")
