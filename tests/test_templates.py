"""Blank templates: the headers the importer knows, drop-downs read back, and a filled template imports cleanly."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from analytics import ledger, templates
from analytics.config import STATUSES, ledger_config, scoring_config
from analytics.ingest.normalise import parse_date
from analytics.ingest.parse import parse_file
from analytics.metrics import headline
from analytics.periods import parse_period
from analytics.text import header_key
from tests.conftest import CFG

BUILDERS = {"problems": templates.problem_template, "tasks": templates.task_template,
            "scores": templates.score_template}
SPECS = {"problems": templates.problem_template_spec, "tasks": templates.task_template_spec,
         "scores": templates.score_template_spec}
PROBLEM_HEADERS = ["序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "责任人", "分管领导", "整改措施",
                   "发现时间", "整改时限", "整改进展", "整改状态", "销号时间", "问题性质", "是否复发", "备注"]
FIRST_DATA_ROW = templates.HEADER_ROW + 1


def open_template(kind: str):
    return load_workbook(io.BytesIO(BUILDERS[kind]()))


def headers(ws) -> list[str]:
    return [c.value for c in ws[templates.HEADER_ROW] if c.value is not None]


def validations(wb) -> dict[str, tuple[str, object]]:
    """Column header → (validation type, its list values read from the list sheet, or (min, max))."""
    ws = wb.worksheets[0]
    head = {c.column: c.value for c in ws[templates.HEADER_ROW]}
    found: dict[str, tuple[str, object]] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            sheet, cells = dv.formula1.rsplit("!", 1)
            lists = wb[sheet.strip("'")]
            min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
            assert min_col == max_col
            value: object = tuple(lists.cell(r, min_col).value for r in range(min_row, max_row + 1))
        else:
            value = (int(dv.formula1), int(dv.formula2))
        for rng in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = rng.bounds
            assert (min_row, max_row) == (FIRST_DATA_ROW, templates.HEADER_ROW + templates.DATA_ROWS), str(rng)
            for col in range(min_col, max_col + 1):
                found[head[col]] = (dv.type, value)
    return found


def fill(kind: str, rows: list[list]) -> bytes:
    """The downloaded template with rows typed under the header, saved the way Excel or WPS would."""
    wb = open_template(kind)
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        for c, value in enumerate(row, 1):
            ws.cell(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_byte_identical_across_runs(kind):
    assert BUILDERS[kind]() == BUILDERS[kind]()


def test_problem_template_headers_and_drop_downs():
    wb = open_template("problems")
    ws = wb["问题整改台账"]
    assert wb.sheetnames == ["问题整改台账", "填表说明", "下拉选项"]
    assert "问题整改台账" in ws.cell(1, 1).value
    assert headers(ws) == PROBLEM_HEADERS
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
    cfg, scoring = ledger_config(), scoring_config()
    assert validations(wb) == {
        "问题来源": ("list", cfg.source_names),
        "问题类别": ("list", scoring.dimension_names),
        "整改状态": ("list", STATUSES),
        "问题性质": ("list", cfg.severity_names),
        "是否复发": ("list", ("是", "否")),
    }
    assert len(cfg.source_names) == 8 and len(scoring.dimension_names) == 8
    for header in ("发现时间", "整改时限", "销号时间"):
        letter = ws.cell(templates.HEADER_ROW, PROBLEM_HEADERS.index(header) + 1).column_letter
        assert ws.column_dimensions[letter].number_format == templates.DATE_FORMAT
        assert ws.column_dimensions[letter].width >= 10
    assert ws.column_dimensions["E"].width > ws.column_dimensions["A"].width  # 问题描述 wider than 序号


def test_task_template():
    wb = open_template("tasks")
    ws = wb["监督清单"]
    assert headers(ws) == ["序号", "监督方面", "监督措施", "工作要求", "责任单位", "完成时限", "完成情况"]
    assert validations(wb) == {"完成情况": ("list", ("已完成", "进行中", "未开始"))}


def test_score_template():
    wb = open_template("scores")
    ws = wb["评分表"]
    dims = scoring_config().dimension_names
    assert headers(ws) == ["单位", *dims, "评价方式"]
    assert validations(wb) == {**{d: ("whole", (0, 100)) for d in dims},
                               "评价方式": ("list", ("自评", "纪委评价", "群众满意度测评"))}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_list_sheet_hidden_and_notes_explain_every_column(kind):
    wb = open_template(kind)
    assert wb[templates.LIST_SHEET].sheet_state == "hidden"
    notes = wb[templates.NOTES_SHEET]
    assert notes.sheet_state == "visible"
    explained = {row[0]: row for row in notes.iter_rows(min_row=3, values_only=True) if row[0]}
    required = set(ledger_config().required[kind])
    for col in SPECS[kind]().columns:
        assert explained[col.header][2], col.header
        assert (explained[col.header][1] == "必填") == (col.field in required), col.header
    text = "".join(str(v) for row in notes.iter_rows(values_only=True) for v in row if v)
    assert all(form in text for form in templates.DATE_FORMS)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_headers_are_the_importer_aliases(kind):
    """Each template header maps to the field the template means (a renamed alias would break uploads)."""
    aliases = ledger_config().aliases[kind]
    for col in SPECS[kind]().columns:
        if col.field is None:
            assert col.header in scoring_config().dimension_names
        else:
            assert aliases[header_key(col.header)] == col.field, col.header


@pytest.mark.parametrize("text", [*templates.DATE_FORMS, templates.NO_DEADLINE_WORD])
def test_every_date_form_in_the_notes_is_accepted(text):
    day, open_ended = parse_date(text, ledger_config().no_deadline)
    assert (day == dt.date(2024, 9, 30)) or (open_ended and day is None)


PROBLEM_ROWS = [
    [1, "XC-2024-001", "巡视巡察", "加强干部作风建设", "公务用车登记不规范", "综合管理部", "李明", "张建国",
     "建立登记制度", dt.datetime(2024, 7, 15), dt.datetime(2024, 9, 30), "已制定制度", "已销号",
     dt.datetime(2024, 9, 20), "一般", "否", None],
    [2, "SJ-2024-001", "审计", "惩治腐败与廉洁建设", "单一来源采购论证不充分", "采购部", "陈刚", "刘卫东",
     "完善采购论证", "2024.8.1", "长期坚持", "推进中", "长期整改", None, "严重", "否", "跟踪"],
    [3, None, "自查自纠", "培育积极健康的党内政治文化", "廉洁文化活动覆盖面不足", "党群工作部", None, None, None,
     "2024年8月20日", "2024年三季度末", None, "整改中", None, None, None, None],
]


def test_filled_problem_template_imports_without_issues(con):
    data = fill("problems", PROBLEM_ROWS)
    parsed = parse_file("问题整改台账模板.xlsx", data, parse_period("2024Q3"))
    assert parsed.issues == []
    assert parsed.kind == "problems"
    assert [s.name for s in parsed.sheets] == ["问题整改台账"]
    assert parsed.ignored_sheets == [("填表说明", "填表说明，不是台账")]  # the hidden list sheet is not even read
    layout = parsed.sheets[0].layout
    assert (layout.header_row, layout.header_height, layout.unmapped) == (templates.HEADER_ROW - 1, 1, [])
    assert (parsed.rows_valid, parsed.rows_invalid, parsed.rows_skipped) == (3, 0, 0)
    rows = parsed.rows("problems").to_pylist()
    assert [r["status"] for r in rows] == ["已销号", "长期整改", "整改中"]
    assert [r["deadline"] for r in rows] == [dt.date(2024, 9, 30), None, dt.date(2024, 9, 30)]
    assert rows[1]["no_deadline"] and rows[0]["recurred_mark"] is False
    result = ledger.store(con, parsed, scoring=CFG)
    assert result.outcome == "imported", result.message
    figures = headline(con, parse_period("2024Q3"))
    assert (figures["total"], figures["closed"]) == (3, 1)
    dims = {r[0] for r in con.execute("SELECT DISTINCT dimension FROM problem_state").fetchall()}
    assert dims == {"加强干部作风建设", "惩治腐败与廉洁建设", "培育积极健康的党内政治文化"}


def test_filled_task_and_score_templates_import_without_issues(con):
    tasks = fill("tasks", [[1, "落实中央八项规定精神", "开展业务支出监督检查", "每季度一次", "纪委办公室", "每季度",
                            "已完成"],
                           [2, "关键少数监督", "任前廉洁谈话", "全覆盖", "人力资源部", "2024-12-31", "进行中"]])
    parsed = parse_file("监督清单模板.xlsx", tasks, parse_period("2024Q3"))
    assert parsed.issues == [] and parsed.kind == "tasks" and parsed.rows_valid == 2
    assert ledger.store(con, parsed, scoring=CFG).outcome == "imported"
    dims = scoring_config().dimension_names
    scores = fill("scores", [["冶炼厂", *range(90, 98), "纪委评价"], ["物流部", *[85] * 8, "自评"]])
    parsed = parse_file("政治生态评分表模板.xlsx", scores, parse_period("2024Q3"))
    assert parsed.issues == [] and parsed.kind == "scores"
    rows = parsed.rows("scores").to_pylist()
    assert len(rows) == 16 and {r["dimension"] for r in rows} == set(dims)
    assert ledger.store(con, parsed, scoring=CFG).outcome == "imported"


def test_template_title_names_no_quarter():
    """The title placeholder must not be read as a quarter: the importer asks instead of guessing."""
    parsed = parse_file("问题整改台账模板.xlsx", fill("problems", PROBLEM_ROWS[:1]))
    assert parsed.period is None
    assert "请指定期间" in parsed.issues[0].reason or "季度" in parsed.issues[0].reason


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_empty_template_is_refused_with_a_reason(con, kind):
    parsed = parse_file("模板.xlsx", BUILDERS[kind](), parse_period("2024Q3"))
    assert parsed.issues == [] and parsed.rows_valid == 0
    result = ledger.store(con, parsed, scoring=CFG)
    assert result.outcome == "rejected"
    assert "没有可导入的有效行" in result.message
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_list_sheet_is_not_a_ledger_even_when_unhidden():
    """WPS users sometimes unhide sheets: the list sheet then has no ledger header and is ignored, not an error."""
    wb = load_workbook(io.BytesIO(fill("problems", PROBLEM_ROWS)))
    wb[templates.LIST_SHEET].sheet_state = "visible"
    out = io.BytesIO()
    wb.save(out)
    parsed = parse_file("台账.xlsx", out.getvalue(), parse_period("2024Q3"))
    assert parsed.issues == [] and parsed.rows_valid == 3
    assert (templates.LIST_SHEET, "未找到表头，不是台账") in parsed.ignored_sheets
