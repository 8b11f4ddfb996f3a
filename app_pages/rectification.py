"""整改销号: rates by unit, ageing of open problems, overdue and nearly due problems, days to close, 回头看."""

import pandas as pd
import streamlit as st

from analytics import alerts, charts
from app_pages import common

common.require_data("整改销号")
st.title("整改销号")
st.caption(common.scope_caption())

data = common.view("rectification")
period, _ = common.current_filters()
cfg = common.scoring()
PERCENT = {"format": "percent", "min_value": 0, "max_value": 1}

RATES = {"closure_rate": "销号率", "completion_rate": "整改完成率", "on_time_rate": "按期整改率"}
RATE_HELP = ("销号率 = 已销号 / 问题总数；整改完成率 = (已整改 + 已销号) / 问题总数；"
             "按期整改率 = 整改时限已到的问题中按期完成的比例")
if (unit := common.one_unit(data["by_unit"]["unit"])) is not None:  # one unit: its rates, not a ranking of one
    st.subheader(f"{common.plain(unit)}整改情况")
    row = data["by_unit"].iloc[0]
    cols = st.columns(3)
    for col, (key, label) in zip(cols, RATES.items(), strict=True):
        part, whole = {"closure_rate": ("closed", "total"), "completion_rate": ("completed", "total"),
                       "on_time_rate": ("on_time", "due")}[key]
        col.metric(label, common.pct(row[key]), border=True, help=f"{int(row[part])} / {int(row[whole])}")
    st.caption(RATE_HELP)
    by_unit = data["by_unit"]
    table = st
else:
    st.subheader("各单位整改情况")
    rate = st.segmented_control("比率", list(RATES), format_func=RATES.get, default="closure_rate", key="rect_rate",
                                help=RATE_HELP)
    rate = rate or "closure_rate"  # a second click on the chosen option clears it
    by_unit = data["by_unit"].sort_values([rate, "unit"], na_position="last")  # weakest first; nothing due last
    chart, table = st.tabs(["图表", "数据表"])
    event = common.chart(charts.bars(by_unit, "unit", rate, f"各单位{RATES[rate]}（{period.label}）", "责任单位",
                                     RATES[rate], percent=True, horizontal=True), "rect_by_unit", where=chart,
                         **common.clickable())
    common.portrait_on_click(event, "rect_by_unit", "y", list(by_unit["unit"]))
    if common.clickable():
        chart.caption("点击单位的柱条，可查看其单位画像。")
common.table(
    by_unit, "各单位整改情况", "rect_by_unit_table", where=table,
    column_order=["unit", "total", "closed", "completed", "open", "overdue", "due", "on_time", *RATES],
    column_config={
        "unit": st.column_config.TextColumn("责任单位"),
        "total": st.column_config.NumberColumn("问题总数", format="%d"),
        "closed": st.column_config.NumberColumn("已销号", format="%d"),
        "completed": st.column_config.NumberColumn("已整改完成", format="%d", help="已整改 + 已销号"),
        "open": st.column_config.NumberColumn("未完成", format="%d"),
        "overdue": st.column_config.NumberColumn("逾期", format="%d"),
        "due": st.column_config.NumberColumn("时限已到", format="%d"),
        "on_time": st.column_config.NumberColumn("按期完成", format="%d"),
        **{key: st.column_config.ProgressColumn(label, **PERCENT) for key, label in RATES.items()},
    })

left, right = st.columns(2)
with left:
    st.subheader("未完成问题账龄")
    ageing = data["ageing"]
    chart, table = st.tabs(["图表", "数据表"])
    common.chart(charts.bars(ageing, "bucket", "problems", "未完成问题账龄（自发现之日至期末）", "账龄",
                             "问题数（个）"), "rect_ageing", where=chart)
    common.table(ageing, "未完成问题账龄", "rect_ageing_table", where=table,
                 column_config={"bucket": st.column_config.TextColumn("账龄"),
                                "problems": st.column_config.NumberColumn("问题数", format="%d")})
with right:
    st.subheader("销号用时")
    days = data["days_to_close"]
    cols = st.columns(3)
    cols[0].metric("平均用时", "—" if days["mean_days"] is None else f"{days['mean_days']:.0f} 天", border=True)
    cols[1].metric("中位用时", "—" if days["median_days"] is None else f"{days['median_days']:.0f} 天", border=True)
    cols[2].metric("统计问题数", days["closed_with_dates"], border=True)
    st.caption("自发现时间至销号时间；只统计截至期末已销号且两个日期都已填写的问题。")


def band_style(column: pd.Series, colours: dict[str, str]) -> list[str]:
    """The band cell in its band's colour (data-driven: band_color from the analytics layer)."""
    return [f"background-color: {colours[b]}40; color: #212121" for b in column]  # a tint keeps text readable


if "bands" in data:  # the problems to rectify: for every role that sees problems (analytics.actions.VIEWS)
    st.subheader("到期预警")
    bands = data["bands"]
    if len(bands) < data["bands_total"]:
        st.caption(f"仅显示最紧要的前 {len(bands)} 个问题（共 {data['bands_total']} 个）。")
    st.caption(f"未完成且已逾期（红）、或距整改时限 {cfg.urgent_days} 天内（黄）、{cfg.notice_days} 天内（绿）的问题，"
               "按剩余天数从少到多排列。")
    chosen = st.pills("预警类别", list(alerts.band_labels(cfg)), selection_mode="multi", key="rect_bands",
                      help="不选即显示全部")
    shown = bands[bands["band"].isin(chosen)] if chosen else bands
    colours = dict(zip(bands["band"], bands["band_color"], strict=True))
    if bands.empty:
        st.success("没有逾期或即将到期的未完成问题。")
    elif shown.empty:
        st.info("所选预警类别下没有问题。")
    else:
        shown = shown.assign(due=[common.due_text(d) for d in shown["days_left"]]).reset_index(drop=True)
        common.table(
            shown.style.apply(band_style, colours=colours, subset=["band"]), "到期预警问题", "rect_bands_table",
            problems=True,
            column_order=["band", "due", "deadline", "unit", "problem_code", "description", "measures", "owner",
                          "status", "source", "dimension"],
            column_config={
                "band": st.column_config.TextColumn("预警", width="small"),
                "due": st.column_config.TextColumn("逾期或剩余天数", help=f"截至期末（{period.end:%Y-%m-%d}）"),
                "deadline": st.column_config.DateColumn("整改时限", format="YYYY-MM-DD"),
                "unit": st.column_config.TextColumn("责任单位"),
                "problem_code": st.column_config.TextColumn("问题编号"),
                "description": st.column_config.TextColumn("问题描述", width="large"),
                "measures": st.column_config.TextColumn("整改措施", width="large"),
                "owner": st.column_config.TextColumn("责任人"),
                "status": st.column_config.TextColumn("整改状态"),
                "source": st.column_config.TextColumn("问题来源"),
                "dimension": st.column_config.TextColumn("维度"),
            })

if "lookback" in data:  # the 纪委's own re-check plan: not for the units it will re-check
    st.subheader("回头看抽样")
    st.caption(f"从截至期末已销号的问题中随机抽取 {cfg.lookback_size} 个复查（随机种子 {cfg.lookback_seed}）："
               "数据和种子不变，抽到的问题就不变。抽样数量和种子由系统管理员在评分配置中设置。")
    lookback = data["lookback"]
    if lookback.empty:
        st.info("截至本期还没有已销号的问题可供回头看。")
    else:
        common.table(
            lookback, "回头看抽样", "rect_lookback_table", problems=True,
            column_order=["problem_code", "unit", "source", "dimension", "description", "closed_date", "checks"],
            column_config={
                "problem_code": st.column_config.TextColumn("问题编号"),
                "unit": st.column_config.TextColumn("责任单位"),
                "source": st.column_config.TextColumn("问题来源"),
                "dimension": st.column_config.TextColumn("维度"),
                "description": st.column_config.TextColumn("问题描述", width="large"),
                "closed_date": st.column_config.DateColumn("销号时间", format="YYYY-MM-DD"),
                "checks": st.column_config.TextColumn("回头看要点", width="large"),
            })
