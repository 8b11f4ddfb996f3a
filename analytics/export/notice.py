"""督办文书 as files: the Word document in 公文 layout (the Word snapshot's styles: analytics.export.docx) and a PDF
of the same text printed by Chromium (analytics.export.pdf), where the machine has it (analytics.export.tools)."""

from __future__ import annotations

import datetime as dt
import html
import io

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from analytics.export import docx as word
from analytics.export import pdf
from analytics.export.snapshot import Table
from analytics.notices import KINDS, Paper

# what the document does to the problems it lists, by kind
VERBS = dict(zip(KINDS, ("予以提醒", "进行督办", "提出纪检建议"), strict=True))
HEADERS = ("序号", "问题编号", "问题描述", "整改时限", "预警依据")
DRAFT_NOTE = "本件为拟稿，尚未签发。"


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _lead(p: Paper) -> str:
    listed = f"以下 {len(p.problems)} 个问题" if p.problems else "有关情况"
    return (f"根据{p.period.label}问题整改台账和预警规则，你单位{listed}已达到{p.kind}预警，现{VERBS[p.kind]}，"
            "请认真对照检查，压实整改责任，按期整改到位。")


def _reply(p: Paper) -> str:
    return (f"请于{_date(p.reply_by)}前，将上述问题的整改落实情况（整改措施、进展、完成时间及佐证材料）书面回复"
            f"{p.issuer}。逾期未回复的，将按规定进一步督办。")


def _problem_table(p: Paper) -> Table:
    frame = pd.DataFrame([(n, code or "—", text, deadline, rule) for n, (code, text, deadline, rule)
                          in enumerate(p.problems, 1)], columns=list(HEADERS))
    return Table("需整改的问题", frame, {"序号": "int", "整改时限": "date"})


def name_of(number: str, kind: str, unit: str, fmt: str) -> str:
    """The file name a document is downloaded under: 发文字号_类型_单位.fmt (no path separators)."""
    return f"{number}_{kind}_{unit}.{fmt}".replace("/", "_").replace("\\", "_")


def file_name(p: Paper, fmt: str) -> str:
    return name_of(p.number, p.kind, p.unit, fmt)


def to_docx(p: Paper) -> bytes:
    """The document as .docx: 版头 (issuer and kind), 发文字号, title, 主送, the problems, the basis, the reply
    date and the 落款; the same document gives the same bytes."""
    doc = Document()
    word._set_up(doc)
    doc.add_paragraph(word.plain(p.issuer), style="公文标题")
    doc.add_paragraph(p.kind, style="公文标题")
    number = doc.add_paragraph(word.plain(p.number), style="Normal")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.first_line_indent = Pt(0)
    doc.add_paragraph(style="Normal")
    doc.add_paragraph(word.plain(p.title), style="公文标题")
    doc.add_paragraph(style="Normal")
    to = doc.add_paragraph(word.plain(f"{p.unit}："), style="Normal")
    to.paragraph_format.first_line_indent = Pt(0)
    doc.add_paragraph(word.plain(_lead(p)))
    part = 0
    if p.problems:
        word._heading(doc, f"{word.NUMERALS[part]}、需整改的问题", 1)
        word._table(doc, word._Cells.of(_problem_table(p)), word.TEXT_WIDTH)
        part += 1
    if p.basis:
        word._heading(doc, f"{word.NUMERALS[part]}、单位层面的预警", 1)
        for rule in p.basis:
            doc.add_paragraph(word.plain(rule))
        part += 1
    word._heading(doc, f"{word.NUMERALS[part]}、回复要求", 1)
    doc.add_paragraph(word.plain(_reply(p)))
    doc.add_paragraph(style="Normal")
    doc.add_paragraph(style="Normal")
    for text in (p.issuer, _date(p.dated)):
        line = doc.add_paragraph(word.plain(text), style="Normal")
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.paragraph_format.first_line_indent = Pt(0)
        line.paragraph_format.right_indent = Pt(4 * word.BODY_PT)  # 成文日期 右空四字
    if not p.signed:
        doc.add_paragraph(DRAFT_NOTE, style="表注")
    props = doc.core_properties
    props.title, props.subject, props.keywords = p.title, p.unit, p.number
    props.author = props.last_modified_by = word.plain(p.issuer)
    props.created = props.modified = p.generated_at.astimezone(dt.UTC)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return word._deterministic(out.getvalue(), p)


def to_html(p: Paper) -> bytes:
    """The same text as a print-ready A4 page (for the PDF)."""
    e = html.escape
    rows = "".join(f"<tr><td>{n}</td><td>{e(code or '—')}</td><td>{e(text)}</td>"
                   f"<td>{deadline.isoformat() if deadline else '—'}</td><td>{e(rule)}</td></tr>"
                   for n, (code, text, deadline, rule) in enumerate(p.problems, 1))
    parts = []
    if p.problems:
        head = "".join(f"<th>{h}</th>" for h in HEADERS)
        parts.append(("需整改的问题", f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"))
    if p.basis:
        parts.append(("单位层面的预警", "".join(f"<p>{e(b)}</p>" for b in p.basis)))
    parts.append(("回复要求", f"<p>{e(_reply(p))}</p>"))
    body = "".join(f"<h2>{word.NUMERALS[i]}、{title}</h2>{content}" for i, (title, content) in enumerate(parts))
    note = f"<p class='note'>{DRAFT_NOTE}</p>" if not p.signed else ""
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(p.number)}</title><style>
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: "FangSong", "仿宋", "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 28.95pt; }}
.head, h1 {{ font-family: "Noto Serif CJK SC", "SimSun", serif; font-size: 22pt; text-align: center;
            font-weight: normal; margin: 0; line-height: 35pt; text-indent: 0; }}
.number {{ text-align: center; margin: 0 0 28pt; text-indent: 0; }}
h2 {{ font-family: "SimHei", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal; margin: 0;
      text-indent: 2em; }}
p {{ margin: 0; text-indent: 2em; }}
p.to {{ text-indent: 0; margin-top: 28pt; }}
p.sign {{ text-align: right; padding-right: 4em; text-indent: 0; }}
p.note {{ font-size: 12pt; text-indent: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10.5pt; line-height: 1.4; }}
th, td {{ border: 1px solid #000; padding: 2pt 4pt; vertical-align: middle; }}
th {{ background: #d9d9d9; font-family: "SimHei", "Noto Sans CJK SC", sans-serif; font-weight: normal; }}
</style></head><body>
<p class="head">{e(p.issuer)}</p><p class="head">{e(p.kind)}</p><p class="number">{e(p.number)}</p>
<h1>{e(p.title)}</h1><p class="to">{e(p.unit)}：</p><p>{e(_lead(p))}</p>{body}
<p style="margin-top: 58pt" class="sign">{e(p.issuer)}</p><p class="sign">{_date(p.dated)}</p>{note}
</body></html>"""
    return page.encode("utf-8")


def to_pdf(p: Paper) -> bytes:
    """The PDF beside the Word document (raises DashboardError without Chromium or a Chinese font)."""
    return pdf.render(to_html(p))
