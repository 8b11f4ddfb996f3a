"""更新表 page, the import preview of a returned workbook and the not-reported notice, headless (AppTest)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import audit
from analytics.workbooks import marker as workbook_marker
from tests.conftest import logged_in
from tests.test_import_page import click_import, open_page, upload
from tests.test_workbooks import OFFICE, fill_in, generate, ledger_db

PAGE = "app_pages/workbooks.py"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return ledger_db(tmp_path)


@pytest.fixture
def offered(monkeypatch) -> dict:
    """key → (file name, the callable that makes the file) of every download button drawn."""
    found: dict = {}
    original, on_main = DeltaGenerator.download_button, st.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        found[kwargs.get("key") or label] = (file_name, data)
        return original(self, label, data, file_name, *args, **kwargs)

    def spy_main(label, data, file_name=None, *args, **kwargs):
        found[kwargs.get("key") or label] = (file_name, data)
        return on_main(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    monkeypatch.setattr(st, "download_button", spy_main)
    return found


def page(monkeypatch, db_path, account: str):
    monkeypatch.setenv("DASHBOARD_DB", str(db_path))
    at = logged_in(account).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def collection(at) -> dict:
    frame = next(d.value for d in at.dataframe if "状态" in d.value.columns)
    return dict(zip(frame["单位"], frame["状态"], strict=True))


def test_office_downloads_every_units_workbook_as_a_zip_recorded(monkeypatch, db, offered):
    """纪委办: 全部单位 gives a zip of both units' workbooks, made on the click and recorded as an export; 收集情况
    lists both units as waiting for 2025Q3."""
    at = page(monkeypatch, db, "office")
    assert [t.value for t in at.title] == ["更新表"]  # the menu's title, as on every page
    assert collection(at) == {"财务部": "⏳ 待报送", "采购部": "⏳ 待报送"}
    name, make = offered["workbook_download"]
    assert name == "2025年第三季度问题整改更新表.zip"
    with zipfile.ZipFile(io.BytesIO(make())) as zf:
        assert len(zf.namelist()) == 2
    newest = audit.entries(db).iloc[0]
    assert newest["action"] == "workbook_export" and newest["who"] == "office"


def test_department_head_gets_only_their_units_workbook(monkeypatch, db, offered):
    """部门负责人: no unit choice, the download is 采购部's own workbook; 收集情况 shows their unit alone."""
    at = page(monkeypatch, db, "head")
    assert not [s for s in at.selectbox if s.label == "单位"]
    name, make = offered["workbook_download"]
    assert name.startswith("采购部_") and workbook_marker.read(make()).unit == "采购部"
    assert list(collection(at)) == ["采购部"]


def test_import_preview_shows_the_changes_and_the_notice_follows(monkeypatch, db):
    """A returned workbook uploaded on 台账导入 shows its changes before import; once imported, 更新表 shows 采购部
    returned and 财务部 not reported, and 总览 warns that 财务部's figures are carried over."""
    name, content = generate(db, OFFICE)
    at = open_page(monkeypatch, db)
    upload(at, (name, fill_in(content)))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["有变化的问题"] == "2" and metrics["新增问题"] == "1" and metrics["未列出（沿用上期）"] == "1"
    changed = next(d.value for d in at.dataframe if "上期" in d.value.columns)
    assert ("C-2", "整改时限", "2025-09-30", "2025-12-31") in [
        (r["问题编号"], r["项目"], r["上期"], r["本期"]) for _, r in changed.iterrows()]
    click_import(at)
    at.switch_page(PAGE).run()
    assert collection(at) == {"采购部": "✅ 已回收更新表", "财务部": "⚠️ 未报送（沿用上期）"}
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    notices = [w.value for w in at.warning if "未报送" in w.value]
    assert notices and "财务部" in notices[0] and "1 个未完成整改的问题沿用上期状态" in notices[0]
