"""Figures of DOMAIN.md on tests/fixtures.py's two quarters, each computed by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import metrics
from analytics.metrics import Scope
from analytics.periods import Period
from tests.conftest import HEADER, load, problem_row, write_xlsx
from tests.fixtures import two_quarters

Q1, Q2 = Period(2024, 1), Period(2024, 2)


@pytest.fixture
def con2(con, tmp_path):
    two_quarters(con, tmp_path)
    return con


def test_q1_headline(con2):
    h = metrics.headline(con2, Q1)
    # closed A-4, A-5; completed + A-6; overdue A-1 only (A-2's deadline is the period end itself)
    assert (h["total"], h["new"], h["closed"], h["completed"], h["open"], h["overdue"]) == (6, 6, 2, 3, 3, 1)
    # due by 3/31, A-6 (A-3 has no deadline); on time: A-4 (3/1 ≤ 3/15) and A-5, closed
    # without a date, counted at the end of the quarter it was reported closed (3/31 ≤ 3/31); A-6 was late
    assert (h["due"], h["on_time"], h["on_time_rate"]) == (5, 2, 0.4)
    assert (h["closure_rate"], h["completion_rate"]) == (round(2 / 6, 4), 0.5)


def test_q2_headline_new_carried_closed_reopened(con2):
    h = metrics.headline(con2, Q2)
    # A-5 is not listed in Q2 and carries its 已销号; A-7 is new; A-4 was 已销号 and is open again
    assert (h["total"], h["new"], h["closed"], h["completed"], h["open"]) == (7, 1, 3, 3, 4)
    assert (h["closed_this_period"], h["reopened"], h["recurred"]) == (2, 1, 1)  # closed now
    assert h["carried_over"] == 4  # open at the end of Q1
    assert h["overdue"] == 2  # A-2 (due 3/31) and A-4 (due 3/15, reopened)


def test_scope_filters(con2):
    assert metrics.headline(con2, Q2, Scope(units=("财务部",)))["total"] == 3
    assert metrics.headline(con2, Q2, Scope(sources=("审计",), units=("冶炼厂",)))["total"] == 1
    assert metrics.headline(con2, Q2, Scope(dimensions=("加强干部作风建设",)))["total"] == 2
    assert metrics.headline(con2, Q2, Scope(units=()))["total"] == 0


def test_breakdown_by_dimension_counts_unclassified(con2):
    frame = metrics.breakdown(con2, Q1, "dimension")
    counts = dict(zip(frame["dimension"], frame["total"], strict=True))
    assert counts["未归类"] == 1 and counts["加强干部作风建设"] == 2 and sum(counts.values()) == 6


def test_trend_with_quarter_on_quarter_change(con2):
    t = metrics.trend(con2).set_index("period")
    assert list(t.index) == ["2024Q1", "2024Q2"]
    assert (t.loc["2024Q2", "total_qoq"], t.loc["2024Q2", "closed_qoq"], t.loc["2024Q2", "overdue_qoq"]) == (1, 1, 1)
    assert t["total_yoy"].isna().all()
    by_unit = metrics.trend(con2, by="unit").set_index(["period", "unit"])
    assert by_unit.loc[("2024Q2", "销售部"), "total_qoq"] == 1  # A-7 new there


def test_ageing_of_open_problems(con2):
    q1 = dict(metrics.ageing(con2, Q1).values)
    assert q1 == {"≤30天": 1, "31–90天": 1, "91–180天": 0, ">180天": 1, "未填发现时间": 0}  # A-3 16, A-1 81, A-2 243
    q2 = dict(metrics.ageing(con2, Q2).values)
    assert q2 == {"≤30天": 0, "31–90天": 1, "91–180天": 1, ">180天": 2, "未填发现时间": 0}  # A-7 60, A-3 107, A-4 181


def test_days_to_close(con2):
    assert metrics.days_to_close(con2, Q1) == {"closed_with_dates": 1, "mean_days": 60.0, "median_days": 60.0}
    # Q2: A-1 (121 days); A-5 has no closing date and A-6 no found date
    assert metrics.days_to_close(con2, Q2) == {"closed_with_dates": 1, "mean_days": 121.0, "median_days": 121.0}


@pytest.mark.parametrize(("days", "mean", "median"), [
    ((10, 20, 20, 35), 21.2, 20.0),  # an even count: the mean of the two middle ones; 21.25 rounds to even
    ((10, 20, 20, 35, 100), 37.0, 20.0),  # odd: the middle one
    ((7, 8), 7.5, 7.5),  # the two middle ones differ
])
def test_days_to_close_mean_and_median_over_several_problems(con, tmp_path, days, mean, median):
    found = dt.date(2024, 1, 1)
    rows = [problem_row(i, f"C-{i}", "已销号", found=str(found), closed=str(found + dt.timedelta(days=d)))
            for i, d in enumerate(days, start=1)]
    rows += [problem_row(90, "X-1", "已销号", found="2024-03-01", closed="2024-02-01"),  # closed before found
             problem_row(91, "X-2", "已销号", found=None, closed="2024-03-01"),  # no found date
             problem_row(92, "X-3", "已整改", found="2024-01-01", closed="2024-01-05")]  # completed, not closed
    load(con, write_xlsx(tmp_path / "2024Q1台账.xlsx", {"台账": [HEADER, *rows]}))
    expected = {"closed_with_dates": len(days), "mean_days": mean, "median_days": median}
    assert metrics.days_to_close(con, Q1) == expected  # from close_days
    assert metrics.days_to_close(con, Q1, Scope(units=("冶炼厂",))) == expected  # from the problems themselves


def test_overdue_list_most_overdue_first(con2):
    frame = metrics.problems(con2, Q2, only_overdue=True)
    assert list(frame["problem_code"]) == ["A-4", "A-2"]
    assert list(frame["days_overdue"]) == [107, 91]


def test_unit_dimension_matrix(con2):
    m = metrics.unit_dimension_matrix(con2, Q2, only_open=True)
    assert sorted(map(tuple, m.values.tolist())) == [
        ("冶炼厂", "惩治腐败与廉洁建设", 1), ("财务部", "加强干部作风建设", 1),
        ("财务部", "突出政治标准选人用人", 1), ("销售部", "严明政治纪律和政治规矩", 1)]


@pytest.mark.parametrize("scope", [Scope(), Scope(units=("财务部",)), Scope(sources=("巡视巡察",)),
                                   Scope(units=("无此单位",))])
def test_headline_read_off_the_trend_equals_the_headline(con2, scope):
    trend = metrics.trend(con2, scope)
    for period in (Period(2023, 4), Q1, Q2, Period(2024, 3)):  # before, during and after the ledgers
        assert metrics.headline_of(trend, period) == metrics.headline(con2, period, scope)


def test_an_empty_period_has_zero_counts_and_no_rates(con2):
    h = metrics.headline(con2, Period(2023, 4))
    assert h["total"] == 0 and h["closure_rate"] is None and h["on_time_rate"] is None
    assert metrics.problems(con2, Period(2023, 4)).empty
    assert metrics.days_to_close(con2, Period(2023, 4))["mean_days"] is None


def test_rates_stay_within_bounds(con2):
    for p in (Q1, Q2):
        for frame in (metrics.breakdown(con2, p, by) for by in ("unit", "source", "dimension")):
            for rate in ("closure_rate", "completion_rate", "on_time_rate"):
                assert all(pd.isna(r) or 0 <= r <= 1 for r in frame[rate])


@pytest.mark.parametrize("scope", [Scope(), Scope(units=("财务部", "销售部")), Scope(sources=("巡视巡察",))])
def test_trends_from_one_query_match_each_breakdown_on_its_own(con2, scope):
    together = metrics.trends(con2, scope, (None, "source", "dimension", "unit"))
    for period in (Q1, Q2):
        total = together[None][together[None]["period_no"] == period.index]
        assert {f: int(total[f].iloc[0]) for f in metrics.COUNT_FIELDS} == {
            f: metrics.headline(con2, period, scope)[f] for f in metrics.COUNT_FIELDS}
    for by in ("source", "dimension", "unit"):
        frame = together[by]
        assert list(frame.columns[:3]) == ["period", "period_no", by] and frame.index.is_monotonic_increasing
        for period in (Q1, Q2):
            rows = frame[frame["period_no"] == period.index]
            alone = metrics.breakdown(con2, period, by, scope)  # a query of its own
            assert sorted(rows[[by, *metrics.COUNT_FIELDS]].values.tolist()) == sorted(
                alone[[by, *metrics.COUNT_FIELDS]].values.tolist())
        # 环比 within the same source / dimension / unit only
        totals = {(p, k): t for p, k, t in frame[["period_no", by, "total"]].values.tolist()}
        for k, change in frame[frame["period_no"] == Q2.index][[by, "total_qoq"]].values.tolist():
            before = totals.get((Q1.index, k))
            assert (pd.isna(change) if before is None else change == totals[(Q2.index, k)] - before)
