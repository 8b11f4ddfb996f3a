"""Deadline bands, warning tiers, the 会商 agenda and 回头看, on small ledgers worked out by hand.

Defaults (data/scoring.toml): bands at 20 / 10 days; 工作提醒函 due within 20 days or overdue ≤ 30;
工作督办单 overdue > 30 or ≥ 3 open problems of a unit in one dimension; 纪检建议书 recurred, overdue > 90
or a unit graded 较差. Quarter 2024Q3 ends 2024-09-30.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random

import pandas as pd
import pytest

from analytics import alerts, derived, scoring
from analytics.db import connect
from analytics.metrics import Scope
from analytics.periods import Period
from tests.test_scoring import CFG, load, quarter, random_row, row

DIMS = CFG.dimension_names
D_CADRES, D_STYLE, D_CLEAN = DIMS[2], DIMS[3], DIMS[5]  # 选人用人, 作风建设, 廉洁建设
Q3 = Period(2024, 3)
RED, YELLOW, GREEN = alerts.BAND_COLORS


@pytest.fixture
def ledger(con, tmp_path):
    load(con, quarter(
        tmp_path, "2024Q3",
        row(1, "P1", unit="采购部", category="采购", deadline="2024-10-15"),  # 15 days left
        row(2, "P2", unit="采购部", category="采购", deadline="2024-10-05"),  # 5 days left
        row(3, "P3", unit="采购部", category="采购", deadline="2024-09-30"),  # due on the period end: 0 left
        row(4, "P4", unit="采购部", category="采购", deadline="2024-09-10"),  # 20 days overdue
        row(5, "P5", deadline="2024-07-31"),  # 冶炼厂, 作风建设: 61 days overdue
        row(6, "P6", deadline="2024-06-01", severity="严重"),  # 121 days overdue
        row(7, "P7", category="选人用人", deadline=None, recurred="是"),  # recurred, no deadline
        row(8, "P8", unit="销售部", deadline="2024-10-25"),  # 25 days left: not yet
        row(9, "P9", "已销号", unit="销售部", deadline="2024-01-31", closed="2024-08-01"),
        row(10, "P10", "长期整改", unit="销售部", deadline=None),
    ))
    return con


def ids(con) -> dict[str, int]:
    return dict(con.execute("SELECT DISTINCT problem_code, problem_id FROM problem_state").fetchall())


def test_deadline_bands(ledger):
    bands = alerts.deadline_bands(ledger, Q3, cfg=CFG)
    assert list(bands.columns) == list(alerts.BAND_COLUMNS)
    assert bands["problem_code"].tolist() == ["P6", "P5", "P4", "P3", "P2", "P1"]  # most overdue first
    assert bands["days_left"].tolist() == [-121, -61, -20, 0, 5, 15]
    assert bands["band"].tolist() == ["逾期"] * 3 + ["10天内到期"] * 2 + ["20天内到期"]
    assert bands["band_color"].tolist() == [RED] * 3 + [YELLOW] * 2 + [GREEN]
    assert bands.loc[0, "deadline"] == pd.Timestamp("2024-06-01") and bands.loc[0, "owner"] == "张三"


def test_warnings_by_hand(ledger):
    found = alerts.warnings(ledger, Q3, cfg=CFG)
    assert list(found.columns) == list(alerts.WARNING_COLUMNS)
    got = [(r.tier, r.level, r.target, r.unit, None if pd.isna(r.problem_code) else r.problem_code, r.rule)
           for r in found.itertuples()]
    assert got == [
        ("纪检建议书", 3, "问题", "冶炼厂", "P6", "已逾期 121 天，超过 90 天"),  # not also a 督办单
        ("纪检建议书", 3, "问题", "冶炼厂", "P7", "整改后又复发"),
        ("工作督办单", 2, "问题", "冶炼厂", "P5", "已逾期 61 天，超过 30 天"),
        ("工作督办单", 2, "单位", "采购部", None, f"单位「采购部」在「{D_CLEAN}」维度有 4 个未完成问题（≥3）"),
        ("工作提醒函", 1, "问题", "采购部", "P4", "已逾期 20 天，未超过 30 天"),
        ("工作提醒函", 1, "问题", "采购部", "P3", "今日到期（20 天内到期）"),
        ("工作提醒函", 1, "问题", "采购部", "P2", "距整改时限还有 5 天（20 天内到期）"),
        ("工作提醒函", 1, "问题", "采购部", "P1", "距整改时限还有 15 天（20 天内到期）"),
    ]
    figures = found["figure"].tolist()
    assert figures[0] == 121 and pd.isna(figures[1]) and figures[2:] == [61, 4, 20, 0, -5, -15]
    unit_row = found.iloc[3]
    assert pd.isna(unit_row["problem_id"]) and pd.isna(unit_row["description"]) and unit_row["dimension"] == D_CLEAN
    assert found.iloc[0]["problem_id"] == ids(ledger)["P6"]


def test_warning_counts(ledger):
    assert alerts.warning_counts(ledger, Q3, cfg=CFG) == {"工作提醒函": 4, "工作督办单": 2, "纪检建议书": 2}


def test_recurred_and_long_overdue_name_both_rules(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "R-1", deadline="2024-06-01", recurred="是")))
    assert alerts.warnings(con, Q3, cfg=CFG)["rule"].tolist() == ["已逾期 121 天，超过 90 天；整改后又复发"]


def test_a_unit_graded_poor_gets_a_proposal(con, tmp_path):
    rows = [row(7 * k + i, f"{category}-{i}", unit="采购部", category=category, severity="严重",
                deadline="2024-01-31", recurred="是")
            for k, category in enumerate(("作风建设", "采购", "选人用人")) for i in range(7)]
    load(con, quarter(tmp_path, "2024Q3", *rows))  # three dimensions at the floor: (3 × 0 + 5 × 100) / 8 = 62.5
    found = alerts.warnings(con, Q3, cfg=CFG)
    unit_rows = found[(found["target"] == "单位") & (found["level"] == 3)]
    assert unit_rows[["tier", "unit", "rule", "figure"]].values.tolist() == [
        ["纪检建议书", "采购部", "单位综合得分 62.5，评为较差", 62.5]]
    assert alerts.warning_counts(con, Q3, cfg=CFG)["纪检建议书"] == 21 + 1
    agenda = alerts.meeting_agenda(con, Q3, cfg=CFG)  # the unit first; five of the 21 problems each way; concentrations
    assert agenda["kind"].tolist() == ["较差单位"] + ["逾期问题"] * 5 + ["复发问题"] * 5 + ["问题集中单位"] * 3
    poor = agenda.iloc[0]
    assert (poor["topic"], poor["reason"]) == ("采购部政治生态评为较差", "单位综合得分 62.5，评为较差")
    assert poor["figures"] == f"综合得分 62.5；最低维度「{D_CADRES}」0.0 分"


def test_meeting_agenda_by_hand(ledger):
    agenda = alerts.meeting_agenda(ledger, Q3, cfg=CFG)
    assert list(agenda.columns) == list(alerts.AGENDA_COLUMNS)
    assert agenda["rank"].tolist() == [1, 2, 3, 4, 5]
    assert agenda["kind"].tolist() == ["逾期问题"] * 3 + ["复发问题", "问题集中单位"]
    pid = ids(ledger)
    assert agenda["problem_id"].tolist()[:4] == [pid["P6"], pid["P5"], pid["P4"], pid["P7"]]
    first = agenda.iloc[0]
    assert first["topic"] == "逾期未整改：P6 问题描述P6"
    assert first["reason"] == "已逾期 121 天，逾期时间居本期第 1 位"
    assert first["figures"] == "逾期 121 天；责任单位 冶炼厂；问题性质 严重"
    assert agenda.iloc[3]["figures"] == "责任单位 冶炼厂；问题性质 一般"
    last = agenda.iloc[4]
    assert (last["unit"], last["dimension"]) == ("采购部", D_CLEAN) and pd.isna(last["problem_id"])
    assert last["figures"] == "未完成问题 4 个；其中逾期 1 个"


def test_agenda_limits_come_from_config(ledger):
    short = alerts.meeting_agenda(ledger, Q3, cfg=dataclasses.replace(CFG, agenda_max_items=2))
    assert short["topic"].tolist() == ["逾期未整改：P6 问题描述P6", "逾期未整改：P5 问题描述P5"]
    one = alerts.meeting_agenda(ledger, Q3, cfg=dataclasses.replace(CFG, agenda_top_overdue=1))
    assert one["kind"].tolist() == ["逾期问题", "复发问题", "问题集中单位"]


def test_agenda_and_warnings_from_what_the_page_has_equal_computing_alone(ledger):
    for scope, cfg in ((Scope(), CFG), (Scope(within=("采购部",)), dataclasses.replace(CFG, agenda_max_items=2))):
        raw = scoring.raw_scores(ledger, Q3.previous(), Q3, scope, cfg=cfg)
        units = scoring.rank_units(scoring.one_quarter(raw, Q3), scope, cfg=cfg)
        concentrated = alerts.concentrations(ledger, Q3, scope, cfg=cfg)
        given = alerts.meeting_agenda(ledger, Q3, scope, cfg=cfg, raw=raw, units=units, concentrated=concentrated)
        pd.testing.assert_frame_equal(given, alerts.meeting_agenda(ledger, Q3, scope, cfg=cfg))
        rows, counts = alerts.warnings_and_counts(ledger, Q3, scope, cfg=cfg, limit=3, per_tier=True,
                                                  concentrated=concentrated)
        alone = alerts.warnings_and_counts(ledger, Q3, scope, cfg=cfg, limit=3, per_tier=True)
        pd.testing.assert_frame_equal(rows, alone[0])
        assert counts == alone[1]


def test_a_recurred_problem_among_the_most_overdue_is_raised_once(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q3", row(1, "R-1", deadline="2024-06-01", recurred="是")))
    agenda = alerts.meeting_agenda(con, Q3, cfg=CFG)
    assert agenda["kind"].tolist() == ["逾期问题"]
    assert agenda.loc[0, "figures"] == "逾期 121 天；责任单位 冶炼厂；问题性质 一般；改而复发"


def test_agenda_raises_a_dimension_getting_worse(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q2", row(1, "A-1", deadline="2024-12-31")))
    load(con, quarter(tmp_path, "2024Q3", row(2, "A-2", deadline="2024-12-31")))  # A-1 still open
    agenda = alerts.meeting_agenda(con, Q3, cfg=CFG)
    assert agenda[["kind", "topic", "reason", "figures", "dimension"]].values.tolist() == [[
        "维度恶化", f"「{D_STYLE}」维度较上季度恶化", "较2024年第二季度，未完成问题增加、维度得分下降",
        "未完成问题 1 → 2 个；公司维度得分 98.0 → 96.0", D_STYLE]]


def test_no_dimension_worsens_when_things_improve(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q2", row(1, "A-1", deadline="2024-12-31")))
    load(con, quarter(tmp_path, "2024Q3", row(1, "A-1", "已销号", deadline="2024-12-31")))
    agenda = alerts.meeting_agenda(con, Q3, cfg=CFG)
    assert agenda.empty and list(agenda.columns) == list(alerts.AGENDA_COLUMNS)


def test_thresholds_come_from_config(ledger):
    cfg = dataclasses.replace(CFG, notice_days=5, urgent_days=2, reminder_max_overdue=10, supervision_overdue=10,
                              proposal_overdue=60, concentration_open=5)
    derived.bring_up_to_date(ledger, cfg)  # as the page or the CLI does with the configuration it read
    bands = alerts.deadline_bands(ledger, Q3, cfg=cfg)
    assert bands["band"].tolist() == ["逾期"] * 3 + ["2天内到期", "5天内到期"]  # P1 (15 days left) drops out
    found = alerts.warnings(ledger, Q3, cfg=cfg)
    assert found[["problem_code", "tier", "rule"]].values.tolist() == [
        ["P6", "纪检建议书", "已逾期 121 天，超过 60 天"],
        ["P5", "纪检建议书", "已逾期 61 天，超过 60 天"],
        ["P7", "纪检建议书", "整改后又复发"],
        ["P4", "工作督办单", "已逾期 20 天，超过 10 天"],
        ["P3", "工作提醒函", "今日到期（5 天内到期）"],
        ["P2", "工作提醒函", "距整改时限还有 5 天（5 天内到期）"],
    ]
    assert alerts.warning_counts(ledger, Q3, cfg=cfg) == {"工作提醒函": 2, "工作督办单": 1, "纪检建议书": 3}


def test_scope_limits_every_list(ledger):
    buying = Scope(units=("采购部",))
    assert set(alerts.deadline_bands(ledger, Q3, buying, cfg=CFG)["unit"]) == {"采购部"}
    assert set(alerts.warnings(ledger, Q3, buying, cfg=CFG)["unit"]) == {"采购部"}
    assert alerts.warning_counts(ledger, Q3, buying, cfg=CFG) == {"工作提醒函": 4, "工作督办单": 1, "纪检建议书": 0}
    assert alerts.meeting_agenda(ledger, Q3, Scope(dimensions=(D_CADRES,)), cfg=CFG)["kind"].tolist() == ["复发问题"]


@pytest.mark.parametrize("empty_period", [Period(2023, 1), Period(2030, 4)])
def test_an_empty_period(ledger, empty_period):
    for frame, columns in ((alerts.deadline_bands(ledger, empty_period, cfg=CFG), alerts.BAND_COLUMNS),
                           (alerts.warnings(ledger, empty_period, cfg=CFG), alerts.WARNING_COLUMNS),
                           (alerts.meeting_agenda(ledger, empty_period, cfg=CFG), alerts.AGENDA_COLUMNS),
                           (alerts.lookback_sample(ledger, empty_period, cfg=CFG), alerts.LOOKBACK_COLUMNS)):
        assert frame.empty and list(frame.columns) == list(columns)
    assert alerts.warning_counts(ledger, empty_period, cfg=CFG) == {"工作提醒函": 0, "工作督办单": 0, "纪检建议书": 0}


def test_a_database_without_any_ledger(con):
    assert alerts.deadline_bands(con, Q3, cfg=CFG).empty and alerts.warnings(con, Q3, cfg=CFG).empty
    assert alerts.meeting_agenda(con, Q3, cfg=CFG).empty and alerts.lookback_sample(con, Q3, cfg=CFG).empty
    assert sum(alerts.warning_counts(con, Q3, cfg=CFG).values()) == 0


@pytest.mark.parametrize("seed", range(6))
def test_warning_counts_match_the_warning_rows(con, tmp_path, seed):
    rng = random.Random(300 + seed)
    load(con, quarter(tmp_path, "2024Q3", *(random_row(rng, i) for i in range(1, rng.randint(3, 16)))))
    cfg = dataclasses.replace(CFG, concentration_open=rng.choice((1, 2, 3)), proposal_grade=rng.choice(("好", "较差")))
    found, counts = alerts.warnings(con, Q3, cfg=cfg), alerts.warning_counts(con, Q3, cfg=cfg)
    assert sum(counts.values()) == len(found)
    assert counts == {tier: int((found["tier"] == tier).sum()) for tier in alerts.TIERS}
    problems = found["problem_id"].dropna()
    assert problems.is_unique  # a problem gets only its highest tier


def tier_by_the_rule(days_overdue: int | None, recurred: bool, cfg) -> int | None:
    """DOMAIN.md's tiers for one open problem, in days (None: no deadline): what the SQL compares as dates."""
    overdue = days_overdue is not None and days_overdue > 0
    if recurred or (overdue and days_overdue > cfg.proposal_overdue):
        return 3
    if overdue and days_overdue > cfg.supervision_overdue:
        return 2
    if days_overdue is not None and -cfg.notice_days <= days_overdue <= cfg.reminder_max_overdue:
        return 1
    return None


@pytest.mark.parametrize("thresholds", [(20, 30, 30, 90), (10, 45, 20, 60), (0, 0, 0, 0), (30, 10, 50, 40)])
def test_each_problem_gets_the_tier_its_days_overdue_give_on_every_boundary(con, tmp_path, thresholds):
    notice, reminder, supervision, proposal = thresholds
    cfg = dataclasses.replace(CFG, notice_days=notice, reminder_max_overdue=reminder, supervision_overdue=supervision,
                              proposal_overdue=proposal, concentration_open=10**6)  # no unit × dimension rows
    # deadlines on every threshold and a day either side, none; open and completed; recurred or not
    offsets = sorted({d + e for d in (-notice, 0, reminder, supervision, proposal) for e in (-1, 0, 1)})
    cases = [(days, status, recurred) for days in [*offsets, None] for status in ("整改中", "长期整改", "已整改")
             for recurred in ("否", "是")]
    load(con, quarter(tmp_path, "2024Q3", *(
        row(i, f"T-{i}", status, recurred=recurred, unit="采购部",
            deadline=None if days is None else str(Q3.end - dt.timedelta(days=days)))
        for i, (days, status, recurred) in enumerate(cases, start=1))), cfg=cfg)
    expected = {f"T-{i}": tier_by_the_rule(days, recurred == "是", cfg)
                for i, (days, status, recurred) in enumerate(cases, start=1) if status != "已整改"}
    found = alerts.warnings(con, Q3, cfg=cfg)
    problems = found[found["target"] == alerts.PROBLEM]
    assert dict(zip(problems["problem_code"], problems["level"], strict=True)) == {
        code: tier for code, tier in expected.items() if tier is not None}
    counted = {tier: int((found["tier"] == tier).sum()) for tier in alerts.TIERS}
    assert alerts.warning_counts(con, Q3, cfg=cfg) == counted
    # deadline bands on the same boundaries: due within notice_days (days left = −days overdue), or overdue
    bands = alerts.deadline_bands(con, Q3, cfg=cfg)
    problem_id = ids(con)
    due = sorted((-days, problem_id[f"T-{i}"], i) for i, (days, status, _) in enumerate(cases, start=1)
                 if status != "已整改" and days is not None and -days <= cfg.notice_days)  # most overdue first, then id
    assert bands["problem_code"].tolist() == [f"T-{i}" for *_, i in due]
    assert bands["band"].tolist() == [alerts.band_labels(cfg)[0 if left < 0 else 1 if left <= cfg.urgent_days else 2]
                                      for left, *_ in due]
    assert alerts.deadline_band_count(con, Q3, cfg=cfg) == len(due)


# ---- 回头看 -------------------------------------------------------------------------------------------------

@pytest.fixture
def closed_ledger(con, tmp_path):
    rows = [row(i, f"C-{i}", "已销号", closed=f"2024-07-0{i}") for i in range(1, 8)]
    rows += [row(8, "C-8", "已销号", closed=None),  # closed without a date
             row(9, "O-1"), row(10, "D-1", "已整改", closed="2024-08-01")]  # open; completed but not closed
    load(con, quarter(tmp_path, "2024Q3", *rows))
    return con


def md5_order(con, seed: int, size: int) -> list[int]:
    """The sample by hand: closed problems ordered by md5("seed:id") read as a little-endian number."""
    closed = [r[0] for r in con.execute("SELECT problem_id FROM problem_state WHERE status = '已销号'").fetchall()]
    digest = {i: int.from_bytes(hashlib.md5(f"{seed}:{i}".encode()).digest(), "little") for i in closed}
    return sorted(closed, key=lambda i: (digest[i], i))[:size]


def test_lookback_sample_is_reproducible_and_seed_dependent(closed_ledger):
    def sample(seed: int) -> pd.DataFrame:
        cfg = dataclasses.replace(CFG, lookback_seed=seed)
        derived.bring_up_to_date(closed_ledger, cfg)  # the 回头看 order follows the configured seed
        return alerts.lookback_sample(closed_ledger, Q3, size=3, cfg=cfg)

    first = sample(7)
    assert list(first.columns) == list(alerts.LOOKBACK_COLUMNS)
    assert first["problem_id"].tolist() == md5_order(closed_ledger, 7, 3)  # md5: stable across DuckDB versions
    assert sample(7).equals(first)
    samples = {tuple(sample(s)["problem_id"]) for s in range(10)}
    assert len(samples) > 1
    assert set(first["problem_code"]) <= {f"C-{i}" for i in range(1, 9)}  # only 已销号


def test_lookback_sample_never_exceeds_what_exists(closed_ledger):
    assert len(alerts.lookback_sample(closed_ledger, Q3, size=100, cfg=CFG)) == 8
    assert len(alerts.lookback_sample(closed_ledger, Q3, cfg=CFG)) == min(CFG.lookback_size, 8)
    assert alerts.lookback_sample(closed_ledger, Q3, size=0, cfg=CFG).empty
    default = alerts.lookback_sample(closed_ledger, Q3, size=8, cfg=CFG)
    assert default["problem_id"].tolist() == md5_order(closed_ledger, CFG.lookback_seed, 8)


def test_lookback_of_a_problem_closed_without_a_date(closed_ledger):
    sample = alerts.lookback_sample(closed_ledger, Q3, size=8, cfg=CFG).set_index("problem_code")
    assert sample.loc["C-8", "closed_date"] == pd.Timestamp("2024-09-30")  # the quarter it was reported closed
    assert sample.loc["C-8", "checks"].startswith("销号时间未填，核实销号依据；")
    assert sample.loc["C-1", "closed_date"] == pd.Timestamp("2024-07-01")
    assert sample.loc["C-1", "checks"] == alerts.LOOKBACK_CHECKS


def test_warnings_by_tier_are_each_tiers_first_rows(demo_db):
    con = connect(demo_db, read_only=True)
    period = Period(2025, 2)
    by_tier = alerts.warnings_by_tier(con, period, limit=3, cfg=CFG)
    for tier in alerts.TIERS:
        full = alerts.warnings(con, period, tier=tier, cfg=CFG)
        pd.testing.assert_frame_equal(by_tier[tier], full.head(3).reset_index(drop=True))
    con.close()


def test_warning_counts_from_the_cube_match_counting_the_problems(ledger):
    """The cube's counts per level (made for the configured thresholds) equal the warnings listed one by one, in
    every scope, and for other thresholds once the derived tables follow them (no import in between)."""
    scopes = [Scope(), Scope(units=("冶炼厂",)), Scope(within=("销售部",)), Scope(sources=("巡视巡察",))]
    wider = dataclasses.replace(CFG, notice_days=400)
    first_tier = []
    for cfg in (CFG, wider):
        derived.bring_up_to_date(ledger, cfg)
        for s in scopes:
            rows = alerts.warnings(ledger, Q3, s, cfg=cfg)
            counts = alerts.warning_counts(ledger, Q3, s, cfg=cfg)
            assert counts == {tier: int((rows["tier"] == tier).sum()) for tier in alerts.TIERS}
        first_tier.append(alerts.warning_counts(ledger, Q3, cfg=cfg)[alerts.TIERS[0]])
    assert first_tier[1] > first_tier[0]  # a wider notice period reminds of more problems
