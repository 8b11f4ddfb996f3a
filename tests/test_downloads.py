"""Every table a page shows has its own download, audited and formula-safe, in place of the table toolbar's CSV
(turned off: it was not audited, left formulas live and had English headers)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import audit
from analytics.export.table import to_xlsx
from tests.conftest import HEADER, logged_in, problem_row, write_xlsx
from tests.test_import_page import upload


def cells(content: bytes) -> list[list[object]]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_a_table_keeps_its_headers_types_and_text_as_text():
    frame = pd.DataFrame({"单位": ["=HYPERLINK(\"http://x\")", "财务部"], "问题数": [3, 0],
                          "销号率": [0.5, None], "得分": [91.25, 88.0], "时限": [pd.Timestamp("2025-06-30"), pd.NaT],
                          "复发": [True, False]})
    content = to_xlsx(frame, "各单位:情况?", {"销号率": "percent", "得分": "score", "时限": "date", "问题数": "int"})
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws.title == "各单位_情况_"  # characters a sheet name may not hold are replaced
    rows = cells(content)
    assert rows[0] == ["单位", "问题数", "销号率", "得分", "时限", "复发"]
    assert rows[1] == ['=HYPERLINK("http://x")', 3, 0.5, 91.25, dt.datetime(2025, 6, 30), "是"]
    assert ws["A2"].data_type == "s"  # a string, not a formula
    assert rows[2] == ["财务部", 0, None, 88, None, "否"]
    assert ws["C2"].number_format == "0.0%" and ws["D2"].number_format == "0.0" and ws["E2"].number_format == \
        "yyyy-mm-dd"


# ---- the pages: every table's download, caught where Streamlit registers it ----

@pytest.fixture
def offered(monkeypatch) -> dict[str, tuple[str, object]]:
    """label key → (file name, the callable that makes the file) of every download button a page draws."""
    found: dict[str, tuple[str, object]] = {}
    original, on_main = DeltaGenerator.download_button, st.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        found[kwargs.get("key") or label] = (file_name, data)
        return original(self, label, data, file_name, *args, **kwargs)

    def spy_main(label, data, file_name=None, *args, **kwargs):  # st.download_button: bound when st was imported
        found[kwargs.get("key") or label] = (file_name, data)
        return on_main(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    monkeypatch.setattr(st, "download_button", spy_main)
    return found


PAGE_TABLES = {
    "app_pages/overview.py": ["overview_counts_table", "overview_rates_table", "overview_worst_table"],
    "app_pages/trends.py": ["trends_by_source_table", "trends_by_dimension_table", "trends_matrix_table",
                            "trends_new_closed_table"],
    "app_pages/rectification.py": ["rect_by_unit_table", "rect_ageing_table", "rect_bands_table",
                                   "rect_lookback_table"],
    "app_pages/scores.py": ["score_ranking_table", "score_radar_table", "score_matrix_table", "deductions",
                            "score_history_table"],
    "app_pages/unit_portrait.py": ["portrait_dims_table", "portrait_trend_table", "portrait_open_table",
                                   "portrait_warnings_table"],
    "app_pages/supervision.py": ["supervision_trend_table", "supervision_aspect_table", "supervision_unit_table",
                                 "supervision_list_table"],
    "app_pages/follow_up.py": ["follow_up_warnings_table"],
}


@pytest.mark.parametrize("page", list(PAGE_TABLES))
def test_every_table_on_an_analysis_page_has_an_audited_download(monkeypatch, demo_db, tmp_path, offered, page):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("secretary").run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    tables = PAGE_TABLES[page]
    assert {f"{t}_download" for t in tables} <= set(offered)
    for table in tables:
        name, make = offered[f"{table}_download"]
        assert callable(make), "made only when asked for, and recorded then"
        before = len(audit.entries(db))
        content = make()
        rows = cells(content)
        assert rows[0] and all(isinstance(h, str) and not h.isascii() for h in rows[0]), rows[0]  # Chinese headers
        assert len(rows) > 1 and name.endswith(".xlsx")
        entries = audit.entries(db)
        assert len(entries) == before + 1
        newest = entries.iloc[0]
        assert newest["action"] == "download" and newest["who"] == "secretary"
        assert name.removesuffix(".xlsx").split("_")[0] in newest["details"]


def test_the_users_list_download_is_audited(monkeypatch, demo_db, tmp_path, offered):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("admin").run()
    at.switch_page("app_pages/users.py").run()
    name, make = offered["users_table_download"]
    rows = cells(make())
    assert name == "用户列表.xlsx"
    assert rows[0] == ["用户名", "角色", "单位", "演示账号", "最近修改"]
    assert {r[0] for r in rows[1:]} >= {"admin", "head"}
    assert audit.entries(db).iloc[0]["action"] == "download"


def test_an_upload_preview_and_its_report_are_downloadable(monkeypatch, tmp_path, offered):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "d.duckdb"))
    ledger = write_xlsx(tmp_path / "2025年第二季度问题整改台账.xlsx",
                        {"台账": [HEADER, problem_row(1, "X-1"), problem_row(2, "X-2", "看情况")]})
    at = logged_in("office").run()
    at.switch_page("app_pages/import_ledgers.py").run()
    upload(at, ledger)
    keys = {k for k in offered if k.startswith(("preview_", "issues_", "mapping_"))}
    assert {k.split("_")[0] for k in keys} == {"preview", "issues", "mapping"}
    report = next(k for k in keys if k.startswith("issues_"))
    rows = cells(offered[report][1]())
    assert rows[0] == ["工作表", "行号", "列", "值", "原因"] and rows[1][3] == "看情况"
    assert audit.entries(Path(tmp_path / "d.duckdb")).iloc[0]["action"] == "download"
