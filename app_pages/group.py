"""集团视图: the companies of the 组织架构 side by side (analytics.group through actions): headline figures and rates,
scores and grades, warnings, and a companies × dimensions heatmap."""

from __future__ import annotations

import streamlit as st

from analytics import charts
from app_pages import common

common.require_data("集团视图")
period, _ = common.current_filters()
data = common.view("group_view")
figures = data["figures"]
st.title("集团视图")
st.caption(f"{common.scope_caption()} ｜ 各公司的问题、整改、评分和预警并列比较；公司得分由其下级单位逐级汇总"
           "（汇总方法见 scoring.toml [rollup]）。")
if len(figures) < 2:
    st.info("组织架构中只有一个公司（或尚未建立组织架构）。在「组织架构」中登记集团下属各公司后，这里并列比较各公司。",
            icon=":material/info:")

st.subheader("主要指标")
table = figures.copy()
if "scores" in data:
    table = table.merge(data["scores"][["company", "score", "grade"]], on="company", how="left")
if "warnings" in data and not data["warnings"].empty:
    table = table.merge(data["warnings"], on="company", how="left")
tiers = [c for c in data.get("warnings", figures).columns if c not in ("company",) and c in table.columns
         and c not in figures.columns]
common.table(
    table, "各公司主要指标", "group_figures",
    column_order=["company", "total", "new", "closed", "open", "overdue", "recurred", "closure_rate",
                  "completion_rate", "on_time_rate", "score", "grade", *tiers],
    column_config={
        "company": st.column_config.TextColumn("公司", pinned=True),
        "total": st.column_config.NumberColumn("问题总数", format="%d"),
        "new": st.column_config.NumberColumn("本期新增", format="%d"),
        "closed": st.column_config.NumberColumn("已销号", format="%d"),
        "open": st.column_config.NumberColumn("未完成", format="%d"),
        "overdue": st.column_config.NumberColumn("逾期", format="%d"),
        "recurred": st.column_config.NumberColumn("复发", format="%d"),
        "closure_rate": st.column_config.NumberColumn("销号率", format="percent"),
        "completion_rate": st.column_config.NumberColumn("整改完成率", format="percent"),
        "on_time_rate": st.column_config.NumberColumn("按期整改率", format="percent"),
        "score": st.column_config.NumberColumn("综合得分", format="%.1f"),
        "grade": st.column_config.TextColumn("等级"),
        **{t: st.column_config.NumberColumn(t, format="%d") for t in tiers},
    })

left, right = st.columns(2)
with left:
    common.chart(charts.bars(figures, "company", "closure_rate", f"{period.label}各公司销号率", "公司", "销号率",
                             percent=True), "group_closure")
with right:
    common.chart(charts.bars(figures, "company", "overdue", f"{period.label}各公司逾期问题", "公司", "逾期问题数"),
                 "group_overdue")

if "heatmap" in data:
    scores, cfg = data["scores"], common.scoring()
    st.subheader("各公司综合得分与维度得分")
    common.chart(charts.bars(scores, "company", "score", f"{period.label}各公司综合得分", "公司", "综合得分",
                             colors=list(scores["color"])), "group_scores")
    common.chart(charts.heatmap(data["heatmap"].rename(columns={"score": "得分"}), "dimension", "company", "得分",
                                f"{period.label}公司 × 维度得分", "维度", "公司",
                                x_order=cfg.dimension_names, colorscale="RdYlGn", zmin=cfg.floor, zmax=cfg.start,
                                text_format="{:.1f}"), "group_heatmap")
