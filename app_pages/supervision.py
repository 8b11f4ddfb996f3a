"""监督清单: supervision measures done / due this quarter, by aspect and unit, over quarters, and the list."""

import streamlit as st

from analytics import charts
from app_pages import common

NUMBER = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn
CHECK = st.column_config.CheckboxColumn
COUNTS = {"measures": NUMBER("措施数"), "due": NUMBER("本季应完成"), "done": NUMBER("已完成"),
          "not_done": NUMBER("应完成未完成"), "done_rate": NUMBER("完成率", format="percent")}

common.require_data("监督清单")
st.title("监督清单")
st.caption(common.scope_caption())
period, _ = common.current_filters()
st.caption("监督清单按季度统计，只随侧栏的「期间」变化；单位、问题来源、维度筛选不适用于本页。")

data = common.view("supervision")
trend = data["trend"]


def trend_section() -> None:
    st.subheader("各季度完成情况")
    tabs = st.tabs(["图表", "数据表"])
    common.chart(charts.grouped_bars(trend, "period", {"due": "应完成", "done": "已完成"},
                                     "各季度监督措施应完成与已完成", "季度", "措施数（项）"), "supervision_trend",
                 where=tabs[0])
    common.chart(charts.lines(trend, "period", {"done_rate": "完成率"}, "各季度监督措施完成率", "季度",
                              "完成率", percent=True), "supervision_rate", where=tabs[0])
    common.table(trend, "各季度监督措施完成情况", "supervision_trend_table", where=tabs[1],
                 column_order=["period", *COUNTS], column_config={"period": TEXT("季度"), **COUNTS})


total = data["total"]
if total.empty:
    st.info(f"{period.label}还没有导入监督清单（政治监督重点任务清单）。"
            "请到「台账导入」页上传本季度的清单，或在侧栏选择其他期间。")
    st.page_link("app_pages/import_ledgers.py", label="前往台账导入", icon="📥")
    if not trend.empty:
        trend_section()
    st.stop()

now = total.iloc[0]
before = trend[trend["period"] == str(period.previous())]
before = before.iloc[0] if len(before) else None
cols = st.columns(4)
for col, (label, key) in zip(cols, (("监督措施", "measures"), ("本季应完成", "due"), ("已完成", "done")), strict=False):
    earlier = None if before is None else before[key]
    col.metric(label, int(now[key]), common.delta(now[key], earlier), delta_arrow=common.arrow(now[key], earlier),
               delta_color=common.tone(now[key], earlier), border=True)
earlier_rate = None if before is None else before["done_rate"]
cols[3].metric("完成率", common.pct(now["done_rate"]), common.delta(now["done_rate"], earlier_rate, percent=True),
               delta_arrow=common.arrow(now["done_rate"], earlier_rate),
               delta_color=common.tone(now["done_rate"], earlier_rate), border=True,
               help="完成率 = 本季应完成且已完成的措施 ÷ 本季应完成的措施")
st.caption("应完成：按频次（每月、每季度等每季都应完成；每半年在二、四季度；每年在四季度）或完成时限确定；"
           "增减为与上一季度相比。")

by_aspect, by_unit = data["by_aspect"], data["by_unit"]
# full width, aspects as horizontal bars: their names are long sentences
st.subheader("按监督方面")
tabs = st.tabs(["图表", "数据表"])
common.chart(charts.grouped_bars(by_aspect, "aspect", {"due": "应完成", "done": "已完成"},
                                 f"各监督方面措施完成情况（{period}）", "监督方面", "措施数（项）", horizontal=True),
             "supervision_aspects", where=tabs[0])
common.table(by_aspect, "各监督方面措施完成情况", "supervision_aspect_table", where=tabs[1],
             column_order=["aspect", *COUNTS], column_config={"aspect": TEXT("监督方面"), **COUNTS})
st.subheader("按责任单位")
tabs = st.tabs(["图表", "数据表"])
common.chart(charts.grouped_bars(by_unit, "unit", {"due": "应完成", "done": "已完成"},
                                 f"各责任单位措施完成情况（{period}）", "责任单位", "措施数（项）"),
             "supervision_units", where=tabs[0])
common.table(by_unit, "各责任单位措施完成情况", "supervision_unit_table", where=tabs[1],
             column_order=["unit", *COUNTS], column_config={"unit": TEXT("责任单位"), **COUNTS})

trend_section()

listing = data["list"]
st.subheader(f"监督措施清单（{len(listing)}）")
if st.toggle("只看应完成未完成的措施", key="supervision_undone_only"):
    listing = listing[listing["due"] & ~listing["done"]]
st.caption("应完成而未完成的措施排在最前。")
common.table(
    listing, "监督措施清单", "supervision_list_table",
    column_order=["seq", "aspect", "measure", "requirement", "unit", "frequency", "deadline", "status", "due", "done"],
    column_config={
        "seq": TEXT("序号"), "aspect": TEXT("监督方面"), "measure": TEXT("监督措施", width="large"),
        "requirement": TEXT("工作要求", width="medium"), "unit": TEXT("责任单位"), "frequency": TEXT("频次"),
        "deadline": st.column_config.DateColumn("完成时限", format="YYYY-MM-DD"), "status": TEXT("完成情况"),
        "due": CHECK("本季应完成"), "done": CHECK("已完成"),
    })
