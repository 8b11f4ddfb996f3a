"""Every sample ledger (tests/sample_ledgers.py) imports, with figures counted by hand from its rows."""

from __future__ import annotations

from analytics import state
from analytics.periods import Period
from analytics.summary import summary
from tests import sample_ledgers
from tests.conftest import CFG, load
from tests.sample_ledgers import CSV, Q1, Q2, SCORES, TASKS


def test_q1_ledger_title_rows_notes_and_instructions_sheet(con, sample):
    result = load(con, sample(Q1))
    assert result.outcome == "imported", result.message
    assert (result.period, result.rows_valid, result.problems_new) == ("2024Q1", 12, 12)
    # 合计 row, 注 row and the blank row are skipped, not errors
    assert result.rows_invalid == 0 and result.rows_skipped == 3
    s = summary(con, "2024Q1", cfg=CFG)
    assert (s["total"], s["closed"], s["completed"], s["open"], s["overdue"]) == (12, 1, 2, 10, 0)
    assert s["closure_rate"] == round(1 / 12, 4) and s["completion_rate"] == round(2 / 12, 4)
    assert s["on_time_rate"] == 1.0  # XC-2024-001 (3/28 ≤ 3/31) and ZX-2024-001 (3/30 ≤ 3/31)
    assert s["by_source"] == {"巡视巡察": 3, "专项监督": 3, "审计": 2, "日常监督": 2, "信访举报": 1, "沟通会商": 1}


def test_q2_two_row_header_under_merged_parent(con, sample):
    result = load(con, sample(Q2))
    assert result.outcome == "imported" and result.rows_valid == 15
    s = summary(con, "2024Q2", cfg=CFG)
    assert (s["total"], s["closed"], s["completed"], s["open"]) == (15, 5, 6, 9)
    # open with deadline before 2024-06-30: SJ-2024-001 (5/31) and ZX-2024-002 (5/31)
    assert s["overdue"] == 2
    pid, deadline, severity = con.execute(
        "SELECT problem_id, deadline, severity FROM problem_state WHERE problem_code = 'RC-2024-003'").fetchone()
    assert str(deadline) == "2024-06-30" and severity == "较重"
    measures = state.problem_details(con, Period(2024, 2).index, [pid]).loc[0, "measures"]
    assert measures == "制定整改方案，明确责任人和时限"


def test_q1_and_q2_reconcile_quarter_by_quarter(con, sample):
    load(con, sample(Q1))
    result = load(con, sample(Q2))
    assert (result.problems_new, result.problems_updated) == (3, 12)
    s = summary(con, cfg=CFG)
    assert s["period"] == "2024Q2"
    assert (s["total"], s["new"], s["carried_over"], s["closed_this_period"]) == (15, 3, 11, 4)
    assert (s["closed"], s["completed"], s["open"], s["overdue"], s["recurred"]) == (5, 6, 9, 2, 0)
    # due by 6/30: 10 problems; on time: XC-001, XC-002, RC-001, RC-003
    assert s["on_time_rate"] == 0.4
    assert con.execute("SELECT count(DISTINCT problem_id) FROM problem_state").fetchone()[0] == 15
    history = con.execute("SELECT period, status FROM problem_state WHERE problem_code = 'ZX-2024-001' ORDER BY 1"
                          ).fetchall()
    assert history == [("2024Q1", "已整改"), ("2024Q2", "已销号")]


def test_import_order_does_not_change_the_figures(con, tmp_path, sample):
    load(con, sample(Q2))
    load(con, sample(Q1))
    reversed_order = summary(con, "2024Q2", cfg=CFG), summary(con, "2024Q1", cfg=CFG)
    from analytics.db import connect

    other = connect(tmp_path / "other.duckdb")
    load(other, sample(Q1))
    load(other, sample(Q2))
    assert reversed_order == (summary(other, "2024Q2", cfg=CFG), summary(other, "2024Q1", cfg=CFG))


def test_gbk_csv_needs_a_period_then_matches_coded_problems_by_text(con, sample):
    assert load(con, sample(CSV)).outcome == "rejected"  # no quarter in its name: asked, not guessed
    load(con, sample(Q1))
    load(con, sample(Q2))
    result = load(con, sample(CSV), period="2024Q2")
    assert result.outcome == "imported" and (result.problems_new, result.problems_updated) == (0, 5)
    s = summary(con, "2024Q2", cfg=CFG)
    assert (s["total"], s["closed"], s["completed"]) == (15, 5, 6)
    # the CSV has no category or closing-date column: those are kept from the ledger, not blanked
    row = con.execute("SELECT category, closed_date FROM problem_state "
                      "WHERE problem_code = 'XC-2024-001' AND period = '2024Q2'").fetchone()
    assert row[0] == "政治建设" and str(row[1]) == "2024-03-28"


def test_gbk_csv_alone(con, sample):
    result = load(con, sample(CSV), period="2024Q2")
    assert result.outcome == "imported"
    s = summary(con, cfg=CFG)
    # 是否销号: 是 → 已销号 (3), 否 → 整改中 (2); SJ-2024-001 due 5/31 is overdue
    assert (s["total"], s["closed"], s["open"], s["overdue"]) == (5, 3, 2, 1)
    assert s["by_source"] == {"巡视巡察": 3, "审计": 2}


def test_supervision_task_list(con, sample):
    result = load(con, sample(TASKS), period="2024Q2")
    assert result.outcome == "imported" and result.kind == "tasks" and result.rows_valid == 6
    rows = con.execute("SELECT seq, aspect, unit, frequency, deadline, done FROM tasks ORDER BY excel_row").fetchall()
    assert [r[5] for r in rows] == [True, True, False, False, True, False]
    assert [r[3] for r in rows[:3]] == ["每季度"] * 3 and str(rows[3][4]) == "2024-12-31"


def test_assessment_score_sheet_wide_form(con, sample):
    result = load(con, sample(SCORES))
    assert result.outcome == "imported" and result.kind == "scores" and result.period == "2024Q2"
    assert con.execute("SELECT count(*), count(DISTINCT unit), count(DISTINCT dimension) FROM assessments"
                       ).fetchone() == (40, 5, 8)
    assert con.execute("SELECT score, method FROM assessments WHERE unit = '冶炼厂' AND dimension = '加强党的政治建设'"
                       ).fetchone() == (95.0, "纪委评价")


def test_same_file_twice_is_a_no_op(con, sample):
    first = load(con, sample(Q1))
    again = load(con, sample(Q1))
    assert again.outcome == "duplicate" and again.import_id == first.import_id
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1


def test_the_samples_are_written_the_same_byte_for_byte(samples_dir, tmp_path):
    """The fuzz cases are made from the samples' bytes: a case replays only if the files come out the same."""
    again = sample_ledgers.write_samples(tmp_path / "again")
    assert sorted(p.name for p in samples_dir.iterdir()) == sorted(sample_ledgers.NAMES)
    for name in sample_ledgers.NAMES:
        assert (again / name).read_bytes() == (samples_dir / name).read_bytes(), name
