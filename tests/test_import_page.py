"""台账导入 page, headless (AppTest): templates, upload and check, import, validation report, period choice, undo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import db as db_module
from analytics import templates
from analytics.db import connect
from analytics.errors import DatabaseBusy
from analytics.metrics import headline
from analytics.periods import parse_period
from tests.conftest import HEADER, database_digest, load, logged_in, problem_row, write_xlsx

PAGE = "app_pages/import_ledgers.py"
MIME = "application/octet-stream"
REPORT_COLUMNS = ["工作表", "行号", "列", "值", "原因"]


def open_page(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(default_timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, *files: Path | tuple[str, bytes]) -> AppTest:
    items = [(f.name, f.read_bytes(), MIME) if isinstance(f, Path) else (*f, MIME) for f in files]
    at.file_uploader[0].set_value(items).run()
    assert not at.exception, at.exception
    return at


def text(at: AppTest) -> str:
    """Everything the page wrote as text (markdown escapes and bold marks removed)."""
    parts = [e.value for kind in ("markdown", "caption", "success", "info", "warning", "error") for e in at.get(kind)]
    return "\n".join(parts).replace("\\", "").replace("**", "")


def period_box(at: AppTest):
    return next(s for s in at.selectbox if s.label == "所属期间")


def report(at: AppTest) -> pd.DataFrame:
    """The validation report table."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == REPORT_COLUMNS)


def click_import(at: AppTest) -> AppTest:
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    return at


def figures(db: Path, period: str) -> dict:
    con = connect(db, read_only=True)
    try:
        return headline(con, parse_period(period))
    finally:
        con.close()


def digest(db: Path) -> str:
    con = connect(db, read_only=True)
    try:
        return database_digest(con)
    finally:
        con.close()


def problem_state(db: Path) -> list:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT * FROM problem_state ORDER BY ALL").fetchall()
    finally:
        con.close()


def overview_metrics(at: AppTest) -> dict[str, str]:
    """The 总览 page's cards as a user switching to it sees them; then back to the import page."""
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "总览"
    cards = {m.label: m.value for m in at.metric}
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return cards


def test_empty_database_offers_templates_and_creates_nothing(monkeypatch, tmp_path):
    db = tmp_path / "new.duckdb"
    at = open_page(monkeypatch, db)
    assert [b.label for b in at.get("download_button")] == ["问题整改台账模板", "监督清单模板", "评分表模板"]
    assert len(at.file_uploader) == 1 and at.file_uploader[0].accept_multiple_files
    assert set(at.file_uploader[0].allowed_type) >= {".xlsx", ".xlsm", ".xls", ".csv"}
    assert "还没有导入记录" in text(at)
    assert not db.exists()  # looking is not writing


def test_upload_import_and_undo_through_the_page(monkeypatch, tmp_path, sample):
    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)

    # Q1: one-row header under a title and a 填报单位 line
    upload(at, sample("2024年第一季度问题整改台账.xlsx"))
    page = text(at)
    assert "类型：问题整改台账" in page
    assert "表头在第 3 行" in page and "两行表头" not in page
    assert "2024年第一季度（2024Q1），来源：文件名" in page
    assert "「填表说明」填表说明，不是台账" in page
    assert period_box(at).value == "2024Q1"
    mapping = next(d.value for d in at.dataframe if list(d.value.columns) == ["原表头", "列", "导入为", "映射来源"])
    assert tuple(mapping.set_index("原表头").loc["责任部门", ["导入为", "映射来源"]]) == ("责任单位", "表头")
    assert {m.label: m.value for m in at.metric} == {"有效行": "12", "问题数": "12", "有错误的行": "0", "跳过的行": "3"}
    assert "未发现错误" in page
    click_import(at)
    assert "已导入 12 行（2024Q1）" in text(at)
    assert figures(db, "2024Q1")["total"] == 12
    assert overview_metrics(at)["问题总数"] == "12"

    # the same file again: recognised, nothing to import
    upload(at, sample("2024年第一季度问题整改台账.xlsx"))
    assert "已导入过（导入记录 #1）" in text(at)
    assert at.button(key="import_button").disabled

    # Q2: a two-row header; the figures move on to the new quarter
    upload(at, sample("2024年第二季度问题整改台账.xlsx"))
    assert "两行表头" in text(at) and period_box(at).value == "2024Q2"
    click_import(at)
    assert figures(db, "2024Q2")["total"] == 15
    assert figures(db, "2024Q1")["total"] == 12
    assert overview_metrics(at)["问题总数"] == "15"
    before_csv = problem_state(db)

    # a GBK CSV without a quarter in its name: the page asks, then imports into the chosen quarter
    upload(at, sample("专项监督问题清单_GBK.csv"))
    assert period_box(at).value is None
    assert "请在上方选择所属期间" in text(at)
    assert at.button(key="import_button").disabled
    period_box(at).set_value("2024Q2").run()
    assert not at.exception
    assert "来源：指定" in text(at)
    click_import(at)
    assert "已导入 5 行（2024Q2）" in text(at)
    assert problem_state(db) != before_csv

    # undo the CSV through the history: the state is what it was before it
    history = next(d.value for d in at.dataframe if "编号" in d.value.columns)
    assert list(history["编号"]) == [3, 2, 1] and set(history["状态"]) == {"有效"}
    assert at.selectbox(key="undo_id").value == 3
    assert at.button(key="undo_button").disabled  # nothing happens without the confirmation
    at.checkbox(key="undo_confirm").check().run()
    at.button(key="undo_button").click().run()
    assert not at.exception, at.exception
    assert "已撤销导入记录 #3" in text(at)
    assert problem_state(db) == before_csv
    history = next(d.value for d in at.dataframe if "编号" in d.value.columns)
    assert list(history["状态"]) == ["已撤销", "有效", "有效"]
    assert not at.checkbox(key="undo_confirm").value  # the next undo asks again

    # and the Q2 ledger: the figures go back to the first quarter
    at.selectbox(key="undo_id").set_value(2).run()
    at.checkbox(key="undo_confirm").check().run()
    at.button(key="undo_button").click().run()
    assert not at.exception, at.exception
    assert figures(db, "2024Q2")["total"] == 0  # no ledger covers 2024Q2 any more
    assert figures(db, "2024Q1")["total"] == 12
    assert overview_metrics(at)["问题总数"] == "12"


def test_invalid_rows_are_reported_and_nothing_is_written(monkeypatch, tmp_path, con, sample):
    load(con, sample("2024年第一季度问题整改台账.xlsx"))
    con.close()
    db = tmp_path / "test.duckdb"
    bad = write_xlsx(tmp_path / "2024年第二季度补充台账.xlsx",
                     {"台账": [HEADER, problem_row(1, "B-1"), problem_row(2, "B-2", status="搁置")]})
    before = digest(db)
    at = open_page(monkeypatch, db)
    upload(at, bad)
    issues = report(at)
    assert issues.to_dict("records") == [{"工作表": "台账", "行号": 3, "列": "整改状态（J 列）", "值": "搁置",
                                          "原因": issues["原因"][0]}]
    assert "整改状态" in issues["原因"][0]
    assert {m.label: m.value for m in at.metric} == {"有效行": "1", "问题数": "1", "有错误的行": "1", "跳过的行": "0"}
    assert "有 1 项需要在「映射确认」中选择" in text(at)  # an unknown status word is asked about
    assert at.button(key="import_button").disabled
    assert digest(db) == before

    # 只导入有效行: the good row goes in, the bad one is listed
    at.checkbox(key="skip_invalid").check().run()
    assert not at.button(key="import_button").disabled
    click_import(at)
    assert "跳过 1 行有错误的数据" in text(at)
    assert report(at)["行号"].tolist() == [3]  # the skipped rows stay visible after the rerun
    assert figures(db, "2024Q2")["total"] == 13


def test_blank_template_uploaded_back_has_nothing_to_import(monkeypatch, tmp_path):
    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)
    upload(at, ("问题整改台账模板.xlsx", templates.problem_template()))
    assert period_box(at).value is None  # the title's blanks name no quarter
    period_box(at).set_value("2024Q3").run()
    page = text(at)
    assert "表头在第 2 行" in page and "「填表说明」填表说明，不是台账" in page
    assert "没有可导入的有效行" in page
    assert at.button(key="import_button").disabled
    assert not db.exists()


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("坏文件.xlsx", b"PK\x03\x04 not really a zip", "文件已损坏"),
    ("说明.csv", b"\x00\x01\x02binary", "不是文本格式"),
    ("空文件.xlsx", b"", "文件为空"),
])
def test_unreadable_file_is_an_error_message_not_a_traceback(monkeypatch, tmp_path, name, data, reason):
    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)
    upload(at, (name, data))
    assert [e.value for e in at.error] and reason in at.error[0].value
    assert at.button(key="import_button").disabled
    assert not db.exists()


def test_several_files_at_once_import_in_quarter_order(monkeypatch, tmp_path, sample):
    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)
    # chosen in the wrong order: Q2 first
    upload(at, sample("2024年第二季度问题整改台账.xlsx"), sample("2024年第一季度问题整改台账.xlsx"))
    assert [s.value for s in at.selectbox if s.label == "所属期间"] == ["2024Q2", "2024Q1"]
    assert at.button(key="import_button").label == "导入 2 个文件"
    click_import(at)
    assert [e.value.replace("\\", "") for e in at.success] == [
        "2024年第一季度问题整改台账.xlsx：已导入 12 行（2024Q1）：新增问题 12 个，更新 0 个",
        "2024年第二季度问题整改台账.xlsx：已导入 15 行（2024Q2）：新增问题 3 个，更新 12 个",
    ]
    assert not at.file_uploader[0].value  # the uploader is emptied once its files are in
    assert figures(db, "2024Q2")["total"] == 15


def test_busy_database_is_a_message_and_the_files_stay(monkeypatch, tmp_path, sample):
    """Another program (the CLI) holds the file for writing: a Chinese error, nothing half-done, retry works."""
    real_open_db = db_module.open_db

    def busy(path, read_only=False):
        if not read_only:
            raise DatabaseBusy("数据库正被另一个程序使用（可能正在导入），请稍后再试")
        return real_open_db(path, read_only=True)

    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)
    upload(at, sample("2024年第一季度问题整改台账.xlsx"))
    monkeypatch.setattr(db_module, "open_db", busy)  # the page imports it afresh on every run
    click_import(at)
    assert "数据库正被另一个程序使用" in at.error[0].value
    assert not db.exists()
    monkeypatch.setattr(db_module, "open_db", real_open_db)
    assert not at.button(key="import_button").disabled  # still uploaded, ready to try again
    click_import(at)
    assert figures(db, "2024Q1")["total"] == 12
