"""八维评分: unit ranking and grades, a unit against the company, scores over quarters, and why a score is what it is.

Clicking a unit's bar opens its portrait (单位画像); clicking a unit × dimension cell fills the 扣分明细 selectors
below, which work on their own too. With one unit in scope nothing is compared: no ranking, no company average.
"""

import pandas as pd
import streamlit as st

from analytics import actions, charts, scoring, scoring_model
from analytics.access import User
from analytics.config import ScoringConfig
from analytics.db import open_db
from analytics.metrics import Scope
from analytics.periods import parse_period
from app_pages import common

ALL_DIMENSIONS = "全部维度"


@st.cache_data(show_spinner=False, max_entries=64)
def deductions(db: str, rev: int | None, who: User, cfg: ScoringConfig, period: str, unit: str, dimension: str | None,
               scope: tuple) -> pd.DataFrame:
    """扣分明细 of one unit (and dimension) for the filters in force, cached until the data or configuration changes."""
    with open_db(db, read_only=True) as con:
        return common.no_code_dash(actions.deductions(con, who, parse_period(period), unit, dimension, Scope(*scope),
                                                      cfg=cfg))


def keep_choice(key: str, options: list[str], default: str) -> None:
    """Start a selector at its default, and reset it when its choice vanished (other filters, new data)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


common.require_data("八维评分")
st.title("八维评分")
st.caption(common.scope_caption())

data = common.view("scores")
period, scope = common.current_filters()
units, dims, company = data["units"], data["dimensions"], data["company"]
if units.empty:
    st.info("所选范围内本期没有可评分的单位或维度（未归类的问题不计分；单位须在本期台账或评分表中出现）。")
    st.stop()

cfg = common.scoring()
unit_names = list(units["unit"])  # the ranking: the chosen node's children (组织架构), each rolled up
scored_units = list(dict.fromkeys(dims["unit"]))  # the units scored themselves: what a score's details are of
dimension_names = list(dict.fromkeys(dims["dimension"]))
worst = next((u for u in reversed(unit_names) if u in scored_units), scored_units[-1])  # ranking is best first
keep_choice("score_unit", scored_units, worst)
keep_choice("deduct_unit", scored_units, worst)
keep_choice("deduct_dimension", [ALL_DIMENSIONS, *dimension_names], ALL_DIMENSIONS)

single = common.one_unit(unit_names)  # one unit in scope: nothing to rank it against
whole = common.scope_word(unit_names)
cols = st.columns(3)
cols[0].metric(f"{common.plain(whole)}综合得分", f"{company['score']:.1f}", border=True)
cols[1].metric("等级", company["grade"], border=True)
if single is None:
    cols[2].metric("参评单位", len(units), border=True)
with st.expander("评分模型：维度权重、指标、评价方式、等级与复绿"):
    st.caption(scoring_model.model_summary(cfg))
    model = scoring_model.model_tables(cfg)
    left, right = st.columns([1, 2])
    left.dataframe(model["dimensions"], hide_index=True, placeholder=common.BLANK)
    left.dataframe(model["raters"], hide_index=True, placeholder=common.BLANK)
    left.dataframe(model["grades"], hide_index=True, placeholder=common.BLANK)
    right.dataframe(model["indicators"], hide_index=True, placeholder=common.BLANK)
    if not model["limits"].empty:
        right.dataframe(model["limits"], hide_index=True, placeholder=common.BLANK)


@st.cache_data(show_spinner=False, max_entries=64)
def colours(db: str, rev: int | None, who: User, cfg: ScoringConfig, period: str, unit: str,
            scope: tuple) -> pd.DataFrame:
    """A unit's colour code per quarter with the 复绿 rule, cached until the data or configuration changes."""
    with open_db(db, read_only=True) as con:
        return actions.colour_history(con, who, parse_period(period), unit, Scope(*scope), cfg=cfg)


def colour_line(unit: str) -> None:
    """The unit's colour code now, and whether it waits for 复绿 (figures from the data, words here)."""
    shown = colours(str(common.db_path()), common.data_revision(), common.user(), common.scoring(), str(period),
                    unit, common.scope_key(scope))
    if shown.empty:
        return
    now = shown.iloc[-1]
    text = f"{common.plain(unit)}本期亮{now['code']}灯"
    if now["held"]:
        text += (f"：综合得分对应{now['score_code']}灯，但使其亮灯的问题尚有 {len(now['pending'])} 个未销号，"
                 "销号核验后方可复绿")
    elif now["restored"]:
        text += "：使其亮灯的问题已全部销号，本期复绿"
    elif len(now["pending"]):
        text += f"：使其亮灯的问题尚有 {len(now['pending'])} 个未销号"
    (st.success if now["code"] == cfg.codes[0].name else st.warning)(text + "。")


def radar_table(mine: pd.DataFrame, unit: str, compared: bool, where: object) -> None:
    """The radar's figures: the unit's per dimension, beside the average it is compared with (if any)."""
    config = {
        "dimension": st.column_config.TextColumn("维度"),
        "score": st.column_config.NumberColumn(f"{unit}得分", format="%.1f"),
        "company": st.column_config.NumberColumn(f"{whole}平均", format="%.1f"),
        "grade": st.column_config.TextColumn("等级"),
        "open_problems": st.column_config.NumberColumn("扣分问题数", format="%d"),
        "deduction": st.column_config.NumberColumn("扣分", format="%.1f"),
        "assessed": st.column_config.NumberColumn("评分表得分", format="%.1f"),
    }
    common.table(
        mine.assign(company=mine["dimension"].map(company["dimensions"])), f"{unit}各维度得分", "score_radar_table",
        where=where,
        column_order=["dimension", "score", *(["company"] if compared else []), "grade", "open_problems", "deduction",
                      "assessed"],
        column_config=config)


if single is not None:  # its dimensions on their own: a radar against itself would say nothing
    st.subheader(f"{common.plain(single)}各维度得分")
    st.caption(f"所选范围只有{common.plain(single)}一个单位，不作单位排名和对比。")
    if common.clickable() and st.button(f"查看{common.plain(single)}的单位画像", icon="🏢", key="score_portrait",
                                        type="tertiary"):
        common.open_portrait(single)
    mine = dims[dims["unit"] == single]
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.radar({single: dict(zip(mine["dimension"], mine["score"], strict=True))},
                              f"{single}各维度得分", low=cfg.floor, high=cfg.start, wrap=charts.RADAR_WRAP),
                 "score_radar", where=chart)
    radar_table(mine, single, compared=False, where=table)
else:
    left, right = st.columns(2)  # room for the radar's names
    with left:
        st.subheader("单位排名")
        chart, table = st.tabs(["图表", "数据表"])
        event = common.chart(
            charts.bars(units, "unit", "score", f"{period.label}单位综合得分排名", "单位", "综合得分",
                        colors=list(units["color"]), horizontal=True),
            "score_ranking", where=chart, **common.clickable())
        common.portrait_on_click(event, "score_ranking", "y", unit_names)
        if common.clickable():
            chart.caption("点击单位的柱条，可查看其单位画像。")
        common.table(
            units, "单位综合得分排名", "score_ranking_table", where=table,
            column_order=["rank", "unit", "score", "grade", *dimension_names],
            column_config={
                "rank": st.column_config.NumberColumn("排名", format="%d"),
                "unit": st.column_config.TextColumn("单位", pinned=True),
                "score": st.column_config.NumberColumn("综合得分", format="%.1f"),
                "grade": st.column_config.TextColumn("等级"),
                **{d: st.column_config.NumberColumn(d, format="%.1f") for d in dimension_names},
            })
    with right:
        st.subheader(f"单位与{common.plain(whole)}对比")
        unit = st.selectbox("单位", scored_units, key="score_unit", format_func=common.unit_label(scored_units))
        mine = dims[dims["unit"] == unit]
        chart, table = st.tabs(["图表", "数据表"])
        common.chart(charts.radar({unit: dict(zip(mine["dimension"], mine["score"], strict=True)),
                                   f"{whole}平均": company["dimensions"]},
                                  f"{unit}与{whole}各维度得分", low=cfg.floor, high=cfg.start, wrap=charts.RADAR_WRAP),
                     "score_radar", where=chart)
        radar_table(mine, unit, compared=True, where=table)

peers = data.get("peers")
if peers is not None and not peers.empty:
    st.subheader("同类单位比较")
    st.caption("按组织架构中登记的「同类单位」分组，各单位与同组平均比较；组内排名只在同类单位之间。")
    common.table(
        peers, "同类单位比较", "score_peers",
        column_order=["group", "group_rank", "unit", "score", "score_mean", "diff", "group_size"],
        column_config={
            "group": st.column_config.TextColumn("同类单位", pinned=True),
            "group_rank": st.column_config.NumberColumn("组内排名", format="%d"),
            "unit": st.column_config.TextColumn("单位"),
            "score": st.column_config.NumberColumn("综合得分", format="%.1f"),
            "score_mean": st.column_config.NumberColumn("同组平均", format="%.1f"),
            "diff": st.column_config.NumberColumn("与平均之差", format="%+.1f"),
            "group_size": st.column_config.NumberColumn("组内单位数", format="%d"),
        })

st.subheader("单位 × 维度得分")
chart, table = st.tabs(["图表", "数据表"])
event = common.chart(
    # an ASCII z name would be shown as the colour bar title
    charts.heatmap(dims.rename(columns={"score": "得分"}), "dimension", "unit", "得分", f"{period.label}各单位维度得分",
                   "维度", "单位",
                   x_order=dimension_names, colorscale="RdYlGn", zmin=cfg.floor, zmax=cfg.start,
                   text_format="{:.1f}"),
    "score_matrix", where=chart, on_select="rerun", selection_mode="points")
chart.caption("点击格子，可在下方查看该单位该维度的扣分明细。")
point = common.clicked(event, "score_matrix")
if point and point.get("y") in scored_units and point.get("x") in dimension_names:
    st.session_state["deduct_unit"], st.session_state["deduct_dimension"] = point["y"], point["x"]
common.table(
    dims, "单位维度得分", "score_matrix_table", where=table,
    column_order=["unit", "dimension", "score", "grade", "computed", "assessed", "deduction", "open_problems"],
    column_config={
        "unit": st.column_config.TextColumn("单位"),
        "dimension": st.column_config.TextColumn("维度"),
        "score": st.column_config.NumberColumn("得分", format="%.1f"),
        "grade": st.column_config.TextColumn("等级"),
        "computed": st.column_config.NumberColumn("计算得分", format="%.1f"),
        "assessed": st.column_config.NumberColumn("评分表得分", format="%.1f"),
        "deduction": st.column_config.NumberColumn("扣分", format="%.1f"),
        "open_problems": st.column_config.NumberColumn("扣分问题数", format="%d"),
    })

st.subheader("扣分明细")
st.caption("在上方点击单位 × 维度格子，或在这里选择：")
pick_unit, pick_dimension = st.columns(2)
unit = pick_unit.selectbox("单位", scored_units, key="deduct_unit", format_func=common.unit_label(scored_units))
dimension = pick_dimension.selectbox("维度", [ALL_DIMENSIONS, *dimension_names], key="deduct_dimension")
dimension = None if dimension == ALL_DIMENSIONS else dimension
# figures only: metric labels and values render Markdown, so no ledger text goes into them
cols = st.columns(4)
if dimension is None:
    row = units[units["unit"] == unit].iloc[0]
    cols[0].metric("综合得分", f"{row['score']:.1f}", border=True)
    cols[1].metric("等级", row["grade"], border=True)
    if single is None:  # a ranking of one says nothing
        cols[2].metric("排名", f"{row['rank']} / {len(units)}", border=True)
else:
    row = dims[(dims["unit"] == unit) & (dims["dimension"] == dimension)].iloc[0]
    cols[0].metric("维度得分", f"{row['score']:.1f}", border=True,
                   help=None if pd.isna(row["assessed"]) else
                   f"计算得分 {row['computed']:.1f}，评分表得分 {row['assessed']:.1f}")
    cols[1].metric("等级", row["grade"], border=True)
    cols[2].metric("扣分", f"{row['deduction']:g}", border=True)
    cols[3].metric("扣分问题数", row["open_problems"], border=True)
if dimension is None and row["limited_by"]:
    st.caption(f"等次封顶：{row['limited_by']}，等级不高于{row['grade']}。")
colour_line(unit)
losses = scoring.loss_breakdown(data["raw"], unit, cfg, dimension)
lost = losses[~losses["bonus"].astype(bool)]
st.markdown("**失分构成**" + ("（各维度失分按权重折算到综合得分）" if dimension is None else ""))
if lost.empty:
    st.caption("本期没有失分。")
else:
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.bars(lost, "indicator", "share", f"{unit}失分构成", "指标", "占失分比例", percent=True,
                             horizontal=True),
                 "loss_breakdown", where=chart)
    common.table(losses.assign(share=losses["share"] * 100), f"{unit}失分构成", "loss_breakdown_table", where=table,
                 column_order=["indicator", "bonus", "points", "share"],
                 column_config={"indicator": st.column_config.TextColumn("指标"),
                                "bonus": st.column_config.CheckboxColumn("加分"),
                                "points": st.column_config.NumberColumn("分值", format="%.2f"),
                                "share": st.column_config.NumberColumn("占失分比例", format="%.1f%%")})
detail = deductions(str(common.db_path()), common.data_revision(), common.user(), common.scoring(), str(period), unit,
                    dimension, common.scope_key(scope))
if detail.empty:
    st.success("本期没有扣分问题。")
else:
    common.table(
        detail, f"{unit}扣分明细", "deductions", problems=True,
        column_order=["problem_code", "dimension", "description", "status", "severity", "deadline", "days_overdue",
                      "recurred", "points", "rule"],
        column_config={
            "problem_code": st.column_config.TextColumn("问题编号"),
            "dimension": st.column_config.TextColumn("维度"),
            "description": st.column_config.TextColumn("问题描述", width="large"),
            "status": st.column_config.TextColumn("整改状态"),
            "severity": st.column_config.TextColumn("问题性质"),
            "deadline": st.column_config.DateColumn("整改时限", format="YYYY-MM-DD"),
            "days_overdue": st.column_config.NumberColumn("逾期天数", format="%d"),
            "recurred": st.column_config.CheckboxColumn("复发"),
            "points": st.column_config.NumberColumn("扣分", format="%g"),
            "rule": st.column_config.TextColumn("扣分依据", width="large"),
        })

st.subheader("得分变化")
history = data["history"]
history = history[history["period"] <= str(period)]  # 2024Q3 < 2025Q1 as text: up to the chosen quarter
dimension = st.selectbox("维度", dimension_names, key="history_dimension")
shown = history[history["dimension"] == dimension]
chart, table = st.tabs(["图表", "数据表"])
common.chart(
    charts.heatmap(shown.rename(columns={"score": "得分"}), "period", "unit", "得分", f"各季度「{dimension}」得分",
                   "季度", "单位",
                   x_order=sorted(shown["period"].unique()), colorscale="RdYlGn", zmin=cfg.floor, zmax=cfg.start,
                   text_format="{:.1f}"),
    "score_history", where=chart)
common.table(shown, f"各季度{dimension}得分", "score_history_table", where=table,
             column_order=["period", "unit", "score"],
             column_config={"period": st.column_config.TextColumn("季度"),
                            "unit": st.column_config.TextColumn("单位"),
                            "score": st.column_config.NumberColumn("得分", format="%.1f")})
