"""Word 快照: the snapshot as a report in the layout of a 党政机关公文 (GB/T 9704), as far as Word styles allow.

A4 with the standard margins, title in 方正小标宋简体, body in 仿宋_GB2312 三号 on a fixed 28.95 pt line,
"一、" headings in 黑体 and "（一）" headings in 楷体_GB2312, "— 1 —" page numbers; the tables come from
snapshot.tables (the columns every format shows) and the charts from analytics.charts, drawn to PNG by
Chromium through kaleido.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import plotly.graph_objects as go
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from analytics import charts
from analytics.errors import DashboardError
from analytics.export.pdf import chromium_path
from analytics.export.snapshot import (
    AGENDA,
    HEADLINE,
    OVERDUE,
    RATES,
    SCORES,
    TRENDS,
    WARNINGS,
    Snapshot,
    Table,
    format_value,
    tables,
)
from analytics.metrics import ALL

# 公文 fonts; Word falls back to the altName where the first is not installed (fontTable entries below)
TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT, PAGE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
LATIN_FONT = "Times New Roman"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", H2_FONT: "楷体", H1_FONT: "SimHei", PAGE_FONT: "SimSun"}
TITLE_PT, BODY_PT, NOTE_PT, PAGE_PT = 22, 16, 12, 14  # 二号, 三号, 小四, 四号
LINE_PT = 28.95  # 22 lines on the A4 text block, as GB/T 9704 asks
PAGE_W, PAGE_H = Cm(21.0), Cm(29.7)
MARGINS = {"top_margin": Cm(3.7), "bottom_margin": Cm(3.5), "left_margin": Cm(2.8), "right_margin": Cm(2.6)}
TEXT_WIDTH = PAGE_W - MARGINS["left_margin"] - MARGINS["right_margin"]  # 15.6 cm

LANDSCAPE_TEXT_WIDTH = PAGE_H - MARGINS["left_margin"] - MARGINS["right_margin"]  # 24.3 cm
EMU_PER_PT = 12700
CELL_PADDING_PT = 11  # Table Grid's left and right cell margins, 0.19 cm each
KEEP_TOGETHER_ROWS = 16  # a table this short is not split across pages
NUMERALS = "一二三四五六七八九十"
MAX_ROWS = 300  # a Word report lists the worst; the full lists are in the Excel snapshot
CHART_WIDTH_PX, CHART_SCALE, CHART_FONT_PX = 760, 2, 14  # 760 px over 15.6 cm: 14 px prints at about 8 pt
_UNBREAKABLE = re.compile(r"[\x21-\x7e]+")  # a run of Latin letters, digits and signs: SJ-2024-003, 2025-06-30
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # lxml refuses these


class ChartsUnavailable(DashboardError):
    """The charts cannot be drawn: no Chromium, or it failed."""


# ---- charts ----

def browser_path() -> str:
    """The Chromium kaleido drives: the one the PDF export prints with ($DASHBOARD_CHROMIUM, else PATH)."""
    found = chromium_path()
    if found is None:
        raise ChartsUnavailable("未找到 Chromium 浏览器，无法绘制 Word 快照中的图表。请安装 Chromium"
                                "（Debian/Ubuntu：apt-get install chromium fonts-noto-cjk），"
                                "或用环境变量 DASHBOARD_CHROMIUM 指定浏览器位置")
    return found


def chart_images(figures: list[go.Figure]) -> list[bytes]:
    """PNG of each figure, CHART_WIDTH_PX wide at its own height, from one Chromium session."""
    import kaleido  # imported here: only the Word export needs it

    path = browser_path()
    specs = [(fig, {"format": "png", "width": CHART_WIDTH_PX, "height": fig.layout.height or 400,
                    "scale": CHART_SCALE}) for fig in figures]

    async def render() -> list[bytes]:
        # mathjax=False: its default is a CDN address, and there is no network to count on
        async with kaleido.Kaleido(n=1, timeout=60, mathjax=False, path=path) as k:
            return [await k.calc_fig(fig, opts=opts) for fig, opts in specs]

    try:
        # a thread of its own, so that a caller's running event loop (if any) is not in the way
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, render()).result()
    except Exception as exc:
        raise ChartsUnavailable(f"用 Chromium 绘制图表失败（{type(exc).__name__}：{exc}）") from exc


def _for_print(fig: go.Figure) -> tuple[str, go.Figure]:
    """(caption, figure): the title moves below the image as a caption; fonts a little larger for paper."""
    caption = fig.layout.title.text or ""
    fig.update_layout(title_text=None, font_size=CHART_FONT_PX, margin_t=20)
    return caption, fig


def figures(s: Snapshot) -> dict[str, list[go.Figure | None]]:
    """The chart drawn above each table of a part (None: that table has none). Trend; closure rate by unit and
    the ranking, when there are units to compare; the radar of dimension scores."""
    cfg = s.cfg
    compare = len(s.unit_scores) > 1
    by_rate = s.rates_by_unit.sort_values(["closure_rate", "unit"], na_position="last")  # weakest first
    return {
        TRENDS: [charts.lines(s.trend, "period", {"total": "问题总数", "new": "新增", "closed_this_period": "销号",
                                                  "overdue": "逾期"}, "各季度问题数量", "季度", "问题数（个）")],
        RATES: [charts.bars(by_rate, "unit", "closure_rate", f"各单位销号率（{s.period.label}）", "责任单位", "销号率",
                            percent=True, horizontal=True) if compare else None],
        SCORES: [charts.bars(s.unit_scores, "unit", "score", f"{s.period.label}单位综合得分排名", "单位", "综合得分",
                             colors=list(s.unit_scores["color"]), horizontal=True) if compare else None,
                 charts.radar(s.radar_series(), "各维度得分对比", low=cfg.floor, high=cfg.start)],
    }


# ---- styles ----

def _fonts(element, east_asia: str, size: float | None = None, bold: bool = False) -> None:
    """Set the fonts of a style or run element: Latin and East Asian names, size, bold, black."""
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)  # a theme font would win over the names
    for attr, name in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT),
                       ("w:eastAsia", east_asia)):
        rfonts.set(qn(attr), name)
    for tag in ("w:b", "w:bCs", "w:i", "w:iCs", "w:color", "w:sz", "w:szCs"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    children = [("w:b", None), ("w:bCs", None)] if bold else []
    children.append(("w:color", "000000"))
    if size is not None:
        children += [("w:sz", str(round(size * 2))), ("w:szCs", str(round(size * 2)))]
    for tag, val in children:
        child = OxmlElement(tag)
        if val is not None:
            child.set(qn("w:val"), val)
        rpr.append(child)
    _reorder(rpr)


# CT_RPr's children must come in the schema's order for Word to accept the file
_RPR_ORDER = ("w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
              "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
              "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
              "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs",
              "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")


def _reorder(rpr) -> None:
    rank = {qn(tag): i for i, tag in enumerate(_RPR_ORDER)}
    children = sorted(rpr, key=lambda c: rank.get(c.tag, len(rank)))
    for child in children:
        rpr.append(child)


def _paragraph_style(doc: DocumentObject, name: str, east_asia: str, size: float, *, bold: bool = False,
                     indent: bool = True, align: WD_ALIGN_PARAGRAPH | None = None, line: float | None = LINE_PT,
                     outline: int | None = None, keep_next: bool = False):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        style.base_style = styles["Normal"]
    _fonts(style.element, east_asia, size, bold)
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(2 * BODY_PT) if indent else Pt(0)
    fmt.left_indent = Pt(0)
    fmt.alignment = align
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
    fmt.keep_with_next = keep_next
    fmt.widow_control = True
    if outline is not None:
        ppr = style.element.get_or_add_pPr()
        for old in ppr.findall(qn("w:outlineLvl")):
            ppr.remove(old)
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        ppr.append(level)
    return style


def _font_table(doc: DocumentObject) -> None:
    """Declare the 公文 fonts with an altName, which Word uses where the font itself is not installed."""
    fonts = next(p for p in doc.part.package.iter_parts() if p.partname.endswith("/fontTable.xml"))
    root = etree.fromstring(fonts.blob)
    for name, alt in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:charset", "86"), ("w:family", "modern" if name != TITLE_FONT else
                                                                  "script"), ("w:pitch", "fixed")):
            etree.SubElement(font, qn(tag)).set(qn("w:val"), val)
    fonts._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _defaults(doc: DocumentObject) -> None:
    """Document defaults: the body fonts by name (the template's theme fonts would show through where a style
    says nothing) and Chinese as the East Asian language, which Word's line breaking follows."""
    rpr = doc.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    for tag in ("w:rFonts", "w:lang"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    rfonts = etree.SubElement(rpr, qn("w:rFonts"))
    for attr, name in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT),
                       ("w:eastAsia", BODY_FONT)):
        rfonts.set(qn(attr), name)
    rpr.insert(0, rfonts)
    lang = etree.SubElement(rpr, qn("w:lang"))
    for attr, val in (("w:val", "en-US"), ("w:eastAsia", "zh-CN"), ("w:bidi", "ar-SA")):
        lang.set(qn(attr), val)
    _reorder(rpr)


def _set_up(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.orientation, section.page_width, section.page_height = WD_ORIENT.PORTRAIT, PAGE_W, PAGE_H
    for attr, value in MARGINS.items():
        setattr(section, attr, value)
    section.footer_distance = Cm(2.6)  # the page number about 7 mm below the text block
    _defaults(doc)
    _paragraph_style(doc, "Normal", BODY_FONT, BODY_PT)
    _paragraph_style(doc, "公文标题", TITLE_FONT, TITLE_PT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=35)
    _paragraph_style(doc, "Heading 1", H1_FONT, BODY_PT, outline=0, keep_next=True)
    _paragraph_style(doc, "Heading 2", H2_FONT, BODY_PT, outline=1, keep_next=True)
    _paragraph_style(doc, "表格文字", BODY_FONT, 10.5, indent=False, line=None)
    _paragraph_style(doc, "表注", BODY_FONT, NOTE_PT, indent=False, line=20)
    _paragraph_style(doc, "图题", H2_FONT, 14, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=24)
    _paragraph_style(doc, "图片", BODY_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=None,
                     keep_next=True)
    _font_table(doc)
    _page_numbers(section)
    rels = doc.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rid]  # the template's thumbnail shows another document


def _page_numbers(section) -> None:
    """Footer: — 1 — centred, the number a PAGE field, in 四号宋体."""
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)

    def run(text: str | None = None, field: str | None = None, instr: str | None = None) -> None:
        r = paragraph.add_run(text)
        _fonts(r._element, PAGE_FONT, PAGE_PT)
        if field is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), field)
            r._element.append(char)
        if instr is not None:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = instr
            r._element.append(code)

    run("— ")
    run(field="begin")
    run(instr=" PAGE ")
    run(field="separate")
    run("1")
    run(field="end")
    run(" —")


# ---- content ----

def plain(text: object) -> str:
    """Ledger text as it may go into XML: characters XML cannot hold are dropped."""
    return _NOT_XML.sub("", str(text))


def _heading(doc: DocumentObject, text: str, level: int) -> Paragraph:
    return doc.add_paragraph(plain(text), style="Heading 1" if level == 1 else "Heading 2")


def _ems(text: str) -> float:
    """Printed width in ems: CJK and full-width characters one, capitals about 0.7, digits and the rest half."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.7 if "A" <= ch <= "Z" else 0.5 for ch in text)


def _natural(headers: list[str], rows: list[list[str]], size: float) -> tuple[list[float], list[float]]:
    """Each column's (wanted, least) width in points. Wanted: the longest value on one line. Least: Chinese may
    wrap after any character but short words (tier names) stay whole; codes, dates and figures never wrap."""
    wanted, least = [], []
    for i, header in enumerate(headers):
        values = [r[i] for r in rows]
        longest = max(map(_ems, values), default=0)
        unbroken = max((_ems(t) for v in values for t in _UNBREAKABLE.findall(v)), default=0)
        wanted.append(max(min(_ems(header), 4), min(longest, 40)) * size + CELL_PADDING_PT)
        least.append(max(2, min(longest, 5), min(unbroken, 10)) * size + CELL_PADDING_PT)
    return wanted, least


def _column_widths(headers: list[str], rows: list[list[str]], size: float, width: int) -> list[int]:
    """Widths (EMU) filling ``width``: every column its least, the rest shared by what each still wants."""
    wanted, least = _natural(headers, rows, size)
    room = width / EMU_PER_PT
    if sum(wanted) <= room or sum(least) >= room:
        base = wanted if sum(wanted) <= room else least
        points = [w * room / sum(base) for w in base]
    else:
        extra = [w - m for w, m in zip(wanted, least, strict=True)]
        share = (room - sum(least)) / sum(extra)
        points = [m + e * share for m, e in zip(least, extra, strict=True)]
    widths = [int(p * EMU_PER_PT) for p in points]
    widths[-1] += width - sum(widths)
    return widths


def _cell_text(cell, text: str, *, header: bool, align: WD_ALIGN_PARAGRAPH, size: float, style_id: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style_id  # by id: a lookup by name scans the template's hundreds of styles per cell
    paragraph.alignment = align
    run = paragraph.add_run(plain(text))
    if header:
        _fonts(run._element, H1_FONT, size)
    elif size != 10.5:
        run.font.size = Pt(size)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    for attr, val in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shading.set(qn(attr), val)
    cell._tc.get_or_add_tcPr().append(shading)


@dataclass(frozen=True)
class _Cells:
    """A table as the text of its cells, before it is laid out."""

    table: Table
    headers: list[str]
    rows: list[list[str]]
    size: float  # font size in points

    @classmethod
    def of(cls, table: Table) -> _Cells:
        headers = [str(c) for c in table.frame.columns]
        rows = [[format_value(value, table.kind(i, column)) for column, value in zip(headers, row, strict=True)]
                for i, row in enumerate(table.frame.head(MAX_ROWS).itertuples(index=False, name=None))]
        return cls(table, headers, rows, 10.5 if len(headers) <= 7 else 9)  # 五号, or 小五 for wide tables

    @property
    def wide(self) -> bool:
        """Too wide for a portrait page without cramming: laid out landscape (GB/T 9704 allows 横排表格)."""
        return sum(_natural(self.headers, self.rows, self.size)[0]) > 1.5 * TEXT_WIDTH / EMU_PER_PT


def _table(doc: DocumentObject, cells: _Cells, width: int) -> None:
    """A bordered table with a shaded header row repeated on every page; numbers centred, text left."""
    table, headers, rows, size = cells.table, cells.headers, cells.rows, cells.size
    centred = [table.kinds.get(h, "text") != "text" for h in headers]  # figures centred, words from the left
    style_id = doc.styles["表格文字"].style_id
    keep = len(rows) <= KEEP_TOGETHER_ROWS and not cells.wide  # long text could make it taller than a page
    grid = doc.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = _column_widths(headers, rows, size, width)
    for column, column_width in zip(grid.columns, widths, strict=True):
        column.width = column_width
    header_row = grid.rows[0]
    header_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text, column_width in zip(header_row.cells, headers, widths, strict=True):
        cell.width = column_width
        _cell_text(cell, text, header=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size, style_id=style_id)
        _shade(cell, "D9D9D9")
        cell.paragraphs[0].paragraph_format.keep_with_next = True
    for n, values in enumerate(rows, 1):
        row = grid.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, text, column_width, centre in zip(row.cells, values, widths, centred, strict=True):
            cell.width = column_width
            _cell_text(cell, text, header=False, size=size, style_id=style_id,
                       align=WD_ALIGN_PARAGRAPH.CENTER if centre else WD_ALIGN_PARAGRAPH.LEFT)
            if keep and n < len(rows):  # Word keeps a table whole when each row keeps with the next
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    notes = [table.note] if table.note else []
    if len(table.frame) > MAX_ROWS:
        notes.append(f"共 {len(table.frame)} 行，此处列出前 {MAX_ROWS} 行，完整清单见 Excel 快照。")
    for note in notes:
        doc.add_paragraph(f"注：{plain(note)}", style="表注")


def _picture(doc: DocumentObject, image: bytes, caption: str, number: int) -> None:
    doc.add_paragraph(style="图片").add_run().add_picture(io.BytesIO(image), width=TEXT_WIDTH)
    doc.add_paragraph(f"图{number}　{plain(caption)}", style="图题")


def _orient(doc: DocumentObject, landscape: bool) -> int:
    """Start a section on a new page turned the given way; returns its text width. Page numbers run on."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (PAGE_H, PAGE_W) if landscape else (PAGE_W, PAGE_H)
    for attr, value in MARGINS.items():
        setattr(section, attr, value)
    return LANDSCAPE_TEXT_WIDTH if landscape else TEXT_WIDTH


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _summary(s: Snapshot) -> str:
    """主要指标 in one sentence, for the reader who reads only the first paragraph."""
    h, v = s.headline, lambda key, kind="int": format_value(s.headline.get(key), kind)
    where = "全公司" if s.scope == ALL else f"所选范围（{s.scope_label}）"
    text = (f"截至{_date(s.period.end)}，{where}共有问题{v('total')}个，其中本期新增{v('new')}个、本期销号"
            f"{v('closed_this_period')}个；累计已销号{v('closed')}个，销号率{v('closure_rate', 'rate')}，整改完成率"
            f"{v('completion_rate', 'rate')}，按期整改率{v('on_time_rate', 'rate')}；逾期未整改{v('overdue')}个，"
            f"改而复发{v('recurred')}个。")
    if h.get("company_score") is not None:
        text += f"综合得分{v('company_score', 'score')}，等级为“{h.get('company_grade')}”。"
    return text


def _lead(s: Snapshot, part: str) -> str | None:
    """A sentence that opens a part, where one helps."""
    if part == HEADLINE:
        return _summary(s)
    if part == WARNINGS:
        counts = "、".join(f"{tier}{n}项" for tier, n in s.warning_counts.items())
        return f"本期共触发预警{sum(s.warning_counts.values())}项，其中{counts}。"
    if part == OVERDUE and s.overdue.empty:
        return "截至期末，没有逾期未整改的问题。"
    if part == AGENDA and s.agenda.empty:
        return "本期没有需要提请会商的议题。"
    return None


def _cover(doc: DocumentObject, s: Snapshot) -> None:
    head, _, tail = s.title.partition("（")
    doc.add_paragraph(head, style="公文标题")
    if tail:
        doc.add_paragraph("（" + tail, style="公文标题")
    doc.add_paragraph(style="Normal")
    note = ""
    for label, text in s.cover():
        if label == "标题":
            continue
        if label == "说明":
            note = text
            continue
        paragraph = doc.add_paragraph(style="Normal")
        paragraph.paragraph_format.first_line_indent = Pt(0)
        _fonts(paragraph.add_run(f"{label}：")._element, H1_FONT)
        paragraph.add_run(plain(text))
    if note:
        doc.add_paragraph(f"注：{note}", style="表注")


def _deterministic(content: bytes, s: Snapshot) -> bytes:
    """The same snapshot gives the same bytes: every zip entry stamped with the generation time."""
    stamp = s.generated_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=stamp), src.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write(snapshot: Snapshot) -> bytes:
    """The snapshot as a .docx file (bytes); raises ChartsUnavailable when Chromium cannot draw the charts."""
    s = snapshot
    charts_by_part = {part: [f and _for_print(f) for f in figs] for part, figs in figures(s).items()
                      if part in s.sections}
    images = iter(chart_images([c[1] for charts_of_part in charts_by_part.values() for c in charts_of_part if c]))

    doc = Document()
    _set_up(doc)
    _cover(doc, s)
    parts = {part: [_Cells.of(t) for t in part_tables] for part, part_tables in tables(s).items()}
    landscape, width, figure_no = False, TEXT_WIDTH, 0
    for number, part in enumerate(s.sections):
        lead = _lead(s, part)
        part_tables = [c for c in parts[part] if not (c.table.frame.empty and lead)]  # the lead says it is empty
        if any(c.wide for c in part_tables) != landscape:
            landscape = not landscape
            width = _orient(doc, landscape)
        _heading(doc, f"{NUMERALS[number]}、{part}", 1)
        if lead:
            doc.add_paragraph(plain(lead)).paragraph_format.keep_with_next = True  # no heading left at a page foot
        pictures = charts_by_part.get(part, [])
        for sub, cells in enumerate(part_tables):
            _heading(doc, f"（{NUMERALS[sub]}）{cells.table.title}", 2)
            if sub < len(pictures) and pictures[sub]:  # a chart goes above the table it draws
                figure_no += 1
                _picture(doc, next(images), pictures[sub][0], figure_no)
                if said := charts.conclusion(pictures[sub][1]):  # 核心结论 under the caption
                    doc.add_paragraph(f"核心结论：{plain(said)}", style="表注")
            if cells.table.frame.empty:
                doc.add_paragraph("本期无。")
            else:
                _table(doc, cells, width)

    props = doc.core_properties
    props.title, props.subject = s.title, s.scope_label
    props.author = props.last_modified_by = "政治生态分析研判看板"
    props.keywords = f"{s.period}；数据版本 {s.data_version[:12]}"
    props.comments = f"数据版本 {s.data_version}"
    props.created = props.modified = s.generated_at.astimezone(dt.UTC)  # Word stores UTC; ours is local
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return _deterministic(out.getvalue(), s)


__all__ = ["ChartsUnavailable", "browser_path", "chart_images", "figures", "write"]
