"""Blank ledger templates to download: the headers the importer knows, drop-down lists and a 填表说明 sheet.

Written with openpyxl and saved with fixed timestamps (as data/make_demo.py
does), so a template is byte-identical from one run to the next. The drop-down
lists live on a hidden sheet and are referenced by range: an inline list is
limited to 255 characters, and the lists come from data/*.toml, which users
may lengthen. The importer skips hidden sheets and the 填表说明 sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from analytics.config import STATUSES, ledger_config, scoring_config

FIXED_TIME = dt.datetime(2024, 1, 1)  # document properties and zip entries: the same bytes on every download
AUTHOR = "政治生态分析研判看板"
LIST_SHEET = "下拉选项"
NOTES_SHEET = "填表说明"
TITLE_ROW, HEADER_ROW = 1, 2
DATA_ROWS = 2000  # rows under the header that get drop-downs and checks
DATE_FORMAT = "yyyy-mm-dd"
TASK_STATES = ("已完成", "进行中", "未开始")
SCORE_METHODS = ("自评", "纪委评价", "群众满意度测评")
YES_NO = ("是", "否")
# the text forms of a date the importer reads (analytics.ingest.normalise.parse_date); tests check each one
DATE_FORMS = ("2024-09-30", "2024/9/30", "2024.9.30", "2024年9月30日", "2024年9月底", "2024年三季度末")
NO_DEADLINE_WORD = "长期坚持"
STATUS_MEANINGS = {
    "未启动": "尚未开始整改",
    "整改中": "正在整改，尚未完成",
    "已整改": "整改已完成，等待验收销号",
    "已销号": "经纪委办公室验收，已销号",
    "长期整改": "需长期坚持、没有固定完成时间",
}

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    """One template column: its header, the field it feeds, and how it is checked and explained."""

    header: str
    field: str | None  # canonical field (None: a dimension column of the score sheet)
    width: int
    note: str
    choices: tuple[str, ...] = ()  # drop-down list
    strict: bool = True  # refuse values outside the list (False: warn, the importer accepts other wording)
    date: bool = False
    score: bool = False  # whole number 0–100


@dataclass(frozen=True)
class Template:
    kind: str  # problems | tasks | scores
    sheet: str
    title: str
    columns: tuple[Column, ...]


def _problem_columns() -> tuple[Column, ...]:
    cfg, scoring = ledger_config(), scoring_config()
    dates = "、".join(DATE_FORMS)
    return (
        Column("序号", "seq", 6, "流水号，可不填"),
        Column("问题编号", "problem_code", 14, "问题的固定编号，如 XC-2024-003；以后各季度保持不变，用来对应同一问题"),
        Column("问题来源", "source", 12, "从下拉列表选择；其他写法（如“巡察”“内部审计”）也能识别",
               cfg.source_names, strict=False),
        Column("问题类别", "category", 22, "所属维度，从下拉列表选择；也可写关键词（如“作风建设”“选人用人”），"
               "无法对应的归入“未归类”", scoring.dimension_names, strict=False),
        Column("问题描述", "description", 40, "问题的具体表现"),
        Column("责任单位", "unit", 14, "整改责任单位或部门，同一单位请用同一名称"),
        Column("责任人", "owner", 10, "整改责任人"),
        Column("分管领导", "leader", 10, "分管或督办领导"),
        Column("整改措施", "measures", 30, "已采取或计划采取的措施"),
        Column("发现时间", "found_date", 12, f"问题发现或交办的日期，可写 {dates}", date=True),
        Column("整改时限", "deadline", 12, f"计划完成日期，写法同发现时间；没有固定时限的写“{NO_DEADLINE_WORD}”",
               date=True),
        Column("整改进展", "progress", 30, "本季度末的整改进展"),
        Column("整改状态", "status", 10,
               "从下拉列表选择：" + "；".join(f"{s}＝{m}" for s, m in STATUS_MEANINGS.items()), STATUSES),
        Column("销号时间", "closed_date", 12, "验收销号的日期（已整改的可填完成日期），写法同发现时间", date=True),
        Column("问题性质", "severity", 10, "从下拉列表选择，不填按“一般”计分", cfg.severity_names),
        Column("是否复发", "recurred", 10, "已销号后又出现的问题填“是”", YES_NO),
        Column("备注", "remarks", 20, "其他说明"),
    )


def _task_columns() -> tuple[Column, ...]:
    return (
        Column("序号", "seq", 6, "流水号，可不填"),
        Column("监督方面", "aspect", 24, "监督的方面，如“落实中央八项规定精神”"),
        Column("监督措施", "measure", 36, "具体的监督措施"),
        Column("工作要求", "requirement", 30, "对措施的要求"),
        Column("责任单位", "unit", 14, "落实措施的单位或部门"),
        Column("完成时限", "deadline", 14,
               f"完成日期或频次（每月、每季度、每年）；日期可写 {'、'.join(DATE_FORMS)}", date=True),
        Column("完成情况", "status", 12, "从下拉列表选择：" + "、".join(TASK_STATES), TASK_STATES),
    )


def _score_columns() -> tuple[Column, ...]:
    dims = tuple(Column(d, None, 14, "该维度得分，0–100 的整数", score=True) for d in scoring_config().dimension_names)
    return (
        Column("单位", "unit", 16, "被评价单位，与问题台账中的责任单位名称一致"),
        *dims,
        Column("评价方式", "method", 16, "从下拉列表选择：" + "、".join(SCORE_METHODS), SCORE_METHODS),
    )


def problem_template_spec() -> Template:
    return Template("problems", "问题整改台账", "________公司____年第__季度问题整改台账", _problem_columns())


def task_template_spec() -> Template:
    return Template("tasks", "监督清单", "________公司____年第__季度政治监督重点任务清单", _task_columns())


def score_template_spec() -> Template:
    return Template("scores", "评分表", "________公司____年第__季度政治生态评分表", _score_columns())


def problem_template() -> bytes:
    """问题整改台账 blank template (.xlsx bytes)."""
    return build(problem_template_spec())


def task_template() -> bytes:
    """监督清单 blank template (.xlsx bytes)."""
    return build(task_template_spec())


def score_template() -> bytes:
    """政治生态评分表 blank template (.xlsx bytes)."""
    return build(score_template_spec())


def build(spec: Template) -> bytes:
    """A workbook for one template: the ledger sheet, the 填表说明 sheet and the hidden list sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    notes = wb.create_sheet(NOTES_SHEET)
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    _ledger_sheet(ws, spec, lists)
    _notes_sheet(notes, spec)
    return _save(wb)


def _ledger_sheet(ws: Worksheet, spec: Template, lists: Worksheet) -> None:
    required = set(ledger_config().required[spec.kind])
    last = get_column_letter(len(spec.columns))
    ws.cell(TITLE_ROW, 1, spec.title).font = Font(size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.row_dimensions[HEADER_ROW].height = 32
    first, end = HEADER_ROW + 1, HEADER_ROW + DATA_ROWS
    list_col = 0
    scores = _score_validation()
    for i, col in enumerate(spec.columns, 1):
        letter = get_column_letter(i)
        cell = ws.cell(HEADER_ROW, i, col.header)
        # required columns in red, as 填表说明 explains
        cell.font = Font(bold=True, color="C00000" if col.field in required else "000000")
        cell.fill, cell.alignment, cell.border = _HEADER_FILL, _WRAP, _BORDER
        dim = ws.column_dimensions[letter]
        dim.width = col.width
        if col.date:
            dim.number_format = DATE_FORMAT  # a column style: no empty cells are written below the header
        area = f"{letter}{first}:{letter}{end}"
        if col.choices:
            list_col += 1
            ws.add_data_validation(_list_validation(lists, list_col, col, area))
        if col.score:
            scores.add(area)
    if scores.sqref:
        ws.add_data_validation(scores)
    ws.freeze_panes = f"A{first}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _list_validation(lists: Worksheet, list_col: int, col: Column, area: str) -> DataValidation:
    letter = get_column_letter(list_col)
    lists.cell(1, list_col, col.header)
    for r, value in enumerate(col.choices, 2):
        lists.cell(r, list_col, value)
    source = f"{quote_sheetname(LIST_SHEET)}!${letter}$2:${letter}${len(col.choices) + 1}"
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                        errorStyle="stop" if col.strict else "warning", errorTitle=col.header,
                        error=f"请从下拉列表中选择{col.header}", showInputMessage=True, promptTitle=col.header,
                        prompt=_prompt(col.note))
    dv.add(area)
    return dv


def _score_validation() -> DataValidation:
    return DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True,
                          showErrorMessage=True, errorStyle="stop", errorTitle="得分", error="得分应为 0–100 的整数",
                          showInputMessage=True, promptTitle="得分", prompt="填写 0–100 的整数")


def _prompt(text: str) -> str:
    return text if len(text) <= 255 else text[:254] + "…"  # Excel's limit for an input message


def _notes_sheet(ws: Worksheet, spec: Template) -> None:
    required = set(ledger_config().required[spec.kind])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 90
    ws.append(["填表说明"])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append(["列名", "是否必填", "填写说明"])
    for cell in ws[2]:
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, _BORDER
    for col in spec.columns:
        ws.append([col.header, "必填" if col.field in required else "", col.note])
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = _BORDER
    ws.append([])
    for line in _general_notes(spec):
        ws.append([line])
    ws.freeze_panes = "A3"


def _general_notes(spec: Template) -> list[str]:
    lines = [
        "1. 请保留表头行，不要修改列名；红色列名为必填列。可以删除不需要的非必填列，增加的其他列不会导入。",
        "2. 标题中填写年度和季度（如“2024年第三季度”），或在文件名中写明季度，导入时自动识别期间；"
        "都没有写时，在“台账导入”页选择期间。",
        "3. 日期可以是 Excel 日期，也可以写成：" + "、".join(DATE_FORMS) + "。",
        "4. 合计、小计行和以“注：”开头的说明行导入时自动跳过；不要合并数据行的单元格。",
        f"5. 本工作簿中的“{NOTES_SHEET}”和隐藏的“{LIST_SHEET}”工作表不会被导入。",
    ]
    if spec.kind == "problems":
        lines += [
            "6. 同一问题在以后各季度的台账中继续保留并更新整改状态，问题编号保持不变；已销号的问题不要删除。",
            f"7. 整改时限没有固定日期的，填写“{NO_DEADLINE_WORD}”。",
        ]
    elif spec.kind == "tasks":
        lines.append("6. 每季度更新“完成情况”；按频次执行的措施，完成时限填写“每月”“每季度”或“每年”。")
    else:
        lines.append("6. 每个单位一行，每个维度一列，得分为 0–100 的整数；同一单位可按不同评价方式各填一行。")
    return lines


def _save(wb: Workbook) -> bytes:
    """Save with fixed document properties and zip timestamps (byte-identical output, as in data/make_demo.py).

    Workbook.save() stamps the current time into docProps/core.xml and the zip
    entries, so write through ExcelWriter and re-pack with a fixed date.
    """
    wb.properties.creator = AUTHOR
    wb.properties.lastModifiedBy = AUTHOR
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    packed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return packed.getvalue()
