"""Word 快照: 公文 layout, figures equal to the analytics layer's, fonts, page numbers, charts, masking.

Most tests draw the charts as blank stand-in PNGs, so the layout is checked without a browser; the tests marked
slow draw them with Chromium (skipped without it, failed without it when CI is set) and convert the file with
LibreOffice when it is installed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from PIL import Image

from analytics import metrics, scoring
from analytics.db import open_db
from analytics.export import docx as word
from analytics.export import export
from analytics.export.snapshot import SECTIONS, build_snapshot, mask_name
from analytics.metrics import Scope
from analytics.periods import Period
from tests.conftest import CFG

PERIOD = Period(2025, 2)
NOW = dt.datetime(2025, 7, 5, 10, 30)
UNIT = "采购部"
FIGURES = 4  # trend, closure rate by unit, ranking, radar


def blank_png(fig) -> bytes:
    """A stand-in chart of the size kaleido would draw."""
    out = io.BytesIO()
    Image.new("RGB", (word.CHART_WIDTH_PX, int(fig.layout.height or 400)), "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def exported(demo_db):
    """Snapshot and bytes of the demo's 2025Q2 Word export, by (scope, masked), charts stubbed."""
    done = {}

    def get(units: tuple[str, ...] | None = None, masked: bool = False):
        if (units, masked) not in done:
            with pytest.MonkeyPatch.context() as mp, open_db(demo_db, read_only=True) as con:
                mp.setattr(word, "chart_images", lambda figures: [blank_png(f) for f in figures])
                done[units, masked] = export(con, PERIOD, Scope(units=units), "docx", cfg=CFG, mask_names=masked,
                                             now=NOW)
        return done[units, masked]

    return get


def open_docx(content: bytes) -> DocumentObject:
    return Document(io.BytesIO(content))


def table_with(doc: DocumentObject, *header: str) -> list[list[str]]:
    """The rows (as text) of the first table whose header row starts with these cells."""
    for table in doc.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and tuple(rows[0][:len(header)]) == header:
            return rows
    raise AssertionError(f"no table with header {header}")


def text_of(doc: DocumentObject) -> str:
    cells = (c.text for t in doc.tables for row in t.rows for c in row.cells)
    return "\n".join([*(p.text for p in doc.paragraphs), *cells])


def near(length: int, expected: int) -> bool:
    """Equal to a tenth of a millimetre: Word stores lengths in twips."""
    return abs(length - expected) < Cm(0.01)


def east_asian(style) -> str | None:
    rfonts = style.element.rPr.rFonts
    return rfonts.get(qn("w:eastAsia"))


def test_title_cover_and_headings_in_order(exported):
    snapshot, content = exported()
    doc = open_docx(content)
    titles = [p.text for p in doc.paragraphs if p.style.name == "公文标题"]
    assert titles == ["政治生态分析研判快照", "（2025年第二季度）"]
    assert doc.styles["公文标题"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    text = text_of(doc)
    for line in ("期间：2025年第二季度（2025Q2，数据截至 2025-06-30）", "范围：全公司", "生成时间：2025-07-05 10:30:00",
                 f"数据版本：{snapshot.data_version}"):
        assert line in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n}、{part}" for n, part in zip("一二三四五六七", SECTIONS[1:], strict=True)]
    level_two = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert level_two[0].startswith("（一）") and "（二）单位综合得分排名" not in level_two  # numbering restarts
    assert "（一）单位综合得分排名" in level_two and any(t.startswith("（二）各维度得分对比") for t in level_two)


def test_headline_table_equals_the_metrics(exported, demo_db):
    _, content = exported()
    rows = table_with(open_docx(content), "指标", "本期", "上期", "环比变化")
    by_label = {r[0]: r[1:] for r in rows[1:]}
    with open_db(demo_db, read_only=True) as con:
        now, before = metrics.headline(con, PERIOD), metrics.headline(con, PERIOD.previous())
    assert by_label["问题总数"] == [str(now["total"]), str(before["total"]), f"{now['total'] - before['total']:+d}"]
    assert by_label["逾期未整改"][0] == str(now["overdue"])
    assert by_label["销号率"][0] == f"{now['closure_rate']:.1%}"
    assert by_label["销号率"][2].endswith("个百分点")


def test_ranking_table_equals_the_unit_scores(exported, demo_db):
    _, content = exported()
    rows = table_with(open_docx(content), "排名", "单位", "综合得分", "等级")
    with open_db(demo_db, read_only=True) as con:
        units = scoring.unit_scores(con, PERIOD, cfg=CFG)
    assert [r[:4] for r in rows[1:]] == [[str(r.rank), r.unit, f"{r.score:.1f}", r.grade]
                                         for r in units.itertuples()]
    assert len(rows[0]) == 4 + 8  # and one column per dimension


def test_one_unit(exported, demo_db):
    _, content = exported((UNIT,))
    doc = open_docx(content)
    assert "范围：单位：采购部" in text_of(doc)
    with open_db(demo_db, read_only=True) as con:
        head = metrics.headline(con, PERIOD, Scope(units=(UNIT,)))
    headline = {r[0]: r[1] for r in table_with(doc, "指标", "本期")[1:]}
    assert headline["问题总数"] == str(head["total"]) and headline["逾期未整改"] == str(head["overdue"])
    assert [r[1] for r in table_with(doc, "排名", "单位")[1:]] == [UNIT]
    overdue = table_with(doc, "问题编号", "责任单位")
    assert len(overdue) - 1 == head["overdue"] and {r[1] for r in overdue[1:]} == {UNIT}
    assert len(doc.inline_shapes) == 2  # trend and radar: one unit has no ranking or by-unit bars to draw


def test_official_document_page_and_fonts(exported):
    _, content = exported()
    doc = open_docx(content)
    first = doc.sections[0]
    measured = (first.page_width, first.page_height, first.top_margin, first.bottom_margin, first.left_margin,
                first.right_margin)
    assert all(near(a, Cm(b)) for a, b in zip(measured, (21.0, 29.7, 3.7, 3.5, 2.8, 2.6), strict=True))
    styles = doc.styles
    assert east_asian(styles["Normal"]) == "仿宋_GB2312" and styles["Normal"].font.size == Pt(16)
    assert east_asian(styles["Heading 1"]) == "黑体"
    assert east_asian(styles["Heading 2"]).startswith("楷体")
    assert east_asian(styles["公文标题"]) == "方正小标宋简体"
    for name in ("Normal", "Heading 1", "Heading 2"):
        rfonts = styles[name].element.rPr.rFonts
        assert rfonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would override the name
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        fonts = package.read("word/fontTable.xml").decode()
    assert 'w:name="仿宋_GB2312"' in fonts and 'w:val="仿宋"' in fonts  # the fallback Word uses without it


def test_wide_lists_are_landscape_and_page_numbers_run_on(exported):
    _, content = exported()
    doc = open_docx(content)
    turned = [s.orientation for s in doc.sections]
    assert turned[0] == WD_ORIENT.PORTRAIT and WD_ORIENT.LANDSCAPE in turned
    landscape = next(s for s in doc.sections if s.orientation == WD_ORIENT.LANDSCAPE)
    assert near(landscape.page_width, Cm(29.7))
    assert all(s.footer.is_linked_to_previous for s in doc.sections[1:])


def test_footer_holds_a_page_field(exported):
    _, content = exported()
    footer = open_docx(content).sections[0].footer
    xml = footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml) or 'w:instr="PAGE' in xml
    assert footer.paragraphs[0].text == "— 1 —" and footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_masking_removes_full_owner_names(exported, demo_db):
    plain_snapshot, plain_content = exported()
    _, masked_content = exported(masked=True)
    owners = {o for o in plain_snapshot.overdue["owner"].dropna() if len(o) > 1}
    assert owners
    assert all(o in text_of(open_docx(plain_content)) for o in owners)
    masked = text_of(open_docx(masked_content))
    assert not [o for o in owners if o in masked]
    assert all(mask_name(o) in masked for o in owners)
    assert "姓名脱敏：是" in masked


def test_same_snapshot_same_bytes_dated_by_the_snapshot(exported, demo_db, monkeypatch):
    _, content = exported()
    monkeypatch.setattr(word, "chart_images", lambda figures: [blank_png(f) for f in figures])
    with open_db(demo_db, read_only=True) as con:
        _, again = export(con, PERIOD, Scope(), "docx", now=NOW, cfg=CFG)
    assert again == content
    props = open_docx(content).core_properties
    assert props.created == props.modified == NOW.astimezone(dt.UTC)
    assert props.title == "政治生态分析研判快照（2025年第二季度）"
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        assert {i.date_time for i in package.infolist()} == {(2025, 7, 5, 10, 30, 0)}
        assert "docProps/thumbnail.jpeg" not in package.namelist()  # the template's picture of another file


def test_ledger_text_goes_in_as_plain_text(demo_db, monkeypatch):
    monkeypatch.setattr(word, "chart_images", lambda figures: [blank_png(f) for f in figures])
    with open_db(demo_db, read_only=True) as con:
        snapshot = build_snapshot(con, PERIOD, now=NOW, cfg=CFG)
    odd = '<w:p>=HYPERLINK("x") & 换行\x0b控制符\x01'
    overdue = snapshot.overdue.copy()
    overdue.loc[overdue.index[0], "description"] = odd
    doc = open_docx(word.write(dataclasses.replace(snapshot, overdue=overdue)))
    descriptions = [r[4] for r in table_with(doc, "问题编号", "责任单位", "问题来源", "维度", "问题描述")[1:]]
    assert descriptions[0] == '<w:p>=HYPERLINK("x") & 换行控制符'  # as typed, less what XML cannot hold


def test_long_lists_are_cut_with_a_note(demo_db, monkeypatch):
    monkeypatch.setattr(word, "chart_images", lambda figures: [blank_png(f) for f in figures])
    monkeypatch.setattr(word, "MAX_ROWS", 5)
    with open_db(demo_db, read_only=True) as con:
        snapshot = build_snapshot(con, PERIOD, now=NOW, cfg=CFG)
    doc = open_docx(word.write(snapshot))
    assert len(table_with(doc, "问题编号", "责任单位")) == 1 + 5
    assert f"注：共 {len(snapshot.overdue)} 行，此处列出前 5 行，完整清单见 Excel 快照。" in text_of(doc)


def test_without_chromium_the_error_says_what_to_install(demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_CHROMIUM", str(tmp_path / "no-such-browser"))
    with open_db(demo_db, read_only=True) as con, pytest.raises(word.ChartsUnavailable, match="未找到 Chromium"):
        export(con, PERIOD, Scope(), "docx", now=NOW, cfg=CFG)


# ---- with the real browser ----

def chromium_or_skip() -> None:
    try:
        word.browser_path()
    except word.ChartsUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must draw the Word charts: {exc}")
        pytest.skip(f"the Word charts need Chromium: {exc}")


@pytest.fixture(scope="module")
def drawn(demo_db) -> bytes:
    """The company's Word export with the charts drawn by Chromium."""
    chromium_or_skip()
    with open_db(demo_db, read_only=True) as con:
        return export(con, PERIOD, Scope(), "docx", now=NOW, cfg=CFG)[1]


@pytest.mark.slow
def test_charts_are_drawn_and_fit_the_text_block(drawn):
    doc = open_docx(drawn)
    shapes = doc.inline_shapes
    assert len(shapes) >= FIGURES
    assert all(near(s.width, word.TEXT_WIDTH) for s in shapes)
    captions = [p.text for p in doc.paragraphs if p.style.name == "图题"]
    assert captions[0] == "图1　各季度问题数量" and len(captions) == len(shapes)
    with zipfile.ZipFile(io.BytesIO(drawn)) as package:
        images = [n for n in package.namelist() if n.startswith("word/media/")]
        pictures = [Image.open(io.BytesIO(package.read(n))) for n in images]
    assert len(images) == len(shapes) == FIGURES
    for picture in pictures:
        assert picture.format == "PNG" and picture.width == word.CHART_WIDTH_PX * word.CHART_SCALE
        assert len(picture.convert("L").getcolors(256)) > 10  # something is drawn, not a blank page


@pytest.mark.slow
def test_libreoffice_prints_it_with_page_numbers(drawn, tmp_path):
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not (soffice and pdftotext):
        pytest.skip("LibreOffice (soffice) and poppler-utils (pdftotext) are optional: the structure is tested above")
    source = tmp_path / "快照.docx"
    source.write_bytes(drawn)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "快照.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = [re.sub(r"\s+", "", p) for p in text.split("\f")]
    assert len([p for p in pages if p]) >= 5
    assert "政治生态分析研判快照" in pages[0] and pages[0].endswith("—1—")
    assert pages[1].endswith("—2—")
    assert any("会商议题建议清单" in p for p in pages)

