"""The 研判报告 / 画像报告 / 月通报 buttons the 导出快照 and 单位画像 pages share: generate through analytics.actions
(role, parts, audit, 快照记录), keep the file in the session, offer its download."""

from __future__ import annotations

import logging

import streamlit as st

from analytics import actions
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.metrics import Scope
from app_pages import common

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
log = logging.getLogger(__name__)


def generate(key: str, kind: str, period: str | None, scope: Scope, *, unit: str | None = None,
             month: str | None = None) -> None:
    """Build, write and record one report; the file is kept under ``key`` for the download."""
    path = common.db_path()
    st.session_state.pop(key, None)
    with st.status("正在生成报告…", expanded=False) as status:
        try:
            with open_db(path, read_only=True) as con:
                built, content = actions.report(con, common.user(), kind, period, scope, cfg=common.scoring(),
                                                unit=unit, month=month)
            with open_db(path) as con:  # a write connection only while the record is stored
                record_id, name = actions.record_report(con, common.user(), built, content)
        except DashboardError as exc:
            status.update(label="报告生成失败", state="error")
            st.error(str(exc))
            return
        except Exception as exc:  # never a traceback on the page; the log keeps it
            log.exception("report failed")
            status.update(label="报告生成失败", state="error")
            st.error(f"生成报告时出错（{type(exc).__name__}：{exc}）。请稍后重试。")
            return
        status.update(label=f"已生成{built.title}（记录编号 {record_id}）", state="complete")
    st.session_state[key] = {"id": record_id, "name": name, "content": content}


def download(key: str, label: str = "下载报告") -> None:
    if result := st.session_state.get(key):
        st.download_button(label, result["content"], file_name=result["name"], mime=DOCX, type="primary",
                           icon=":material/download:", on_click="ignore", key=f"{key}_download")
