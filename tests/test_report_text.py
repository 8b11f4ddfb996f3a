"""The report's sentences and the charts' 核心结论: figures in, Chinese out, each rule on hand-made cases."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import charts
from analytics.report import text

HEAD = {"total": 100, "new": 20, "carried_over": 50, "closed": 40, "completed": 60, "open": 40, "overdue": 4,
        "recurred": 0, "reopened": 0, "closed_this_period": 10, "closure_rate": 0.4, "completion_rate": 0.6,
        "on_time_rate": 0.8}


@pytest.mark.parametrize(("now", "before", "said"), [
    (12, 10, "增加2个"), (8, 10, "减少2个"), (10, 10, "持平"), (10, None, None)])
def test_count_change_says_the_difference_or_nothing_when_unknown(now, before, said):
    assert text.count_change(now, before) == said


def test_rate_change_is_the_difference_of_the_shown_rates():
    """A change computed from unrounded rates could disagree with the two rates printed beside it."""
    assert text.rate_change(0.5236, 0.4594) == "上升6.5个百分点"  # 52.4% − 45.9%, not 6.42
    assert text.rate_change(0.40, 0.45) == "下降5.0个百分点"
    assert text.rate_change(0.4001, 0.4) == "持平"


@pytest.mark.parametrize(("grade", "change", "overdue", "recurred", "said"), [
    ("好", 0.6, 0, 0, "综合研判，公司政治生态总体良好，呈稳中向好态势。"),
    ("好", 0.4, 0, 0, "综合研判，公司政治生态总体良好，与上季度基本持平。"),
    ("较好", -0.5, 0, 0, "综合研判，公司政治生态总体较好，较上季度有所下滑，需引起重视。"),
    ("较差", None, 3, 2, "综合研判，公司政治生态问题较为突出，形势不容乐观，但逾期未整改问题3个、改而复发问题2个，"
                       "整改攻坚任务依然较重。"),
    (None, None, 0, 1, "综合研判，公司问题整改总体有序推进，但改而复发问题1个，整改攻坚任务依然较重。"),
])
def test_conclusion_is_chosen_by_grade_trend_and_caveat(grade, change, overdue, recurred, said):
    """Grade → base, score change (±0.5) → trend, overdue/recurred → caveat; no grade (no scores) → no 政治生态."""
    assert text.conclusion("公司", grade, change, overdue, recurred) == said


def test_causes_fire_only_past_their_thresholds():
    quiet = text.causes(HEAD, ("惩治腐败与廉洁建设", 29), ("采购部", 9))  # 10% overdue, 29%, 22.5%, 80% on time
    assert quiet == ["本期未发现明显的集中性、系统性问题，整改工作总体有序，但仍需保持严的基调，防止松劲懈怠。"]
    loud = HEAD | {"overdue": 12, "on_time_rate": 0.5, "recurred": 3}
    fired = text.causes(loud, ("惩治腐败与廉洁建设", 30), ("采购部", 10))
    assert [s[:2] for s in fired] == ["一是", "二是", "三是", "四是", "五是"]
    assert "逾期未整改问题12个，占未完成问题的30.0%" in fired[0]
    assert "按期整改率仅为50.0%" in fired[1]
    assert "改而复发问题3个" in fired[2]
    assert "“惩治腐败与廉洁建设”方面问题30个，占问题总数的30.0%" in fired[3]
    assert "采购部未完成整改问题10个，占全部未完成问题的25.0%" in fired[4]


def test_dimension_sentence_with_and_without_scores():
    scored = text.dimension("加强干部作风建设", 48, 22, 7, score_now=91.1, rank=7, of=8,
                            lowest=[("采购部", 59.0)], lost={"问题性质扣分": 80, "逾期加扣": 20, "复发加扣": 0})
    assert scored == ("该方面得分91.1分，在八个方面中居第7位（共8个）；本期涉及问题48个，期末未完成22个，其中逾期7个；"
                      "得分较低的单位为采购部（59.0分）；共扣100分，其中问题性质扣分80分（占80.0%）、逾期加扣20分（占20.0%）。")
    plain = text.dimension("加强干部作风建设", 48, 22, 7)
    assert "得分" not in plain and "扣" not in plain


def test_problems_behind_an_aspect_are_numbered_yi_shi_er_shi():
    said = text.dimension_problems([("四风", 5, "采购部“会议过多”"), ("八项规定", 2, None)])
    assert said == "从问题表现看，一是四风方面问题5个，如采购部“会议过多”；二是八项规定方面问题2个。"
    assert text.dimension_problems([]) is None


def test_suggestions_follow_the_figures():
    calm = text.suggestions(HEAD | {"overdue": 0}, [])
    assert len(calm) == 1 and calm[0].startswith("一是持续深化")
    busy = text.suggestions(HEAD | {"recurred": 2}, ["采购部"])
    assert [s[:2] for s in busy] == ["一是", "二是", "三是", "四是"]
    assert "4个逾期未整改问题" in busy[0] and "采购部等评价较差的单位发出纪检建议书" in busy[2]


# ---- 核心结论 ----

TREND = pd.DataFrame({"period": ["2025Q1", "2025Q2"], "total": [194, 233], "closure_rate": [0.4594, 0.5236]})


def test_lines_conclusion_reads_the_last_point_and_its_move():
    assert charts.lines_conclusion(TREND, "period", {"total": "问题总数"}) == "2025Q2：问题总数233，较2025Q1增加39。"
    assert (charts.lines_conclusion(TREND, "period", {"closure_rate": "销号率"}, percent=True)
            == "2025Q2：销号率52.4%，较2025Q1上升6.5个百分点。")


def test_bars_conclusion_names_the_highest_and_lowest():
    frame = pd.DataFrame({"unit": ["采购部", "党群工作部", "物流部"], "total": [53, 11, 36]})
    assert charts.bars_conclusion(frame, "unit", "total") == "最高为采购部（53），最低为党群工作部（11）。"


def test_radar_and_heatmap_conclusions():
    assert (charts.radar_conclusion({"采购部": {"政治建设": 90.5, "作风建设": 59.0}})
            == "采购部得分最低的方面为「作风建设」（59.0），最高的为「政治建设」（90.5）。")
    cells = pd.DataFrame({"unit": ["A", "A", "B"], "dimension": ["甲", "乙", "甲"], "problems": [1, 5, 2]})
    assert charts.heatmap_conclusion(cells, "dimension", "unit", "problems") == "最突出的是A的「乙」（5）。"


def test_every_chart_builder_attaches_its_conclusion():
    """A chart drawn on a page or in an export without its sentence would break the 核心结论 rule."""
    units = pd.DataFrame({"unit": ["甲", "乙"], "total": [3, 1], "closed": [1, 1]})
    made = [
        charts.lines(TREND, "period", {"total": "问题总数"}, "t", "x", "y"),
        charts.bars(units, "unit", "total", "t", "x", "y"),
        charts.grouped_bars(units, "unit", {"total": "总数", "closed": "销号"}, "t", "x", "y"),
        charts.stacked_bars(units.assign(source="审计"), "unit", "total", "source", "t", "x", "y"),
        charts.heatmap(units.assign(d="维度"), "d", "unit", "total", "t", "x", "y"),
        charts.radar({"甲": {"一": 90.0, "二": 80.0}}, "t"),
        charts.empty("t"),
    ]
    assert all(charts.conclusion(fig) for fig in made)
    assert charts.conclusion(made[-1]) == "暂无数据。"


@pytest.mark.parametrize(("found", "sentence"), [
    (None, None),
    ((4, 4, 0, 0), "本期“回头看”复查问题4个，其中整改到位4个。"),
    ((5, 2, 2, 1), "本期“回头看”复查问题5个，其中整改到位2个，改而复发2个（已列入再通报），需再了解1个。"),
])
def test_the_recorded_rechecks_in_one_sentence(found, sentence):
    assert text.rechecks(found) == sentence
