"""The published-style scoring model (data/scoring.toml as shipped): weighted dimensions, capped indicators,
weighted raters, grades with colour codes and grade limits, 复绿, 失分构成, peer groups, and its calibration on the
demo. Every figure is worked out by hand in the comments.

Shipped defaults: weights 政治建设 15, 政治生活 10, 选人用人 10, 作风 12, 纪律规矩 10, 廉洁 15, 两个责任 20,
政治文化 8 (of 100); 问题扣分 一般 5 / 较重 10 / 严重 20 (cap 60); 逾期 8 (cap 40); 复发 6 (cap 30); 按期整改率 of
the unit below 90%: 1 a point (cap 60) and 销号率 below 70%: 1 a point (cap 30), both under 两个责任; bonuses
自查自纠 new +1 (cap 3), 严重 closed this quarter +2 (cap 4); 评分表 30% (自评 .1, 纪委评价 .4, 群众 .3, 领导 .2).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analytics import alerts, derived, scoring
from analytics.config import Indicator, ScoringConfig, scoring_config
from analytics.errors import ConfigError
from analytics.metrics import available_periods
from analytics.periods import Period
from tests.conftest import HEADER, ROOT, problem_row, write_xlsx
from tests.conftest import load as load_file

CFG = scoring_config()
DIMS = CFG.dimension_names
D_POLITICAL, D_STYLE, D_CLEAN, D_DUTY = DIMS[0], DIMS[3], DIMS[5], DIMS[6]
Q3 = Period(2024, 3)
MARKED = [*HEADER, "是否复发"]


def row(seq: int, code: str, status: str = "整改中", recurred: str = "否", **kw) -> list:
    return [*problem_row(seq, code, status, **kw), recurred]


def load(con, rows: list, tmp_path, name: str = "2024Q3台账.xlsx", cfg: ScoringConfig = CFG):
    result = load_file(con, write_xlsx(tmp_path / name, {"台账": [MARKED, *rows]}), cfg=cfg)
    assert result.outcome == "imported", result.message


@pytest.fixture
def ledger(con, tmp_path):
    """冶炼厂 (source 巡察, found 2024-01-10, deadline 2024-06-30 unless given) and 销售部 in 2024Q3."""
    load(con, [row(1, "A-1", deadline="2024-12-31"),  # 一般, not due: 5
               row(2, "A-2", severity="较重", deadline="2024-08-16", recurred="是"),  # 10 + 8 overdue + 6 recurred
               row(3, "A-3", "已销号", severity="严重", closed="2024-09-01"),  # late; 严重 closed now: +2
               row(4, "A-4", "未启动", category="采购", severity="严重", deadline="2024-09-10"),  # 廉洁: 20 + 8
               row(5, "A-5", category="其他事项", severity="严重", deadline="2024-01-31"),  # 未归类: nothing
               row(6, "A-6", "已整改", category="采购"),  # completed late (counted at the quarter's end)
               row(7, "B-1", "已销号", unit="销售部", closed="2024-08-01")], tmp_path)  # late
    return con


def test_each_rule_by_hand(ledger):
    dims = scoring.dimension_scores(ledger, Q3, cfg=CFG).set_index(["unit", "dimension"])
    # 作风: 5 + 10 (severity) + 8 (overdue) + 6 (recurred) = 29 lost, +2 for A-3 → 73
    assert dims.loc[("冶炼厂", D_STYLE), ["deduction", "bonus", "computed"]].tolist() == [29, 2, 73]
    # 廉洁: 20 + 8 = 28 → 72
    assert dims.loc[("冶炼厂", D_CLEAN), ["deduction", "computed"]].tolist() == [28, 72]
    # 两个责任: 0 of 5 due on time → 90 points short, capped at 60; 销号率 1/6 = 16.7% → 53.3, capped at 30 → 10
    assert dims.loc[("冶炼厂", D_DUTY), ["deduction", "computed"]].tolist() == [90, 10]
    # 销售部: 0 of 1 due on time → 60; 销号率 100% → nothing → 40
    assert dims.loc[("销售部", D_DUTY), "computed"] == 40
    assert dims.loc[("销售部", D_POLITICAL), "computed"] == 100


def test_total_is_the_weighted_mean_and_grades_carry_colour_codes(ledger):
    units = scoring.unit_scores(ledger, Q3, cfg=CFG).set_index("unit")
    # .15×100 + .10×100 + .10×100 + .12×73 + .10×100 + .15×72 + .20×10 + .08×100 = 74.56
    assert units.loc["冶炼厂", ["score", "grade", "code"]].tolist() == [74.6, "一般", "黄"]
    # 100 − .20 × 60 = 88
    assert units.loc["销售部", ["score", "grade", "code"]].tolist() == [88.0, "较好", "绿"]
    company = scoring.company_score(ledger, Q3, cfg=CFG)
    assert company["score"] == 81.3  # (74.56 + 88) / 2 = 81.28: the weights are linear
    assert (company["grade"], company["code"]) == ("较好", "绿")


def test_caps_are_honoured(con, tmp_path):
    """Four open 严重 problems in one dimension would lose 80 and four overdue 32: capped at 60 and 40 (here 32)."""
    load(con, [row(k, f"C-{k}", severity="严重", deadline="2024-12-31") for k in range(1, 5)], tmp_path)
    dims = scoring.dimension_scores(con, Q3, cfg=CFG).set_index("dimension")
    assert dims.loc[D_STYLE, ["deduction", "computed"]].tolist() == [60, 40]
    uncapped = dataclasses.replace(CFG, indicators=tuple(
        dataclasses.replace(i, cap=None) if i.rule == "severity" else i for i in CFG.indicators))
    derived.bring_up_to_date(con, uncapped)
    assert scoring.dimension_scores(con, Q3, cfg=uncapped).set_index("dimension").loc[D_STYLE, "computed"] == 20


def test_a_rate_with_fixed_points_and_over_the_dimension(ledger):
    fixed = Indicator("作风按期整改率", "on_time_rate", points=7, below=0.5, dimensions=(D_STYLE,))
    cfg = dataclasses.replace(CFG, indicators=(fixed,))
    derived.bring_up_to_date(ledger, cfg)
    dims = scoring.dimension_scores(ledger, Q3, cfg=cfg).set_index(["unit", "dimension"])
    # 作风's own due problems: A-2 and A-3, neither on time: 0% < 50% → 7 points once
    assert dims.loc[("冶炼厂", D_STYLE), "computed"] == 93
    assert dims.loc[("冶炼厂", D_CLEAN), "computed"] == 100  # the indicator is 作风's only


def test_self_found_problems_earn_a_capped_bonus(con, tmp_path):
    load(con, [row(k, f"S-{k}", source="自查自纠", deadline="2024-12-31") for k in range(1, 6)], tmp_path)
    dims = scoring.dimension_scores(con, Q3, cfg=CFG).set_index("dimension")
    # five 一般: 5 × 5 = 25 lost; five found by the unit itself: +5, capped at 3 → 78
    assert dims.loc[D_STYLE, ["deduction", "bonus", "computed"]].tolist() == [25, 3, 78]


def test_raters_are_weighted(ledger, tmp_path):
    header = ["单位", *DIMS, "评价方式"]
    sheet = write_xlsx(tmp_path / "2024Q3评分表.xlsx", {"评分表": [
        header, ["销售部", *[100] * 8, "自评"], ["销售部", *[50] * 8, "纪委评价"], ["销售部", *[0] * 8, "其他"]]})
    assert load_file(ledger, sheet, cfg=CFG).outcome == "imported"
    dims = scoring.dimension_scores(ledger, Q3, cfg=CFG).set_index(["unit", "dimension"])
    # (.1 × 100 + .4 × 50) / .5 = 60 (其他 is no rater: weight 0); .7 × 100 + .3 × 60 = 88
    assert dims.loc[("销售部", D_POLITICAL), ["assessed", "score"]].tolist() == [60, 88]


def test_a_grade_limit_holds_a_unit_whatever_its_score(con, tmp_path):
    """One recurred 一般 problem: 作风 loses 5 + 6 = 11 (→ 89), 两个责任 loses 60 + 30 (0% on time, 0% closed)."""
    load(con, [row(1, "R-1", deadline="2024-12-31", recurred="是")], tmp_path)
    lenient = dataclasses.replace(CFG, indicators=CFG.indicators[:3])  # no rates: 100 − .12 × 11 = 98.68
    derived.bring_up_to_date(con, lenient)
    unit = scoring.unit_scores(con, Q3, cfg=lenient).iloc[0]
    assert (unit["score"], unit["grade"], unit["code"]) == (98.7, "一般", "黄")
    assert unit["limited_by"] == "有纪检建议书级问题"
    free = dataclasses.replace(lenient, grade_limits=())
    assert scoring.unit_scores(con, Q3, cfg=free).iloc[0]["grade"] == "好"


def test_loss_shares_sum_to_one_and_say_what_took_the_total_down(ledger):
    raw = scoring.raw_scores(ledger, Q3, cfg=CFG)
    whole = scoring.loss_breakdown(raw, "冶炼厂", CFG).set_index("indicator")
    # off the total: 按期整改率 .2×60 = 12, 销号率 .2×30 = 6, 问题扣分 .12×15 + .15×20 = 4.8, 逾期 .12×8 + .15×8 = 2.16,
    # 复发 .12×6 = .72: 25.68 in all; 查处典型问题 +.12×2 = .24
    assert whole["points"].to_dict() == {"按期整改率": 12, "销号率": 6, "问题扣分": 4.8, "逾期扣分": 2.16,
                                         "复发扣分": 0.72, "查处典型问题": 0.24}
    assert whole.loc["按期整改率", "share"] == pytest.approx(12 / 25.68)
    assert whole["share"].sum() == pytest.approx(1.0)
    assert pd.isna(whole.loc["查处典型问题", "share"])
    style = scoring.loss_breakdown(raw, "冶炼厂", CFG, D_STYLE).set_index("indicator")
    assert style["share"].dropna().to_dict() == pytest.approx({"问题扣分": 15 / 29, "逾期扣分": 8 / 29,
                                                               "复发扣分": 6 / 29})


def test_peer_groups_compare_a_unit_with_its_group_mean():
    units = pd.DataFrame({"unit": ["甲", "乙", "丙", "丁"], "score": [90.0, 80.0, 70.0, 60.0],
                          "grade": ["好", "较好", "一般", "较差"], "color": ["#000000"] * 4, "rank": [1, 2, 3, 4],
                          D_STYLE: [100.0, 90.0, 80.0, 50.0], "code": ["绿"] * 4, "limited_by": [""] * 4})
    peers = scoring.peer_comparison(units, {"甲": "生产", "丙": "生产", "乙": "职能"}, ungrouped="未分组")
    by_unit = peers.set_index("unit")
    assert by_unit.loc["丙", ["group", "group_size", "score_mean", "diff", "group_rank"]].tolist() == \
        ["生产", 2, 80.0, -10.0, 2]  # (90 + 70) / 2
    assert by_unit.loc["丙", f"{D_STYLE}_mean"] == 90.0  # (100 + 80) / 2
    assert by_unit.loc["乙", ["group_size", "diff"]].tolist() == [1, 0.0]
    assert by_unit.loc["丁", "group"] == "未分组"
    assert scoring.peer_comparison(units)["score_mean"].eq(75.0).all()  # no groups: all units together


def quarter(n: int, code: str, deducting=(), closed=()) -> scoring.QuarterColour:
    return scoring.QuarterColour(n, code, frozenset(deducting), frozenset(closed))


def test_a_red_unit_stays_red_until_its_problems_are_verified_closed():
    codes = ["绿", "黄", "红"]
    states = scoring.green_again([
        quarter(1, "绿"),
        quarter(2, "红", deducting={1, 2}),  # flagged by problems 1 and 2
        quarter(3, "绿", deducting={2}, closed={1}),  # score recovered, 2 still open: held red
        quarter(4, "绿", closed={1}),  # 2 rectified (已整改) but not verified: still red
        quarter(5, "绿", closed={1, 2}),  # both 已销号: 复绿
        quarter(6, "绿", closed={1, 2}),
    ], codes)
    assert [s.code for s in states] == ["绿", "红", "红", "红", "绿", "绿"]
    assert [s.held for s in states] == [False, False, True, True, False, False]
    assert [s.pending for s in states] == [(), (1, 2), (2,), (2,), (), ()]
    assert [s.restored for s in states] == [False, False, False, False, True, False]


def test_a_flag_that_grows_worse_adds_its_problems():
    states = scoring.green_again([quarter(1, "黄", {1}), quarter(2, "红", {1, 3}), quarter(3, "绿", closed={1}),
                                  quarter(4, "黄", {4}, closed={1, 3})], ["绿", "黄", "红"])
    # 黄 by 1, worse to 红 with 3: held red until 1 and 3 are closed; then its score's own 黄, flagged by 4
    assert [(s.code, s.pending) for s in states] == [("黄", (1,)), ("红", (1, 3)), ("红", (3,)), ("黄", (4,))]


def test_colour_history_reads_the_ledgers(con, tmp_path):
    load(con, [row(k, f"F-{k}", severity="严重", deadline="2024-12-31") for k in (1, 2)], tmp_path,
         name="2024Q3台账.xlsx")
    load(con, [row(1, "F-1", "已整改", severity="严重", deadline="2024-12-31"),
               row(2, "F-2", "已销号", severity="严重", deadline="2024-12-31", closed="2024-11-30")], tmp_path,
         name="2024Q4台账.xlsx")
    shown = scoring.colour_history(con, "冶炼厂", Period(2024, 4), cfg=CFG)
    assert shown["period"].tolist() == ["2024Q3", "2024Q4"]
    # Q3: 作风 loses 40; 两个责任: nothing due yet, 销号率 0% → 70 short, capped at 30: .12×40 + .2×30 = 10.8
    # → 89.2 较好 (绿)
    # Q4: nothing open; both on time; 销号率 1/2 = 50% → 20: 100 − .2 × 20 = 96, 绿, never flagged
    assert shown["score"].tolist() == [89.2, 96.0]
    assert shown["code"].tolist() == ["绿", "绿"] and not shown["held"].any()


def test_the_legacy_file_loads_as_three_uncapped_indicators_and_equal_weights():
    legacy = scoring_config(ROOT / "tests" / "data" / "scoring-legacy.toml")
    assert [(i.rule, i.cap) for i in legacy.indicators] == [("severity", None), ("overdue", None),
                                                            ("recurred", None)]
    assert (legacy.severity_points, legacy.overdue_points, legacy.recurred_points) == (
        {"一般": 2, "较重": 4, "严重": 8}, 3, 5)
    assert {d.weight for d in legacy.dimensions} == {1.0}
    assert [g.code for g in legacy.grades] == ["绿", "绿", "黄", "红"] and legacy.grade_limits == ()


BASE = (ROOT / "data" / "scoring.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    ('rule = "overdue"', 'rule = "late"', "指标「逾期扣分」的 rule「late」"),
    ("below = 0.9", "below = 90", "指标「按期整改率」的 below 应在 0 到 1 之间"),
    ("cap = 40", "cap = -1", "指标「逾期扣分」的 points、cap、per_point 不能为负数"),
    ('dimensions = ["落实管党治党两个责任"]', 'dimensions = ["两个责任"]',
     "指标「按期整改率」的 dimensions 中「两个责任」"),
    ('count = "new"', 'count = "all"', "指标「主动发现问题」的 count 应为"),
    ('max_grade = "一般"', 'max_grade = "中"', "max_grade「中」不是已配置的等级"),
    ('code = "黄"', 'code = "橙"', "等级「一般」的 code「橙」"),
    ("weight = 15\n", "weight = -15\n", "维度的 weight 不能为负数"),
    ('points = 8\n', 'points = "八"\n', "指标「逾期扣分」的 points 应为数字"),
], ids=["rule", "below", "cap", "dimensions", "count", "max_grade", "code", "weight", "points"])
def test_a_bad_model_is_refused_naming_the_key(tmp_path, old, new, message):
    assert old in BASE
    path = tmp_path / "scoring.toml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        scoring_config(path)


def test_calibration_on_the_demo(demo_db):
    """The issue's complaint: the demo company was 95.5 好 and 采购部 (22 overdue, 0% 按期整改率) 较好."""
    with derived.reading(demo_db, CFG) as con:
        period = available_periods(con)[-1]
        units = scoring.unit_scores(con, period, cfg=CFG).set_index("unit")
        company = scoring.company_score(con, period, cfg=CFG)
        warned = alerts.warnings(con, period, cfg=CFG)
    proposals = set(warned[(warned["level"] == 3) & (warned["target"] == alerts.PROBLEM)]["unit"])
    assert proposals, "the demo has units warranting a 纪检建议书"
    # no unit warranting a 纪检建议书 for its problems is graded 好 or 较好
    assert not units.loc[sorted(proposals), "grade"].isin(["好", "较好"]).any()
    assert units.loc["采购部", "grade"] == "较差"
    assert set(units["grade"]) == {"好", "较好", "一般", "较差"}  # spread as a real company's
    assert company["grade"] != "好"
