"""Quarter-by-quarter history: identity, new / carried over / closed / reopened, same-period updates, undo."""

from __future__ import annotations

from analytics import ledger, metrics
from analytics.summary import summary
from tests.conftest import CFG, HEADER, load, problem_row, write_xlsx


def quarter(tmp_path, period: str, *rows, name: str | None = None, header=HEADER):
    return write_xlsx(tmp_path / (name or f"{period}台账.xlsx"), {"台账": [header, *rows]})


def flags(con, code: str) -> list[tuple]:
    return con.execute("""
        SELECT period, status, is_new, carried_over, closed_now, reopened, recurred, listed
        FROM problem_state WHERE problem_code = ? ORDER BY period_no""", [code]).fetchall()


def test_new_carried_closed_reopened_and_recurred(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1"), problem_row(2, "A-2")))
    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "A-1", "已销号", closed="2024-05-01"), problem_row(2, "A-2")))
    load(con, quarter(tmp_path, "2024Q3", problem_row(1, "A-1", "整改中"), problem_row(2, "A-2", "已销号")))
    assert flags(con, "A-1") == [
        ("2024Q1", "整改中", True, False, False, False, False, True),
        ("2024Q2", "已销号", False, True, True, False, False, True),
        ("2024Q3", "整改中", False, False, False, True, True, True),  # closed earlier, open again: recurred
    ]
    q3 = summary(con, "2024Q3", cfg=CFG)
    assert (q3["reopened"], q3["recurred"], q3["closed_this_period"], q3["carried_over"]) == (1, 1, 1, 1)


def test_ledger_marked_recurrence_counts_and_stays(con, tmp_path):
    header = [*HEADER, "是否复发"]
    load(con, quarter(tmp_path, "2024Q1", [*problem_row(1, "A-1"), "是"], header=header))
    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "A-1")))  # no 是否复发 column: the mark is kept
    assert [f[6] for f in flags(con, "A-1")] == [True, True]


def test_quarter_without_a_ledger_carries_the_last_status(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1", deadline="2024-05-31")))
    load(con, quarter(tmp_path, "2024Q3", problem_row(2, "A-2")))
    history = flags(con, "A-1")
    assert [h[0] for h in history] == ["2024Q1", "2024Q2", "2024Q3"]
    assert history[1][1] == "整改中" and history[1][7] is False  # carried, not listed in Q2
    assert summary(con, "2024Q2", cfg=CFG)["overdue"] == 1


def test_problem_without_code_is_recognised_by_unit_source_and_text(con, tmp_path):
    header = ["问题来源", "问题描述", "责任单位", "整改状态"]
    load(con, quarter(tmp_path, "2024Q1", ["巡察", "党建 工作台账不全。", "销售部", "整改中"], header=header))
    load(con, quarter(tmp_path, "2024Q2", ["巡视巡察", "党建工作台账不全", "销售部", "已销号"], header=header))
    load(con, quarter(tmp_path, "2024Q3", ["巡察", "党建工作台账不全", "财务部", "整改中"], header=header))
    assert con.execute("SELECT count(DISTINCT problem_id) FROM problem_state").fetchone()[0] == 2
    assert summary(con, "2024Q2", cfg=CFG)["closed"] == 1


def test_code_added_later_attaches_to_the_uncoded_problem(con, tmp_path):
    header = ["问题来源", "问题描述", "责任单位", "整改状态"]
    load(con, quarter(tmp_path, "2024Q1", ["审计", "合同管理不规范", "法务合规部", "整改中"], header=header))
    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "SJ-9", source="审计", description="合同管理不规范",
                                                       unit="法务合规部")))
    assert con.execute("SELECT count(DISTINCT problem_id) FROM problem_state").fetchone()[0] == 1


def test_a_later_ledger_of_the_same_period_updates_what_it_lists(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1"), problem_row(2, "A-2"), name="2024Q1-a.xlsx"))
    result = load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1", "已销号"), name="2024Q1-b.xlsx"))
    assert (result.problems_new, result.problems_updated) == (0, 1)
    s = summary(con, "2024Q1", cfg=CFG)
    assert (s["total"], s["closed"]) == (2, 1)


def test_blank_cell_clears_but_missing_column_inherits(con, tmp_path):
    load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1", "已销号", closed="2024-03-01")))
    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "A-1", "整改中", closed=None)))
    assert con.execute("SELECT closed_date FROM problem_state WHERE period = '2024Q2'").fetchone()[0] is None
    short = ["问题编号", "问题来源", "问题描述", "责任单位", "整改状态"]
    load(con, quarter(tmp_path, "2024Q3", ["A-1", "巡察", "问题描述A-1", "冶炼厂", "整改中"], header=short))
    row = con.execute("SELECT category, owner, severity FROM problem_state WHERE period = '2024Q3'").fetchone()
    assert row == ("作风建设", "张三", "一般")


def test_undo_restores_what_the_import_had_changed(con, sample):
    load(con, sample("2024年第一季度问题整改台账.xlsx"))
    state_before = con.execute("SELECT * FROM problem_state ORDER BY ALL").fetchall()
    summary_before = summary(con, cfg=CFG)
    second = load(con, sample("2024年第二季度问题整改台账.xlsx"))
    assert summary(con, cfg=CFG)["period"] == "2024Q2"
    message = ledger.undo(con, second.import_id, scoring=CFG)
    assert "已撤销" in message
    assert con.execute("SELECT * FROM problem_state ORDER BY ALL").fetchall() == state_before
    assert summary(con, cfg=CFG) == summary_before
    imports = ledger.list_imports(con)
    assert imports.loc[imports.import_id == second.import_id, "undone_at"].notna().all()
    again = load(con, sample("2024年第二季度问题整改台账.xlsx"))  # an undone file can come back
    assert again.outcome == "imported" and again.import_id > second.import_id


def test_undo_of_an_earlier_import_keeps_later_ones(con, tmp_path):
    first = load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1"), problem_row(2, "A-2")))
    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "A-1", "已销号")))
    ledger.undo(con, first.import_id, scoring=CFG)
    assert con.execute("SELECT DISTINCT problem_code FROM problem_state").fetchall() == [("A-1",)]
    assert summary(con, cfg=CFG)["closed"] == 1


def test_undoing_everything_leaves_an_empty_but_working_database(con, sample):
    result = load(con, sample("2024年第一季度问题整改台账.xlsx"))
    ledger.undo(con, result.import_id, scoring=CFG)
    assert metrics.available_periods(con) == []
    assert summary(con, "2024Q1", cfg=CFG)["total"] == 0


def test_incremental_refresh_equals_a_full_rebuild(con, tmp_path):
    from analytics import state

    def snapshot():
        return con.execute("SELECT * FROM problem_state ORDER BY period_no, problem_id").fetchall()

    def check():
        incremental = snapshot()
        state.rebuild(con, CFG)
        assert snapshot() == incremental

    load(con, quarter(tmp_path, "2024Q2", problem_row(1, "A-1"), problem_row(2, "A-2")))
    check()
    q1 = load(con, quarter(tmp_path, "2024Q1", problem_row(1, "A-1", "已整改"), problem_row(3, "A-3")))
    check()  # an earlier quarter imported later
    q4 = load(con, quarter(tmp_path, "2024Q4", problem_row(1, "A-1", "已销号"), problem_row(4, "A-4")))
    check()  # the last quarter moves forward: untouched problems are carried
    load(con, quarter(tmp_path, "2024Q3", problem_row(2, "A-2", "已销号")))
    check()
    ledger.undo(con, q4.import_id, scoring=CFG)
    check()  # the last quarter moves back
    ledger.undo(con, q1.import_id, scoring=CFG)
    check()


def test_a_database_from_an_older_version_is_brought_up_to_date(con, sample):
    """Derived tables an older release wrote (no stamps, a table it did not have) are all rebuilt, once."""
    from analytics import derived

    load(con, sample("2024年第一季度问题整改台账.xlsx"))
    before = summary(con, cfg=CFG)
    con.execute("DROP TABLE problem_cube")
    con.execute("DELETE FROM meta WHERE starts_with(key, 'derived:')")
    assert derived.stale(con, CFG) == list(derived.NAMES)
    assert derived.bring_up_to_date(con, CFG)
    assert derived.stale(con, CFG) == [] and not derived.bring_up_to_date(con, CFG)
    assert summary(con, cfg=CFG) == before


def _state_rows(con, windows_only: bool) -> list[tuple]:
    """Every problem_state row as state.py derives it from observations, or with every problem put through the
    windows, as if each had several reports."""
    from analytics import state
    from analytics.config import scoring_config

    sql = state._state_sql("TRUE")
    if windows_only:
        assert "count(*) = 1 AS once" in sql
        sql = sql.replace("count(*) = 1 AS once", "false AS once")
    params = {"max_no": con.execute("SELECT max(period_no) FROM observations").fetchone()[0],
              "unclassified": scoring_config().unclassified}
    return con.execute(f"{sql} {state._ORDER}", params).fetchall()


def test_a_problem_reported_once_gets_the_state_the_windows_would_give_it(demo_db, con, tmp_path):
    """state.py spares the window sorts for problems with a single report; put through them, every row is the same."""
    from analytics.db import open_db

    with open_db(demo_db, read_only=True) as demo:
        assert _state_rows(demo, False) == _state_rows(demo, True)
        once, several = demo.execute("SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1) "
                                     "FROM (SELECT count(*) AS n FROM observations GROUP BY problem_id)").fetchone()
    assert once > 30 and several > 100  # the demo has both kinds
    # single reports of every kind: marked 复发, completed with and without a date, no deadline, blanks
    rows = [problem_row(1, "B-1", "已整改"), problem_row(2, "B-2", "已销号", closed="2024-05-06"),
            problem_row(3, None, "整改中", deadline="长期坚持"), problem_row(4, "B-4", "未整改", deadline=None),
            problem_row(5, "B-5", "已整改", closed="2024-04-01"), problem_row(6, "B-6")]
    marks = ["是", "", "复发", "否", "", "是"]
    load(con, write_xlsx(tmp_path / "2024年第二季度问题整改台账.xlsx",
                         {"台账": [[*HEADER, "是否复发"], *([*r, m] for r, m in zip(rows, marks, strict=True))]}))
    load(con, quarter(tmp_path, "2024Q3", problem_row(6, "B-6", "已销号"), problem_row(7, "B-7")))
    spared = _state_rows(con, False)
    assert spared == _state_rows(con, True)
    assert sum(r[-2] for r in spared) >= 4  # recurred (the last column but one), on single reports too
