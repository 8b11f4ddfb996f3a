"""The follow-up loop's files: 会商纪要 and 警示教育 案例汇编 (Word, 公文 layout through analytics.export.docx's
styles and tables), 督办清单 and 典型问题案例库 (Excel through analytics.export.table: text stays text)."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

# the Word snapshot's own layout: its page set-up, headings, tables and fonts, not a copy of them
from analytics.export.docx import (
    H1_FONT,
    NUMERALS,
    TEXT_WIDTH,
    _Cells,
    _date,
    _deterministic,
    _fonts,
    _heading,
    _set_up,
    _table,
    plain,
)
from analytics.export.snapshot import Table
from analytics.export.table import to_xlsx

DECISION_HEADERS = {"decision_id": "编号", "meeting_kind": "会商类型", "held_on": "会商日期", "matter": "议定事项",
                    "unit": "责任单位", "person": "责任人", "due": "完成时限", "status": "状态",
                    "completed_on": "完成日期", "last_note": "最新进展", "last_noted_on": "进展日期"}
DECISION_KINDS = {"编号": "int", "会商日期": "date", "完成时限": "date", "完成日期": "date", "进展日期": "date"}
CASE_HEADERS = {"problem_code": "问题编号", "unit": "责任单位", "source": "问题来源", "dimension": "维度",
                "severity": "问题性质", "description": "问题描述", "status": "整改状态", "tags": "案例标签",
                "summary": "案例说明", "marked_by": "标记人"}


def _sheet(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame.reindex(columns=list(headers)).rename(columns=headers)


def supervision_xlsx(decisions: pd.DataFrame, as_of: dt.date) -> bytes:
    """督办清单 (meetings.decisions) as one sheet; every text cell written as text, dates as dates."""
    sheet = _sheet(decisions, DECISION_HEADERS)
    kinds = {h: DECISION_KINDS.get(h, "text") for h in sheet.columns}
    return to_xlsx(sheet, f"督办清单（截至{as_of:%Y-%m-%d}）", kinds)


def _tags_text(tags: object) -> str:
    return "、".join(map(str, tags)) if isinstance(tags, list | tuple) or hasattr(tags, "tolist") else ""


def cases_xlsx(cases: pd.DataFrame) -> bytes:
    """典型问题案例库 as one sheet, tags joined with 、; everything text."""
    sheet = _sheet(cases.assign(tags=[_tags_text(t) for t in cases["tags"]]), CASE_HEADERS)
    return to_xlsx(sheet, "典型问题案例库", dict.fromkeys(sheet.columns, "text"))


def _document():
    doc = Document()
    _set_up(doc)
    return doc


def _title(doc, text: str) -> None:
    doc.add_paragraph(plain(text), style="公文标题")
    doc.add_paragraph(style="Normal")


def _labelled(doc, label: str, text: object) -> None:
    paragraph = doc.add_paragraph(style="Normal")
    paragraph.paragraph_format.first_line_indent = Pt(0)
    _fonts(paragraph.add_run(f"{label}：")._element, H1_FONT)
    paragraph.add_run(plain("" if text is None or (not isinstance(text, str) and pd.isna(text)) else text))


def _signature(doc, issuer: str, day: dt.date) -> None:
    doc.add_paragraph(style="Normal")
    for text in (issuer, _date(day)):
        paragraph = doc.add_paragraph(plain(text), style="Normal")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.first_line_indent = Pt(0)


def _save(doc, title: str, now: dt.datetime) -> bytes:
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = "政治生态分析研判看板"
    props.created = props.modified = now.astimezone(dt.UTC)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return _deterministic(out.getvalue(), SimpleNamespace(generated_at=now))


def _decision_table(frame: pd.DataFrame, title: str, with_status: bool) -> _Cells:
    columns = {"matter": "议定事项", "unit": "责任单位", "person": "责任人", "due": "完成时限"}
    if with_status:
        columns |= {"status": "落实情况", "last_note": "最新进展"}
    sheet = frame.reindex(columns=list(columns)).rename(columns=columns)
    sheet.insert(0, "序号", range(1, len(sheet) + 1))
    sheet = sheet.astype(object).where(sheet.notna(), None)
    return _Cells.of(Table(title, sheet, {"序号": "int", "完成时限": "date"}))


def minutes_docx(meeting: dict, items: pd.DataFrame, decided: pd.DataFrame, carried: pd.DataFrame,
                 issuer: str, now: dt.datetime) -> bytes:
    """会商纪要: the meeting (type, date, participants, topic), its agenda, its decisions, and how the decisions of
    earlier meetings stood on its date; signed by ``issuer`` on the meeting's date."""
    held_on = meeting["held_on"]
    held_on = held_on.date() if isinstance(held_on, dt.datetime) else held_on
    doc = _document()
    _title(doc, f"党委纪委{meeting['kind']}纪要")
    _labelled(doc, "会商时间", _date(held_on))
    _labelled(doc, "会商主题", meeting["topic"])
    _labelled(doc, "参加人员", meeting.get("participants") or "")
    part = 0
    _heading(doc, f"{NUMERALS[part]}、会商议题", 1)
    if items.empty:
        doc.add_paragraph("本次会商未列议题。")
    for n, item in enumerate(items.itertuples(), 1):
        reason = item.reason if isinstance(item.reason, str) else ""
        doc.add_paragraph(plain(f"{n}. {item.topic}" + (f"（{reason}）" if reason else "")))
    part += 1
    _heading(doc, f"{NUMERALS[part]}、议定事项", 1)
    if decided.empty:
        doc.add_paragraph("本次会商未形成议定事项。")
    else:
        doc.add_paragraph("会议议定以下事项，纳入督办清单，由责任单位按时限落实，纪委办公室跟踪督办，下次会商通报落实情况。")
        _table(doc, _decision_table(decided, "议定事项", False), TEXT_WIDTH)
    if not carried.empty:
        part += 1
        _heading(doc, f"{NUMERALS[part]}、前次议定事项落实情况", 1)
        doc.add_paragraph(f"截至{_date(held_on)}，前次会商议定事项中尚未办结{len(carried)}项：")
        _table(doc, _decision_table(carried, "前次议定事项落实情况", True), TEXT_WIDTH)
    _signature(doc, issuer, held_on)
    return _save(doc, f"党委纪委{meeting['kind']}纪要", now)


def cases_docx(cases: pd.DataFrame, issuer: str, now: dt.datetime) -> bytes:
    """典型问题案例汇编 for 警示教育: one numbered case after another, each with its facts and 案例说明."""
    doc = _document()
    _title(doc, "典型问题案例汇编")
    doc.add_paragraph(plain(f"为发挥典型问题的警示教育作用，现将{len(cases)}个典型问题汇编如下，"
                            "请各单位组织学习，对照检查，举一反三，防止同类问题发生。"))
    for n, case in enumerate(cases.itertuples(), 1):
        head = case.description if isinstance(case.description, str) else ""
        _heading(doc, f"{n}. {case.unit}：{head[:30]}{'…' if len(head) > 30 else ''}", 2)
        code = case.problem_code if isinstance(case.problem_code, str) else "—"
        _labelled(doc, "基本情况", f"问题编号{code}；问题来源{case.source}；所属维度{case.dimension}；"
                                 f"问题性质{case.severity or '—'}；整改状态{case.status}。")
        _labelled(doc, "问题描述", head)
        _labelled(doc, "案例标签", _tags_text(case.tags))
        if isinstance(case.summary, str) and case.summary:
            _labelled(doc, "案例说明", case.summary)
    _signature(doc, issuer, now.date())
    return _save(doc, "典型问题案例汇编", now)
