"""回头看与案例库: each problem of the quarter's 回头看 sample re-checked (整改到位 / 改而复发 / 需再了解), the
summary per quarter and the 再通报 proposed, and the 典型问题案例库 for 警示教育. Every change goes through actions."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics import actions, lookback
from analytics.access import can, sees
from app_pages import common

TEXT, DATE = st.column_config.TextColumn, st.column_config.DateColumn
PERCENT = {"format": "percent", "min_value": 0, "max_value": 1}

common.require_data("回头看与案例库")
st.title("回头看与案例库")
st.caption(common.scope_caption())
who = common.user()
may_record = can(who, "follow_record")
period, scope = common.current_filters()
cfg = common.scoring()
today = dt.date.today()
parts = [name for name, part in (("回头看登记", "lookback"), ("回头看汇总", "lookback"), ("典型案例库", "cases"))
         if sees(who, part)]
tabs = dict(zip(parts, st.tabs(parts), strict=True))

if "回头看登记" in tabs:
    with tabs["回头看登记"]:
        st.caption(f"{period.label}回头看抽样中的问题逐个复查后登记结果；结果为改而复发的问题计入复发问题，"
                   "并列入再通报建议。同一问题可再次登记，以最近一次为准。")
        sheet = common.read(lambda con: actions.lookback_sheet(con, who, period, scope, cfg=cfg))
        if sheet.empty:
            st.info("截至本期还没有已销号的问题可供回头看。")
        else:
            done = int(sheet["result"].notna().sum())
            st.progress(done / len(sheet), text=f"已复查 {done} / {len(sheet)} 个")
            common.table(common.no_code_dash(sheet), "回头看复查", "lb_sheet", problems=True,
                         column_order=["problem_code", "unit", "description", "closed_date", "checks", "result",
                                       "note", "checked_on", "recorded_by"],
                         column_config={"problem_code": TEXT("问题编号"), "unit": TEXT("责任单位"),
                                        "description": TEXT("问题描述", width="large"),
                                        "closed_date": DATE("销号时间", format="YYYY-MM-DD"),
                                        "checks": TEXT("回头看要点", width="medium"), "result": TEXT("复查结果"),
                                        "note": TEXT("复查情况", width="medium"),
                                        "checked_on": DATE("复查日期", format="YYYY-MM-DD"),
                                        "recorded_by": TEXT("登记人")})
            if may_record:
                labels = {int(r.problem_id): f"{r.problem_code or common.BLANK} {r.unit}：{str(r.description)[:40]}"
                          for r in sheet.itertuples()}
                with st.form("lb_form", clear_on_submit=True):
                    problem = st.selectbox("问题", list(labels), format_func=labels.get)
                    result = st.radio("复查结果", lookback.RESULTS, horizontal=True)
                    checked_on = st.date_input("复查日期", today)
                    note = st.text_area("复查情况", help="改而复发、需再了解时必填")
                    if st.form_submit_button("登记复查结果") and common.write(lambda con: actions.record_lookback(
                            con, who, problem, period, result, note, checked_on, cfg=cfg)):
                        st.rerun()

if "回头看汇总" in tabs:
    with tabs["回头看汇总"]:
        summary = common.read(lambda con: actions.lookback_summary(con, who, scope))
        if summary.empty:
            st.info("还没有登记回头看结果。")
        else:
            common.table(summary, "回头看汇总", "lb_summary", filtered=False,
                         column_config={"period": TEXT("期间"),
                                        "checked": st.column_config.NumberColumn("复查问题", format="%d"),
                                        "done": st.column_config.NumberColumn("整改到位", format="%d"),
                                        "recurred": st.column_config.NumberColumn("改而复发", format="%d"),
                                        "unclear": st.column_config.NumberColumn("需再了解", format="%d"),
                                        "done_rate": st.column_config.ProgressColumn("整改到位率", **PERCENT)})
        st.subheader("再通报建议")
        renotify = common.read(lambda con: actions.lookback_renotify(con, who, period, scope))
        if renotify.empty:
            st.success("截至本期，回头看未发现改而复发的问题。")
        else:
            common.table(common.no_code_dash(renotify), "再通报建议", "lb_renotify", problems=True,
                         column_order=["period", "problem_code", "unit", "description", "note", "proposal"],
                         column_config={"period": TEXT("回头看期间"), "problem_code": TEXT("问题编号"),
                                        "unit": TEXT("责任单位"), "description": TEXT("问题描述", width="large"),
                                        "note": TEXT("复查情况"), "proposal": TEXT("建议", width="large")})

if "典型案例库" in tabs:
    with tabs["典型案例库"]:
        tags = common.read(lambda con: actions.case_tags(con, who))
        chosen = tuple(st.multiselect("案例标签", tags, key="case_tags", placeholder="全部标签")) or None
        library = common.read(lambda con: actions.case_library(con, who, scope, chosen))
        if library.empty:
            st.info("案例库中还没有（符合筛选条件的）典型问题。")
        else:
            shown = library.assign(tags=["、".join(t) for t in library["tags"]])
            common.table(common.no_code_dash(shown), "典型问题案例库", "case_library", problems=True,
                         download=False,
                         column_order=["problem_code", "unit", "dimension", "description", "tags", "summary",
                                       "marked_by"],
                         column_config={"problem_code": TEXT("问题编号"), "unit": TEXT("责任单位"),
                                        "dimension": TEXT("维度"), "description": TEXT("问题描述", width="large"),
                                        "tags": TEXT("案例标签"), "summary": TEXT("案例说明", width="large"),
                                        "marked_by": TEXT("标记人")})
            left, right = st.columns(2)
            details = {"rows": len(library), "scope": common.scope_caption(), "tags": list(chosen or [])}
            common.file_download("下载案例库（Excel）",
                                 lambda: common.read(lambda con: actions.case_files(con, who, scope, chosen))["xlsx"],
                                 "典型问题案例库.xlsx", common.XLSX, "典型问题案例库", "case_xlsx", where=left,
                                 **details)
            common.file_download("下载警示教育案例汇编（Word）",
                                 lambda: common.read(lambda con: actions.case_files(con, who, scope, chosen))["docx"],
                                 "典型问题案例汇编.docx", common.DOCX, "典型问题案例汇编", "case_docx", where=right,
                                 **details)
        if may_record:
            st.subheader("标记典型问题")
            text = st.text_input("按问题编号或描述查找", key="case_find")
            found = common.read(lambda con: actions.find_problems(con, who, text))
            if text and found.empty:
                st.caption("没有找到符合条件的问题。")
            elif not found.empty:
                labels = {int(r.problem_id): f"{r.problem_code or common.BLANK} {r.unit}：{str(r.description)[:40]}"
                          for r in found.itertuples()}
                with st.form("case_form", clear_on_submit=True):
                    problem = st.selectbox("问题", list(labels), format_func=labels.get)
                    tag_text = st.text_input("案例标签", help="多个标签用逗号、顿号或空格分隔")
                    summary = st.text_area("案例说明")
                    mark, unmark = st.columns(2)
                    if mark.form_submit_button("列入案例库") and common.write(
                            lambda con: actions.mark_case(con, who, problem, tag_text, summary)):
                        st.rerun()
                    if unmark.form_submit_button("移出案例库") and common.write(
                            lambda con: actions.unmark_case(con, who, problem)):
                        st.rerun()
