"""单位画像: one unit's figures, grade, scores against the company's, trend, open problems, warnings, repeats."""

import streamlit as st

from analytics import charts
from analytics.access import can
from app_pages import common, notice_parts, reports

UNIT_KEY = common.PORTRAIT_UNIT_KEY  # others open a unit's portrait by setting it (common.open_portrait)
DATE = st.column_config.DateColumn
NUMBER = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn

common.require_data("单位画像")
st.title("单位画像")
st.caption(common.scope_caption())

period, scope = common.current_filters()
units = common.options()["units"]
if st.session_state.get(UNIT_KEY) not in units:
    # first visit (or the unit vanished after an undo): the sidebar's first unit, else the worst-scoring one
    worst = common.view("overview")["worst_units"]
    st.session_state[UNIT_KEY] = (scope.units[0] if scope.units else
                                  worst["unit"].iloc[0] if len(worst) else units[0])
unit = st.selectbox("选择单位", units, key=UNIT_KEY, persist_state="session")
if can(common.user(), "export"):
    if st.button("生成画像报告", key="portrait_report_button", icon=":material/description:",
                 help="把本单位本期的情况按公文格式写成 Word 报告，并记入快照记录"):
        reports.generate("portrait_report", "unit", str(period), scope, unit=unit)
    reports.download("portrait_report", "下载画像报告")
st.caption("本页只看所选单位：侧栏的单位筛选不作用于本页，期间、来源、维度筛选照常生效。")

data = common.view("unit_portrait", unit)
head, prev = data["headline"], data["previous"]
score = data["unit"]

# headline: counts first, then rates and the score
row = st.columns(5)
for col, (label, key, colour) in zip(row, (
    ("问题总数", "total", "off"), ("本期新增", "new", "off"), ("本期销号", "closed_this_period", "normal"),
    ("未完成", "open", "inverse"), ("逾期", "overdue", "inverse"),
), strict=True):
    col.metric(label, head[key], common.delta(head[key], prev[key]), border=True,
               delta_color=common.tone(head[key], prev[key], colour), delta_arrow=common.arrow(head[key], prev[key]))
row = st.columns(5)
for col, (label, key) in zip(row, (("销号率", "closure_rate"), ("整改完成率", "completion_rate"),
                                   ("按期整改率", "on_time_rate")), strict=False):
    col.metric(label, common.pct(head[key]), common.delta(head[key], prev[key], percent=True), border=True,
               delta_color=common.tone(head[key], prev[key]), delta_arrow=common.arrow(head[key], prev[key]))
row[3].metric("改而复发", head["recurred"], common.delta(head["recurred"], prev["recurred"]),
              delta_color=common.tone(head["recurred"], prev["recurred"], "inverse"), border=True,
              delta_arrow=common.arrow(head["recurred"], prev["recurred"]))
row[4].metric("综合得分", "—" if score.empty else f"{score['score'].iloc[0]:.1f}",
              None if score.empty else f"等级：{score['grade'].iloc[0]}", delta_color="off", delta_arrow="off",
              border=True, help="各维度得分的平均值；等级划分与扣分规则见「八维评分」页")
st.caption(f"增减为与上一季度（{period.previous().label}）相比。")

st.subheader("八维得分")
dims = data["dimensions"]
if dims.empty:
    st.info(f"{unit}在{period.label}没有评分（本期既无问题也无评分表）。")
else:
    company = data["company"]["dimensions"]
    compared = can(common.user(), "all_units")  # a department head's "company" is their unit: not a comparison
    mine = {unit: dict(zip(dims["dimension"], dims["score"], strict=True))}
    tabs = st.tabs(["雷达图", "各维度得分", "数据表"])
    common.chart(charts.radar(mine | {"公司平均": company}, f"{unit}各维度得分与公司平均（{period}）")
                 if compared else charts.radar(mine, f"{unit}各维度得分（{period}）"), "portrait_radar", where=tabs[0])
    common.chart(charts.bars(dims, "dimension", "score", f"{unit}各维度得分及等级（{period}）", "维度", "得分",
                             colors=list(dims["color"]), horizontal=True),
                 "portrait_dims", where=tabs[1])
    common.table(
        dims.assign(company=dims["dimension"].map(company)), f"{unit}各维度得分", "portrait_dims_table",
        where=tabs[2],
        column_order=["dimension", "score", "grade", *(["company"] if compared else []), "computed", "assessed",
                      "deduction", "open_problems"],
        column_config={
            "dimension": TEXT("维度"), "score": NUMBER("得分", format="%.1f"), "grade": TEXT("等级"),
            "company": NUMBER("公司平均", format="%.1f"),
            "computed": NUMBER("计算得分", format="%.1f"),
            "assessed": NUMBER("评分表得分", format="%.1f"), "deduction": NUMBER("扣分", format="%.1f"),
            "open_problems": NUMBER("扣分问题数"),
        })

st.subheader("问题趋势")
trend = data["trend"]
tabs = st.tabs(["问题数", "整改率", "数据表"])
common.chart(charts.lines(
    trend, "period", {"total": "问题总数", "new": "新增", "closed_this_period": "销号", "overdue": "逾期",
                      "recurred": "复发"}, f"{unit}各季度问题数", "季度", "问题数（个）"),
             "portrait_counts", where=tabs[0])
common.chart(charts.lines(
    trend, "period", {"closure_rate": "销号率", "completion_rate": "整改完成率", "on_time_rate": "按期整改率"},
    f"{unit}各季度整改率", "季度", "比率", percent=True), "portrait_rates", where=tabs[1])
common.table(
    trend, f"{unit}各季度问题数与整改率", "portrait_trend_table", where=tabs[2],
    column_order=["period", "total", "new", "closed_this_period", "open", "overdue", "recurred", "closure_rate",
                  "completion_rate", "on_time_rate"],
    column_config={
        "period": TEXT("季度"), "total": NUMBER("问题总数"), "new": NUMBER("新增"),
        "closed_this_period": NUMBER("本期销号"), "open": NUMBER("未完成"), "overdue": NUMBER("逾期"),
        "recurred": NUMBER("改而复发"), "closure_rate": NUMBER("销号率", format="percent"),
        "completion_rate": NUMBER("整改完成率", format="percent"),
        "on_time_rate": NUMBER("按期整改率", format="percent"),
    })

opened = data["open_problems"]
st.subheader(f"未完成问题（{data['open_total']}）")
if len(opened) < data["open_total"]:
    st.caption(f"仅显示逾期最久的前 {len(opened)} 个。")
if opened.empty:
    st.success(f"{unit}在{period.label}末没有未完成的问题。")
else:
    common.table(
        opened, f"{unit}未完成问题", "portrait_open_table", problems=True,
        column_order=["problem_code", "source", "dimension", "description", "measures", "owner", "severity",
                      "status", "found_date", "deadline", "days_overdue", "recurred"],
        column_config={
            "problem_code": TEXT("问题编号"), "source": TEXT("问题来源"), "dimension": TEXT("维度"),
            "description": TEXT("问题描述", width="large"), "measures": TEXT("整改措施", width="large"),
            "owner": TEXT("责任人"), "severity": TEXT("问题性质"),
            "status": TEXT("整改状态"), "found_date": DATE("发现时间", format="YYYY-MM-DD"),
            "deadline": DATE("整改时限", format="YYYY-MM-DD"), "days_overdue": NUMBER("逾期天数"),
            "recurred": st.column_config.CheckboxColumn("改而复发"),
        })

warned = data["warnings"]
st.subheader(f"预警（{data['warnings_total']}）")
if len(warned) < data["warnings_total"]:
    st.caption(f"仅显示最紧要的前 {len(warned)} 条。")
if warned.empty:
    st.success("本期没有触发预警。")
else:
    common.table(
        warned, f"{unit}预警", "portrait_warnings_table", problems=True,
        column_order=["tier", "target", "rule", "problem_code", "description", "measures", "dimension"],
        column_config={
            "tier": TEXT("预警等级"), "target": TEXT("对象"), "rule": TEXT("触发规则", width="medium"),
            "problem_code": TEXT("问题编号"), "description": TEXT("问题描述", width="large"),
            "measures": TEXT("整改措施", width="large"), "dimension": TEXT("维度"),
        })
    notice_parts.draft_form(warned, period)  # a 提醒函/督办单/建议书 to this unit, from its warnings

repeats = data["repeats"]
st.subheader(f"疑似重复，请研判（{len(repeats)}）")
st.caption("本期新发现的问题与本单位上季度末已销号问题描述相近；仅为提示，是否属于改而复发请人工研判。")
if repeats.empty:
    st.info("本期没有发现疑似重复的问题。")
else:
    common.table(
        repeats, f"{unit}疑似重复问题", "portrait_repeats_table",
        column_order=["new_code", "new_description", "new_found_date", "similarity", "old_code", "old_description",
                      "old_closed_on"],
        column_config={
            "new_code": TEXT("新问题编号"), "new_description": TEXT("新问题描述", width="large"),
            "new_found_date": DATE("发现时间", format="YYYY-MM-DD"),
            "similarity": st.column_config.ProgressColumn("相似度", format="percent", min_value=0, max_value=1),
            "old_code": TEXT("已销号问题编号"), "old_description": TEXT("已销号问题描述", width="large"),
            "old_closed_on": DATE("销号时间", format="YYYY-MM-DD"),
        })

recurred = data["recurred"]
st.subheader(f"改而复发问题（{len(recurred)}）")
if recurred.empty:
    st.info("没有改而复发的问题。")
else:
    common.table(
        recurred, f"{unit}改而复发问题", "portrait_recurred_table", problems=True,
        column_order=["problem_code", "source", "dimension", "description", "status", "how"],
        column_config={
            "problem_code": TEXT("问题编号"), "source": TEXT("问题来源"), "dimension": TEXT("维度"),
            "description": TEXT("问题描述", width="large"), "status": TEXT("当前状态"), "how": TEXT("复发依据"),
        })
