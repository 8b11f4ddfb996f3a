"""The 研判报告 as a Word document in 公文 layout: the snapshot writer's page, fonts and table layout
(analytics.export.docx), text from analytics.report.text, figures from a ReportData. No charts: the report is
text and tables, so it is written without a browser and stays editable as a whole.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.document import Document as DocumentObject

from analytics.export import docx as word
from analytics.export.snapshot import OVERDUE_COLUMNS, RATE_COLUMNS, _table
from analytics.report import text
from analytics.report.data import Aspect, ReportData
from analytics.report.scores import INDICATORS

SECTIONS = ("一、基本情况", "二、总体研判", "三、八个方面情况", "四、主要问题及原因分析", "五、整改落实和回头看情况",
            "六、下一步工作建议及提请党委研究事项")
APPENDIX = "附表"
# the titles of 五 and 六 for a reader who sees neither the 回头看 list nor the agenda
PLAIN_TITLES = {4: "五、整改落实情况", 5: "六、下一步工作建议"}


def headings(parts: frozenset[str]) -> tuple[str, ...]:
    """The six parts' titles as this reader gets them (a part the role may not see is not named)."""
    plain = {4: "lookback", 5: "agenda"}
    return tuple(PLAIN_TITLES[i] if i in plain and plain[i] not in parts else t for i, t in enumerate(SECTIONS))
RANKING_TITLE, OVERDUE_TITLE = "各单位问题整改及评分情况", "逾期未整改问题清单"


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _para(doc: DocumentObject, sentence: str) -> None:
    doc.add_paragraph(word.plain(sentence))


def _sub(doc: DocumentObject, n: int, title: str) -> None:
    word._heading(doc, f"（{text.ORDINALS[n]}）{title}", 2)


def basic(r: ReportData) -> list[str]:
    return text.basic_situation(r.who, _date(r.period.end), r.head, r.previous, r.year_ago, r.by_source)


def overall(r: ReportData) -> list[str]:
    s = r.scores
    return text.overall(r.who, r.period.label, s and s.score, s and s.grade, s and s.previous, s and s.year_ago,
                        r.head, r.previous)


def aspect(r: ReportData, a: Aspect) -> list[str]:
    s = r.scores
    scored = s is not None and a.name in s.dimensions
    lead = text.dimension(a.name, a.problems, a.open, a.overdue,
                          score_now=s.dimensions[a.name] if scored else None,
                          rank=s.ranks.get(a.name, (None, None))[0] if scored else None,
                          of=s.ranks.get(a.name, (None, None))[1] if scored else None,
                          rank_among=s.rank_among if s else "八个方面",
                          lowest=s.lowest.get(a.name, []) if scored else (),
                          lost=s.lost.get(a.name, dict.fromkeys(INDICATORS.values(), 0.0)) if scored else None)
    behind = text.dimension_problems(a.groups)
    return [lead, *([behind] if behind else [])]


def causes(r: ReportData) -> list[str]:
    dims = sorted((a for a in r.aspects), key=lambda a: (-a.problems, a.name))
    top_dim = (dims[0].name, dims[0].problems) if dims and dims[0].problems else None
    units = r.rates_by_unit.sort_values(["open", "unit"], ascending=[False, True])
    top_unit = None
    if r.unit is None and len(units) > 1 and int(units["open"].iloc[0]):
        top_unit = (str(units["unit"].iloc[0]), int(units["open"].iloc[0]))
    return text.causes(r.head, top_dim, top_unit)


def poor_units(r: ReportData) -> list[str]:
    s = r.scores
    if s is None or s.poor_grade is None or r.unit:
        return []
    return list(s.units.loc[s.units["grade"] == s.poor_grade, "unit"])


def ranking_table(r: ReportData):
    frame = r.rates_by_unit
    columns = {k: RATE_COLUMNS[k] for k in ("unit", "total", "closed", "open", "overdue", "recurred", "closure_rate",
                                            "on_time_rate")}
    if r.scores is not None:
        frame = frame.merge(r.scores.units, on="unit", how="outer").sort_values(["rank", "unit"], na_position="last")
        columns = {"rank": ("排名", "int")} | columns | {"score": ("综合得分", "score"), "grade": ("等级", "text")}
    return _table(RANKING_TITLE, frame.reset_index(drop=True), columns)


def overdue_table(r: ReportData):
    columns = {k: v for k, v in OVERDUE_COLUMNS.items() if k not in ("owner", "found_date", "source")}
    return _table(OVERDUE_TITLE, r.overdue, columns)


def _appendix(doc: DocumentObject, r: ReportData) -> None:
    tables = []
    if r.unit is None:
        tables.append(ranking_table(r))
    if r.shows("problems"):
        tables.append(overdue_table(r))
    if not tables:
        return
    cells = [word._Cells.of(t) for t in tables]
    width = word._orient(doc, any(c.wide for c in cells))
    word._heading(doc, APPENDIX, 1)
    for n, c in enumerate(cells, 1):
        word._heading(doc, f"附表{n}　{c.table.title}", 2)
        if c.table.frame.empty:
            _para(doc, "本期无。")
        else:
            word._table(doc, c, width)


def write(r: ReportData) -> bytes:
    """The report as .docx bytes; the same data gives the same bytes."""
    doc = Document()
    word._set_up(doc)
    doc.add_paragraph(word.plain(r.title.partition("（")[0]), style="公文标题")
    doc.add_paragraph(f"（{r.period.label}）", style="公文标题")
    doc.add_paragraph(style="Normal")
    _para(doc, f"根据截至{_date(r.period.end)}的问题整改台账和相关监督数据，对{r.who}政治生态情况分析研判如下。")

    titles = headings(r.parts)
    word._heading(doc, titles[0], 1)
    for sentence in basic(r):
        _para(doc, sentence)
    word._heading(doc, titles[1], 1)
    for sentence in overall(r):
        _para(doc, sentence)
    word._heading(doc, titles[2], 1)
    for n, a in enumerate(r.aspects):
        _sub(doc, n, a.name)
        for sentence in aspect(r, a):
            _para(doc, sentence)
    word._heading(doc, titles[3], 1)
    for sentence in causes(r):
        _para(doc, sentence)
    word._heading(doc, titles[4], 1)
    for sentence in text.rectification(r.head, *r.lookback):
        _para(doc, sentence)
    if rechecked := text.rechecks(r.rechecked):
        _para(doc, rechecked)
    if documents := text.follow_up_documents(r.documents):
        _para(doc, documents)
    word._heading(doc, titles[5], 1)
    _sub(doc, 0, "工作建议")
    for sentence in text.suggestions(r.head, poor_units(r)):
        _para(doc, sentence)
    if r.agenda is not None:
        _sub(doc, 1, "提请党委研究事项")
        if r.agenda.empty:
            _para(doc, "本期没有需要提请党委研究的事项。")
        for n, item in enumerate(r.agenda.itertuples()):
            _para(doc, text.agenda_item(n, item.topic, item.reason, item.figures))
    _appendix(doc, r)
    return save(doc, r)


def save(doc: DocumentObject, r) -> bytes:
    """The document's bytes with its properties set, the same for the same data (zip entries stamped alike)."""
    props = doc.core_properties
    props.title, props.subject = r.title, r.scope_label
    props.author = props.last_modified_by = "政治生态分析研判看板"
    props.keywords = f"{r.period}；数据版本 {r.data_version[:12]}"
    props.created = props.modified = r.generated_at.astimezone(dt.UTC)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return word._deterministic(out.getvalue(), r)


def paragraphs(content: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every paragraph of a written report, for reading it back (tests, checks)."""
    return [(p.style.name, p.text) for p in Document(io.BytesIO(content)).paragraphs]


__all__ = ["APPENDIX", "SECTIONS", "headings", "paragraphs", "write"]
