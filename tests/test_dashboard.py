"""The frame: every page is registered, the sidebar filters default to the latest quarter, no data is friendly."""

from __future__ import annotations

import tomllib

import pytest
import streamlit as st
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from app_pages import common
from tests.conftest import ROOT, dashboard, logged_in

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
    """A newcomer's first look: the page's own title, what the three ledgers are, their blank templates and the way
    to the upload; no empty figure, table or chart."""
    at = run_app(monkeypatch, tmp_path / "none.duckdb")
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    assert "还没有问题台账数据" in at.info[0].value
    assert len(at.title) == 1 and at.title[0].value  # the page's name, as in the menu
    kinds = "\n".join(m.value for m in at.markdown)
    assert all(f"**{kind}**" in kinds for kind in ("问题整改台账", "监督清单", "政治生态评分表"))
    assert [b.proto.label for b in at.get("download_button")] == [label for label, _, _ in common.TEMPLATES]
    assert [p.proto.page for p in at.get("page_link")] == ["import_ledgers"]  # the upload
    assert not at.metric and not at.dataframe and not at.main.button and not at.get("plotly_chart")


def test_the_empty_start_tells_a_department_head_who_imports(monkeypatch, tmp_path):
    """One who may not import is not sent to a page they do not have."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "none.duckdb"))
    at = logged_in("head", default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "总览"
    assert not at.get("page_link")
    assert any("纪委办" in c.value for c in at.caption)


def test_config_turns_off_table_downloads_and_error_details():
    """.streamlit/config.toml: no toolbar "Download as CSV" on any table, no traceback in the browser."""
    client = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["client"]
    assert client["disableDataExport"] is True
    assert client["showErrorDetails"] == "none"  # false is "stacktrace": the traceback would still show
    assert client["toolbarMode"] == "minimal"  # no app menu: Print, Record screen, About … are in English
    assert {f"client.{k}": v for k, v in client.items() if f"client.{k}" in common.CLIENT_OPTIONS} \
        == common.CLIENT_OPTIONS  # the file and dashboard.py agree
    # options this Streamlit knows and values it accepts: an unknown option is only a warning in the log
    for key in common.CLIENT_OPTIONS:
        assert streamlit_config.get_option(key) is not None  # raises for an option Streamlit does not define
        assert streamlit_config.get_option(key) == common.CLIENT_OPTIONS[key]  # the file is the one read here
    assert streamlit_config.ShowErrorDetailsConfigOptions.NONE == "none"


def test_the_dashboard_sets_the_options_whatever_the_server_started_with():
    """Started outside the project folder (no config.toml) or with a flag: dashboard.py turns them off anyway."""
    before = {key: st.get_option(key) for key in common.CLIENT_OPTIONS}
    try:
        for key, loose in {"client.disableDataExport": False, "client.showErrorDetails": "full"}.items():
            streamlit_config.set_option(key, loose, where_defined="command-line")
        at = dashboard().run()  # the login page
        assert not at.exception
        assert {key: st.get_option(key) for key in common.CLIENT_OPTIONS} == common.CLIENT_OPTIONS
    finally:  # as before, for this process's other tests
        for key, value in before.items():
            streamlit_config.set_option(key, value)


def test_an_uncaught_exception_shows_no_traceback(monkeypatch, demo_db):
    """A page that raises shows Streamlit's generic notice: no message, type or traceback reach the browser."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("secret-detail /srv/dashboard.duckdb")

    monkeypatch.setattr(common, "view", broken)
    at = run_app(monkeypatch, demo_db)
    assert len(at.exception) == 1
    shown = at.exception[0]
    assert "secret-detail" not in str(shown.proto) and "dashboard.duckdb" not in str(shown.proto)
    assert not shown.stack_trace and not shown.proto.type
    assert "redacted" in shown.message  # Streamlit's own notice, in English: the server log has the details
