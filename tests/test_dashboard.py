"""The frame: every page is registered, the sidebar filters default to the latest quarter, no data is friendly."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import logged_in

DATA_PAGES = ("overview", "trends", "rectification", "scores", "unit_portrait", "supervision", "follow_up",
              "export_snapshot")


def run_app(monkeypatch, db) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    return logged_in(default_timeout=60).run()


def test_filters_default_to_the_latest_quarter(monkeypatch, demo_db):
    at = run_app(monkeypatch, demo_db)
    assert not at.exception
    period = at.sidebar.selectbox(key="filter_period")
    assert period.value == "2025Q2" and period.options[0].startswith("2025年第二季度")
    assert [m.placeholder for m in at.sidebar.multiselect] == ["全部单位", "全部来源", "全部维度"]


def test_no_database_shows_how_to_start(monkeypatch, tmp_path):
    at = run_app(monkeypatch, tmp_path / "none.duckdb")
    assert not at.exception
    assert "还没有问题台账数据" in at.info[0].value
    assert not (tmp_path / "none.duckdb").exists()  # looking does not create a database


@pytest.mark.parametrize("page", DATA_PAGES)
def test_every_data_page_on_an_empty_database_shows_how_to_start(monkeypatch, tmp_path, page):
    at = run_app(monkeypatch, tmp_path / "none.duckdb")
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    assert "还没有问题台账数据" in at.info[0].value
    assert not at.title and not at.metric and not at.dataframe and not at.main.button
