"""What a newcomer sees on the pages (AppTest on the demo): no None, no English chart menus, no configuration paths,
panels that do not compare a unit with itself, days to a deadline in words, an unchanged figure in grey, a click
on a unit opening its portrait and a selected problem opening its history."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from analytics import metrics, views
from analytics.config import scoring_config
from analytics.db import open_db
from analytics.metrics import Scope
from app_pages import chinese_ui, common
from tests.conftest import logged_in
from tests.test_access import page_bytes

ANALYSIS = ("overview", "trends", "rectification", "scores", "unit_portrait", "supervision", "follow_up")
# the 审计日志 lists configuration changes by file name: that is its content, not a caption
EVERY_PAGE = (*ANALYSIS, "export_snapshot", "import_ledgers", "profiles", "users", "account")
HEAD_PAGES = ("overview", "trends", "rectification", "follow_up", "export_snapshot", "account")
UNIT = "采购部"  # the demo's weakest unit, and demo-head's


@pytest.fixture(scope="module")
def latest(demo_db: Path):
    with open_db(demo_db, read_only=True) as con:
        return metrics.available_periods(con)[-1]


def open_page(monkeypatch, db: Path, page: str, account: str = "secretary", units: list[str] | None = None) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(account, default_timeout=60).run()
    if units:
        at.multiselect(key="filter_units").set_value(units).run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figures(at)]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


# ---- no English, no None, no paths ----

@pytest.mark.parametrize("page", ANALYSIS)
def test_every_table_shows_a_blank_as_a_dash_and_every_chart_menu_is_chinese(monkeypatch, demo_db, page):
    """Streamlit shows a missing value as "None" unless told otherwise; Plotly's mode bar speaks English unless
    given a locale."""
    at = open_page(monkeypatch, demo_db, page)
    assert at.dataframe, "no table on the page: the check would pass unseen"
    assert {d.proto.placeholder for d in at.dataframe} == {"—"}
    charts = at.get("plotly_chart")
    assert charts or page == "follow_up"  # a page of tables
    for chart in charts:
        config = json.loads(chart.proto.config)
        assert config["locale"] == "zh-CN" and config["locales"]["zh-CN"]["dictionary"] == chinese_ui.ZH_CN


@pytest.mark.parametrize("page", EVERY_PAGE)
def test_no_page_names_a_configuration_file(monkeypatch, demo_db, page):
    """A newcomer cannot act on "见 data/access.toml": pages name who sets a rule, not where it is stored."""
    at = open_page(monkeypatch, demo_db, page, account="admin")
    shown = page_bytes(at)
    assert b"data/" not in shown and b".toml" not in shown


def test_my_account_says_who_sets_what_a_role_sees(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "account", account="head")
    assert any("由系统管理员在访问策略中设置" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", ("overview", "unit_portrait", "supervision"))
def test_an_unchanged_figure_is_grey(monkeypatch, demo_db, page):
    """持平 is no news: neither green (good) nor red (bad), whatever the figure (a 0.0% rate that stayed 0.0%)."""
    at = open_page(monkeypatch, demo_db, page)
    unchanged = [m for m in at.metric if m.proto.delta == "持平"]
    changed = [m for m in at.metric if m.proto.delta not in ("", "持平")]
    assert unchanged and changed, "the demo has both on this page: else the check would see nothing"
    assert {m.proto.color for m in unchanged} == {Metric.MetricColor.GRAY}
    neutral = ("问题总数", "本期新增", "综合得分")  # counts that are neither good nor bad news, a grade beside a score
    assert Metric.MetricColor.GRAY not in {m.proto.color for m in changed if m.label not in neutral}


def test_tone():
    assert common.tone(3, 3) == "off" and common.tone(0.0, 0.0, "inverse") == "off"
    assert common.tone(4, 3) == "normal" and common.tone(4, 3, "inverse") == "inverse"
    assert common.tone(None, 3) == "normal"  # unknown: Streamlit shows no delta anyway


# ---- one unit in scope ----

def test_overview_of_one_unit_names_it_and_ranks_nothing(monkeypatch, demo_db, latest):
    at = open_page(monkeypatch, demo_db, "overview", units=[UNIT])
    labels = [m.label for m in at.metric]
    assert not [label for label in labels if label.startswith("公司")]
    with open_db(demo_db, read_only=True) as con:
        score = views.overview(con, latest, Scope(units=(UNIT,)), cfg=scoring_config())["company"]
    assert f"{UNIT}综合得分（{score['grade']}）" in labels
    assert "综合得分最低的五个单位" not in titles(at)
    assert any(f"只有{UNIT}一个单位" in c.value for c in at.caption)


def test_scores_of_one_unit_have_no_ranking_and_no_radar_against_itself(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "scores", units=[UNIT])
    labels = [m.label for m in at.metric]
    assert f"{UNIT}综合得分" in labels and "公司综合得分" not in labels
    assert "参评单位" not in labels and "排名" not in labels  # no "1 / 1"
    radars = [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "scatterpolar"]
    assert len(radars) == 1 and [t["name"] for t in radars[0]["data"]] == [UNIT]
    assert not [t for t in titles(at) if "排名" in t]


def test_the_scores_page_still_compares_several_units(monkeypatch, demo_db):
    """The check above can fail: with all units the ranking, the count and the comparison are there."""
    at = open_page(monkeypatch, demo_db, "scores")
    labels = [m.label for m in at.metric]
    assert "公司综合得分" in labels and "参评单位" in labels and "排名" in labels
    radars = [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "scatterpolar"]
    assert sorted(t["name"] for t in radars[0]["data"]) == sorted([UNIT, "公司平均"])


@pytest.mark.parametrize("account, units", [("secretary", [UNIT]), ("head", None)], ids=["unit filter", "head"])
def test_rectification_of_one_unit_shows_its_rates_not_a_ranking_of_one(monkeypatch, demo_db, latest, account, units):
    at = open_page(monkeypatch, demo_db, "rectification", account=account, units=units)
    assert f"{UNIT}整改情况" in [s.value for s in at.subheader]
    assert not [t for t in titles(at) if t.startswith("各单位")]
    with open_db(demo_db, read_only=True) as con:
        row = metrics.breakdown(con, latest, "unit", Scope(units=(UNIT,), hidden_sources=(
            ("信访举报",) if account == "head" else ()))).iloc[0]
    shown = {m.label: m.value for m in at.metric}
    assert shown["销号率"] == common.pct(row["closure_rate"])
    assert shown["按期整改率"] == common.pct(row["on_time_rate"])


@pytest.mark.parametrize("account, units", [("secretary", [UNIT]), ("head", None)], ids=["unit filter", "head"])
def test_trends_of_one_unit_show_its_dimensions_not_a_grid_of_one_row(monkeypatch, demo_db, account, units):
    at = open_page(monkeypatch, demo_db, "trends", account=account, units=units)
    kinds = [f["data"][0]["type"] for f in figures(at) if f["data"]]
    assert "heatmap" not in kinds
    assert any(t.endswith(f"{UNIT}各维度问题数") for t in titles(at))


# ---- days to a deadline ----

@pytest.mark.parametrize(("days", "text"), [(-434, "逾期 434 天"), (-1, "逾期 1 天"), (0, "今日到期"),
                                             (3, "还有 3 天"), (None, "—"), (float("nan"), "—")])
def test_due_text(days, text):
    assert common.due_text(days) == text


def test_the_overdue_list_says_how_many_days_overdue(monkeypatch, demo_db, latest):
    at = open_page(monkeypatch, demo_db, "rectification")
    bands = frame_with(at, "band")
    assert (bands["days_left"] < 0).any() and (bands["days_left"] > 0).any()
    for days, due in zip(bands["days_left"], bands["due"], strict=True):
        assert due == (f"逾期 {-days} 天" if days < 0 else "今日到期" if days == 0 else f"还有 {days} 天")
    shown = next(d for d in at.dataframe if "band" in d.value.columns)
    assert "days_left" not in list(shown.proto.column_order)  # no more "剩余天数 -434"


# ---- clicks ----

@pytest.mark.parametrize(("page", "chart", "axis"), [
    ("overview", "overview_worst", "y"), ("trends", "trends_matrix", "y"), ("rectification", "rect_by_unit", "y"),
    ("scores", "score_ranking", "y"),
])
def test_clicking_a_unit_opens_its_portrait(monkeypatch, demo_db, page, chart, axis):
    at = open_page(monkeypatch, demo_db, page)
    drawn = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id and chart in c.proto.id)
    unit = drawn["data"][0][axis][1]  # the second unit drawn: not the portrait's default (the weakest)
    at.session_state[chart] = {"selection": {"points": [{axis: unit, "x" if axis == "y" else "y": 1}],
                                             "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "单位画像"
    assert at.selectbox(key=common.PORTRAIT_UNIT_KEY).value == unit


def test_clicking_a_score_cell_still_fills_the_deductions(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "scores")
    dimension = at.selectbox(key="deduct_dimension").options[1]
    at.session_state["score_matrix"] = {"selection": {"points": [{"x": dimension, "y": "财务部", "z": 99}],
                                                      "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert at.title[0].value == "八维评分"
    assert at.selectbox(key="deduct_unit").value == "财务部"
    assert at.selectbox(key="deduct_dimension").value == dimension


def select_row(at: AppTest, key: str, row: int = 0) -> None:
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize(("page", "table", "column"), [
    ("rectification", "rect_bands_table", "band"), ("unit_portrait", "portrait_open_table", "days_overdue"),
    ("follow_up", "follow_up_warnings_table", "rule"),
])
def test_a_selected_problem_opens_its_history(monkeypatch, demo_db, page, table, column):
    at = open_page(monkeypatch, demo_db, page)
    problem = frame_with(at, column)["problem_id"].iloc[0]
    select_row(at, table)
    history = frame_with(at, "listed")
    with open_db(demo_db, read_only=True) as con:
        code, first = con.execute("SELECT any_value(problem_code), min(period) FROM problem_state "
                                  "WHERE problem_id = ?", [int(problem)]).fetchone()
    assert history["period"].iloc[0] == first and history["period"].is_monotonic_increasing
    assert "warning" in history.columns
    assert any(f"问题编号**：{common.plain(code or '—')}" in m.value for m in at.markdown)
    at.run()  # another click elsewhere on the page: the dialog does not open again by itself
    assert not [d for d in at.dataframe if "listed" in d.value.columns]


def test_a_department_head_opens_a_reminder_without_the_warning_tiers(monkeypatch, demo_db):
    at = open_page(monkeypatch, demo_db, "follow_up", account="head")
    select_row(at, "follow_up_reminders_table")
    history = frame_with(at, "listed")
    assert set(history["unit"]) == {UNIT} and "warning" not in history.columns
