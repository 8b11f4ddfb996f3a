"""The app runs headless (AppTest) on a database with data and on none at all."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, load, sample


def run_app(monkeypatch, db) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    return at.run()


def test_headline_of_the_latest_period(monkeypatch, con, tmp_path):
    load(con, sample("2024年第一季度问题整改台账.xlsx"))
    load(con, sample("2024年第二季度问题整改台账.xlsx"))
    con.close()
    at = run_app(monkeypatch, tmp_path / "test.duckdb")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"问题总数": "15", "已销号": "5", "销号率": "33.3%", "逾期": "2"}
    assert "2024Q2" in at.subheader[0].value


def test_no_database_shows_how_to_start(monkeypatch, tmp_path):
    at = run_app(monkeypatch, tmp_path / "none.duckdb")
    assert not at.exception
    assert "还没有数据" in at.info[0].value
