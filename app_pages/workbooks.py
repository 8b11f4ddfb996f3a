"""更新表 (一表同享): each unit's update workbook for a quarter (its problems not yet 销号, pre-filled, returned as
the next quarter's ledger), and the collection (收集情况): which units have returned theirs, which have not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import actions
from analytics.access import User, can
from analytics.config import ledger_config
from analytics.db import open_db
from analytics.periods import Period, parse_period
from analytics.workbooks import records
from analytics.workbooks.build import file_name
from analytics.workbooks.generate import zip_name
from app_pages import common

ALL_UNITS = "（全部单位，打包为 zip）"
ZIP = "application/zip"


def _period_label(p: str) -> str:
    return f"{parse_period(p).label}（{p}）"


@st.cache_data(show_spinner=False, max_entries=32)
def _units(db: str, rev: int, who: User, base: str) -> list[str]:
    """The units with problems not yet 销号 at the end of ``base`` that the user may have a workbook for."""
    with open_db(db, read_only=True) as con:
        return actions.workbook_units(con, who, parse_period(base))


def generate_section(periods: list[str]) -> None:
    st.subheader("1. 生成更新表")
    st.caption("更新表列出所选期末尚未销号的问题（问题编号、描述等已填好并锁定），各单位只需更新整改状态、进展和时限，"
               "新发现的问题填在“新增问题”工作表；报送回来后在「台账导入」页直接导入，作为下一季度的台账，无需再次映射。"
               "信访举报等保密来源的问题不列入更新表。")
    base = st.selectbox("依据期间", periods, format_func=_period_label, key="workbook_base",
                        index=periods.index(st.session_state["filter_period"]))
    target = Period.from_index(parse_period(base).index + 1)
    user, db = common.user(), common.db_path()
    if can(user, "all_units"):
        units = _units(str(db), common.data_revision() or 0, user, base)
        choice = st.selectbox("单位", [ALL_UNITS, *units], key="workbook_unit")
    else:
        choice = user.unit or ""
        units = [choice]
        st.caption(f"单位：{common.plain(choice)}（部门负责人只能下载本单位的更新表）")
    chosen = None if choice == ALL_UNITS else [choice]
    if chosen is None and not units:
        st.info(f"{parse_period(base).label}末没有未销号的问题，无需生成更新表。")
        return
    name = zip_name(parse_period(base)) if chosen is None else file_name(choice, target)
    cfg = common.scoring()

    ledger = ledger_config()

    def made() -> bytes:  # run when the download is asked for, outside the script run: nothing from st here
        with open_db(db) as con:
            _, content = actions.update_workbooks(con, user, parse_period(base), chosen, cfg=cfg, ledger_cfg=ledger,
                                                  as_zip=chosen is None)
        return content

    st.download_button(f"生成并下载{'全部单位的' if chosen is None else ''}更新表（作为{target.label}台账填报）", made,
                       file_name=name, mime=ZIP if chosen is None else common.XLSX, key="workbook_download",
                       type="primary", icon=":material/download:", on_click="ignore")
    st.caption("每次下载都生成新的编号，记入审计日志；以最近一次生成的为准。")


STATE_ICONS = {records.RETURNED: "✅", records.REPORTED: "📄", records.MISSING: "⚠️", records.WAITING: "⏳"}


def collection_section(periods: list[str]) -> None:
    st.subheader("2. 收集情况")
    latest = parse_period(periods[0])
    options = [str(Period.from_index(latest.index + 1)), *periods]  # the quarter now being collected, first
    with open_db(common.db_path(), read_only=True) as con:
        sent = records.generated(con)
    default = sent["period"].iloc[0] if not sent.empty and sent["period"].iloc[0] in options else options[0]
    period = st.selectbox("填报期间", options, index=options.index(default), format_func=_period_label,
                          key="workbook_collect_period")
    with open_db(common.db_path(), read_only=True) as con:
        frame = actions.workbook_collection(con, common.user(), parse_period(period))
    if frame.empty:
        st.info(f"{parse_period(period).label}没有需要报送的单位（上季度末没有未销号的问题，也没有生成更新表）。")
        return
    counts = frame["state"].value_counts()
    cols = st.columns(4)
    cols[0].metric("应报送单位", len(frame))
    cols[1].metric("已回收更新表", int(counts.get(records.RETURNED, 0)))
    cols[2].metric("以其他台账报送", int(counts.get(records.REPORTED, 0)))
    cols[3].metric("未报送", int(counts.get(records.MISSING, 0) + counts.get(records.WAITING, 0)))
    table = pd.DataFrame({
        "单位": frame["unit"],
        "状态": [f"{STATE_ICONS.get(s, '')} {s}" for s in frame["state"]],
        "上期末未销号问题": frame["open_before"],
        "更新表编号": frame["workbook_id"].astype("Int64"),
        "生成时间": frame["sent_at"],
        "导入记录": frame["import_id"].astype("Int64"),
        "回收时间": frame["returned_at"],
        "本期列出问题": frame["listed"],
        "沿用上期问题": frame["carried"],
    })
    common.table(table, f"{parse_period(period).label}更新表收集情况", "workbook_collection", filtered=False,
                 column_config={
                     "更新表编号": st.column_config.NumberColumn(format="%d"),
                     "导入记录": st.column_config.NumberColumn(format="#%d"),
                     "生成时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                     "回收时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                 })
    st.caption("未报送的单位，其问题在本期沿用上期的状态，本期的统计数字据此计算；各分析页会提示。")


def main() -> None:
    common.require_data("更新表")
    st.title("更新表")
    st.caption("一表同享：各单位在预填的更新表上更新整改情况，报送后直接导入，不再重复填报台账。")
    periods = common.options()["periods"]
    generate_section(periods)
    collection_section(periods)


main()
