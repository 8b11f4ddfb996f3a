"""总览: the period's headline figures against the previous quarter, trends, warnings by tier, the weakest units."""

import streamlit as st

from analytics import charts
from analytics.access import sees
from app_pages import common

common.require_data("总览")
st.title("总览")
st.caption(common.scope_caption())

data = common.view("overview")
period, _ = common.current_filters()
head, prev = data["headline"], data["previous"]
scored = "company" in data  # a role that may not see scores gets none (analytics.actions.VIEWS)
# a previous quarter without any ledger would show the whole stock as "change"
prev_known = prev["total"] > 0


def change(key: str, percent: bool = False) -> str | None:
    return common.delta(head[key], prev[key], percent) if prev_known else None


def arrow(key: str) -> str:
    return common.arrow(head[key], prev[key]) if prev_known else "auto"


def tone(key: str, colour: str = "normal") -> str:
    return common.tone(head[key], prev[key], colour) if prev_known else colour


st.subheader(f"{period.label}（截至 {period.end:%Y-%m-%d}）")
cards = st.columns([1, 1, 1, 1, 1, 1.7] if scored else 5)  # room for the score card's label: no "…"
cards[0].metric("问题总数", head["total"], change("total"),
                delta_arrow=arrow("total"), delta_color="off", border=True,
                help=f"本季新增 {head['new']} 个，上季结转未完成 {head['carried_over']} 个，"
                     f"本季销号 {head['closed_this_period']} 个（较上季度）")
cards[1].metric("销号率", common.pct(head["closure_rate"]), change("closure_rate", True),
                delta_arrow=arrow("closure_rate"), delta_color=tone("closure_rate"), border=True,
                help=f"已销号 {head['closed']} / 问题总数 {head['total']}")
cards[2].metric("整改完成率", common.pct(head["completion_rate"]), change("completion_rate", True),
                delta_arrow=arrow("completion_rate"), delta_color=tone("completion_rate"), border=True,
                help=f"已整改 + 已销号 {head['completed']} / 问题总数 {head['total']}")
cards[3].metric("逾期", head["overdue"], change("overdue"),
                delta_arrow=arrow("overdue"), delta_color=tone("overdue", "inverse"), border=True,
                help="未启动、整改中或有明确时限的长期整改问题，整改时限早于期末")
recurrence = data["recurrence"]
cards[4].metric("复发", head["recurred"], change("recurred"),
                delta_arrow=arrow("recurred"), delta_color=tone("recurred", "inverse"), border=True,
                help=f"台账标注复发 {recurrence['marked']} 个；销号后又出现在台账中未完成 {recurrence['reopened']} 个"
                     + (f"；回头看发现改而复发 {recurrence['lookback']} 个" if sees(common.user(), "lookback") else "")
                     + "（可能重叠）")
if scored:
    company, company_before = data["company"], data["company_previous"]
    score_text = "—" if company["score"] is None else f"{company['score']:.1f}"
    whole = common.scope_word(list(data["worst_units"]["unit"]))
    cards[5].metric(f"{common.plain(whole)}综合得分（{company['grade'] or '—'}）", score_text,
                    common.delta(company["score"], company_before["score"]), border=True,
                    delta_arrow=common.arrow(company["score"], company_before["score"]),
                    delta_color=common.tone(company["score"], company_before["score"]),
                    help="各维度得分为各单位该维度得分的平均，综合得分为八个维度的平均；括号内为等级"
                    if whole in ("公司", "所选单位") else "该单位八个维度得分的平均；括号内为等级")

st.subheader("趋势")
trend = data["trend"]
trend = trend[trend["period_no"] <= period.index]  # up to the chosen quarter, as of which the page reads
left, right = st.columns(2)
with left:
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.lines(
        trend, "period", {"total": "问题总数", "new": "新增", "closed_this_period": "销号", "overdue": "逾期"},
        "各季度问题数量", "季度", "问题数（个）"), "overview_counts", where=chart)
    common.table(
        trend, "各季度问题数量", "overview_counts_table", where=table,
        column_order=["period", "total", "new", "closed_this_period", "overdue", "recurred"],
        column_config={
            "period": st.column_config.TextColumn("季度"),
            "total": st.column_config.NumberColumn("问题总数", format="%d"),
            "new": st.column_config.NumberColumn("新增", format="%d"),
            "closed_this_period": st.column_config.NumberColumn("本季销号", format="%d"),
            "overdue": st.column_config.NumberColumn("逾期", format="%d"),
            "recurred": st.column_config.NumberColumn("复发", format="%d"),
        })
with right:
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.lines(
        trend, "period", {"closure_rate": "销号率", "completion_rate": "整改完成率", "on_time_rate": "按期整改率"},
        "各季度整改比率", "季度", "比率", percent=True), "overview_rates", where=chart)
    rate = {"format": "percent", "min_value": 0, "max_value": 1}
    common.table(
        trend, "各季度整改比率", "overview_rates_table", where=table,
        column_order=["period", "closure_rate", "completion_rate", "on_time_rate"],
        column_config={
            "period": st.column_config.TextColumn("季度"),
            "closure_rate": st.column_config.ProgressColumn("销号率", **rate),
            "completion_rate": st.column_config.ProgressColumn("整改完成率", **rate),
            "on_time_rate": st.column_config.ProgressColumn("按期整改率", **rate),
        })

left, right = st.columns(2)
if "warnings" in data:
    with left:
        st.subheader("预警")
        warnings = data["warnings"]
        for column, (tier, count) in zip(st.columns(len(warnings)), warnings.items(), strict=True):
            column.metric(tier, count, border=True)
        if sees(common.user(), "warnings"):
            st.caption("工作提醒函：即将到期或逾期不超过规定天数；工作督办单：逾期较久或单位某维度问题集中；"
                       "纪检建议书：改而复发、严重逾期或单位评为较差。")
            st.page_link("app_pages/follow_up.py", label="查看预警明细与会商议题", icon="🚨")
        else:
            st.caption("发给本单位的工作提醒函：即将到期或逾期不超过规定天数的问题。")
            st.page_link("app_pages/follow_up.py", label="查看工作提醒函", icon="🚨")
if scored:
    with right:
        worst = data["worst_units"]
        if (unit := common.one_unit(worst["unit"])) is not None:  # nothing to compare it with
            st.subheader("单位比较")
            st.caption(f"所选范围只有{common.plain(unit)}一个单位，不作单位间比较；其各维度得分见单位画像。")
            if st.button(f"查看{common.plain(unit)}的单位画像", icon="🏢", key="overview_portrait", type="tertiary"):
                common.open_portrait(unit)
        else:
            st.subheader("得分最低的单位")
            chart, table = st.tabs(["图表", "数据表"])
            event = common.chart(charts.bars(worst, "unit", "score", "综合得分最低的五个单位", "单位", "综合得分",
                                             colors=list(worst["color"]), horizontal=True),
                                 "overview_worst", where=chart, **common.clickable())
            common.portrait_on_click(event, "overview_worst", "y", list(worst["unit"]))
            if common.clickable():
                chart.caption("点击单位的柱条，可查看其单位画像。")
            common.table(
                worst, "综合得分最低的单位", "overview_worst_table", where=table,
                column_order=["rank", "unit", "score", "grade"],
                column_config={
                    "rank": st.column_config.NumberColumn("排名", format="%d"),
                    "unit": st.column_config.TextColumn("单位"),
                    "score": st.column_config.NumberColumn("综合得分", format="%.1f"),
                    "grade": st.column_config.TextColumn("等级"),
                })
