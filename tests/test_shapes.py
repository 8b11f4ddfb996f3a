"""Messy ledgers of every shape DOMAIN.md describes land correctly."""

from __future__ import annotations

import datetime as dt
import gc

import xlwt

from analytics import state
from analytics.ingest.parse import parse_file
from analytics.periods import Period
from analytics.summary import summary
from tests.conftest import CFG, HEADER, load, problem_row, write_xlsx


def states(con, period: str) -> dict[str, tuple]:
    rows = con.execute("SELECT coalesce(problem_code, description), source, unit, status, deadline, no_deadline "
                       "FROM problem_state WHERE period = ? ORDER BY 1", [period]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_title_rows_filing_line_blank_rows_totals_and_notes(con, tmp_path):
    path = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"台账": [
        ["XX公司2024年第三季度问题整改台账"],
        ["填报单位：纪委办公室", None, None, None, None, None, None, None, None, "填报日期：2024年10月8日"],
        [],
        HEADER,
        problem_row(1, "A-1", deadline="2024.9.30"),
        [],
        problem_row(2, "A-2", "已销号", deadline="2024年9月底", closed="2024年9月20日"),
        ["小计", None, None, None, "2项"],
        ["合计", None, None, None, "共2项"],
        ["注：状态填写未整改/整改中/已整改/已销号/长期整改。"],
        ["填报人：李四", None, None, None, "审核人：王五"],
    ]}, merges={"台账": ["A1:L1"]})
    result = load(con, path)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    assert (result.period, result.rows_valid, result.rows_skipped) == ("2024Q3", 2, 5)
    assert states(con, "2024Q3")["A-2"][2] == "已销号"


def test_two_row_header_under_merged_parent(con, tmp_path):
    path = write_xlsx(tmp_path / "2024Q3.xlsx", {"Sheet1": [
        ["问题整改台账（2024年三季度）"],
        ["序号", "问题来源", "问题描述", "责任部门", "整改情况", None, None, "备注"],
        [None, None, None, None, "整改措施", "完成时限", "是否销号", None],
        [1, "审计", "物资盘点不及时", "物流部", "建立月度盘点制度", "2024-08-31", "是", None],
        [2, "审计", "合同归档不完整", "法务合规部", "补齐合同", "长期坚持", "否", None],
    ]}, merges={"Sheet1": ["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:G2", "H2:H3"]})
    result = load(con, path)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    s = states(con, "2024Q3")
    assert s["物资盘点不及时"][2:] == ("已销号", dt.date(2024, 8, 31), False)
    assert s["合同归档不完整"][2:] == ("整改中", None, True)
    pid = con.execute("SELECT problem_id FROM problem_state WHERE unit = '物流部'").fetchone()[0]
    assert state.problem_details(con, Period(2024, 3).index, [pid]).loc[0, "measures"] == "建立月度盘点制度"


def test_section_headings_supply_the_source(con, tmp_path):
    header = ["序号", "问题描述", "责任单位", "整改时限", "整改状态"]
    path = write_xlsx(tmp_path / "2024年第四季度台账.xlsx", {"台账": [
        header,
        ["一、巡视巡察反馈问题（2项）"],
        [1, "第一议题学习不及时", "党群工作部", "2024-12-31", "整改中"],
        [2, "三重一大决策记录缺失", "综合管理部", "2024-12-31", "已整改"],
        ["二、信访举报问题（1项）"],
        [3, "违规接受宴请", "冶炼厂", "2024-11-30", "整改中"],
    ]})
    result = load(con, path)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    assert summary(con, cfg=CFG)["by_source"] == {"巡视巡察": 2, "信访举报": 1}


def test_one_sheet_per_source_with_instructions_and_empty_sheets(con, tmp_path):
    header = ["问题描述", "责任单位", "整改状态"]
    path = write_xlsx(tmp_path / "2025Q1问题清单.xlsx", {
        "填表说明": [["每季度末更新"]],
        "巡察反馈问题": [header, ["选人用人程序不规范", "人力资源部", "整改中"]],
        "审计发现问题": [["审计问题清单"], header, ["预付款未及时核销", "财务部", "已销号"],
                       ["库存账实不符", "物流部", "整改中"]],
        "空白": [],
    })
    result = load(con, path)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    assert (result.rows_valid, result.problems_new, result.problems_updated) == (3, 3, 0)
    assert summary(con, cfg=CFG)["by_source"] == {"审计": 2, "巡视巡察": 1}
    ids = [r[0] for r in con.execute("SELECT problem_id FROM problem_state ORDER BY 1").fetchall()]
    assert ids == [1, 2, 3]  # consecutive, none skipped between sheets


def test_full_width_and_spaced_headers_and_values(con, tmp_path):
    path = write_xlsx(tmp_path / "２０２４年第二季度.xlsx", {"表": [
        ["*问题描述", "责 任 单 位", "整改时限（年月日）", "整改状态（必填）", "问题来源"],
        ["　公车私用苗头　", "综合管理部　", "２０２４年６月３０日", " 整改中 ", "日常监督"],
    ]})
    result = load(con, path)
    assert result.outcome == "imported", [i.message() for i in result.issues]
    assert result.period == "2024Q2"
    assert states(con, "2024Q2")["公车私用苗头"] == ("日常监督", "综合管理部", "整改中", dt.date(2024, 6, 30), False)


def test_legacy_xls_and_renamed_xlsm(con, tmp_path):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("问题台账")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(["问题来源", "问题描述", "责任单位", "整改时限", "整改状态"]):
        ws.write(0, c, h)
    for c, v in enumerate(["巡察", "党费收缴不规范", "销售部", dt.date(2024, 3, 31), "已销号"]):
        ws.write(1, c, v, date_style if isinstance(v, dt.date) else xlwt.Style.default_style)
    wb.save(str(tmp_path / "2024年第一季度台账.xls"))
    assert load(con, tmp_path / "2024年第一季度台账.xls").outcome == "imported"
    xlsm = write_xlsx(tmp_path / "2024年第二季度台账.xlsm", {"台账": [
        ["问题来源", "问题描述", "责任单位", "整改状态"], ["巡察", "党费收缴不规范", "销售部", "已销号"]]})
    assert load(con, xlsm).problems_updated == 1
    assert states(con, "2024Q1")["党费收缴不规范"][3] == dt.date(2024, 3, 31)


def test_csv_encodings_and_delimiters(con, tmp_path):
    rows = "问题来源,问题描述,责任单位,整改状态\n信访,反映食堂采购问题,后勤部,整改中\n"
    (tmp_path / "2024Q1-utf8bom.csv").write_bytes(rows.encode("utf-8-sig"))
    (tmp_path / "2024Q1-utf8.csv").write_bytes(rows.replace("食堂", "车辆").encode("utf-8"))
    (tmp_path / "2024Q1-gb18030.csv").write_bytes(rows.replace("食堂", "资产").encode("gb18030"))
    (tmp_path / "2024Q1-tab.csv").write_bytes(rows.replace(",", "\t").replace("食堂", "档案").encode("gbk"))
    for name in ("2024Q1-utf8bom.csv", "2024Q1-utf8.csv", "2024Q1-gb18030.csv", "2024Q1-tab.csv"):
        result = load(con, tmp_path / name)
        assert result.outcome == "imported", (name, result.message)
    assert summary(con, cfg=CFG)["total"] == 4


def test_header_far_down_and_unknown_columns_ignored(con, tmp_path):
    path = write_xlsx(tmp_path / "2024Q4.xlsx", {"S": [
        *[[f"说明第{i}行"] for i in range(8)],
        ["序号", "问题描述", "责任单位", "整改状态", "问题来源", "自定义列"],
        [1, "会议记录不全", "销售部", "整改中", "自查自纠", "随便写"],
    ]})
    result = load(con, path)
    assert result.outcome == "imported"
    parsed_unmapped = con.execute("SELECT count(*) FROM problem_state").fetchone()[0]
    assert parsed_unmapped == 1


def test_identical_repeated_row_is_dropped_not_an_error(con, tmp_path):
    path = write_xlsx(tmp_path / "2024Q1.xlsx", {"S": [HEADER, problem_row(1, "A-1"), problem_row(1, "A-1")]})
    result = load(con, path)
    assert result.outcome == "imported" and result.rows_valid == 1 and result.rows_skipped == 1


def test_rows_skipped_between_data_rows_keep_row_numbers_and_sections(tmp_path):
    header = ["序号", "问题描述", "责任单位", "整改状态"]
    path = write_xlsx(tmp_path / "2024Q4.xlsx", {"台账": [
        header,
        ["一、巡视巡察反馈问题"],
        [1, "第一议题学习不及时", "党群工作部", "整改中"],
        [],
        [2, "三重一大记录缺失", "综合管理部", "不知道"],
        ["小计", None, None, "2项"],
        ["二、信访举报问题"],
        [3, "违规接受宴请", "冶炼厂", "已整改"],
        [4, None, "冶炼厂", "整改中"],
        ["注：状态按五种填写"],
    ]})
    was_enabled = gc.isenabled()
    parsed = parse_file(path.name, path.read_bytes())
    assert gc.isenabled() == was_enabled  # the collector paused while parsing is back as it was
    sheet = parsed.sheets[0]
    assert sheet.rows_read == 4 and dict(sheet.skipped) == {"分类标题行": 2, "空行": 1, "合计/小计行": 1,
                                                            "注释/说明行": 1}
    assert [(i.row, i.column) for i in parsed.issues] == [(5, "整改状态"), (9, "问题描述")]
    assert sheet.rows.select(["excel_row", "source"]).to_pylist() == [
        {"excel_row": 3, "source": "巡视巡察"}, {"excel_row": 8, "source": "信访举报"}]
