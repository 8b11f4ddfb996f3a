"""导出快照 runs headless (AppTest): a snapshot is generated, recorded, and downloaded again byte for byte."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from analytics.db import open_db
from analytics.export import records, tools
from tests.conftest import downloaded, logged_in

PAGE = "app_pages/export_snapshot.py"


@pytest.fixture
def storages(download_storages) -> list:
    return download_storages


def history_table(at: AppTest) -> pd.DataFrame:
    """The 快照记录 table (tables carry no key: told apart by their columns)."""
    return next(d.value for d in at.dataframe if "SHA-256" in d.value.columns)


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    """A copy of the demo: the page writes snapshot records into it."""
    return Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))


def open_page(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "导出快照"
    return at


def test_xlsx_snapshot_is_generated_recorded_and_downloaded_again(monkeypatch, db, storages):
    at = open_page(monkeypatch, db)
    assert at.selectbox(key="export_period").value == at.session_state["filter_period"]  # the sidebar's
    assert "还没有导出过快照" in at.info[0].value
    period = at.session_state["filter_period"]
    at.radio(key="export_format").set_value("xlsx")
    at.button(key="export_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.status[0].label.startswith("快照已生成") and at.status[0].state == "complete"

    name, content = downloaded(storages, at.download_button(key="export_download"))
    assert name.startswith(f"政治生态分析研判快照_{period}_全公司_") and name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = [str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    assert any(period in c for c in cells)

    with open_db(db, read_only=True) as con:
        history = records.list_snapshots(con)
    assert len(history) == 1 and history["sha256"].iloc[0] == hashlib.sha256(content).hexdigest()
    listed = history_table(at)
    assert listed["期间"].tolist() == [period] and listed["格式"].tolist() == ["Excel 工作簿"]
    assert listed["SHA-256"].tolist() == [hashlib.sha256(content).hexdigest()[:12]]
    assert listed["与当前数据相同"].tolist() == ["是"]

    again_name, again = downloaded(storages, at.download_button(key="export_history_download"))
    assert (again_name, again) == (name, content)  # the stored bytes, not a new export


def test_units_and_masking_reach_the_snapshot(monkeypatch, db, storages):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(default_timeout=120).run()
    at.multiselect(key="filter_units").set_value(["采购部"]).run()
    at.switch_page(PAGE).run()
    assert at.radio(key="export_breadth").value == "所选单位"
    assert at.multiselect(key="export_units").value == ["采购部"]
    at.checkbox(key="export_mask").check()
    at.button(key="export_button").click().run()
    assert not at.exception and not at.error
    name, _ = downloaded(storages, at.download_button(key="export_download"))
    assert "_采购部_" in name and "_脱敏_" in name
    listed = history_table(at)
    assert listed["范围"].tolist() == ["单位：采购部"] and listed["姓名脱敏"].tolist() == ["是"]


def test_a_failed_export_shows_a_chinese_message_and_records_nothing(monkeypatch, db):
    """A browser that is there but fails (here /bin/false): the page's message, no traceback, nothing recorded."""
    monkeypatch.setenv("DASHBOARD_CHROMIUM", "/bin/false")
    monkeypatch.setattr(tools, "unavailable", dict)  # taken for a browser, whatever fonts this machine has
    at = open_page(monkeypatch, db)
    at.radio(key="export_format").set_value("pdf")
    at.button(key="export_button").click().run()
    assert not at.exception
    assert "PDF" in at.error[0].value
    assert at.status[0].label == "快照生成失败" and at.status[0].state == "error"
    assert not [b for b in at.download_button if b.key == "export_download"]
    with open_db(db, read_only=True) as con:
        assert records.list_snapshots(con).empty


def test_without_chromium_the_page_says_up_front_that_word_and_pdf_cannot_be_made(monkeypatch, db, tmp_path):
    """No browser installed: Word and PDF are marked unavailable with what to install, and cannot be started
    (before, the click failed after the work); Excel and HTML still can."""
    monkeypatch.setenv("DASHBOARD_CHROMIUM", str(tmp_path / "no-such-browser"))
    at = open_page(monkeypatch, db)
    choice = at.radio(key="export_format")
    assert choice.options == ["Excel 工作簿", "Word 文档（本机暂不可用）", "网页（可离线打开、打印）",
                              "PDF（本机暂不可用）"]
    for fmt in ("pdf", "docx"):
        at.radio(key="export_format").set_value(fmt).run()
        warning = at.warning[0].value
        assert "未安装 Chromium" in warning and "apt-get install chromium fonts-noto-cjk" in warning
        assert "Excel 工作簿和网页不受影响" in warning
        assert at.button(key="export_button").disabled
    at.radio(key="export_format").set_value("html").run()
    assert not at.warning and not at.button(key="export_button").disabled
