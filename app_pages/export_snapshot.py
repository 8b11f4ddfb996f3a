"""导出快照: one period's figures as a file for a meeting (xlsx, docx, html, pdf), recorded so that it can be
downloaded again exactly as it was handed out."""

import logging
import os

import pandas as pd
import streamlit as st

from analytics import actions
from analytics.access import can, hidden_sources, visible_parts
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.export import FORMAT_LABELS, FORMATS, tools
from analytics.export.snapshot import data_version, sections_for
from analytics.metrics import Scope
from analytics.periods import parse_period
from app_pages import common, reports

COMPANY, UNITS = "全公司", "所选单位"
RESULT_KEY = "export_result"  # the last generated file, kept so that its download survives reruns
NEEDS_BROWSER = ("docx", "pdf")
log = logging.getLogger(__name__)


def size_text(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


@st.cache_data(ttl=60, show_spinner=False)
def formats_unavailable(browser: str | None, path: str | None) -> dict[str, str]:
    """Formats this machine cannot make (no Chromium, no Chinese font), checked once a minute per browser setting."""
    return tools.unavailable()


def generate(period: str, scope: Scope, fmt: str, masked: bool) -> None:
    """Build, write and record a snapshot with progress; the file is kept in the session for the download."""
    path = common.db_path()
    st.session_state.pop(RESULT_KEY, None)
    with st.status("正在生成快照…", expanded=True) as status:
        try:
            st.write(f"计算 {parse_period(period).label} 的指标并写出{FORMAT_LABELS[fmt]}…")
            with open_db(path, read_only=True) as con:
                snapshot, content = actions.export(con, common.user(), period, scope, fmt, cfg=common.scoring(),
                                                   mask_names=masked)
            st.write("保存快照记录…")
            # a write connection of its own, open only while the record is stored
            with open_db(path) as con:
                snapshot_id, name = actions.record_export(con, common.user(), snapshot, fmt, content)
        except DashboardError as exc:  # no Chromium for the charts, DatabaseBusy, a period without ledgers
            status.update(label="快照生成失败", state="error")
            st.error(str(exc))
            return
        except Exception as exc:  # never a traceback on the page; the log keeps it for us
            log.exception("snapshot export failed")
            status.update(label="快照生成失败", state="error")
            st.error(f"生成快照时出错（{type(exc).__name__}：{exc}）。请稍后重试，或改用其他格式。")
            return
        status.update(label=f"快照已生成（编号 {snapshot_id}）", state="complete", expanded=False)
    st.session_state[RESULT_KEY] = {"id": snapshot_id, "name": name, "content": content, "mime": FORMATS[fmt][1]}


def history() -> None:
    """Past snapshots, newest first, each downloadable again as the exact bytes stored."""
    st.subheader("快照记录")
    try:
        with open_db(common.db_path(), read_only=True) as con:
            frame = actions.snapshots(con, common.user())
            current = data_version(con)
    except DashboardError as exc:
        st.error(str(exc))
        return
    if frame.empty:
        st.info("还没有导出过快照。")
        return
    st.dataframe(pd.DataFrame({
        "编号": frame["snapshot_id"],
        "期间": frame["period"],
        "范围": frame["scope_label"],
        "格式": [FORMAT_LABELS.get(f, f) for f in frame["format"]],
        "姓名脱敏": ["是" if m else "否" for m in frame["masked"]],
        "数据版本": [v[:12] for v in frame["data_version"]],
        "与当前数据相同": ["是" if v == current else "否" for v in frame["data_version"]],
        "生成时间": frame["created_at"],
        "SHA-256": [h[:12] for h in frame["sha256"]],
        "大小": [size_text(int(s)) for s in frame["size"]],
        "文件名": frame["file_name"],
    }), hide_index=True, key="export_history_table", placeholder=common.BLANK, column_config={
        "编号": st.column_config.NumberColumn(format="#%d", width="small"),
        "生成时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
    })
    st.caption("数据版本为快照所依据的全部台账文件的 SHA-256 汇总值（显示前 12 位）：与当前数据不同，"
               "说明此后导入或撤销过台账。重新下载得到的是当时导出的原文件，SHA-256 与上表一致。")
    names = {int(r.snapshot_id): f"#{r.snapshot_id} {r.file_name}" for r in frame.itertuples()}
    chosen = st.selectbox("选择快照", list(names), format_func=names.get, key="export_history_id")
    try:
        with open_db(common.db_path(), read_only=True) as con:
            name, content = actions.snapshot_file(con, common.user(), chosen)
    except DashboardError as exc:
        st.error(str(exc))
        return
    fmt = frame.loc[frame["snapshot_id"] == chosen, "format"].iloc[0]
    st.download_button("重新下载所选快照", content, file_name=name, mime=FORMATS.get(fmt, (None, None))[1],
                       icon=":material/download:", key="export_history_download",
                       on_click=lambda: actions.downloaded(common.db_path(), common.user(), "快照", content,
                                                           snapshot_id=chosen, file=name))


common.require_data("导出快照")
st.title("导出快照")
st.caption("把一个期间的" + "、".join(sections_for(visible_parts(common.user())))
           + "导出为文件，供纪委会、党委会和党委纪委沟通会商使用；"
           "每次导出都留有记录，可随时按原样重新下载。")

opts = common.options()
sidebar_period, sidebar_scope = common.current_filters()
periods = opts["periods"]
left, right = st.columns(2)
with left:
    period = st.selectbox("期间", periods, index=periods.index(str(sidebar_period)), key="export_period",
                          format_func=lambda p: f"{parse_period(p).label}（{p}）")
    if can(common.user(), "all_units"):
        breadth = st.radio("范围", [COMPANY, UNITS], index=1 if sidebar_scope.units else 0, horizontal=True,
                           key="export_breadth")
        units = st.multiselect("单位", opts["units"], default=list(sidebar_scope.units or []), key="export_units",
                               placeholder="选择一个或多个单位") if breadth == UNITS else []
    else:  # a department head: opts["units"] is their unit alone
        breadth, units = UNITS, list(opts["units"])
        st.caption(f"范围：{common.plain(common.user().unit)}（部门负责人只能导出本单位）")
    st.caption("默认取侧栏的期间和单位；侧栏的来源、维度筛选不作用于快照，快照总是包含"
               + ("本角色可查看的全部来源" if hidden_sources(common.user()) else "全部来源") + "和维度。")
unavailable = formats_unavailable(os.environ.get("DASHBOARD_CHROMIUM"), os.environ.get("PATH"))
with right:
    fmt = st.radio("格式", list(FORMATS), key="export_format",
                   format_func=lambda f: FORMAT_LABELS[f] + ("（本机暂不可用）" if f in unavailable else ""))
    if fmt in unavailable:
        st.warning(unavailable[fmt], icon=":material/warning:")
    elif fmt in NEEDS_BROWSER:
        st.caption("Word 和 PDF 的图表由本机的 Chromium 浏览器绘制，生成需要十几秒。")
    masked = st.checkbox("对姓名脱敏（张三 → 张*）", key="export_mask",
                         help="逾期问题清单中的责任人只显示姓氏；单位名称不脱敏。")

ready = (breadth == COMPANY or bool(units)) and fmt not in unavailable
if breadth == UNITS and not units:
    st.info("请至少选择一个单位，或改选「全公司」。")
if st.button("生成快照", type="primary", disabled=not ready, key="export_button", icon=":material/file_export:"):
    generate(period, Scope(units=tuple(units) if breadth == UNITS else None), fmt, masked)

if result := st.session_state.get(RESULT_KEY):
    st.success(f"已生成快照 #{result['id']}：{common.plain(result['name'])}（{size_text(len(result['content']))}）")
    st.download_button("下载快照", result["content"], file_name=result["name"], mime=result["mime"], type="primary",
                       icon=":material/download:", on_click="ignore", key="export_download")

st.subheader("研判报告")
st.caption("按公文格式自动撰写的 Word 报告（基本情况、总体研判、八个方面、主要问题及原因分析、整改落实情况、"
           "下一步工作建议、附表），可直接修改；范围与上方所选期间和单位相同，只含本角色可查看的内容。")
left, right = st.columns(2)
with left:
    if st.button("生成研判报告", disabled=breadth == UNITS and not units, key="report_button",
                 icon=":material/description:"):
        reports.generate("report_result", "quarter", period, Scope(units=tuple(units) if breadth == UNITS else None))
    reports.download("report_result", "下载研判报告")
with right:
    month = st.text_input("月通报月份", value=f"{parse_period(period).end:%Y-%m}", key="bulletin_month",
                          help="写成 2025-05：按截至该月末已报送的最新台账统计，逾期问题计算到该月末。")
    if st.button("生成月通报", disabled=breadth == UNITS and not units, key="bulletin_button",
                 icon=":material/calendar_month:"):
        reports.generate("bulletin_result", "month", None, Scope(units=tuple(units) if breadth == UNITS else None),
                         month=month)
    reports.download("bulletin_result", "下载月通报")

history()
