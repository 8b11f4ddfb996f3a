"""Snapshot exports: every produced file is opened (openpyxl, the HTML's tables, the PDF's pages and fonts) and its
figures are checked against the analytics they come from.

The PDF tests run headless Chromium and poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm); without them they
are skipped, or fail when CI is set. Page 1 of the PDF is rendered to test-artifacts/snapshot_*.png for a person
to look at: a test cannot tell that a page is unreadable.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html.parser
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from analytics import alerts, charts, ledger, metrics, scoring
from analytics.db import connect, open_db
from analytics.errors import DashboardError
from analytics.export import FORMATS, export, file_name, pdf, records
from analytics.export.snapshot import (
    SECTIONS,
    build_snapshot,
    data_version,
    format_value,
    mask_name,
    scope_label,
)
from analytics.metrics import ALL, Scope
from analytics.periods import parse_period
from tests.conftest import CFG, HEADER, ROOT, load, problem_row

Q2 = parse_period("2025Q2")
NOW = dt.datetime(2025, 7, 5, 10, 30)
ONE_UNIT = Scope(units=("采购部",))
ARTIFACTS = ROOT / "test-artifacts"
FORMULA_LIKE = ("=SUM(A1:A9)", "+86 123", "-1", "@foo")
SCRIPT = "<script>alert(1)</script>"
UNIT_MARKUP = "</script><b>物资部</b>"


# ---- reading what was produced ----

def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet_table(ws, first_header: str, occurrence: int = 0) -> list[dict]:
    """The rows under a header row whose first cell is first_header, as dicts, up to the first row that is
    empty or has its first cell only (the table's note, or （无）)."""
    rows = list(ws.iter_rows())
    starts = [i for i, row in enumerate(rows) if row[0].value == first_header]
    start = starts[occurrence]
    headers = [c.value for c in rows[start] if c.value is not None]
    out = []
    for row in rows[start + 1:]:
        if all(c.value is None for c in row[1:len(headers)]):
            break
        out.append({h: row[i] for i, h in enumerate(headers)})
    return out


def values(rows: list[dict], header: str) -> list:
    return [r[header].value for r in rows]


class _Tables(html.parser.HTMLParser):
    """Every <table> of a page as rows of cell texts, keyed by the id of the <section> it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.section = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id") or "cover"
            self.sections[self.section] = []
        elif tag == "table":
            self.sections[self.section].append([])
        elif tag == "tr":
            self.sections[self.section][-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.sections[self.section][-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_tables(content: bytes) -> dict[str, list[list[list[str]]]]:
    """section id (part-1 … part-7, cover) → its tables → rows → cell texts (header row first)."""
    parser = _Tables()
    parser.feed(content.decode("utf-8"))
    return parser.sections


def part(name: str) -> str:
    return f"part-{SECTIONS.index(name)}"


def body_of(content: bytes) -> str:
    """The page without the inline Plotly library (which holds URLs of map tiles and the like as strings)."""
    text = content.decode("utf-8")
    start = text.index("<script type=\"text/javascript\">")
    return text[:start] + text[text.index("</script>", start):]


# ---- the snapshot itself ----

def test_snapshot_holds_the_analytics_figures(demo_db):
    with open_db(demo_db, read_only=True) as con:
        s = build_snapshot(con, Q2, now=NOW, cfg=CFG)
        head = metrics.headline(con, Q2)
        assert {k: s.headline[k] for k in head} == head
        assert s.previous["total"] == metrics.headline(con, Q2.previous())["total"]
        assert s.headline["company_score"] == scoring.company_score(con, Q2, cfg=CFG)["score"]
        assert s.unit_scores.equals(scoring.unit_scores(con, Q2, cfg=CFG))
        assert s.overdue.equals(metrics.problems(con, Q2, only_overdue=True))
        assert s.warning_counts == alerts.warning_counts(con, Q2, cfg=CFG)
        assert s.agenda.equals(alerts.meeting_agenda(con, Q2, cfg=CFG))
        assert list(s.trend["period"])[-1] == "2025Q2" and s.trend["period_no"].max() == Q2.index
        assert s.data_version == data_version(con)
    assert (s.title, s.scope_label, s.generated_at) == ("政治生态分析研判快照（2025年第二季度）", "全公司", NOW)
    changes = s.changes()
    assert changes["total"] == s.headline["total"] - s.previous["total"]
    assert changes["closure_rate"] == round(s.headline["closure_rate"] - s.previous["closure_rate"], 4)
    assert changes["company_grade"] is None


def test_scope_label_and_unknown_period_or_unit(demo_db):
    assert scope_label(ALL) == "全公司"
    assert scope_label(Scope(units=("采购部", "物流部"))) == "单位：采购部、物流部"
    assert scope_label(Scope(sources=("审计",), dimensions=("加强干部作风建设",))) == \
        "全公司；来源：审计；维度：加强干部作风建设"
    with open_db(demo_db, read_only=True) as con:
        with pytest.raises(DashboardError, match="没有 2030Q1"):
            build_snapshot(con, parse_period("2030Q1"), cfg=CFG)
        with pytest.raises(DashboardError, match="没有单位「不存在」"):
            build_snapshot(con, Q2, Scope(units=("采购部", "不存在")), cfg=CFG)


def test_changes_are_unknown_without_a_previous_ledger(demo_db):
    with open_db(demo_db, read_only=True) as con:
        first = metrics.available_periods(con)[0]
        s = build_snapshot(con, first, now=NOW, cfg=CFG)
    assert set(s.changes().values()) == {None}
    assert format_value(None, "int_change") == "—"


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("张三、李四", "张*、李*"), ("王五 赵六", "王* 赵*"),
    ("", ""), (None, None), ("张", "*"),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


# ---- xlsx ----

@pytest.mark.parametrize("scope", [ALL, ONE_UNIT], ids=["company", "one-unit"])
def test_xlsx_figures_equal_the_analytics(demo_db, scope):
    with open_db(demo_db, read_only=True) as con:
        s, content = export(con, Q2, scope, "xlsx", now=NOW, cfg=CFG)
        head = metrics.headline(con, Q2, scope)
        previous = metrics.headline(con, Q2.previous(), scope)
        by_unit = metrics.breakdown(con, Q2, "unit", scope)
        units = scoring.unit_scores(con, Q2, scope, cfg=CFG)
        overdue = metrics.problems(con, Q2, scope, only_overdue=True)
        counts = alerts.warning_counts(con, Q2, scope, cfg=CFG)
        agenda = alerts.meeting_agenda(con, Q2, scope, cfg=CFG)
        version = data_version(con)
    wb = workbook(content)
    assert wb.sheetnames == list(SECTIONS)

    cover = {r[0]: r[1] for r in wb["封面"].iter_rows(min_row=3, max_row=9, max_col=2, values_only=True)}
    assert cover["范围"] == ("全公司" if scope == ALL else "单位：采购部")
    assert cover["生成时间"] == "2025-07-05 10:30:00" and cover["数据版本"] == version
    assert cover["期间"].startswith("2025年第二季度（2025Q2")

    headline = {r["指标"].value: r for r in sheet_table(wb["主要指标"], "指标")}
    assert headline["问题总数"]["本期"].value == head["total"]
    assert headline["问题总数"]["上期"].value == previous["total"]
    assert headline["问题总数"]["环比变化"].value == head["total"] - previous["total"]
    assert headline["逾期未整改"]["本期"].value == head["overdue"]
    assert headline["销号率"]["本期"].value == head["closure_rate"]
    assert headline["销号率"]["本期"].number_format == "0.0%"
    assert headline["综合得分"]["本期"].value == s.company["score"]

    trend = sheet_table(wb["问题趋势"], "季度")
    assert values(trend, "季度")[-1] == "2025Q2" and values(trend, "问题总数")[-1] == head["total"]

    rates = sheet_table(wb["单位整改销号"], "单位")
    assert values(rates, "单位") == list(by_unit["unit"])
    assert values(rates, "问题总数") == list(by_unit["total"])
    assert values(rates, "按期整改率") == list(by_unit["on_time_rate"])

    ranking = sheet_table(wb["八维评分"], "排名")
    assert [(r["排名"].value, r["单位"].value, r["综合得分"].value, r["等级"].value) for r in ranking] == \
        list(units[["rank", "unit", "score", "grade"]].itertuples(index=False, name=None))
    assert values(ranking, "加强干部作风建设") == list(units["加强干部作风建设"])

    listed = sheet_table(wb["逾期问题清单"], "问题编号")
    assert len(listed) == len(overdue) == head["overdue"]
    assert values(listed, "责任单位") == list(overdue["unit"])
    assert values(listed, "问题描述") == list(overdue["description"])
    assert values(listed, "逾期天数") == list(overdue["days_overdue"])
    assert values(listed, "责任人") == list(overdue["owner"])
    assert all(isinstance(c.value, dt.datetime) for c in (r["整改时限"] for r in listed))

    warned = sheet_table(wb["预警情况"], "预警类型")
    assert dict(zip(values(warned, "预警类型"), values(warned, "数量"), strict=True)) == counts
    assert values(sheet_table(wb["会商议题建议清单"], "序号"), "议题") == list(agenda["topic"])

    # native Excel charts, drawn from the cells: two lines, rates by unit, ranking, radar, warnings
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
    kinds = sorted(re.search(r"<c:(\w+Chart)>", c).group(1) for c in charts)
    assert kinds == ["barChart", "barChart", "barChart", "lineChart", "lineChart", "radarChart"]
    assert all("<c:f>" in c for c in charts)  # series refer to cells, so editing the table redraws the chart


def formula_ledger(tmp_path: Path) -> Path:
    """A tiny ledger whose descriptions and one owner look like formulas or markup, all overdue at 2024Q2."""
    rows = [problem_row(i + 1, f"T-{i + 1}", description=text, deadline="2024-03-31")
            for i, text in enumerate([*FORMULA_LIKE, SCRIPT])]
    rows[0][HEADER.index("责任人")] = "=1+1"
    rows[1][HEADER.index("责任单位")] = UNIT_MARKUP  # in tables and in the charts' data
    path = tmp_path / "2024年第二季度问题整改台账.csv"  # CSV: a workbook writer would turn "=…" into a formula
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_formula_like_ledger_text_stays_text(con, tmp_path):
    assert load(con, formula_ledger(tmp_path)).outcome == "imported"
    period = parse_period("2024Q2")
    _, content = export(con, period, ALL, "xlsx", now=NOW, cfg=CFG)
    listed = sheet_table(workbook(content)["逾期问题清单"], "问题编号")
    described = {r["问题描述"].value: r["问题描述"] for r in listed}
    for text in (*FORMULA_LIKE, SCRIPT):
        assert described[text].data_type == "s", text
    owner = next(r["责任人"] for r in listed if r["问题描述"].value == "=SUM(A1:A9)")
    assert (owner.value, owner.data_type) == ("=1+1", "s")
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml for xml in sheets)  # not one formula anywhere in the workbook

    _, page = export(con, period, ALL, "html", now=NOW, cfg=CFG)
    overdue = html_tables(page)[part("逾期问题清单")][0]
    column = overdue[0].index("问题描述")
    assert {row[column] for row in overdue[1:]} == {*FORMULA_LIKE, SCRIPT}
    text = body_of(page)
    assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert UNIT_MARKUP not in page.decode("utf-8")  # escaped in tables, \u003c-encoded in the chart data
    assert "&lt;/script&gt;&lt;b&gt;物资部&lt;/b&gt;" in text


def test_masking_names_only(demo_db):
    with open_db(demo_db, read_only=True) as con:
        plain, _ = export(con, Q2, ALL, "xlsx", now=NOW, cfg=CFG)
        masked, content = export(con, Q2, ALL, "xlsx", mask_names=True, now=NOW, cfg=CFG)
        _, page = export(con, Q2, ALL, "html", mask_names=True, now=NOW, cfg=CFG)
    owners = [o for o in plain.overdue["owner"] if isinstance(o, str) and o]
    assert owners and list(masked.overdue["owner"]) == [mask_name(o) for o in plain.overdue["owner"]]
    listed = sheet_table(workbook(content)["逾期问题清单"], "问题编号")
    assert all(re.fullmatch(r"[^*]\*+", v) for v in values(listed, "责任人") if v)
    assert values(listed, "责任单位") == list(plain.overdue["unit"])  # units are organisations: not masked
    text = body_of(page)
    assert not any(name in text for name in set(owners))
    assert "脱敏" in file_name(masked, "xlsx")
    assert masked.cover()[5] == ("姓名脱敏", "是（责任人姓名只显示首字）")


@pytest.mark.parametrize("fmt", ["xlsx", "html"])
def test_same_snapshot_same_bytes(demo_db, fmt):
    with open_db(demo_db, read_only=True) as con:
        first = export(con, Q2, ALL, fmt, now=NOW, cfg=CFG)[1]
        again = export(con, Q2, ALL, fmt, now=NOW, cfg=CFG)[1]
        later = export(con, Q2, ALL, fmt, now=NOW + dt.timedelta(hours=1), cfg=CFG)[1]
    assert first == again
    assert later != first  # the generation time is on the cover (and in the workbook's properties)


# ---- html ----

@pytest.mark.parametrize("scope", [ALL, ONE_UNIT], ids=["company", "one-unit"])
def test_html_is_self_contained_and_shows_the_figures(demo_db, scope):
    with open_db(demo_db, read_only=True) as con:
        s, page = export(con, Q2, scope, "html", now=NOW, cfg=CFG)
        head = metrics.headline(con, Q2, scope)
        units = scoring.unit_scores(con, Q2, scope, cfg=CFG)
    text = page.decode("utf-8")
    assert text.count("<script type=\"text/javascript\">") == 1  # Plotly's library, once
    # 2 trends, rates by unit, ranking, radar, score matrix, warnings; one unit has no bars comparing it with itself
    assert text.count("Plotly.newPlot(") == (7 if scope == ALL else 5)
    assert ('id="chart-score-ranking"' in text) == (scope == ALL)
    assert 'id="chart-trend-counts"' in text and 'id="chart-score-radar"' in text
    body = body_of(page)
    assert "http://" not in body and "https://" not in body  # nothing to fetch: readable offline
    assert not re.search(r"<(?:script|link|img|iframe)[^>]*(?:src|href)=", text)
    assert "@page" in text and "break-before: page" in text

    tables = html_tables(page)
    cover = {row[0]: row[1] for row in tables["cover"][0]}
    assert cover["范围"] == s.scope_label and cover["数据版本"] == s.data_version
    headline = {row[0]: row for row in tables[part("主要指标")][0]}
    assert headline["问题总数"][1] == str(head["total"])
    assert headline["销号率"][1] == f"{head['closure_rate']:.1%}"
    ranking = tables[part("八维评分")][0]
    assert [row[1] for row in ranking[1:]] == list(units["unit"])
    assert [row[2] for row in ranking[1:]] == [f"{v:.1f}" for v in units["score"]]
    overdue = tables[part("逾期问题清单")][0]
    assert len(overdue) - 1 == head["overdue"]


# ---- records ----

def test_records_keep_the_exact_bytes(demo_db, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    with open_db(db) as con:
        snap, content = export(con, Q2, ONE_UNIT, "xlsx", now=NOW, cfg=CFG)
        first = records.record(con, snap, "xlsx", content, file_name(snap, "xlsx"), user="纪委办公室")
        snap_html, page = export(con, Q2, ALL, "html", mask_names=True, now=NOW, cfg=CFG)
        second = records.record(con, snap_html, "html", page, "快照.html")
    with open_db(db, read_only=True) as con:
        listed = records.list_snapshots(con)
        assert list(listed["snapshot_id"]) == [second, first] == [2, 1]
        assert "content" not in listed.columns
        row = listed.iloc[1]
        assert (row["period"], row["format"], row["scope_label"], row["masked"], row["created_by"]) == \
            ("2025Q2", "xlsx", "单位：采购部", False, "纪委办公室")
        assert records.scope_from_json(row["scope"]) == ONE_UNIT
        assert row["data_version"] == data_version(con) and row["created_at"] == NOW
        assert (row["sha256"], row["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
        assert records.snapshot_file(con, first) == (file_name(snap, "xlsx"), content)
        assert records.snapshot_file(con, second) == ("快照.html", page)
        assert bool(listed.iloc[0]["masked"]) is True
        with pytest.raises(DashboardError, match="没有编号为 9 的快照记录"):
            records.snapshot_file(con, 9)


def test_no_snapshots_table_yet(tmp_path):
    """A database last written before snapshots existed, opened read-only: an empty list, not an error."""
    import duckdb

    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    with open_db(path, read_only=True) as con:
        assert records.list_snapshots(con).empty
        with pytest.raises(DashboardError):
            records.snapshot_file(con, 1)


def test_data_version_follows_the_active_imports(con, tmp_path):
    empty = data_version(con)
    result = load(con, formula_ledger(tmp_path))
    digest = con.execute("SELECT sha256 FROM imports").fetchone()[0]
    assert data_version(con) == hashlib.sha256(digest.encode()).hexdigest() != empty
    assert load(con, formula_ledger(tmp_path)).outcome == "duplicate"
    assert data_version(con) == hashlib.sha256(digest.encode()).hexdigest()
    ledger.undo(con, result.import_id, scoring=CFG)
    assert data_version(con) == empty


def test_formats_and_unknown_format(con):
    assert set(FORMATS) == {"xlsx", "docx", "html", "pdf"}
    with pytest.raises(DashboardError, match="不支持的导出格式"):
        export(con, Q2, ALL, "odt", cfg=CFG)


# ---- command line ----

def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_DB"}
    return subprocess.run([sys.executable, "-m", "analytics", "export", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)


def test_cli_export(demo_db, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    out = tmp_path / "f.xlsx"
    done = cli("--db", str(db), "--period", "2025Q2", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已导出" in done.stdout and "快照记录 #1" in done.stdout
    assert workbook(out.read_bytes()).sheetnames == list(SECTIONS)

    two = tmp_path / "two.xlsx"
    done = cli("--db", str(db), "--period", "2025Q2", "--units", "采购部,物流部", "--format", "xlsx", "--out", str(two),
               "--mask-names")
    assert done.returncode == 0, done.stdout + done.stderr
    wb = workbook(two.read_bytes())
    assert set(values(sheet_table(wb["单位整改销号"], "单位"), "单位")) == {"采购部", "物流部"}
    assert set(values(sheet_table(wb["逾期问题清单"], "问题编号"), "责任单位")) <= {"采购部", "物流部"}
    assert wb["封面"]["B5"].value == "单位：采购部、物流部"
    with open_db(db, read_only=True) as con:
        listed = records.list_snapshots(con)
        assert list(listed["scope_label"]) == ["单位：采购部、物流部", "全公司"]
        assert records.snapshot_file(con, 2)[1] == two.read_bytes()

    for args, message in [
        (["--units", "采购部,不存在"], "没有单位「不存在」"),
        (["--period", "2030Q1"], "没有 2030Q1"),
        (["--period", "2025Q9"], "无法识别期间"),
    ]:
        bad = cli("--db", str(db), "--period", "2025Q2", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"), *args)
        assert bad.returncode == 1 and message in bad.stderr, bad.stderr
        assert bad.stderr.startswith("错误：") and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()


# ---- pdf ----

def pdf_tools_missing() -> str | None:
    if pdf.chromium_path() is None:
        return "Chromium is missing (apt-get install chromium fonts-noto-cjk)"
    missing = [t for t in ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm") if shutil.which(t) is None]
    return f"poppler-utils is missing ({', '.join(missing)})" if missing else None


@pytest.fixture
def pdf_tools():
    why = pdf_tools_missing()
    if why and os.environ.get("CI"):
        pytest.fail(f"CI must run the PDF export tests: {why}")
    if why:
        pytest.skip(why)


def poppler(tool: str, *args: str) -> str:
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.mark.slow
@pytest.mark.parametrize("scope", [ALL, ONE_UNIT], ids=["company", "one-unit"])
def test_pdf_pages_fonts_and_first_page(demo_db, tmp_path, pdf_tools, scope):
    with open_db(demo_db, read_only=True) as con:
        s, content = export(con, Q2, scope, "pdf", now=NOW, cfg=CFG)
    assert content.startswith(b"%PDF-")
    path = tmp_path / "snapshot.pdf"
    path.write_bytes(content)
    info = dict(line.split(":", 1) for line in poppler("pdfinfo", str(path)).splitlines() if ":" in line)
    assert "A4" in info["Page size"]
    assert int(info["Pages"]) >= len(SECTIONS)  # each part starts a page

    # emb: every font embedded. Chromium embeds Noto Sans CJK (CFF outlines) as unnamed Type 3 fonts, so the
    # name cannot be checked here; the font stack's first family being Noto CJK is checked below instead
    fonts = poppler("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)
    if shutil.which("fc-match"):
        chosen = subprocess.run(["fc-match", "-f", "%{family}", charts.FONT.split(",")[0]], capture_output=True,
                                text=True, check=True).stdout
        assert "Noto Sans CJK" in chosen
    first_page = poppler("pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-")
    assert s.title in first_page and s.scope_label in first_page and "2025-07-05 10:30:00" in first_page
    everything = poppler("pdftotext", str(path), "-")
    assert "会商议题建议清单" in everything and "逾期问题清单" in everything

    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / f"snapshot_{'company' if scope == ALL else 'unit'}_page1"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path), str(stem)],
                   check=True, timeout=120)
    assert stem.with_suffix(".png").stat().st_size > 5000


def test_pdf_without_chromium_says_so_in_chinese(demo_db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_CHROMIUM", "/nonexistent/chromium")
    with open_db(demo_db, read_only=True) as con:
        s = build_snapshot(con, Q2, now=NOW, cfg=CFG)
    with pytest.raises(DashboardError, match="未找到 Chromium 浏览器"):
        pdf.write(s)


def test_connect_creates_the_snapshots_table(tmp_path):
    con = connect(tmp_path / "new.duckdb")
    try:
        columns = [r[0] for r in con.execute("DESCRIBE snapshots").fetchall()]
    finally:
        con.close()
    assert columns == ["snapshot_id", "period", "scope", "format", "data_version", "masked", "created_at",
                       "created_by", "file_name", "sha256", "size", "content", "parts"]
