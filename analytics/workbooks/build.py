"""One unit's update workbook: its problems not yet 销号 as of a quarter, pre-filled, to be returned as the next
quarter's ledger.

The headers are the blank template's (analytics.templates), so a returned workbook imports with no question. The
sheet is protected: what identifies a problem (问题编号, 来源, 类别, 描述, 责任单位, 发现时间, 性质) is locked; the
unit fills in 责任人, 整改措施, 整改时限 (a new deadline), 整改进展, 整改状态 (a drop-down of the product's status
words), 销号时间 and 备注 (dates checked). A second sheet takes new problems with the same columns and lists.
Written with xlsxwriter, every ledger text with write_string (strings_to_formulas off): a description that starts
with "=" stays text. The custom properties (analytics.workbooks.marker) tell the importer which generation it is.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import xlsxwriter

from analytics.config import CLOSED_STATUS, STATUSES
from analytics.metrics import Scope
from analytics.periods import Period
from analytics.state import problem_details
from analytics.templates import AUTHOR, LIST_SHEET, NO_DEADLINE_WORD, NOTES_SHEET, Column, problem_template_spec
from analytics.workbooks.marker import Marker

UPDATE_SHEET = "问题更新"
NEW_SHEET = "新增问题"
TITLE_ROW, HEADER_ROW = 0, 1  # 0-based: the title, then the header
NEW_ROWS = 200  # rows of the new-problem sheet open for entry
# field → editable on the update sheet (new problems: every column is)
FIELDS = (("problem_code", False), ("source", False), ("category", False), ("description", False),
          ("unit", False), ("found_date", False), ("severity", False), ("owner", True), ("measures", True),
          ("deadline", True), ("progress", True), ("status", True), ("closed_date", True), ("remarks", True))
EDITABLE = tuple(f for f, editable in FIELDS if editable)
_WIDE = {"description": 44, "measures": 36, "progress": 36}
_FILE_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # a date outside is a typing slip


@dataclass(frozen=True)
class Workbook:
    """One generated workbook: its file name, bytes and how many problems it lists."""

    unit: str
    file_name: str
    content: bytes
    problems: int


def columns() -> tuple[Column, ...]:
    """The template's columns for FIELDS, in FIELDS' order (their headers, notes and lists)."""
    by_field = {c.field: c for c in problem_template_spec().columns}
    return tuple(by_field[f] for f, _ in FIELDS)


def file_name(unit: str, period: Period) -> str:
    """``采购部_2025年第三季度问题整改更新表.xlsx``: the quarter to be reported, as the importer reads it."""
    return f"{_FILE_UNSAFE.sub('_', unit).strip('_') or '单位'}_{period.label}问题整改更新表.xlsx"


def open_problems(con: duckdb.DuckDBPyConnection, period: Period, unit: str,
                  hidden_sources: tuple[str, ...] = ()) -> pd.DataFrame:
    """The unit's problems not yet 销号 as of ``period`` (已整改 ones too: they await 销号), with the values to
    pre-fill: the fields FIELDS names, the category as a ledger gave it (never a guess), the deadline as a date, or
    as its original words when it has no single date (长期坚持, 立行立改)."""
    where, params = Scope(units=(unit,), hidden_sources=hidden_sources).where()
    frame = con.execute(f"""
        SELECT problem_id, problem_code, source, description, unit, status, deadline, no_deadline, immediate,
               long_term, closed_date, severity, found_date
        FROM problem_state
        WHERE period_no = $period_no AND status <> $closed AND {where}
        ORDER BY problem_code NULLS LAST, problem_id
    """, params | {"period_no": period.index, "closed": CLOSED_STATUS}).df()
    if frame.empty:
        return frame.assign(**{f: pd.Series(dtype=object) for f, _ in FIELDS})
    ids = [int(i) for i in frame["problem_id"]]
    given = con.execute("""
        SELECT problem_id,
               NULLIF(arg_max(category, (period_no, import_id, excel_row)) FILTER (WHERE category IS NOT NULL), '')
                   AS category,
               NULLIF(arg_max(deadline_text, (period_no, import_id, excel_row))
                          FILTER (WHERE deadline_text IS NOT NULL), '') AS deadline_text
        FROM observations
        WHERE period_no <= ? AND problem_id IN (SELECT unnest(CAST(? AS BIGINT[])))
        GROUP BY problem_id
    """, [period.index, ids]).df()
    details = problem_details(con, period.index, ids)[["problem_id", "owner", "measures", "progress", "remarks"]]
    frame = frame.merge(given, on="problem_id", how="left").merge(details, on="problem_id", how="left")
    frame["deadline"] = [_deadline_cell(r) for r in frame.itertuples()]
    return frame


def _deadline_cell(row: object) -> object:
    """A date where the deadline is one; the ledger's words where a date alone would lose their meaning."""
    words = row.deadline_text if isinstance(row.deadline_text, str) else None
    if row.immediate or row.long_term:
        return words or (NO_DEADLINE_WORD if row.long_term else _date(row.deadline))
    if row.no_deadline:
        return words or NO_DEADLINE_WORD
    return _date(row.deadline)


def _date(value: object) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def build(frame: pd.DataFrame, marker: Marker, now: dt.datetime, scoring_dimensions: tuple[str, ...],
          sources: tuple[str, ...], severities: tuple[str, ...]) -> Workbook:
    """The workbook for ``marker``'s unit from open_problems' frame (lists: the configured dimensions, sources and
    severities)."""
    period = Period(int(marker.period[:4]), int(marker.period[-1]))
    cols = columns()
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "in_memory": True}) as wb:
        wb.set_properties({"title": f"{marker.unit}{period.label}问题整改台账（更新表）", "author": AUTHOR,
                           "company": AUTHOR, "created": now})
        for name, value in marker.properties().items():
            wb.set_custom_property(name, value)
        styles = _styles(wb)
        update = wb.add_worksheet(UPDATE_SHEET)
        new = wb.add_worksheet(NEW_SHEET)
        notes = wb.add_worksheet(NOTES_SHEET)
        lists = wb.add_worksheet(LIST_SHEET)
        lists.hide()
        sources_of = _write_lists(lists, {"status": STATUSES, "unit": (marker.unit,), "source": sources,
                                          "category": scoring_dimensions, "severity": severities})
        title = f"{marker.unit}{period.label}问题整改台账（更新表）"
        _sheet(update, cols, title, styles)
        for r, row in enumerate(frame.itertuples(), HEADER_ROW + 1):
            for c, (fld, editable) in enumerate(FIELDS):
                _cell(update, r, c, getattr(row, fld), fld, styles, editable)
        last = HEADER_ROW + len(frame)
        if len(frame):
            _validations(update, cols, HEADER_ROW + 1, last, sources_of, EDITABLE)
        _sheet(new, cols, f"{marker.unit}{period.label}新增问题", styles)
        for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + NEW_ROWS):
            for c, (fld, _) in enumerate(FIELDS):
                new.write_blank(r, c, None, styles[("date" if _is_date(fld) else "text", True)])
        _validations(new, cols, HEADER_ROW + 1, HEADER_ROW + NEW_ROWS, sources_of, tuple(f for f, _ in FIELDS))
        _notes(notes, cols, marker, period)
        update.activate()
    return Workbook(marker.unit, file_name(marker.unit, period), buffer.getvalue(), len(frame))


def _is_date(fld: str) -> bool:
    return fld in ("found_date", "deadline", "closed_date")


def _styles(wb: xlsxwriter.Workbook) -> dict:
    """(kind, editable) → format: locked cells grey, editable ones white; and the title and header."""
    base = {"border": 1, "border_color": "#999999", "valign": "top", "text_wrap": True}
    styles = {}
    for editable in (False, True):
        fill = {} if editable else {"bg_color": "#F2F2F2"}
        styles[("text", editable)] = wb.add_format(base | fill | {"locked": not editable})
        styles[("date", editable)] = wb.add_format(base | fill | {"locked": not editable, "num_format": "yyyy-mm-dd"})
    styles["title"] = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    styles["header"] = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                      "align": "center", "valign": "vcenter"})
    styles["header_open"] = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True,
                                           "align": "center", "valign": "vcenter"})
    return styles


def _sheet(ws: object, cols: tuple[Column, ...], title: str, styles: dict) -> None:
    """Title, header and widths; protected, column widths and row heights left adjustable."""
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, len(cols) - 1, title, styles["title"])
    ws.set_row(TITLE_ROW, 30)
    ws.set_row(HEADER_ROW, 32)
    for c, (col, (fld, editable)) in enumerate(zip(cols, FIELDS, strict=True)):
        ws.write_string(HEADER_ROW, c, col.header, styles["header_open" if editable else "header"])
        ws.set_column(c, c, _WIDE.get(fld, col.width))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                    "select_unlocked_cells": True})


def _cell(ws: object, r: int, c: int, value: object, fld: str, styles: dict, editable: bool) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        ws.write_blank(r, c, None, styles[("date" if _is_date(fld) else "text", editable)])
    elif isinstance(value, dt.date | pd.Timestamp):
        day = pd.Timestamp(value).to_pydatetime()
        ws.write_datetime(r, c, day, styles[("date", editable)])
    else:
        ws.write_string(r, c, str(value), styles[("date" if _is_date(fld) else "text", editable)])


def _write_lists(ws: object, lists: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Each drop-down's values in a column of the hidden list sheet (an inline list is limited to 255 characters):
    field → its range."""
    ranges = {}
    for c, (fld, values) in enumerate(lists.items()):
        letter = xlsxwriter.utility.xl_col_to_name(c)
        ws.write_string(0, c, fld)
        for r, value in enumerate(values, 1):
            ws.write_string(r, c, value)
        ranges[fld] = f"='{LIST_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _validations(ws: object, cols: tuple[Column, ...], first: int, last: int, lists: dict[str, str],
                 fields: tuple[str, ...]) -> None:
    """Drop-downs (status and unit strict; source, category and severity accept other wording with a warning) and
    date checks (销号时间 strict; 整改时限 also takes 长期坚持, with a warning)."""
    for c, (col, (fld, _)) in enumerate(zip(cols, FIELDS, strict=True)):
        if fld not in fields:
            continue
        prompt = {"input_title": col.header[:32], "input_message": _prompt(col.note)}
        if fld in lists:
            strict = fld in ("status", "unit")
            ws.data_validation(first, c, last, c, {
                "validate": "list", "source": lists[fld], "error_type": "stop" if strict else "warning",
                "error_title": col.header[:32], "error_message": f"请从下拉列表中选择{col.header}", **prompt})
        elif _is_date(fld):
            ws.data_validation(first, c, last, c, {
                "validate": "date", "criteria": "between", "minimum": FIRST_DAY, "maximum": LAST_DAY,
                "error_type": "warning" if fld == "deadline" else "stop", "error_title": col.header[:32],
                "error_message": "请填写日期，如 2025-06-30" + (f"；没有固定时限的写“{NO_DEADLINE_WORD}”"
                                                              if fld == "deadline" else ""), **prompt})


def _prompt(text: str) -> str:
    return text if len(text) <= 255 else text[:254] + "…"  # Excel's limit for an input message


def _notes(ws: object, cols: tuple[Column, ...], marker: Marker, period: Period) -> None:
    ws.set_column(0, 0, 100)
    lines = [
        "填表说明",
        f"1. 本表是{marker.unit}{period.label}的问题整改台账更新表，由纪委办公室生成（编号 {marker.workbook_id}），"
        "列出截至上季度末尚未销号的问题。",
        "2. 灰色列（问题编号、问题来源、问题类别、问题描述、责任单位、发现时间、问题性质）不可修改；"
        "黄色表头的列请按本季度末的实际情况更新。",
        "3. 整改状态请从下拉列表选择；整改时限调整的，直接填写新的日期；已完成的填写销号时间（完成日期）。",
        f"4. 本季度新发现的问题填在“{NEW_SHEET}”工作表，每个问题一行，问题来源、问题描述、整改状态必填。",
        "5. 请不要删除问题行，也不要改动表头、工作表名称；填好后原文件报送纪委办公室，直接导入看板。",
        f"6. 本工作簿中的“{NOTES_SHEET}”和隐藏的“{LIST_SHEET}”工作表不会被导入。",
    ]
    for r, line in enumerate(lines):
        ws.write_string(r, 0, line)
    ws.protect("")
