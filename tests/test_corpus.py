"""Issue 14's corpus (tests/ledger_corpus.py): each ledger imports as the office wrote it, with the figures a
careful person counts by hand; the next quarter of the same office updates its problems."""

from __future__ import annotations

from collections import Counter

import pytest

from analytics.periods import parse_period
from tests.conftest import CFG, load
from tests.ledger_corpus import LEDGERS, OFFICE_Q2, OFFICE_Q3, Ledger


def counted(con, period: str) -> dict:
    """The figures of one quarter, from problem_state and measures, in the shape of Ledger.expected()."""
    p = parse_period(period)
    problems, closed, completed, open_, overdue = con.execute("""
        SELECT count(*),
               count(*) FILTER (WHERE status = '已销号'),
               count(*) FILTER (WHERE status IN ('已整改', '已销号')),
               count(*) FILTER (WHERE status IN ('未启动', '整改中', '长期整改')),
               count(*) FILTER (WHERE status IN ('未启动', '整改中', '长期整改') AND deadline < $end)
        FROM problem_state WHERE period_no = $no""", {"no": p.index, "end": p.end}).fetchone()

    def by(column: str) -> dict[str, int]:
        return dict(con.execute(f"SELECT {column}, count(*) FROM problem_state WHERE period_no = ? GROUP BY 1",
                                [p.index]).fetchall())

    # each problem's measures as of the import that last listed it: the measure rows of a problem with several, and
    # the problem's own row for one with one
    measures = dict(con.execute("""
        SELECT s.description, greatest(count(m.measure_no), 1)
        FROM problem_state s LEFT JOIN measures m ON m.problem_id = s.problem_id AND m.import_id = s.import_id
        WHERE s.period_no = ? GROUP BY s.problem_id, s.description""", [p.index]).fetchall())
    assert measures == dict(con.execute("""
        SELECT s.description, o.measure_count FROM problem_state s
        JOIN observations o USING (problem_id, import_id, excel_row) WHERE s.period_no = ?""", [p.index]).fetchall())
    return {"problems": problems, "closed": closed, "completed": completed, "open": open_, "overdue": overdue,
            "by_unit": by("unit"), "by_source": by("source"), "measures": measures}


def imported(con, path, period: str | None = None):
    result = load(con, path, period=period)
    assert result.outcome == "imported", (result.message, [i.message() for i in result.issues])
    assert not result.issues, [i.message() for i in result.issues]
    return result


def test_corpus_is_complete_and_its_hand_counts_add_up(tmp_path):
    """Checks of the corpus itself: at least 14 ledgers in every format, and each ledger's figures consistent."""
    assert len(LEDGERS) >= 14
    assert len({ledger.id for ledger in LEDGERS}) == len({ledger.file for ledger in LEDGERS}) == len(LEDGERS)
    kinds = Counter(ledger.file.rsplit(".", 1)[1] for ledger in LEDGERS)
    assert {"xlsx", "xls", "csv"} <= set(kinds), kinds
    for ledger in LEDGERS:
        e = ledger.expected()
        assert e["problems"] == sum(e["by_unit"].values()) == sum(e["by_source"].values()) == len(e["measures"]), \
            ledger.id
        assert e["completed"] + e["open"] == e["problems"] and e["closed"] <= e["completed"], ledger.id
        assert e["overdue"] <= e["open"] and min(e["measures"].values()) >= 1, ledger.id
        assert ledger.write(tmp_path).stat().st_size > 0


@pytest.mark.parametrize("ledger", LEDGERS, ids=[ledger.id for ledger in LEDGERS])
def test_ledger_imports_with_the_figures_counted_by_hand(con, tmp_path, ledger: Ledger):
    result = imported(con, ledger.write(tmp_path), ledger.given_period)
    assert result.period == ledger.period
    assert counted(con, ledger.period) == ledger.expected()


def test_next_quarter_of_the_same_office_updates_its_problems(con, tmp_path):
    first = imported(con, OFFICE_Q2.write(tmp_path))
    second = imported(con, OFFICE_Q3.write(tmp_path))
    assert (first.problems_new, first.problems_updated) == (6, 0)
    assert (second.problems_new, second.problems_updated) == (1, 6)  # 职工食堂… is new; the six are the same problems

    def ids(period: str) -> dict[str, int]:
        return dict(con.execute("SELECT description, problem_id FROM problem_state WHERE period_no = ?",
                                [parse_period(period).index]).fetchall())

    q2, q3 = ids("2025Q2"), ids("2025Q3")
    assert {d: q3[d] for d in q2} == q2 and len(q3) == 7
    assert con.execute("SELECT count(DISTINCT problem_id) FROM observations").fetchone()[0] == 7
    # one observation per problem per import, and each import's measures once: 14 rows, then 16 (the measure rows
    # of problems with several; a problem with one keeps it in its observation: one such in each quarter)
    assert con.execute("SELECT import_id, count(*) FROM observations GROUP BY 1 ORDER BY 1").fetchall() == [
        (first.import_id, 6), (second.import_id, 7)]
    assert con.execute("SELECT import_id, sum(measure_count) FROM observations GROUP BY 1 ORDER BY 1").fetchall() == [
        (first.import_id, 14), (second.import_id, 16)]
    assert con.execute("SELECT import_id, count(*) FROM measures GROUP BY 1 ORDER BY 1").fetchall() == [
        (first.import_id, 13), (second.import_id, 15)]
    # each quarter keeps its own figures: the second ledger did not rewrite the first quarter
    assert counted(con, "2025Q2") == OFFICE_Q2.expected()
    assert counted(con, "2025Q3") == OFFICE_Q3.expected()

    def status(period: str, description: str) -> str:
        return con.execute("SELECT status FROM problem_state WHERE period_no = ? AND description = ?",
                           [parse_period(period).index, description]).fetchone()[0]

    assert (status("2025Q2", "党委理论学习中心组学习流于形式"), status("2025Q3", "党委理论学习中心组学习流于形式")) == (
        "已整改", "已销号")
    pid = q3["基层党支部“三会一课”记录不规范"]
    assert con.execute("SELECT measure_no, measure, status FROM measures WHERE import_id = ? AND problem_id = ? "
                       "ORDER BY measure_no", [second.import_id, pid]).fetchall() == [
        (1, "开展支部记录专项检查", "已整改"), (2, "组织支部书记专题培训", "已整改"),
        (3, "将记录质量纳入支部考核", "整改中")]


def test_a_problems_measures_are_shown_with_it_in_order(con, tmp_path):
    """Wherever a problem is listed (整改销号, 单位画像, 预警督办), its measures come with it, numbered in order."""
    from analytics import state, views

    imported(con, OFFICE_Q2.write(tmp_path))
    period = parse_period(OFFICE_Q2.period)
    pid, count = con.execute("SELECT problem_id, count(*) FROM measures GROUP BY 1 HAVING count(*) > 2 "
                             "ORDER BY 1 LIMIT 1").fetchone()
    texts = [r[0] for r in con.execute("SELECT measure FROM measures WHERE problem_id = ? ORDER BY measure_no",
                                       [pid]).fetchall()]
    shown = state.with_measures(con, period.index, con.execute(
        "SELECT problem_id FROM problem_state WHERE period_no = ?", [period.index]).df())
    assert shown.set_index("problem_id").loc[pid, "measures"].split("\n") == [
        f"{n}. {text}" for n, text in enumerate(texts, 1)]
    assert len(texts) == count
    unit = con.execute("SELECT unit FROM problem_state WHERE problem_id = ?", [pid]).fetchone()[0]
    portrait = views.unit_portrait(con, period, unit, cfg=CFG)
    listed = portrait["open_problems"].set_index("problem_id")
    if pid in listed.index:  # open problems only
        assert listed.loc[pid, "measures"] == shown.set_index("problem_id").loc[pid, "measures"]
    assert "measures" in views.rectification(con, period, cfg=CFG)["bands"].columns
