"""问题趋势: problems per quarter by source and by dimension, the unit × dimension grid, new against closed."""

import streamlit as st

from analytics import charts
from app_pages import common

common.require_data("问题趋势")
st.title("问题趋势")
st.caption(common.scope_caption())

data = common.view("problem_trends")
period, _ = common.current_filters()

MEASURES = {"total": "问题总数", "new": "本季新增", "open": "未整改完成", "overdue": "逾期"}
measure = st.segmented_control("口径", list(MEASURES), format_func=MEASURES.get, default="total",
                               key="trends_measure", help="问题总数为截至季末台账中的全部问题（含已销号）")
measure = measure or "total"  # a second click on the chosen option clears it
name = MEASURES[measure]


def up_to_period(frame):
    """Quarters up to the chosen one: the page reads as of that quarter."""
    return frame[frame["period_no"] <= period.index]


def ordered(values, preferred) -> list[str]:
    """Known names in their usual order first (sources, dimensions), then any others as found."""
    present = list(dict.fromkeys(values.dropna()))
    return [v for v in preferred if v in present] + sorted(v for v in present if v not in preferred)


def counts_table(frame, by: str, label: str, key: str) -> None:
    common.table(frame, f"各季度{name}（按{label}）", key, column_order=["period", by, measure],
                 column_config={"period": st.column_config.TextColumn("季度"),
                                by: st.column_config.TextColumn(label),
                                measure: st.column_config.NumberColumn(name, format="%d")})


cfg = common.scoring()
dimension_order = [*cfg.dimension_names, cfg.unclassified]
left, right = st.columns(2)
with left:
    by_source = up_to_period(data["by_source"])
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.stacked_bars(by_source, "period", measure, "source", f"各季度{name}（按问题来源）",
                                     "季度", "问题数（个）",
                                     order=ordered(by_source["source"], list(charts.SOURCE_COLORS))),
                 "trends_by_source", where=chart)
    with table:
        counts_table(by_source, "source", "问题来源", "trends_by_source_table")
with right:
    by_dimension = up_to_period(data["by_dimension"])
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.stacked_bars(by_dimension, "period", measure, "dimension", f"各季度{name}（按维度）",
                                     "季度", "问题数（个）",
                                     order=ordered(by_dimension["dimension"], dimension_order)),
                 "trends_by_dimension", where=chart)
    with table:
        counts_table(by_dimension, "dimension", "维度", "trends_by_dimension_table")

matrix = data["matrix"].rename(columns={"problems": "问题数"})  # an ASCII z name would be shown as the colour bar title
if (unit := common.one_unit(matrix["unit"])) is not None:  # one unit: its dimensions, not a grid of one row
    st.subheader(f"{period.label}{common.plain(unit)}各维度问题分布")
    by_dimension_now = matrix.groupby("dimension", as_index=False)["问题数"].sum()
    by_dimension_now = by_dimension_now.set_index("dimension").reindex(
        ordered(by_dimension_now["dimension"], dimension_order)).reset_index()
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.bars(by_dimension_now, "dimension", "问题数", f"{period.label}{unit}各维度问题数", "维度",
                             "问题数（个）", horizontal=True), "trends_matrix", where=chart)
else:
    st.subheader(f"{period.label}各单位问题分布")
    chart, table = st.tabs(["图表", "数据表"])
    event = common.chart(charts.heatmap(matrix, "dimension", "unit", "问题数", f"{period.label}单位 × 维度问题数",
                                        "维度", "责任单位", x_order=dimension_order),
                         "trends_matrix", where=chart, **common.clickable())
    common.portrait_on_click(event, "trends_matrix", "y", sorted(matrix["unit"].unique()))
    if common.clickable():
        chart.caption("点击某个单位的格子，可查看其单位画像。")
common.table(matrix, "各单位各维度问题数", "trends_matrix_table", where=table,
             column_config={"unit": st.column_config.TextColumn("责任单位"),
                            "dimension": st.column_config.TextColumn("维度"),
                            "问题数": st.column_config.NumberColumn(format="%d")})

st.subheader("新增与销号")
total = up_to_period(data["total"])
chart, table = st.tabs(["图表", "数据表"])
common.chart(charts.grouped_bars(total, "period", {"new": "新增", "closed_this_period": "销号"},
                                 "各季度新增与销号问题", "季度", "问题数（个）"), "trends_new_closed", where=chart)
common.table(total, "各季度新增与销号", "trends_new_closed_table", where=table,
             column_order=["period", "new", "closed_this_period", "carried_over", "total", "new_qoq", "new_yoy"],
             column_config={"period": st.column_config.TextColumn("季度"),
                            "new": st.column_config.NumberColumn("新增", format="%d"),
                            "closed_this_period": st.column_config.NumberColumn("本季销号", format="%d"),
                            "carried_over": st.column_config.NumberColumn("上季结转", format="%d"),
                            "total": st.column_config.NumberColumn("问题总数", format="%d"),
                            "new_qoq": st.column_config.NumberColumn("新增环比", format="%+d"),
                            "new_yoy": st.column_config.NumberColumn("新增同比", format="%+d")})
