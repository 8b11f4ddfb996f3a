"""The report buttons on 导出快照 and 单位画像, and 核心结论 under the pages' charts (AppTest on a demo copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import audit
from analytics.report import writer
from tests.conftest import downloaded, logged_in


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    return Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))


def page(monkeypatch, db: Path, path: str, account: str = "secretary"):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(account, default_timeout=120).run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_report_button_on_the_export_page_writes_records_and_offers_the_report(monkeypatch, db, download_storages):
    at = page(monkeypatch, db, "app_pages/export_snapshot.py")
    at.button(key="report_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    name, content = downloaded(download_storages, at.download_button(key="report_result_download"))
    assert name.startswith("政治生态分析研判报告_") and name.endswith(".docx")
    assert [t for s, t in writer.paragraphs(content) if s == "Heading 1"][:6] == list(writer.SECTIONS)
    assert list(audit._read(db))[-1]["action"] == "report"


def test_portrait_page_writes_the_units_report(monkeypatch, db, download_storages):
    at = page(monkeypatch, db, "app_pages/unit_portrait.py")
    unit = at.session_state["portrait_unit"]
    at.button(key="portrait_report_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _, content = downloaded(download_storages, at.download_button(key="portrait_report_download"))
    assert writer.paragraphs(content)[0][1] == f"{unit}政治生态画像报告"


def test_charts_on_a_page_carry_their_conclusion(monkeypatch, db):
    at = page(monkeypatch, db, "app_pages/trends.py")
    said = [c.value for c in at.caption if c.value.startswith("核心结论：")]
    assert said and all(len(s) > len("核心结论：") + 4 for s in said)
