"""The 研判报告, 画像报告 and 月通报: structure, every figure against `summary --json`, access, audit, the CLI, and
the 月通报's as-of figures on a hand-computed case (tests/fixtures.py's two quarters)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from docx import Document

from analytics import actions, audit, cli
from analytics.access import HEAD, MEMBER, SECRETARY, AccessDenied, User
from analytics.db import connect, open_db
from analytics.errors import DashboardError
from analytics.metrics import ALL, Scope
from analytics.periods import parse_period
from analytics.report import monthly, writer
from tests.conftest import CFG
from tests.fixtures import two_quarters

NOW = dt.datetime(2024, 7, 5, 10, 30)
SECRETARY_USER = User("secretary", SECRETARY)
DIMENSIONS = tuple(CFG.dimension_names)


@pytest.fixture
def db(tmp_path):
    """The two quarters of tests/fixtures.py (2024Q1: 6 problems, 2024Q2: 7) in a database file."""
    path = tmp_path / "report.duckdb"
    con = connect(path)
    two_quarters(con, tmp_path)
    con.close()
    return path


def make(db, user=SECRETARY_USER, kind="quarter", period="2024Q2", scope=ALL, **kw) -> tuple[object, bytes]:
    with open_db(db, read_only=True) as con:
        return actions.report(con, user, kind, period, scope, cfg=CFG, now=NOW, **kw)


def paragraphs(content: bytes) -> list[tuple[str, str]]:
    return writer.paragraphs(content)


def sections(content: bytes) -> dict[str, str]:
    """Heading 1 → the text under it (sub-headings included)."""
    out, current = {}, None
    for style, text in paragraphs(content):
        if style == "Heading 1":
            current = text
            out[current] = ""
        elif current:
            out[current] += text + "\n"
    return out


def summary_json(capsys, db, period: str, units: str | None = None) -> dict:
    assert cli.main(["summary", "--db", str(db), "--period", period, "--json",
                     *(["--units", units] if units else [])]) == 0
    return json.loads(capsys.readouterr().out)


def table_headers(content: bytes) -> list[list[str]]:
    return [[c.text for c in t.rows[0].cells] for t in Document(io.BytesIO(content)).tables]


# ---- structure ----

def test_report_has_the_six_parts_and_the_appendix_in_order(db):
    _, content = make(db)
    found = paragraphs(content)
    assert [t for s, t in found if s == "公文标题"] == ["政治生态分析研判报告", "（2024年第二季度）"]
    assert [t for s, t in found if s == "Heading 1"] == [*writer.SECTIONS, writer.APPENDIX]
    under_three = [t for s, t in found if s == "Heading 2"]
    aspects = under_three[:under_three.index("（一）工作建议")]
    # the eight aspects one by one in configured order, then 未归类 when problems fall there (安全生产 here)
    assert [a.split("）", 1)[1] for a in aspects] == [*DIMENSIONS, CFG.unclassified]
    assert [a[:3] for a in aspects] == [f"（{n}）" for n in "一二三四五六七八九十"[:len(aspects)]]
    assert table_headers(content)[0][:3] == ["排名", "单位", "问题总数"] and "逾期天数" in table_headers(content)[1]


def test_report_is_editable_word_in_the_snapshot_fonts(db):
    _, content = make(db)
    doc = Document(io.BytesIO(content))
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"
    assert doc.styles["公文标题"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    assert make(db)[1] == content  # the same data gives the same bytes


# ---- every figure is the analytics' figure ----

def _num(text: str) -> float:
    return float(text)


def _signed(word: str, n: str) -> float:
    return 0 if word == "持平" else (1 if word in ("增加", "上升") else -1) * float(n)


def check_figures(content: bytes, now: dict, before: dict, year_ago: dict) -> int:
    """Read each figure back from its sentence and compare it with summary --json's; returns how many were read.
    The rates are compared as shown (one decimal of a per cent), changes as the difference of the two summaries."""
    text = sections(content)
    one, two = text[writer.SECTIONS[0]], text[writer.SECTIONS[1]]
    checked = 0

    def same(pattern: str, where: str, expected, convert=int) -> None:
        nonlocal checked
        found = re.search(pattern, where)
        assert found, f"no「{pattern}」in: {where}"
        value = convert(*found.groups())
        assert value == expected, (pattern, value, expected)
        checked += 1

    pct = lambda r: round(r * 100, 1)  # noqa: E731
    same(r"共有纳入台账管理的问题(\d+)个", one, now["total"])
    same(r"本期新增(\d+)个", one, now["new"])
    same(r"上期结转未完成(\d+)个", one, now["carried_over"])
    same(r"问题总数较上季度(增加|减少|持平)(\d*)", one, now["total"] - before["total"], _signed)
    same(r"已完成整改(\d+)个，整改完成率([\d.]+)%", one, (now["completed"], pct(now["completion_rate"])),
         lambda a, b: (int(a), float(b)))
    same(r"累计已销号(\d+)个，销号率([\d.]+)%", one, (now["closed"], pct(now["closure_rate"])),
         lambda a, b: (int(a), float(b)))
    same(r"本期销号(\d+)个", one, now["closed_this_period"])
    same(r"销号率较上季度(上升|下降|持平)([\d.]*)", one,
         round(pct(now["closure_rate"]) - pct(before["closure_rate"]), 1), _signed)
    sources = dict((k, int(v)) for k, v in re.findall(r"([^、，\d]+?)(\d+)个", one.split("从问题来源看，")[1]
                                                      .split("，")[0]))
    assert sources == now["by_source"]
    checked += len(sources)
    if year_ago["total"]:
        same(r"问题总数较上季度(?:增加|减少|持平)\d*个?，较上年同期(增加|减少|持平)(\d*)", one,
             now["total"] - year_ago["total"], _signed)
    if now["company"]["score"] is not None:
        same(r"综合得分([\d.]+)分，等级为“(.+?)”", two, (now["company"]["score"], now["company"]["grade"]),
             lambda a, b: (float(a), b))
        if before["company"]["score"] is not None:
            same(r"等级为“.+?”，较上季度(上升|下降|持平)([\d.]*)", two,
                 round(now["company"]["score"] - before["company"]["score"], 1), _signed)
    same(r"期末未完成整改问题(\d+)个", two, now["open"])
    same(r"其中逾期未整改(\d+)个", two, now["overdue"])
    same(r"改而复发问题(\d+)个", two, now["recurred"])
    # 三: each aspect's score and problems
    three = text[writer.SECTIONS[2]]
    for block in re.split(r"（[一二三四五六七八九十]+）", three)[1:]:
        name, _, body = block.partition("\n")
        same(r"本期涉及问题(\d+)个", body, now["by_dimension"].get(name, 0))
        if now["company"]["dimensions"] and name in now["company"]["dimensions"]:
            same(r"该方面得分([\d.]+)分", body, now["company"]["dimensions"][name], _num)
    five = text[writer.SECTIONS[4]]
    same(r"按期整改率([\d.]+)%", five, pct(now["on_time_rate"]), _num)
    same(r"逾期未整改问题(\d+)个", five, now["overdue"])
    return checked


def test_every_figure_in_the_report_is_the_summary_figure(db, capsys):
    """The attack: a template computing a figure of its own (a rate rounded differently, a count from another
    query) that disagrees with what the dashboard and `summary --json` say."""
    _, content = make(db)
    now, before = summary_json(capsys, db, "2024Q2"), summary_json(capsys, db, "2024Q1")
    assert check_figures(content, now, before, summary_json(capsys, db, "2023Q2")) >= 20


def test_figures_of_a_units_scope_are_that_scopes_summary(db, capsys):
    _, content = make(db, scope=Scope(units=("冶炼厂", "财务部")))
    units = "冶炼厂,财务部"
    now, before = summary_json(capsys, db, "2024Q2", units), summary_json(capsys, db, "2024Q1", units)
    assert check_figures(content, now, before, summary_json(capsys, db, "2023Q2", units)) >= 15


def test_demo_report_figures_are_the_summary_figures(demo_db, capsys):
    """The demo's 2025Q2 report, company and one unit's 画像报告 alike, read back against summary --json."""
    with open_db(demo_db, read_only=True) as con:
        _, company = actions.report(con, SECRETARY_USER, "quarter", "2025Q2", ALL, cfg=CFG, now=NOW)
        _, portrait = actions.report(con, SECRETARY_USER, "unit", "2025Q2", ALL, cfg=CFG, unit="采购部", now=NOW)
    assert check_figures(company, *(summary_json(capsys, demo_db, p) for p in ("2025Q2", "2025Q1", "2024Q2"))) > 40
    assert check_figures(portrait, *(summary_json(capsys, demo_db, p, "采购部")
                                     for p in ("2025Q2", "2025Q1", "2024Q2"))) > 30
    assert "在各单位中居第" in sections(portrait)[writer.SECTIONS[2]]


# ---- access and audit ----

def test_a_role_without_scores_gets_no_score_section(db):
    """The attack: a department head reading scores, grades and lost points in a report they may export."""
    head = User("head", HEAD, "冶炼厂")
    built, content = make(db, user=head)
    body = "\n".join(t for _, t in paragraphs(content))
    for word in ("得分", "等级", "扣分", "评价较差"):
        assert word not in body
    assert all("综合得分" not in h and "等级" not in h for row in table_headers(content) for h in row)
    assert built.scope.units == ("冶炼厂",) and "财务部" not in body  # their unit only
    assert [t for s, t in paragraphs(content) if s == "Heading 1"][4:6] == ["五、整改落实情况", "六、下一步工作建议"]
    assert "提请党委研究事项" not in body  # the agenda is not theirs


def test_a_role_without_problems_gets_no_problem_text(db):
    member = User("m", MEMBER, parts=frozenset({"figures", "scores"}))
    _, content = make(db, user=member)
    body = "\n".join(t for _, t in paragraphs(content))
    assert "公车使用登记不规范" not in body and "如冶炼厂" not in body  # no typical case
    assert len(Document(io.BytesIO(content)).tables) == 1  # the ranking, not the overdue list
    assert "综合得分" in body


def test_reports_are_refused_beyond_the_role(db):
    with pytest.raises(DashboardError, match="不能查看问题数量"):
        make(db, user=User("m", MEMBER, parts=frozenset({"scores"})))
    with pytest.raises(AccessDenied):  # a head's portrait of another unit
        make(db, user=User("head", HEAD, "冶炼厂", parts=frozenset({"figures", "portrait"})), kind="unit",
             unit="财务部")


def test_cli_report_writes_records_and_audits(db, tmp_path, capsys):
    out = tmp_path / "研判报告.docx"
    assert cli.main(["report", "--db", str(db), "--period", "2024Q2", "--units", "冶炼厂", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "✓ 已生成" in said and "政治生态分析研判报告（2024年第二季度）" in said
    content = out.read_bytes()
    entry = list(audit._read(db))[-1]  # the trail's last entry, its details as recorded
    details = entry["details"]
    assert entry["action"] == "report" and details["sha256"] == hashlib.sha256(content).hexdigest()
    assert details["scope"] == "单位：冶炼厂"
    with open_db(db, read_only=True) as con:
        name, stored = actions.snapshot_file(con, SECRETARY_USER, details["snapshot_id"])
    assert (name, stored) == ("研判报告.docx", content)


@pytest.mark.parametrize("args", [["--period", "2023Q1"], ["--unit", "冶炼厂", "--month", "2024-05"],
                                  ["--month", "2024-13"], ["--unit", "没有这个单位"]])
def test_cli_report_refuses_with_a_chinese_message(db, tmp_path, capsys, args):
    assert cli.main(["report", "--db", str(db), *args, "--out", str(tmp_path / "x.docx")]) == 1
    assert capsys.readouterr().err.startswith("错误：")
    assert not (tmp_path / "x.docx").exists()


# ---- 月通报 ----

@pytest.mark.parametrize(("day", "quarter", "expected"), [
    # 2024Q1's ledger: A-1 整改中 due 02-29, A-2 未启动 due 03-31, A-3 长期 no date, A-4/A-5 已销号, A-6 已整改
    (dt.date(2024, 3, 31), "2024Q1", {"total": 6, "closed": 2, "completed": 3, "open": 3, "overdue": 1, "due": 5,
                                      "on_time": 2, "recurred": 0}),
    # the same ledger two months on: A-2's deadline has passed by 05-31
    (dt.date(2024, 5, 31), "2024Q1", {"total": 6, "closed": 2, "completed": 3, "open": 3, "overdue": 2, "due": 5,
                                      "on_time": 2, "recurred": 0}),
    # 2024Q2's ledger at 07-31: A-2, A-4 (reopened) and A-7 (due 07-15) overdue; A-1, A-5, A-6 已销号; due: all but
    # A-3 (no date); on time: A-5 only (A-1 closed 05-10 after 02-29, A-6 now reported closed 04-20 after 01-31)
    (dt.date(2024, 7, 31), "2024Q2", {"total": 7, "closed": 3, "completed": 3, "open": 4, "overdue": 3, "due": 6,
                                      "on_time": 1, "recurred": 1}),
])
def test_monthly_figures_as_of_a_month_end_by_hand(db, day, quarter, expected):
    """The attack: a bulletin counting overdue at the ledger's quarter end (A-2 on 05-31, A-7 on 07-31 missed), or
    reading a ledger that was not yet known at the month end (2024Q2's on 05-31)."""
    with open_db(db, read_only=True) as con:
        used, figures = monthly.figures_as_of(con, day, ALL)
    assert str(used) == quarter
    assert {k: figures[k] for k in expected} == expected
    assert figures["on_time_rate"] == round(expected["on_time"] / expected["due"], 4)


def test_monthly_at_a_quarter_end_agrees_with_the_quarter(db, capsys):
    with open_db(db, read_only=True) as con:
        _, figures = monthly.figures_as_of(con, dt.date(2024, 6, 30), ALL)
    quarter = summary_json(capsys, db, "2024Q2")
    assert {k: figures[k] for k in ("total", "closed", "completed", "open", "overdue", "recurred", "on_time_rate")} \
        == {k: quarter[k] for k in ("total", "closed", "completed", "open", "overdue", "recurred", "on_time_rate")}


def test_monthly_bulletin_document_says_the_as_of_figures(db, tmp_path, capsys):
    out = tmp_path / "月通报.docx"
    assert cli.main(["report", "--db", str(db), "--month", "2024年5月", "--out", str(out)]) == 0
    text = sections(out.read_bytes())
    assert list(text) == [*monthly.SECTIONS, "附表"]
    assert "根据截至2024年5月31日已报送的最新台账（2024年第一季度），公司共有问题6个" in text["一、总体情况"]
    assert "逾期未整改问题2个" in text["一、总体情况"] and "按期整改率40.0%" in text["一、总体情况"]
    assert "冶炼厂2个" in text["二、逾期问题情况"]


def test_monthly_before_any_ledger_is_refused(db):
    with open_db(db, read_only=True) as con, pytest.raises(DashboardError, match="还没有已报送的问题台账"):
        monthly.figures_as_of(con, dt.date(2024, 2, 29), ALL)
    assert monthly.month_end("2024-02") == dt.date(2024, 2, 29)


def test_a_confidential_source_is_neither_named_nor_counted(db):
    """The attack: a report counting or naming 信访举报 problems for a role that may not see that source (A-4)."""
    member = User("m", MEMBER, parts=frozenset({"figures", "problems", "scores"}))
    _, content = make(db, user=member)
    one = sections(content)[writer.SECTIONS[0]]
    assert "信访" not in "\n".join(t for _, t in paragraphs(content))
    assert "共有纳入台账管理的问题6个" in one  # 7 in 2024Q2, less A-4


def test_recorded_lookback_results_are_reported(db):
    """五、整改落实和回头看情况 says what the 回头看 found once results are recorded (analytics.lookback)."""
    import datetime as dt

    from analytics import lookback
    from analytics.access import OFFICE

    office = User("office", OFFICE)
    with open_db(db) as con:
        closed = con.execute("SELECT problem_id FROM problem_state WHERE period_no = ? AND status = '已销号' "
                             "ORDER BY problem_id", [parse_period("2024Q2").index]).fetchall()
        first, second = (int(r[0]) for r in closed[:2])
        for pid, result in ((first, lookback.DONE), (second, lookback.RECURRED)):
            actions.record_lookback(con, office, pid, parse_period("2024Q2"), result, "复查", dt.date(2024, 7, 15),
                                    cfg=CFG)
    _, content = make(db)
    assert "本期“回头看”复查问题2个，其中整改到位1个，改而复发1个（已列入再通报）。" in sections(content)[
        "五、整改落实和回头看情况"]
