"""Layouts a tester brought that the corpus did not have, each pinned: the figures a careful reader counts."""

from __future__ import annotations

import datetime as dt

from analytics.ingest.answers import Answers
from analytics.ingest.parse import parse_file
from tests.conftest import load, write_xlsx

HEADER = ["序号", "问题来源", "问题描述", "整改措施", "责任单位", "整改时限", "整改状态"]


def figures(con, period: str) -> dict:
    rows = con.execute("SELECT s.description, s.unit, NULLIF(o.co_units, ''), s.status, s.deadline "
                       "FROM problem_state s JOIN observations o USING (problem_id, import_id, excel_row) "
                       "WHERE s.period = ? ORDER BY s.excel_row", [period]).fetchall()
    return {r[0]: r[1:] for r in rows}


def imported(con, path, **kwargs):
    result = load(con, path, **kwargs)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    return result


def test_a_merged_description_binds_its_measures_whatever_unit_each_names(con, tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度巡察整改台账.xlsx", {"台账": [
        HEADER,
        [1, "巡察", "干部档案管理不规范", "补齐档案材料", "组织部", "2025-06-30", "已完成"],
        [None, None, None, "建立专审机制", "人力资源部", "2025-09-30", "整改中"],
        [None, None, None, "追责问责", "财务部", "2025-09-30", "已完成"],
        [2, "巡察", "干部档案管理不规范", "补齐档案材料", "采购部", "2025-06-30", "已完成"],  # typed again: its own
    ]}, merges={"台账": ["A2:A4", "B2:B4", "C2:C4"]})
    imported(con, path)
    assert con.execute("SELECT count(*) FROM problem_state").fetchone() == (2,)
    first = con.execute("SELECT s.unit, o.co_units, s.status, o.measure_count FROM problem_state s "
                        "JOIN observations o USING (problem_id, import_id, excel_row) WHERE s.excel_row = 2").fetchone()
    assert first == ("组织部", "人力资源部、财务部", "整改中", 3)  # one measure open: the problem is open


def test_a_description_typed_again_with_a_full_stop_is_the_same_problem(con, tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度巡察整改台账.xlsx", {"台账": [
        HEADER,
        [1, "巡察", "民主生活会流于形式", "开展专题学习", "党群部", "2025-05-31", "已完成"],
        [None, "巡察", "民主生活会流于形式。", "重新召开", "党群部", "2025-06-30", "已完成"],
        [None, "巡察", "民主生活会 流于形式", "建立督导机制", "党群部", "2025-09-30", "整改中"],
    ]})
    imported(con, path)
    assert figures(con, "2025Q2") == {"民主生活会流于形式": ("党群部", None, "整改中", dt.date(2025, 9, 30))}


def test_headings_split_over_two_cells_give_the_source(con, tmp_path):
    header = ["序号", "问题描述", "责任单位", "整改时限", "整改状态"]
    path = write_xlsx(tmp_path / "2025年第二季度整改台账.xlsx", {"台账": [
        header,
        ["一", "巡视巡察反馈问题（2项）"],
        [1, "第一议题学习不及时", "党群部", "2025-09-30", "整改中"],
        [2, "三重一大记录缺失", "综合部", "2025-09-30", "已整改"],
        ["（二）", "信访举报问题"],
        [3, "违规接受宴请", "冶炼厂", "2025-09-30", "整改中"],
    ]}, merges={"台账": ["B2:E2"]})
    imported(con, path)
    assert dict(con.execute("SELECT source, count(*) FROM problem_state GROUP BY 1").fetchall()) == {
        "巡视巡察": 2, "信访举报": 1}


def test_a_column_number_row_a_repeated_header_and_a_numbered_notes_block_are_no_problems(con, tmp_path):
    header = ["序号", "问题来源", "问题描述", "责任单位", "整改时限", "整改状态"]
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"台账": [
        header,
        [1, 2, 3, 4, 5, 6],  # 栏次
        [1, "审计", "预付款未及时核销", "财务部", "2025-09-30", "整改中"],
        header,  # the table's header again, a page further down
        [2, "审计", "合同归档不完整", "法务部", "2025-09-30", "已完成"],
        ["说明："],
        ["1", "本表由各部门每季度末填报"],
        ["2", "整改状态按五种填写"],
    ]})
    result = imported(con, path)
    assert result.rows_valid == 2 and con.execute("SELECT count(*) FROM problem_state").fetchone() == (2,)


def test_numbered_headers_are_read_as_their_names(tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"台账": [
        ["一、序号", "二、问题来源", "三、问题描述", "四、责任单位", "五、整改状态"],
        [1, "审计", "预付款未及时核销", "财务部", "整改中"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    assert not parsed.issues and parsed.sheets[0].rows["unit"].to_pylist() == ["财务部"]


def test_units_with_roles_notes_and_line_breaks_count_under_the_lead_unit(con, tmp_path):
    header = ["问题来源", "问题描述", "责任单位", "整改状态"]
    cells = ["财务部牵头，审计部配合", "财务部（牵头）、审计部", "牵头：财务部；配合：审计部", "财务部\n审计部",
             "财务部、", "财务部（张三）"]
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"台账": [
        header, *([("审计", f"问题{n}", unit, "整改中") for n, unit in enumerate(cells)])]})
    imported(con, path)
    units = con.execute("SELECT s.unit, NULLIF(o.co_units, '') FROM problem_state s JOIN observations o "
                        "USING (problem_id, import_id, excel_row) ORDER BY s.excel_row").fetchall()
    assert units == [("财务部", "审计部")] * 4 + [("财务部", None)] * 2


def test_a_year_less_deadline_copied_into_next_years_ledger_keeps_its_date(con, tmp_path):
    header = ["问题来源", "问题描述", "责任单位", "整改时限", "整改状态"]
    rows = [["审计", "预付款未及时核销", "财务部", "年底前", "整改中"],
            ["审计", "合同归档不完整", "法务部", "9月30日前", "整改中"]]
    for quarter in ("2025年第四季度", "2026年第一季度"):  # the same rows; the title names the quarter
        imported(con, write_xlsx(tmp_path / f"{quarter}审计整改台账.xlsx", {"台账": [[quarter], header, *rows]}))
    # as written in 2025: due 2025-12-31 and 2025-09-30, both overdue at 2026-03-31
    assert {d: s[3] for d, s in figures(con, "2026Q1").items()} == {
        "预付款未及时核销": dt.date(2025, 12, 31), "合同归档不完整": dt.date(2025, 9, 30)}
    overdue = con.execute("SELECT count(*) FROM problem_state WHERE period = '2026Q1' AND is_open "
                          "AND deadline < period_end").fetchone()[0]
    assert overdue == 2


def test_a_column_about_last_quarter_is_not_read_as_this_quarters_status(tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"台账": [
        ["问题来源", "问题描述", "责任单位", "上季度整改状态", "整改状态"],
        ["审计", "预付款未及时核销", "财务部", "已完成", "整改中"],
        ["审计", "合同归档不完整", "法务部", "已完成", "整改中"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    assert parsed.sheets[0].rows["status"].to_pylist() == ["整改中", "整改中"]


def test_a_header_naming_its_quarter_keeps_the_saved_answers_next_quarter(tmp_path):
    def ledger(quarter: str, name: str):
        return write_xlsx(tmp_path / name, {"台账": [
            ["问题来源", "问题描述", "责任单位", f"{quarter}整改进展", "整改状态"],
            ["审计", "预付款未及时核销", "财务部", "已约谈", "搁置"]]})

    answers = Answers({"整改进展": "progress"}, {"搁置": "整改中"})
    q2 = parse_file("2025年第二季度台账.xlsx", ledger("二季度", "q2.xlsx").read_bytes(), answers_for=lambda k: answers)
    q3 = parse_file("2025年第三季度台账.xlsx", ledger("三季度", "q3.xlsx").read_bytes(),
                    answers_for={q2.sheets[0].layout.key: answers}.get)
    assert q3.sheets[0].layout.key == q2.sheets[0].layout.key
    assert not q3.questions and q3.sheets[0].rows["progress"].to_pylist() == ["已约谈"]


def test_status_only_in_free_text_that_names_none_is_asked(tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"台账": [
        ["问题来源", "问题描述", "责任单位", "整改进展情况"],
        ["审计", "预付款未及时核销", "财务部", "已约谈相关负责人"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    assert [(q.kind, q.subject) for q in parsed.blocking] == [("status", "已约谈相关负责人")]
    assert "「整改进展情况」（D列）均未写明整改状态" in parsed.issues[0].reason
    answered = parse_file(path.name, path.read_bytes(),
                          answers_for=lambda key: Answers(statuses={"已约谈相关负责人": "整改中"}))
    assert not answered.issues and answered.sheets[0].rows["status"].to_pylist() == ["整改中"]


def test_a_templates_example_row_and_unfilled_dates_are_not_taken_for_data(con, tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度巡察反馈问题整改台账.xlsx", {"台账": [
        HEADER,
        ["示例", "巡察", "（填写问题具体表现）", "（填写整改措施）", "XX部", "2025年X月X日", "已完成/整改中/未启动"],
        [1, "巡察", "问题1", "措施", "采购部", "2025-06-30", "整改中"],
        [2, "巡察", "问题2", "措施", "采购部", "2025年  月  日", "整改中"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    assert dict(parsed.sheets[0].skipped) == {"填写示例行": 1}
    assert [(i.row, i.column) for i in parsed.issues] == [(4, "整改时限")]
    assert "未填写完整" in parsed.issues[0].reason
