"""The snapshot's charts, printed to PDF, clip no unit name, dimension name or legend: each is found whole in the
PDF's text as often as the charts draw it, and every word lies inside the printed page and on no other word.

The charts are cut out of the HTML snapshot (the PDF is that page printed by Chromium) and printed alone, so that the
tables, which name the same units, cannot make up for a name a chart lost. Run on the demo, and on units with long
names written in SQL. The pages are kept in test-artifacts/ for a person to look at (pdftoppm).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analytics import derived
from analytics.config import scoring_config
from analytics.db import open_db
from analytics.export import export, pdf
from analytics.metrics import ALL, Scope
from analytics.periods import parse_period
from tests.test_export import ARTIFACTS, pdf_tools, poppler  # noqa: F401 (pdf_tools: a fixture)

pytestmark = pytest.mark.slow

NOW = dt.datetime(2025, 7, 5, 10, 30)
CHART = re.compile(r'<div class="chart">.*?</script>\s*</div></div>', re.DOTALL)
PAGE_MARGIN_PT = 12 / 25.4 * 72  # html.CSS: @page margin 12 mm at the sides, 16 mm above and below
LONG_UNITS = ("集团第一分公司综合管理部", "物流中心仓储配送管理部", "财务部")


def charts_alone(page: bytes) -> bytes:
    """The snapshot page with its charts only: the same head (Plotly, fonts, A4 rules), no tables."""
    text = page.decode("utf-8")
    head = text[:text.index("<body>")]
    figures = CHART.findall(text)
    assert len(figures) >= 5, "the charts were not found in the page: the check would see nothing"
    return f"{head}<body>\n{chr(10).join(figures)}\n</body></html>".encode()


def printed(snapshot_html: bytes, name: str, folder: Path) -> tuple[list[str], list[tuple], float, float]:
    """Print the charts to PDF; its text lines (in drawing order), its words' boxes (the word named with its page:
    word@3) and the page's size. The PDF and its pages as PNG are copied to test-artifacts/."""
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf.render(charts_alone(snapshot_html)))
    lines = [line.strip() for line in poppler("pdftotext", "-raw", str(path), "-").splitlines()]
    boxes = poppler("pdftotext", "-bbox", str(path), "-")
    width, height = map(float, re.search(r'<page width="([\d.]+)" height="([\d.]+)"', boxes).groups())
    words = [(float(a), float(b), float(c), float(d), f"{w}@{n}")
             for n, one_page in enumerate(boxes.split("<page ")[1:], 1) for a, b, c, d, w in re.findall(
                 r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', one_page)]
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(folder / name)], check=True, timeout=120)
    ARTIFACTS.mkdir(exist_ok=True)
    for made in folder.glob(f"{name}*"):
        shutil.copy(made, ARTIFACTS / made.name)
    return lines, words, width, height


def core(box: tuple) -> tuple:
    """A word's box cut to its middle: poppler gives each glyph the font's whole ascent and descent (a 10 pt figure
    stands 25 pt tall), so neighbours' boxes meet where their ink does not."""
    x0, y0, x1, y1, word = box
    dx, dy = (x1 - x0) * 0.2, (y1 - y0) * 0.3
    return x0 + dx, y0 + dy, x1 - dx, y1 - dy, word


def overlap(a: tuple, b: tuple) -> float:
    """The share of the smaller box that the two boxes' cores have in common."""
    a, b = core(a), core(b)
    across = min(a[2], b[2]) - max(a[0], b[0])
    down = min(a[3], b[3]) - max(a[1], b[1])
    if across <= 0 or down <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return across * down / smaller if smaller else 0.0


def check(snapshot, content: bytes, name: str, folder: Path) -> None:
    lines, words, width, height = printed(content, name, folder)
    units = list(snapshot.unit_scores["unit"])
    dimensions = list(dict.fromkeys(snapshot.dimension_scores["dimension"]))
    # whole, on a line of its own: the unit-rates bars, the ranking and the score grid name every unit; the radar
    # and the grid every dimension
    assert {u: lines.count(u) for u in units} == dict.fromkeys(units, 3), lines
    assert {d: lines.count(d) for d in dimensions} == dict.fromkeys(dimensions, 2), lines
    legends = " ".join(lines)
    for entry in ("销号率", "整改完成率", "按期整改率", *snapshot.radar_series()):
        assert entry in legends
    # nothing runs off the page's printed area, nothing is drawn over another word
    outside = [w for w in words if w[0] < PAGE_MARGIN_PT - 1 or w[2] > width - PAGE_MARGIN_PT + 1
               or w[1] < 0 or w[3] > height]
    assert outside == []
    crowded = [(a[4], b[4]) for i, a in enumerate(words) for b in words[i + 1:]
               if a[4].rsplit("@", 1)[1] == b[4].rsplit("@", 1)[1] and overlap(a, b) > 0.3]
    assert crowded == []


def test_demo_charts_clip_nothing(demo_db, tmp_path, pdf_tools):  # noqa: F811
    with open_db(demo_db, read_only=True) as con:
        snapshot, content = export(con, "2025Q2", ALL, "html", now=NOW, cfg=scoring_config())
    check(snapshot, content, "snapshot_charts_demo", tmp_path)


@pytest.fixture
def long_names(con):
    """Three units, one with a twelve-character name, and one problem in every dimension for each, open or not."""
    cfg = scoring_config()
    q = parse_period("2025Q2").index
    con.execute("""INSERT INTO imports (import_id, file_name, sha256, kind, period, rows_valid, rows_invalid,
                                        rows_skipped, imported_at)
                   VALUES (1, '2025年第二季度问题整改台账.xlsx', repeat('0', 64), 'problems', '2025Q2', 24, 0, 0,
                           TIMESTAMP '2025-07-01 09:00:00')""")
    rows = []
    for u, unit in enumerate(LONG_UNITS):
        for d, dimension in enumerate(cfg.dimension_names):
            n = u * 100 + d
            status = ("整改中", "已销号", "未启动")[(u + d) % 3]
            rows.append((n, q, n + 3, f"T-{n}", "巡视巡察", dimension, f"问题{n}", unit, status,
                         f"2025-0{4 + d % 3}-15"))
    con.executemany("""INSERT INTO observations (import_id, problem_id, period_no, excel_row, problem_code, source,
                                                category, description, unit, severity, status, deadline)
                       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, '较重', ?, CAST(? AS DATE))""", rows)
    derived.bring_up_to_date(con, cfg)
    return con


def test_long_unit_names_are_not_clipped(long_names, tmp_path, pdf_tools):  # noqa: F811
    snapshot, content = export(long_names, "2025Q2", Scope(), "html", now=NOW, cfg=scoring_config())
    assert max(map(len, snapshot.unit_scores["unit"])) == 12
    check(snapshot, content, "snapshot_charts_long_names", tmp_path)
