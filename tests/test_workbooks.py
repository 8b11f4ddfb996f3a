"""Update workbooks (一表同享): generated per unit, filled in by a script as a unit would, returned and imported
with no question; the preview of what changed; the collection (收集情况) and the not-reported units; who may do it,
and the audit trail."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from analytics import actions, audit
from analytics.access import AccessDenied, User
from analytics.cli import main
from analytics.config import STATUSES, ledger_config
from analytics.db import connect
from analytics.ingest.parse import parse_file
from analytics.periods import parse_period
from analytics.workbooks import marker as workbook_marker
from analytics.workbooks import records
from analytics.workbooks.build import EDITABLE, FIELDS, NEW_SHEET, UPDATE_SHEET
from tests.conftest import CFG, load, write_xlsx

OFFICE = User("office", "纪委办")
HEAD = User("head", "部门负责人", "采购部")
MEMBER = User("member", "纪委委员")
Q2 = parse_period("2025Q2")
Q3 = parse_period("2025Q3")
LEDGER_HEADER = ["问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "责任人", "整改措施", "发现时间",
                 "整改时限", "整改进展", "整改状态", "销号时间"]
# 采购部 has four problems open at the end of 2025Q2 (one without a code), one closed and one from a confidential
# source; 财务部 one open problem.
LEDGER_Q2 = [
    ["C-1", "巡视巡察", "作风建设", "公务接待超标准", "采购部", "王五", "修订接待制度", "2025-04-01", "2025-06-30",
     "制度修订中", "整改中", None],
    ["C-2", "审计", "廉洁建设", "供应商比选不充分", "采购部", "王五", "建立比选台账", "2025-04-10", "2025-09-30",
     None, "未启动", None],
    ["C-3", "日常监督", "两个责任", "主体责任清单未细化", "采购部", "赵六", "常态化督促", "2025-04-15", "长期坚持",
     None, "长期整改", None],
    [None, "巡视巡察", "作风建设", "合同管理台账不完整", "采购部", "王五", "补齐台账", "2025-05-01", "2025-08-31",
     "已补齐一半", "整改中", None],
    ["C-6", "审计", "廉洁建设", "零星采购未比价", "采购部", "王五", "补充比价", "2025-04-01", "2025-05-31",
     "已完成", "已销号", "2025-05-20"],
    ["C-7", "信访举报", "作风建设", "反映采购人员收受礼品", "采购部", "王五", "核查", "2025-05-10", "2025-07-31",
     None, "整改中", None],
    ["C-5", "审计", "廉洁建设", "报销审核不严", "财务部", "钱七", "加强审核", "2025-04-01", "2025-09-30",
     None, "整改中", None],
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return ledger_db(tmp_path)


def ledger_db(tmp_path: Path) -> Path:
    """A database holding LEDGER_Q2."""
    path = tmp_path / "wb.duckdb"
    con = connect(path)
    try:
        ledger = write_xlsx(tmp_path / "2025年第二季度问题整改台账.xlsx", {"台账": [LEDGER_HEADER, *LEDGER_Q2]})
        result = load(con, ledger)
        assert result.outcome == "imported", [i.message() for i in result.issues]
    finally:
        con.close()
    return path


def generate(db: Path, user: User, units: list[str] | None = ["采购部"], **kw) -> tuple[str, bytes]:  # noqa: B006
    con = connect(db)
    try:
        return actions.update_workbooks(con, user, Q2, units, cfg=CFG, ledger_cfg=ledger_config(), **kw)
    finally:
        con.close()


def sheet_rows(content: bytes, sheet: str = UPDATE_SHEET) -> list[tuple]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[sheet]
    return [r for r in ws.iter_rows(min_row=3, values_only=True) if any(v is not None for v in r)]


def column(header: str) -> int:
    """1-based column of a header on both sheets."""
    from analytics.workbooks.build import columns

    return [c.header for c in columns()].index(header) + 1


def fill_in(content: bytes) -> bytes:
    """What the unit does: C-1 completed with a date, C-2 started with a new deadline, C-3 left as it was, the
    uncoded problem's row deleted, and a new problem on the second sheet."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[UPDATE_SHEET]
    rows = {ws.cell(r, 1).value or ws.cell(r, column("问题描述")).value: r for r in range(3, ws.max_row + 1)}
    r = rows["C-1"]
    ws.cell(r, column("整改状态"), "已整改")
    ws.cell(r, column("整改进展"), "接待制度已修订印发")
    ws.cell(r, column("销号时间"), dt.datetime(2025, 8, 15))
    r = rows["C-2"]
    ws.cell(r, column("整改状态"), "整改中")
    ws.cell(r, column("整改进展"), "比选台账已建立")
    ws.cell(r, column("整改时限"), dt.datetime(2025, 12, 31))
    ws.delete_rows(rows["合同管理台账不完整"])
    new = wb[NEW_SHEET]
    for header, value in (("问题编号", "C-9"), ("问题来源", "巡视巡察"), ("问题类别", "作风建设"),
                          ("问题描述", "=HYPERLINK(\"http://x\")采购计划未公示"), ("责任单位", "采购部"),
                          ("整改时限", dt.datetime(2025, 12, 31)), ("整改状态", "未启动")):
        new.cell(3, column(header)).value = value
        new.cell(3, column(header)).data_type = "s" if isinstance(value, str) else new.cell(3, column(header)).data_type
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_workbook_lists_the_units_problems_not_yet_closed_prefilled(db):
    """Every problem of 采购部 not yet 销号 at the end of 2025Q2, as the ledger gave it; never the closed one, another
    unit's, or a confidential source's (a complaint must not reach the unit it is about)."""
    name, content = generate(db, OFFICE)
    assert name == "采购部_2025年第三季度问题整改更新表.xlsx"
    rows = sheet_rows(content)
    by_description = {r[column("问题描述") - 1]: r for r in rows}
    assert set(by_description) == {"公务接待超标准", "供应商比选不充分", "主体责任清单未细化", "合同管理台账不完整"}
    c1 = by_description["公务接待超标准"]
    assert c1[column("问题编号") - 1] == "C-1" and c1[column("整改状态") - 1] == "整改中"
    assert c1[column("整改时限") - 1] == dt.datetime(2025, 6, 30)
    assert c1[column("整改措施") - 1] == "修订接待制度" and c1[column("整改进展") - 1] == "制度修订中"
    assert c1[column("责任人") - 1] == "王五" and c1[column("问题来源") - 1] == "巡视巡察"
    assert by_description["主体责任清单未细化"][column("整改时限") - 1] == "长期坚持"
    assert by_description["合同管理台账不完整"][column("问题编号") - 1] is None


def test_codes_and_descriptions_locked_status_progress_dates_editable(db):
    """The sheet is protected: a unit cannot rewrite what identifies a problem, only what it reports."""
    _, content = generate(db, OFFICE)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[UPDATE_SHEET]
    assert ws.protection.sheet and wb[NEW_SHEET].protection.sheet
    for c, (fld, _) in enumerate(FIELDS, 1):
        assert ws.cell(3, c).protection.locked is (fld not in EDITABLE), fld
        assert wb[NEW_SHEET].cell(3, c).protection.locked is False, fld
    assert ws.cell(2, column("整改状态")).protection.locked  # the header too


def test_status_drop_down_of_the_products_words_and_dates_checked(db):
    """整改状态 only takes the five status words (a list on the hidden sheet); 销号时间 only a date."""
    _, content = generate(db, OFFICE)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb["下拉选项"].sheet_state == "hidden"
    for sheet in (UPDATE_SHEET, NEW_SHEET):
        checks = {str(v.sqref).split(":")[0][0]: v for v in wb[sheet].data_validations.dataValidation}
        status = checks[openpyxl.utils.get_column_letter(column("整改状态"))]
        assert status.type == "list" and status.errorStyle in (None, "stop")
        letter = status.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
        listed = [c.value for c in wb["下拉选项"][letter][1:] if c.value]
        assert tuple(listed) == STATUSES
        closed = checks[openpyxl.utils.get_column_letter(column("销号时间"))]
        assert closed.type == "date" and closed.errorStyle in (None, "stop")
    unit = {str(v.sqref)[0]: v for v in wb[NEW_SHEET].data_validations.dataValidation}[
        openpyxl.utils.get_column_letter(column("责任单位"))]
    assert unit.type == "list"


def test_ledger_text_stays_text_never_a_formula(tmp_path):
    """A description typed as "=HYPERLINK(...)" (CSV injection's cousin) is written as a string cell."""
    path = tmp_path / "f.duckdb"
    con = connect(path)
    csv = ("问题编号,问题来源,问题描述,责任单位,整改状态\nF-1,审计,\"=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",采购部,整改中\n")
    try:
        assert load(con, _write(tmp_path / "2025年第二季度台账.csv", csv.encode())).outcome == "imported"
        _, content = actions.update_workbooks(con, OFFICE, Q2, ["采购部"], cfg=CFG, ledger_cfg=ledger_config())
    finally:
        con.close()
    ws = openpyxl.load_workbook(io.BytesIO(content))[UPDATE_SHEET]
    cell = ws.cell(3, column("问题描述"))
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_marker_identifies_unit_and_periods_and_survives_a_save(db):
    """The custom properties name the workbook, its unit and quarters; openpyxl (as Excel or WPS would) keeps them."""
    _, content = generate(db, OFFICE)
    marker = workbook_marker.read(fill_in(content))
    assert (marker.unit, marker.base_period, marker.period) == ("采购部", "2025Q2", "2025Q3")
    assert workbook_marker.read(b"not a zip") is None


def test_returned_workbook_imports_with_no_question_and_the_right_changes(db):
    """Filled in by a script, the workbook is read as 采购部's 2025Q3 ledger with no question and no error; the
    preview lists each changed field, the new problem and the row deleted (carried over); the import stores it."""
    name, content = generate(db, OFFICE)
    data = fill_in(content)
    parsed = parse_file(name, data)
    assert str(parsed.period) == "2025Q3"
    assert parsed.questions == [] and parsed.issues == []
    marker = workbook_marker.read(data)
    con = connect(db)
    try:
        changes = actions.workbook_changes(con, OFFICE, parsed, marker)
        changed = {(r.problem_code, r.field): (r.before, r.after) for r in changes.changed.itertuples()}
        assert changed == {
            ("C-1", "整改状态"): ("整改中", "已整改"), ("C-1", "整改进展"): ("制度修订中", "接待制度已修订印发"),
            ("C-1", "销号时间"): (None, "2025-08-15"),
            ("C-2", "整改状态"): ("未启动", "整改中"), ("C-2", "整改进展"): (None, "比选台账已建立"),
            ("C-2", "整改时限"): ("2025-09-30", "2025-12-31"),
        }
        assert changes.unchanged == 1  # C-3
        assert changes.new["problem_code"].tolist() == ["C-9"]
        assert changes.carried["description"].tolist() == ["合同管理台账不完整"]
        assert changes.other_units == []
        result = actions.import_file(con, OFFICE, parsed, cfg=CFG, workbook=marker)
        assert result.outcome == "imported" and (result.problems_new, result.problems_updated) == (1, 3)
        state = {r[0] or r[1]: r[2:] for r in con.execute(
            "SELECT problem_code, description, status, deadline, closed_date, listed FROM problem_state "
            "WHERE period_no = ? AND unit = '采购部'", [Q3.index]).fetchall()}
    finally:
        con.close()
    assert state["C-1"] == ("已整改", dt.date(2025, 6, 30), dt.date(2025, 8, 15), True)
    assert state["C-2"] == ("整改中", dt.date(2025, 12, 31), None, True)
    assert state["C-3"][0] == "长期整改" and state["C-3"][3]
    assert state["合同管理台账不完整"] == ("整改中", dt.date(2025, 8, 31), None, False)  # carried over
    assert state["C-9"][0] == "未启动" and state["C-9"][3]
    assert state["C-7"][3] is False  # the confidential problem, never in the workbook, carried too


def test_collection_and_not_reported_units(db):
    """After 采购部's workbook is imported, 收集情况 for 2025Q3 shows it returned and 财务部 not reported (its problem
    carried over); undoing the import takes the return back."""
    _, content = generate(db, OFFICE, None)  # both units, as a zip
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    assert sorted(files) == ["财务部_2025年第三季度问题整改更新表.xlsx", "采购部_2025年第三季度问题整改更新表.xlsx"]
    con = connect(db)
    try:
        before = actions.workbook_collection(con, OFFICE, Q3)
        assert dict(zip(before["unit"], before["state"], strict=True)) == {"财务部": records.WAITING,
                                                                         "采购部": records.WAITING}
        data = fill_in(files["采购部_2025年第三季度问题整改更新表.xlsx"])
        parsed = parse_file("采购部.xlsx", data)
        result = actions.import_file(con, OFFICE, parsed, cfg=CFG, workbook=workbook_marker.read(data))
        after = actions.workbook_collection(con, OFFICE, Q3).set_index("unit")
        assert after.loc["采购部", "state"] == records.RETURNED and after.loc["采购部", "import_id"] == result.import_id
        assert after.loc["财务部", "state"] == records.MISSING and after.loc["财务部", "carried"] == 1
        missing = actions.not_reported(con, OFFICE, Q3)
        assert missing.to_dict("records") == [{"unit": "财务部", "carried": 1}]
        assert actions.not_reported(con, HEAD, Q3).empty  # a head's scope: their own unit, which reported
        actions.undo(con, OFFICE, result.import_id, cfg=CFG)
        undone = actions.workbook_collection(con, OFFICE, Q3)
        assert set(undone["state"]) == {records.WAITING}
    finally:
        con.close()


def test_a_workbook_with_a_forged_check_code_is_no_return(db):
    """Properties copied into another file with a made-up check code do not mark the unit as returned."""
    name, content = generate(db, OFFICE)
    data = fill_in(content)
    real = workbook_marker.read(data)
    forged = workbook_marker.Marker(real.workbook_id, real.unit, real.base_period, real.period, "0" * 16)
    con = connect(db)
    try:
        parsed = parse_file(name, data)
        assert not actions.returned_workbook(con, parsed, forged)
        actions.import_file(con, OFFICE, parsed, cfg=CFG, workbook=forged)
        state = actions.workbook_collection(con, OFFICE, Q3).set_index("unit").loc["采购部", "state"]
    finally:
        con.close()
    assert state == records.REPORTED


def test_department_head_gets_their_own_units_workbook_only(db):
    """部门负责人: their unit's workbook (asked by name or not), never another unit's; no import preview."""
    name, _ = generate(db, HEAD, None)
    assert name.startswith("采购部_")
    with pytest.raises(AccessDenied):
        generate(db, HEAD, ["财务部"])
    assert generate(db, MEMBER, ["财务部"])[0].startswith("财务部_")  # 纪委委员 may export
    con = connect(db)
    try:
        parsed = parse_file(name, generate(db, OFFICE)[1])
        with pytest.raises(AccessDenied):
            actions.workbook_changes(con, HEAD, parsed, workbook_marker.read(generate(db, OFFICE)[1]))
        collection = actions.workbook_collection(con, HEAD, Q3)
    finally:
        con.close()
    assert collection["unit"].tolist() == ["采购部"]


def test_generation_and_return_are_in_the_audit_trail(db):
    """Generating is an export: recorded with period, units, problems and the file's sha256; the import of a
    returned workbook is recorded like any import."""
    import hashlib

    name, content = generate(db, OFFICE)
    entry = audit.entries(db, newest_first=True).iloc[0]
    assert entry["action"] == "workbook_export" and entry["who"] == "office"
    details = entry["details"]
    assert "2025Q2" in str(details) and "采购部" in str(details) and hashlib.sha256(content).hexdigest() in str(details)
    con = connect(db)
    try:
        data = fill_in(content)
        actions.import_file(con, OFFICE, parse_file(name, data), cfg=CFG, workbook=workbook_marker.read(data))
    finally:
        con.close()
    assert audit.entries(db, newest_first=True).iloc[0]["action"] == "import"
    assert audit.verify(db) == []


def test_cli_writes_a_zip_a_folder_or_one_file_and_import_describes_the_return(db, tmp_path, capsys):
    """python -m analytics workbooks: a zip of every unit's, a folder, one unit's xlsx; a returned one imported by
    the CLI says what it changes."""
    assert main(["workbooks", "--db", str(db), "--period", "2025Q2", "--out", str(tmp_path / "all.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "all.zip") as zf:
        assert len(zf.namelist()) == 2
    assert main(["workbooks", "--db", str(db), "--period", "2025Q2", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "财务部_2025年第三季度问题整改更新表.xlsx", "采购部_2025年第三季度问题整改更新表.xlsx"]
    assert main(["workbooks", "--db", str(db), "--period", "2025Q2", "--out", str(tmp_path / "one.xlsx")]) == 1
    assert "--unit" in capsys.readouterr().err
    one = tmp_path / "采购部_2025年第三季度问题整改更新表.xlsx"
    assert main(["workbooks", "--db", str(db), "--period", "2025Q2", "--unit", "采购部", "--out", str(one)]) == 0
    one.write_bytes(fill_in(one.read_bytes()))
    capsys.readouterr()
    assert main(["import", "--db", str(db), str(one)]) == 0
    out = capsys.readouterr().out
    assert "更新表：采购部" in out and "有变化的问题 2 个" in out and "C-2 整改时限：2025-09-30 → 2025-12-31" in out
    assert "沿用上期：（无编号） 合同管理台账不完整" in out
    assert main(["workbooks", "--db", str(db), "--period", "2030Q1", "--out", str(tmp_path / "x.zip")]) == 1
