"""Bad input: a clear Chinese message naming file, sheet, Excel row and column; nothing stored is changed."""

from __future__ import annotations

import io

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from analytics.errors import FileRejected
from analytics.ingest.parse import parse_file
from analytics.summary import summary
from tests.conftest import CFG, HEADER, database_digest, load, problem_row, write_xlsx

FILE = "2024年第三季度问题整改台账.xlsx"


@pytest.fixture
def loaded(con, sample):
    """A database that already holds two quarters: a rejected file must leave it exactly as it is."""
    load(con, sample("2024年第一季度问题整改台账.xlsx"))
    load(con, sample("2024年第二季度问题整改台账.xlsx"))
    return con


def ledger_with(tmp_path, *rows):
    return write_xlsx(tmp_path / FILE, {"台账": [["2024年第三季度问题整改台账"], HEADER, *rows]})


BAD_ROWS = {  # bad row, where (row, column) and why
    "missing-unit": (problem_row(2, "B-2", unit=None), "第 4 行", "「责任单位」列（F 列）",
                     "必填项「责任单位」为空"),
    "missing-description": (problem_row(2, "B-2", description="  "), "第 4 行", "「问题描述」列（E 列）",
                            "必填项「问题描述」为空"),
    "unknown-status": (problem_row(2, "B-2", "搁置"), "第 4 行", "「整改状态」列（J 列）",
                       "值「搁置」，无法识别的整改状态"),
    "bad-date": (problem_row(2, "B-2", deadline="下月底"), "第 4 行", "「整改时限」列（I 列）",
                 "值「下月底」，无法识别的整改时限"),
    "bad-closed-date": (problem_row(2, "B-2", "已销号", closed="2024年2月30日"), "第 4 行",
                        "「销号时间」列（K 列）", "无法识别的日期"),
    "same-code-different-content": (problem_row(2, "B-1", description="另一个问题"), "第 4 行",
                                    "「问题编号」列（B 列）", "问题编号与第 3 行重复，但内容不同"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_bad_row_rejects_the_whole_file_and_names_the_cell(loaded, tmp_path, case):
    bad_row, row, column, reason = BAD_ROWS[case]
    before = database_digest(loaded)
    result = load(loaded, ledger_with(tmp_path, problem_row(1, "B-1"), bad_row))
    assert result.outcome == "rejected"
    assert len(result.issues) == 1
    message = result.issues[0].message()
    for part in (f"文件「{FILE}」", "工作表「台账」", row, column, reason):
        assert part in message, (part, message)
    assert database_digest(loaded) == before


def test_skip_invalid_imports_the_valid_rows_and_lists_the_rest(loaded, tmp_path):
    path = ledger_with(tmp_path, problem_row(1, "B-1"), problem_row(2, "B-2", "搁置"), problem_row(3, "B-3"),
                       problem_row(4, "B-4", deadline="明年"))
    result = load(loaded, path, skip_invalid=True)
    assert result.outcome == "imported"
    assert (result.rows_valid, result.rows_invalid) == (2, 2)
    assert [i.row for i in result.issues] == [4, 6]
    codes = {r[0] for r in loaded.execute("SELECT problem_code FROM problem_state WHERE period = '2024Q3'").fetchall()}
    assert {"B-1", "B-3"} <= codes and not {"B-2", "B-4"} & codes


def test_missing_required_column_is_named(loaded, tmp_path):
    path = write_xlsx(tmp_path / FILE, {"台账": [["问题描述", "责任单位", "问题来源"], ["a", "b", "巡察"]]})
    before = database_digest(loaded)
    result = load(loaded, path)
    assert result.outcome == "rejected"
    assert "缺少必填列 「整改状态」" in result.issues[0].message()
    assert database_digest(loaded) == before


def encrypted_xlsx(tmp_path):
    plain = ledger_with(tmp_path, problem_row(1, "B-1"))
    out = io.BytesIO()
    with plain.open("rb") as f:
        office = OOXMLFile(f)
        office.encrypt("secret", out)
    return out.getvalue()


def truncated_xlsx(tmp_path):
    return ledger_with(tmp_path, problem_row(1, "B-1")).read_bytes()[:700]


BROKEN = {
    "empty": (lambda tmp: b"", FILE, "文件为空"),
    "not-a-spreadsheet": (lambda tmp: b"\x89PNG\r\n\x1a\n" + bytes(64), "2024Q3.png", "不是 Excel"),
    "pdf-named-xlsx": (lambda tmp: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", FILE, "不是 Excel"),
    "password-protected": (encrypted_xlsx, FILE, "设置了打开密码"),
    "corrupt": (truncated_xlsx, FILE, "文件已损坏"),
    "random-zip": (lambda tmp: b"PK\x03\x04" + bytes(range(256)) * 4, FILE, "文件已损坏"),
    "binary-csv": (lambda tmp: bytes(range(256)), "2024Q3.csv", "不是文本格式"),
    "no-ledger-inside": (lambda tmp: write_xlsx(tmp / "x.xlsx", {"S": [["会议纪要"], ["一、……"]]}).read_bytes(),
                         FILE, "没有找到可导入的台账"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_unreadable_files_get_a_clear_message_not_a_traceback(loaded, tmp_path, case):
    make, name, reason = BROKEN[case]
    data = make(tmp_path)
    before = database_digest(loaded)
    with pytest.raises(FileRejected) as caught:
        parse_file(name, data)
    assert reason in str(caught.value)
    assert f"文件「{name}」" in str(caught.value)
    assert database_digest(loaded) == before


def test_period_that_cannot_be_inferred_is_asked_for(loaded, tmp_path):
    path = write_xlsx(tmp_path / "问题整改台账.xlsx", {"台账": [HEADER, problem_row(1, "B-1")]})
    before = database_digest(loaded)
    result = load(loaded, path)
    assert result.outcome == "rejected" and "请指定所属期间" in result.message
    assert database_digest(loaded) == before
    assert load(loaded, path, period="2024Q3").outcome == "imported"


def test_conflicting_periods_in_name_and_title_are_asked_for(con, tmp_path):
    path = write_xlsx(tmp_path / "2024年第三季度台账.xlsx", {"台账": [["2024年第四季度问题整改台账"], HEADER,
                                                                     problem_row(1, "B-1")]})
    result = load(con, path)
    assert result.outcome == "imported" and result.period == "2024Q3"  # the file name decides
    path2 = write_xlsx(tmp_path / "台账.xlsx", {"2024Q3": [["2024年第四季度问题整改台账"], HEADER,
                                                         problem_row(1, "B-1")]})
    result2 = load(con, path2)
    assert result2.outcome == "rejected" and "多个期间" in result2.message


def test_a_failure_while_writing_rolls_everything_back(loaded, tmp_path, monkeypatch):
    from analytics import derived

    before = database_digest(loaded)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(derived, "refresh", explode)
    with pytest.raises(RuntimeError):
        load(loaded, ledger_with(tmp_path, problem_row(1, "B-1")))
    assert database_digest(loaded) == before
    assert summary(loaded, cfg=CFG)["period"] == "2024Q2"


def test_the_period_origin_is_a_value_each_edge_words_itself(tmp_path):
    """Not a sentence the page cuts apart: how the quarter was found, and the quarters seen when several were."""
    from analytics.periods import FILE_NAME, GIVEN, NONE, SEVERAL, PeriodOrigin, parse_period

    rows = {"台账": [HEADER, problem_row(1, "A-1")]}
    named = write_xlsx(tmp_path / "2024年第一季度问题整改台账.xlsx", rows)
    assert parse_file(named.name, named.read_bytes()).period_origin == PeriodOrigin(FILE_NAME)
    given = parse_file(named.name, named.read_bytes(), parse_period("2024Q2"))
    assert given.period_origin == PeriodOrigin(GIVEN) and given.period == parse_period("2024Q2")
    two = write_xlsx(tmp_path / "2024年第一季度和2024年第二季度台账.xlsx", rows)
    several = parse_file(two.name, two.read_bytes())
    assert several.period_origin == PeriodOrigin(SEVERAL, ("2024Q1", "2024Q2")) and several.period is None
    assert several.issues[0].reason == "文件名和标题中出现多个期间（2024Q1、2024Q2），请指定所属期间"
    plain = write_xlsx(tmp_path / "问题台账.xlsx", rows)
    assert parse_file(plain.name, plain.read_bytes()).period_origin == PeriodOrigin(NONE)
