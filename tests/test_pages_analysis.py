"""The analysis pages (总览, 问题趋势, 整改销号, 八维评分) run headless on the demo and show analytics' figures.

Each page is opened through dashboard.py (navigation and sidebar filters included) and its figures are checked
against analytics for the same period; the period selectbox is moved to an earlier quarter to see them follow.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import alerts, metrics, scoring, views
from analytics.config import scoring_config
from analytics.db import open_db
from analytics.metrics import Scope
from analytics.periods import Period
from app_pages import common
from tests.conftest import CFG, logged_in

PAGES = {"app_pages/overview.py": "总览", "app_pages/trends.py": "问题趋势", "app_pages/rectification.py": "整改销号",
         "app_pages/scores.py": "八维评分"}




@pytest.fixture(scope="module")
def periods(demo_db: Path) -> list[Period]:
    """The demo's quarters, oldest first (at least three, so an earlier quarter differs from the latest)."""
    with open_db(demo_db, read_only=True) as con:
        found = metrics.available_periods(con)
    assert len(found) >= 3
    return found


def analytics(db: Path, fn, *args, **kwargs):
    """The figure straight from the analytics layer, on its own short-lived connection, with the configuration the
    pages read (for the figures that take one)."""
    if "cfg" in inspect.signature(fn).parameters:
        kwargs.setdefault("cfg", CFG)
    with open_db(db, read_only=True) as con:
        return fn(con, *args, **kwargs)


def open_page(monkeypatch, db: Path, page: str, period: Period | None = None) -> AppTest:
    """dashboard.py switched to ``page``, optionally with another quarter chosen in the sidebar."""
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(default_timeout=60).run()
    at.switch_page(page).run()
    if period is not None:
        at.selectbox(key="filter_period").set_value(str(period)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page]]
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, *leading: str) -> pd.DataFrame:
    """The one table whose shown columns start with ``leading`` (AppTest does not see a display table's key)."""
    shown = [list(d.proto.column_order) or list(d.value.columns) for d in at.dataframe]
    found = [d.value for d, columns in zip(at.dataframe, shown, strict=True) if columns[:len(leading)] == [*leading]]
    assert len(found) == 1, f"{len(found)} tables start with {leading} among {shown}"
    return found[0]


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def test_overview_headline_cards_match_the_analytics(monkeypatch, demo_db, periods):
    latest = periods[-1]
    at = open_page(monkeypatch, demo_db, "app_pages/overview.py")
    expected = analytics(demo_db, views.overview, latest)
    head, prev = expected["headline"], expected["previous"]
    shown = metric_values(at)
    assert shown["问题总数"] == str(head["total"])
    assert shown["销号率"] == pct(head["closure_rate"])
    assert shown["整改完成率"] == pct(head["completion_rate"])
    assert shown["逾期"] == str(head["overdue"])
    assert shown["复发"] == str(head["recurred"])
    company = expected["company"]
    assert shown[f"公司综合得分（{company['grade']}）"] == f"{company['score']:.1f}"
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert deltas["问题总数"] == f"{head['total'] - prev['total']:+d}"
    assert deltas["逾期"] == f"{head['overdue'] - prev['overdue']:+d}"
    for tier, count in analytics(demo_db, alerts.warning_counts, latest).items():
        assert shown[tier] == str(count)
    worst = table(at, "rank", "unit")
    assert list(worst["unit"]) == list(expected["worst_units"]["unit"])
    assert worst["unit"].iloc[0] == analytics(demo_db, scoring.unit_scores, latest).iloc[-1].unit
    assert table(at, "period", "total")["period"].iloc[-1] == str(latest)


def test_overview_follows_the_sidebar_period(monkeypatch, demo_db, periods):
    earlier = periods[-3]
    at = open_page(monkeypatch, demo_db, "app_pages/overview.py", earlier)
    head = analytics(demo_db, metrics.headline, earlier)
    assert head["total"] != analytics(demo_db, metrics.headline, periods[-1])["total"]
    shown = metric_values(at)
    assert shown["问题总数"] == str(head["total"])
    assert shown["销号率"] == pct(head["closure_rate"])
    assert earlier.label in at.caption[0].value
    assert list(table(at, "period", "total")["period"]) == [str(p) for p in periods[:-2]]


def test_trends_match_the_analytics_and_follow_the_period(monkeypatch, demo_db, periods):
    at = open_page(monkeypatch, demo_db, "app_pages/trends.py")
    latest, earlier = periods[-1], periods[-3]
    matrix = table(at, "unit", "dimension")
    expected = analytics(demo_db, metrics.unit_dimension_matrix, latest)
    assert matrix["问题数"].tolist() == expected["problems"].tolist()
    assert matrix["unit"].tolist() == expected["unit"].tolist()
    new_closed = table(at, "period", "new")
    trend = analytics(demo_db, metrics.trend)
    assert new_closed["new"].tolist() == trend["new"].tolist()
    by_source = table(at, "period", "source")
    assert by_source["total"].sum() == trend["total"].sum()

    at.selectbox(key="filter_period").set_value(str(earlier)).run()
    assert not at.exception
    matrix = table(at, "unit", "dimension")
    assert matrix["问题数"].sum() == analytics(demo_db, metrics.headline, earlier)["total"]
    assert table(at, "period", "new")["period"].iloc[-1] == str(earlier)

    at.segmented_control(key="trends_measure").set_value("overdue").run()
    by_source = table(at, "period", "source")
    assert "overdue" in by_source.columns
    assert figures(at)[0]["layout"]["title"]["text"] == "各季度逾期（按问题来源）"


def test_rectification_matches_the_analytics_and_follows_the_period(monkeypatch, demo_db, periods):
    at = open_page(monkeypatch, demo_db, "app_pages/rectification.py")
    latest, earlier = periods[-1], periods[-3]
    expected = analytics(demo_db, views.rectification, latest)
    by_unit = table(at, "unit", "total")
    assert sorted(by_unit["unit"]) == sorted(expected["by_unit"]["unit"])
    assert by_unit["closure_rate"].iloc[0] == expected["by_unit"]["closure_rate"].min()  # weakest first
    days = expected["days_to_close"]
    assert metric_values(at)["平均用时"] == f"{days['mean_days']:.0f} 天"
    assert metric_values(at)["中位用时"] == f"{days['median_days']:.0f} 天"
    bands = table(at, "band")
    assert bands["problem_id"].tolist() == expected["bands"]["problem_id"].tolist()
    assert table(at, "problem_code", "unit")["problem_id"].tolist() == expected["lookback"]["problem_id"].tolist()
    assert any(f"随机种子 {scoring_config().lookback_seed}" in c.value for c in at.caption)

    overdue = alerts.band_labels(cfg=CFG)[0]
    at.pills(key="rect_bands").set_value([overdue]).run()
    assert set(table(at, "band")["band"]) == {overdue}

    at.selectbox(key="filter_period").set_value(str(earlier)).run()
    assert not at.exception
    bands = analytics(demo_db, alerts.deadline_bands, earlier)
    assert table(at, "band")["problem_id"].tolist() == \
        bands[bands["band"] == overdue]["problem_id"].tolist()
    assert table(at, "bucket")["problems"].tolist() == \
        analytics(demo_db, metrics.ageing, earlier)["problems"].tolist()


def test_scores_ranking_and_deductions(monkeypatch, demo_db, periods):
    at = open_page(monkeypatch, demo_db, "app_pages/scores.py")
    latest = periods[-1]
    units = analytics(demo_db, scoring.unit_scores, latest)
    ranking = table(at, "rank", "unit")
    assert ranking["unit"].iloc[0] == units.iloc[0].unit
    assert ranking["score"].tolist() == units["score"].tolist()
    assert metric_values(at)["公司综合得分"] == f"{analytics(demo_db, scoring.company_score, latest)['score']:.1f}"
    worst = units.iloc[-1].unit
    assert at.selectbox(key="score_unit").value == worst  # the radar starts at the weakest unit
    assert at.selectbox(key="deduct_unit").value == worst

    # the fallback selectors: a unit and the dimension it loses most in
    dims = analytics(demo_db, scoring.dimension_scores, latest)
    row = dims.sort_values(["deduction", "unit"], ascending=[False, True]).iloc[0]
    at.selectbox(key="deduct_unit").set_value(row.unit)
    at.selectbox(key="deduct_dimension").set_value(row.dimension).run()
    assert not at.exception
    shown = table(at, "problem_code", "dimension")
    # problems from ledgers without 问题编号 show "—" there
    expected = common.no_code_dash(analytics(demo_db, scoring.score_deductions, latest, row.unit, row.dimension))
    assert len(expected) == row.open_problems > 0
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    assert metric_values(at)["扣分"] == f"{row.deduction:g}"


def test_scores_follow_the_period(monkeypatch, demo_db, periods):
    earlier = periods[-3]
    at = open_page(monkeypatch, demo_db, "app_pages/scores.py", earlier)
    units = analytics(demo_db, scoring.unit_scores, earlier)
    ranking = table(at, "rank", "unit")
    assert ranking["unit"].tolist() == units["unit"].tolist()
    assert ranking["score"].tolist() == units["score"].tolist()
    assert at.selectbox(key="deduct_unit").value == units.iloc[-1].unit
    unit = units.iloc[-1].unit
    expected = analytics(demo_db, scoring.score_deductions, earlier, unit)
    assert table(at, "problem_code", "dimension")["problem_id"].tolist() == expected["problem_id"].tolist()
    history = table(at, "period", "unit")
    assert history["period"].max() == str(earlier)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_chart_has_chinese_titles(monkeypatch, demo_db, page):
    at = open_page(monkeypatch, demo_db, page)
    specs = figures(at)
    assert specs
    for spec in specs:
        layout = spec["layout"]
        title = layout["title"]["text"]
        assert title and not title.isascii(), title
        for axis in ("xaxis", "yaxis"):
            if layout.get(axis, {}).get("visible", True) and axis in layout:
                text = layout[axis].get("title", {}).get("text", "")
                assert text and not text.isascii(), (title, axis, text)


def test_sidebar_scope_reaches_the_figures(monkeypatch, demo_db, periods):
    latest = periods[-1]
    unit = analytics(demo_db, metrics.breakdown, latest, "unit").iloc[0].unit
    source = analytics(demo_db, metrics.breakdown, latest, "source", Scope(units=(unit,))).iloc[0].source
    scope = Scope(units=(unit,), sources=(source,))
    at = open_page(monkeypatch, demo_db, "app_pages/overview.py")
    at.multiselect(key="filter_units").set_value([unit])
    at.multiselect(key="filter_sources").set_value([source]).run()
    assert not at.exception
    head = analytics(demo_db, metrics.headline, latest, scope)
    assert metric_values(at)["问题总数"] == str(head["total"])
    assert metric_values(at)["逾期"] == str(head["overdue"])
    assert unit in at.caption[0].value and source in at.caption[0].value


@pytest.mark.parametrize("page", list(PAGES))
def test_a_scope_without_scored_problems_still_draws(monkeypatch, demo_db, page):
    at = open_page(monkeypatch, demo_db, page)
    at.multiselect(key="filter_dimensions").set_value([scoring_config().unclassified]).run()
    assert not at.exception
    assert [t.value for t in at.title] == [PAGES[page]]

