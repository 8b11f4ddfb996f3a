"""Eight-dimension scores: small ledgers whose every score is worked out by hand in the test.

These tests pin the scoring machinery with a scoring.toml written before [[indicators]] (tests/data/
scoring-legacy.toml, the shipped file until the published-style model): it must still load and score as it did —
start 100, floor 0; 一般 2, 较重 4, 严重 8 (blank → 一般); +3 overdue; +5 recurred, no caps; equal dimension
weights; 50% assessed (every 评价方式 alike) where a 评分表 exists. The new model's rules and the shipped defaults
are tested in test_scoring_model.py. Quarter 2024Q3 ends 2024-09-30.
"""

from __future__ import annotations

import dataclasses
import math
import random

import pandas as pd
import pytest

from analytics import derived, scoring
from analytics.config import Indicator, scoring_config
from analytics.metrics import Scope
from analytics.periods import Period
from tests.conftest import HEADER, ROOT, problem_row, write_xlsx
from tests.conftest import load as load_file

CFG = scoring_config(ROOT / "tests" / "data" / "scoring-legacy.toml")
DIMS = CFG.dimension_names
D_POLITICAL, D_STYLE, D_CLEAN = DIMS[0], DIMS[3], DIMS[5]  # 政治建设, 作风建设, 廉洁建设
Q2, Q3 = Period(2024, 2), Period(2024, 3)
MARKED = [*HEADER, "是否复发"]


def row(seq: int, code: str, status: str = "整改中", recurred: str = "否", **kw) -> list:
    """A problem row with a 是否复发 column; category 作风建设 (加强干部作风建设) unless given."""
    return [*problem_row(seq, code, status, **kw), recurred]


def quarter(tmp_path, period: str, *rows, name: str | None = None, header=MARKED):
    return write_xlsx(tmp_path / (name or f"{period}台账.xlsx"), {"台账": [header, *rows]})


def load(con, path, cfg=CFG):
    result = load_file(con, path, cfg=cfg)
    assert result.outcome == "imported", result.message
    return result


def score_sheet(tmp_path, name: str, rows: list[tuple[str, float, str]]):
    """A wide 评分表: every dimension gets the same score for (unit, score, method)."""
    header = ["单位", *DIMS, "评价方式"]
    return write_xlsx(tmp_path / name, {"评分表": [header, *([u, *[s] * len(DIMS), m] for u, s, m in rows)]})


def by_key(frame: pd.DataFrame, column: str = "score") -> dict:
    return {(r.unit, r.dimension): getattr(r, column) for r in frame.itertuples()}


@pytest.fixture
def ledger(con, tmp_path):
    """冶炼厂 with five deducting-or-not problems, 销售部 with only a closed one."""
    load(con, quarter(tmp_path, "2024Q3",
                      row(1, "A-1", deadline="2024-12-31"),  # 一般: 2
                      row(2, "A-2", severity="较重", deadline="2024-08-16", recurred="是"),  # 4 + 3 (45 days) + 5
                      row(3, "A-3", "已销号", severity="严重", closed="2024-09-01"),  # closed: 0
                      row(4, "A-4", "未启动", category="采购", severity="严重", deadline="2024-09-10"),  # 8 + 3
                      row(5, "A-5", category="其他事项", severity="严重", deadline="2024-01-31"),  # 未归类: 0
                      row(6, "A-6", "已整改", category="采购"),  # completed: 0
                      row(7, "B-1", "已销号", unit="销售部", closed="2024-08-01")))
    return con


def test_dimension_scores_by_hand(ledger):
    frame = scoring.dimension_scores(ledger, Q3, cfg=CFG)
    assert list(frame.columns) == list(scoring.DIMENSION_COLUMNS)
    assert list(frame["unit"]) == ["冶炼厂"] * 8 + ["销售部"] * 8
    assert list(frame["dimension"]) == list(DIMS) * 2  # configured order
    smelter = frame[frame["unit"] == "冶炼厂"].set_index("dimension")
    assert smelter.loc[D_STYLE, ["computed", "score", "deduction", "open_problems"]].tolist() == [86, 86, 14, 2]
    assert smelter.loc[D_CLEAN, ["computed", "score", "deduction", "open_problems"]].tolist() == [89, 89, 11, 1]
    assert smelter.loc[D_POLITICAL, ["score", "deduction", "open_problems"]].tolist() == [100, 0, 0]
    assert smelter["assessed"].isna().all()
    assert (smelter.loc[D_STYLE, "grade"], smelter.loc[D_STYLE, "color"]) == ("较好", "#1565C0")
    assert (smelter.loc[D_CLEAN, "grade"], smelter.loc[D_POLITICAL, "grade"]) == ("较好", "好")


def test_unit_without_open_problems_scores_100_everywhere(ledger):
    sales = scoring.dimension_scores(ledger, Q3, cfg=CFG).query("unit == '销售部'")
    assert sales["score"].tolist() == [100.0] * 8 and sales["open_problems"].sum() == 0
    units = scoring.unit_scores(ledger, Q3, cfg=CFG).set_index("unit")
    assert units.loc["销售部", "score"] == 100.0


def test_unit_scores_mean_grade_and_rank(ledger):
    units = scoring.unit_scores(ledger, Q3, cfg=CFG)
    assert list(units.columns) == ["unit", "score", "grade", "color", "rank", *DIMS, "code", "limited_by"]
    assert units["unit"].tolist() == ["销售部", "冶炼厂"]
    assert units["rank"].tolist() == [1, 2]
    smelter = units.iloc[1]
    assert smelter["score"] == 96.9  # (86 + 89 + 6 × 100) / 8 = 96.875
    assert (smelter["grade"], smelter[D_STYLE], smelter[D_CLEAN]) == ("好", 86.0, 89.0)


def test_tied_units_share_a_rank(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", unit="甲"), row(2, "B-1", unit="乙"),
                      row(3, "C-1", "已销号", unit="丙")))
    units = scoring.unit_scores(con, Q3, cfg=CFG)
    assert list(zip(units["unit"], units["rank"], strict=True)) == [("丙", 1), ("乙", 2), ("甲", 2)]


def test_company_score_is_the_mean_of_unit_means(ledger):
    company = scoring.company_score(ledger, Q3, cfg=CFG)
    assert company["dimensions"][D_STYLE] == 93.0  # (86 + 100) / 2
    assert company["dimensions"][D_CLEAN] == 94.5  # (89 + 100) / 2
    assert list(company["dimensions"]) == list(DIMS)
    assert company["score"] == 98.4  # (93 + 94.5 + 6 × 100) / 8 = 98.4375
    assert (company["grade"], company["color"]) == ("好", "#2E7D32")


def test_score_deductions_explain_the_score(ledger):
    why = scoring.score_deductions(ledger, Q3, "冶炼厂", cfg=CFG)
    assert list(why.columns) == list(scoring.DEDUCTION_COLUMNS)
    assert why["problem_code"].tolist() == ["A-2", "A-4", "A-1"]  # most points first
    assert why["points"].tolist() == [12, 11, 2]
    assert why["rule"].tolist() == [
        "未整改完成，问题性质较重 扣4分；已逾期 45 天 加扣3分；改而复发 加扣5分",
        "未整改完成，问题性质严重 扣8分；已逾期 20 天 加扣3分",
        "未整改完成，问题性质一般 扣2分",
    ]
    assert why["days_overdue"].tolist() == [45, 20, 0]
    assert why["recurred"].tolist() == [True, False, False]
    first = why.iloc[0]
    assert (first["severity_points"], first["overdue_points"], first["recurred_points"]) == (4, 3, 5)
    assert why["points"].sum() == 100 - 86 + 100 - 89  # the dimension deductions, nothing else
    only_clean = scoring.score_deductions(ledger, Q3, "冶炼厂", D_CLEAN, cfg=CFG)
    assert only_clean["problem_code"].tolist() == ["A-4"]
    assert scoring.score_deductions(ledger, Q3, "销售部", cfg=CFG).empty


def test_blank_severity_counts_as_the_default(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", severity=None, deadline="2024-12-31")))
    why = scoring.score_deductions(con, Q3, "冶炼厂", cfg=CFG)
    assert (why.loc[0, "severity"], why.loc[0, "points"]) == ("一般", 2)
    assert why.loc[0, "rule"] == "未整改完成，问题性质未填（按一般）扣2分"


def test_deadline_on_the_period_end_or_missing_is_not_overdue(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", deadline="2024-09-30"), row(2, "A-2", deadline=None)))
    why = scoring.score_deductions(con, Q3, "冶炼厂", cfg=CFG)
    assert why["points"].tolist() == [2, 2] and why["days_overdue"].tolist() == [0, 0]
    assert by_key(scoring.dimension_scores(con, Q3, cfg=CFG))["冶炼厂", D_STYLE] == 96


def test_unclassified_problems_deduct_nothing(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", category="其他事项", severity="严重", deadline="2024-01-31",
                                              recurred="是")))
    scores = scoring.dimension_scores(con, Q3, cfg=CFG)
    assert scores["score"].tolist() == [100.0] * 8 and scores["open_problems"].sum() == 0
    assert CFG.unclassified not in set(scores["dimension"])
    assert scoring.score_deductions(con, Q3, "冶炼厂", cfg=CFG).empty


def test_score_never_falls_below_the_floor(con, tmp_path):
    rows = [row(i, f"A-{i}", severity="严重", deadline="2024-01-31", recurred="是") for i in range(1, 8)]
    load(con, quarter(tmp_path, "2024Q3", *rows))  # 7 × (8 + 3 + 5) = 112
    style = scoring.dimension_scores(con, Q3, cfg=CFG).set_index("dimension").loc[D_STYLE]
    assert (style["computed"], style["score"], style["deduction"], style["open_problems"]) == (0, 0, 112, 7)
    assert style["grade"] == "较差"
    assert scoring.unit_scores(con, Q3, cfg=CFG).loc[0, "score"] == 87.5  # (0 + 7 × 100) / 8


def test_closed_without_a_date_deducts_nothing(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", "已销号", closed=None, deadline="2024-01-31")))
    assert scoring.dimension_scores(con, Q3, cfg=CFG)["score"].tolist() == [100.0] * 8


def test_assessments_are_combined_half_and_half(ledger, tmp_path):
    load(ledger, score_sheet(tmp_path, "2024年第三季度政治生态评分表.xlsx",
                             [("冶炼厂", 80, "纪委评价"), ("冶炼厂", 90, "自评"), ("财务部", 70, "纪委评价")]))
    scores = scoring.dimension_scores(ledger, Q3, cfg=CFG)
    style = scores.set_index(["unit", "dimension"]).loc[("冶炼厂", D_STYLE)]
    assert (style["computed"], style["assessed"], style["score"]) == (86, 85, 85.5)  # 0.5 × 86 + 0.5 × (80 + 90) / 2
    combined = by_key(scores)
    assert combined["冶炼厂", D_CLEAN] == 87.0  # 0.5 × 89 + 0.5 × 85
    assert combined["冶炼厂", D_POLITICAL] == 92.5
    assert combined["财务部", D_STYLE] == 85.0  # a unit only in the 评分表: 0.5 × 100 + 0.5 × 70
    assert scores.query("unit == '销售部'")["assessed"].isna().all()  # no assessment: computed only
    units = scoring.unit_scores(ledger, Q3, cfg=CFG).set_index("unit")
    assert units.loc["冶炼厂", "score"] == 90.9  # (85.5 + 87 + 6 × 92.5) / 8 = 90.9375
    weighted = dataclasses.replace(CFG, assessment_weight=0.25)
    assert by_key(scoring.dimension_scores(ledger, Q3, cfg=weighted))["冶炼厂", D_CLEAN] == 88.0  # .75 × 89 + .25 × 85


def test_latest_import_of_each_method_wins(ledger, tmp_path):
    load(ledger, score_sheet(tmp_path, "2024年第三季度政治生态评分表.xlsx",
                             [("冶炼厂", 80, "纪委评价"), ("冶炼厂", 90, "自评")]))
    load(ledger, score_sheet(tmp_path, "2024年第三季度政治生态评分表（修订）.xlsx", [("冶炼厂", 70, "纪委评价")]))
    scores = scoring.dimension_scores(ledger, Q3, cfg=CFG).set_index(["unit", "dimension"])
    assert scores.loc[("冶炼厂", D_POLITICAL), "assessed"] == 80  # (70 + 90) / 2: the earlier 80 is replaced
    assert scores.loc[("冶炼厂", D_POLITICAL), "score"] == 90


def test_assessments_of_another_quarter_are_ignored(ledger, tmp_path):
    load(ledger, score_sheet(tmp_path, "2024年第二季度政治生态评分表.xlsx", [("冶炼厂", 50, "纪委评价")]))
    assert scoring.dimension_scores(ledger, Q3, cfg=CFG)["assessed"].isna().all()


def test_empty_period_gives_empty_frames_and_no_company_score(ledger):
    empty = Period(2023, 1)
    assert scoring.dimension_scores(ledger, empty, cfg=CFG).empty
    assert list(scoring.dimension_scores(ledger, empty, cfg=CFG).columns) == list(scoring.DIMENSION_COLUMNS)
    assert list(scoring.unit_scores(ledger, empty, cfg=CFG).columns) == ["unit", "score", "grade", "color", "rank",
                                                                         *DIMS, "code", "limited_by"]
    no_score = {"score": None, "grade": None, "color": None, "code": None, "dimensions": {}}
    assert scoring.company_score(ledger, empty, cfg=CFG) == no_score
    assert list(scoring.score_deductions(ledger, empty, "冶炼厂", cfg=CFG).columns) == list(scoring.DEDUCTION_COLUMNS)


def test_a_database_without_any_ledger(con):
    assert scoring.dimension_scores(con, Q3, cfg=CFG).empty and scoring.unit_scores(con, Q3, cfg=CFG).empty
    assert scoring.company_score(con, Q3, cfg=CFG)["score"] is None
    assert scoring.score_deductions(con, Q3, "冶炼厂", cfg=CFG).empty
    history = scoring.score_history(con, cfg=CFG)
    assert history.empty and list(history.columns) == list(scoring.HISTORY_COLUMNS)


def test_score_history_over_quarters(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q2", row(1, "A-1", deadline="2024-06-30")))  # due on Q2's end: 2
    load(con, quarter(tmp_path, "2024Q3", row(2, "B-1", "已销号", unit="销售部")))  # A-1 carried, now overdue: 5
    history = scoring.score_history(con, cfg=CFG)
    assert list(history.columns) == list(scoring.HISTORY_COLUMNS)
    assert history["period"].unique().tolist() == ["2024Q2", "2024Q3"]
    assert len(history) == 8 + 16  # Q2: 冶炼厂; Q3: 冶炼厂 and 销售部
    style = history[(history["unit"] == "冶炼厂") & (history["dimension"] == D_STYLE)]
    assert style["score"].tolist() == [98.0, 95.0]
    for period in (Q2, Q3):  # the same figures as the per-quarter function
        one = scoring.dimension_scores(con, period, cfg=CFG)
        assert history[history["period"] == str(period)]["score"].tolist() == one["score"].tolist()


def test_scope_filters_units_sources_and_dimensions(ledger):
    only_smelter = scoring.unit_scores(ledger, Q3, Scope(units=("冶炼厂",)), cfg=CFG)
    assert only_smelter["unit"].tolist() == ["冶炼厂"]
    audit = scoring.dimension_scores(ledger, Q3, Scope(sources=("审计",)), cfg=CFG)  # every problem came from 巡察
    assert set(audit["unit"]) == {"冶炼厂", "销售部"} and audit["score"].eq(100).all()
    two = scoring.unit_scores(ledger, Q3, Scope(dimensions=(D_STYLE, D_CLEAN)), cfg=CFG)
    assert list(two.columns) == ["unit", "score", "grade", "color", "rank", D_STYLE, D_CLEAN, "code", "limited_by"]
    assert two.set_index("unit").loc["冶炼厂", "score"] == 87.5  # (86 + 89) / 2


def test_a_different_config_changes_the_result(ledger):
    cfg = dataclasses.replace(CFG, indicators=(
        Indicator("问题扣分", "severity", severity_points=(("一般", 1.0), ("较重", 6.0), ("严重", 10.0))),
        Indicator("逾期扣分", "overdue", points=0.0), Indicator("复发扣分", "recurred", points=20.0),
    ), start=50.0, floor=30.0)
    derived.bring_up_to_date(ledger, cfg)  # as the page or the CLI does with the configuration it read
    scores = by_key(scoring.dimension_scores(ledger, Q3, cfg=cfg))
    assert scores["冶炼厂", D_STYLE] == 30.0  # 50 − (1 + 6 + 20) = 23, floored at 30
    assert scores["冶炼厂", D_CLEAN] == 40.0  # 50 − 10
    assert scores["销售部", D_POLITICAL] == 50.0
    why = scoring.score_deductions(ledger, Q3, "冶炼厂", cfg=cfg)
    assert why.loc[0, "rule"] == "未整改完成，问题性质较重 扣6分；已逾期 45 天 加扣0分；改而复发 加扣20分"
    blank_default = dataclasses.replace(CFG, default_severity="严重")
    assert scoring.score_deductions(ledger, Q3, "冶炼厂", cfg=blank_default)["points"].sum() == 25  # none blank


# ---- properties over seeded random ledgers -------------------------------------------------------------------

UNITS = ("甲厂", "乙部", "丙部")
CATEGORIES = ("作风建设", "采购", "选人用人", "其他事项", "两个维护")
STATUSES = ("未启动", "整改中", "长期整改", "已整改", "已销号")
DEADLINES = (None, "2024-03-31", "2024-09-30", "2024-10-15", "2025-06-30")


def random_row(rng: random.Random, seq: int, status: str | None = None) -> list:
    return row(seq, f"R-{seq}", status or rng.choice(STATUSES), recurred=rng.choice(("是", "否", "否")),
               unit=rng.choice(UNITS), category=rng.choice(CATEGORIES),
               severity=rng.choice(("一般", "较重", "严重", None)), deadline=rng.choice(DEADLINES))


def all_scores(con) -> dict:
    dims = by_key(scoring.dimension_scores(con, Q3, cfg=CFG))
    units = scoring.unit_scores(con, Q3, cfg=CFG)
    totals = {(u, None): s for u, s in zip(units["unit"], units["score"], strict=True)}
    return dims | totals | {(None, None): scoring.company_score(con, Q3, cfg=CFG)["score"]}


@pytest.mark.parametrize("seed", range(6))
def test_adding_an_open_problem_never_raises_a_score(con, tmp_path, seed):
    rng = random.Random(seed)
    rows = [random_row(rng, i) for i in range(1, rng.randint(2, 8))]
    load(con, quarter(tmp_path, "2024Q3", *rows, name="2024Q3-a.xlsx"))
    before = all_scores(con)
    extra = random_row(rng, 99, rng.choice(("未启动", "整改中", "长期整改")))
    extra[5] = rng.choice([r[5] for r in rows])  # an existing unit, so that the company mean is comparable
    load(con, quarter(tmp_path, "2024Q3", extra, name="2024Q3-b.xlsx"))
    after = all_scores(con)
    assert all(after[k] <= before[k] for k in before), (before, after)


@pytest.mark.parametrize("seed", range(6))
def test_closing_a_problem_never_lowers_a_score(con, tmp_path, seed):
    rng = random.Random(100 + seed)
    rows = [random_row(rng, i) for i in range(1, rng.randint(2, 8))]
    load(con, quarter(tmp_path, "2024Q3", *rows, name="2024Q3-a.xlsx"))
    before = all_scores(con)
    closed = list(rng.choice(rows))
    closed[9] = "已销号"
    load(con, quarter(tmp_path, "2024Q3", closed, name="2024Q3-b.xlsx"))
    after = all_scores(con)
    assert after.keys() == before.keys()
    assert all(after[k] >= before[k] for k in before), (before, after)


@pytest.mark.parametrize("seed", range(6))
def test_every_score_lies_between_floor_and_start(con, tmp_path, seed):
    rng = random.Random(200 + seed)
    rows = [random_row(rng, i) for i in range(1, 9)]
    rows += [random_row(rng, i, "整改中") for i in range(9, 9 + rng.randint(0, 12))]
    load(con, quarter(tmp_path, "2024Q3", *rows))
    cfg = dataclasses.replace(CFG, floor=rng.choice((0.0, 40.0, 90.0)))
    frame = scoring.dimension_scores(con, Q3, cfg=cfg)
    for column in ("computed", "score"):
        assert frame[column].between(cfg.floor, cfg.start).all()
    assert (frame["deduction"] >= 0).all()
    assert scoring.unit_scores(con, Q3, cfg=cfg)["score"].between(cfg.floor, cfg.start).all()
    company = scoring.company_score(con, Q3, cfg=cfg)["score"]
    assert cfg.floor <= company <= cfg.start and not math.isnan(company)


@pytest.mark.parametrize("seed", range(4))
def test_deductions_listed_add_up_to_the_score(con, tmp_path, seed):
    """The scores (summed per severity in problem_cube) and 扣分明细 (per problem) never disagree."""
    rng = random.Random(400 + seed)
    load(con, quarter(tmp_path, "2024Q3", *(random_row(rng, i) for i in range(1, rng.randint(4, 14)))))
    for r in scoring.dimension_scores(con, Q3, cfg=CFG).itertuples():
        why = scoring.score_deductions(con, Q3, r.unit, r.dimension, cfg=CFG)
        assert (why["points"].sum(), len(why)) == (r.deduction, r.open_problems)


def test_stored_score_grid_gives_the_scores_computed_from_the_cube(ledger, tmp_path):
    """score_grid (read without a source filter) and problem_cube (read with one, since the grid keeps no source)
    give the same scores when the filter names every source."""
    sheet = score_sheet(tmp_path, "2024年第三季度评分表.xlsx", [("冶炼厂", 80, "纪委评价"), ("机关", 70, "纪委评价")])
    load(ledger, sheet)
    every_source = tuple(r[0] for r in ledger.execute("SELECT DISTINCT source FROM problem_state").fetchall())
    scopes = [Scope(), Scope(units=("冶炼厂",)), Scope(within=("销售部",)), Scope(dimensions=(D_STYLE, D_CLEAN))]

    def raw(scope: Scope) -> list[pd.DataFrame]:
        return [scoring.raw_scores(ledger, scope=scope, cfg=CFG), scoring.raw_scores(ledger, Q2, Q3, scope, cfg=CFG)]

    stored = [frame for s in scopes for frame in raw(s)]
    computed = [frame for s in scopes for frame in raw(dataclasses.replace(s, sources=every_source))]
    for a, b in zip(stored, computed, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert set(stored[4]["unit"]) == {"销售部"}  # the grid honours Scope.within
