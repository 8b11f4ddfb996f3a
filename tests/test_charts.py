"""analytics.charts: counts on whole ticks, quarters in order, the radar in the app's colours with room for names."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from analytics import charts
from tests.conftest import ROOT

DIMENSIONS = ["加强党的政治建设", "严明政治纪律和政治规矩", "培育积极健康的党内政治文化"]


@pytest.mark.parametrize("top", [1, 3, 10])
def test_small_counts_tick_by_one(top):
    """Plotly picks steps of 0.5 for a small range: "0.5 个问题" on a count axis."""
    frame = pd.DataFrame({"unit": ["甲", "乙"], "n": [0, top]})
    axis = charts.bars(frame, "unit", "n", "t", "单位", "问题数").layout.yaxis
    assert axis.dtick == 1 and axis.tickformat == ",d"


def test_larger_counts_keep_plotlys_whole_steps():
    frame = pd.DataFrame({"unit": ["甲", "乙"], "n": [0, 44]})
    axis = charts.bars(frame, "unit", "n", "t", "单位", "问题数").layout.yaxis
    assert axis.dtick is None and axis.tickformat == ",d"


def test_scores_and_rates_are_no_counts():
    scores = pd.DataFrame({"unit": ["甲", "乙"], "score": [80.7, 99.5]})
    assert charts.bars(scores, "unit", "score", "t", "单位", "得分", horizontal=True).layout.xaxis.tickformat is None
    rates = pd.DataFrame({"unit": ["甲", "乙"], "r": [0.0, 1.0]})
    assert charts.bars(rates, "unit", "r", "t", "单位", "比率", percent=True).layout.yaxis.tickformat == ".0%"


def test_every_count_chart_has_whole_ticks():
    frame = pd.DataFrame({"period": ["2024Q1", "2024Q2"], "due": [1, 3], "done": [0, 2]})
    assert charts.grouped_bars(frame, "period", {"due": "应完成", "done": "已完成"}, "t", "季度", "项",
                               horizontal=True).layout.xaxis.dtick == 1
    assert charts.grouped_bars(frame, "period", {"due": "应完成"}, "t", "季度", "项").layout.yaxis.dtick == 1
    assert charts.lines(frame, "period", {"due": "应完成"}, "t", "季度", "项").layout.yaxis.dtick == 1
    stacked = pd.DataFrame({"period": ["2024Q1", "2024Q1", "2024Q2"], "n": [6, 5, 2],
                            "source": ["审计", "巡视巡察", "审计"]})
    axis = charts.stacked_bars(stacked, "period", "n", "source", "t", "季度", "问题数").layout.yaxis
    assert axis.dtick is None and axis.tickformat == ",d"  # a stack of 11: Plotly's own whole steps


def test_stacked_bars_keep_the_quarters_in_order():
    """Attack: the first series drawn has no bar in the first quarter; Plotly would put that quarter last."""
    frame = pd.DataFrame({"period": ["2024Q1", "2024Q2", "2024Q2"], "n": [3, 1, 2],
                          "dimension": ["乙维度", "甲维度", "乙维度"]})
    fig = charts.stacked_bars(frame, "period", "n", "dimension", "t", "季度", "问题数", order=["甲维度", "乙维度"])
    assert list(fig.data[0].x) == ["2024Q2"]
    assert list(fig.layout.xaxis.categoryarray) == ["2024Q1", "2024Q2"]


def test_radar_in_the_apps_colours():
    """The unit in the app's red (its primaryColor), what it is compared with in blue; on white like the pages."""
    primary = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]["primaryColor"]
    fig = charts.radar({"采购部": dict.fromkeys(DIMENSIONS, 60.0), "公司平均": dict.fromkeys(DIMENSIONS, 90.0)}, "t")
    by_name = {t.name: t for t in fig.data}
    assert by_name["采购部"].line.color == primary == charts.RADAR_COLORS[0]
    assert by_name["公司平均"].line.color == charts.RADAR_COLORS[1]
    assert [t.name for t in fig.data] == ["公司平均", "采购部"]  # the unit drawn last, on top …
    assert by_name["采购部"].legendrank < by_name["公司平均"].legendrank  # … and listed first
    assert fig.layout.polar.bgcolor == "white"
    assert fig.layout.legend.y < 0  # below the chart, clear of the top spoke's name


def test_radar_names_whole_or_wrapped():
    longest = max(map(len, DIMENSIONS))
    whole = charts.radar({"采购部": dict.fromkeys(DIMENSIONS, 60.0)}, "t")
    assert list(whole.data[0].theta[:-1]) == DIMENSIONS
    assert whole.layout.margin.l == whole.layout.margin.r >= 13 * longest  # room at the sides for the longest
    wrapped = charts.radar({"采购部": dict.fromkeys(DIMENSIONS, 60.0)}, "t", wrap=7)
    assert list(wrapped.data[0].theta[:-1]) == ["加强党的<br>政治建设", "严明政治纪律<br>和政治规矩",
                                                "培育积极健康的<br>党内政治文化"]
    assert list(wrapped.data[0].customdata[:-1]) == DIMENSIONS  # hover shows the name whole
    assert wrapped.layout.margin.l < whole.layout.margin.l


@pytest.mark.parametrize(("name", "width", "lines"), [
    ("加强党的政治建设", 8, ["加强党的政治建设"]), ("加强党的政治建设", 7, ["加强党的", "政治建设"]),
    ("培育积极健康的党内政治文化", 7, ["培育积极健康的", "党内政治文化"]), ("短", 7, ["短"]),
    ("不换行", None, ["不换行"]),
])
def test_wrap_label(name, width, lines):
    assert charts.wrap_label(name, width).split("<br>") == lines
