"""整改历程: one problem quarter by quarter, computed by hand from observations written in SQL, and who may see it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import actions, derived, history
from analytics.access import AccessDenied, User
from analytics.config import scoring_config
from analytics.metrics import Scope
from analytics.periods import parse_period

CFG = scoring_config()
SECRETARY = User("书记", "纪委书记")
HEAD = User("采购部长", "部门负责人", "采购部")
Q1, Q2, Q3, Q4 = (parse_period(f"2024Q{q}").index for q in range(1, 5))
P1, P2, P3 = 1, 2, 3  # P1 the one followed; P2 a complaint (信访举报) of the same unit; P3 another unit's

# import id, file, quarter
IMPORTS = [(1, "2024年第一季度问题整改台账.xlsx", "2024Q1"), (2, "2024年第二季度问题整改台账.xlsx", "2024Q2"),
           (3, "2024年第三季度问题整改台账.xlsx", "2024Q3"), (4, "2024年第四季度问题整改台账.xlsx", "2024Q4")]
# import id, problem, quarter, row, code, source, unit, status, deadline, measures, progress, 时限原文; None: the file
# had no such column (the earlier value carries on), '' a blank cell (clears it)
OBSERVATIONS = [
    (1, P1, Q1, 3, "XC-1", "巡视巡察", "采购部", "整改中", "2024-03-31", "1. 修订采购制度", None, "2024年一季度末"),
    (1, P3, Q1, 4, "XC-3", "巡视巡察", "财务部", "整改中", "2024-12-31", "1. 清理账户", None, "年底前"),
    # 2024Q2: P1 is not listed (it carries its 2024Q1 report); P2 is new
    (2, P2, Q2, 3, None, "信访举报", "采购部", "未启动", "2024-09-30", "1. 核查反映问题", None, "9月底前"),
    (3, P1, Q3, 5, "XC-1", "巡视巡察", "采购部", "已整改", "2024-09-30", None, "已完成整改", ""),
    (4, P1, Q4, 2, "XC-1", "巡视巡察", "采购部", "已销号", None, None, "验收销号", None),
]


@pytest.fixture
def ledger(con):
    con.executemany("""INSERT INTO imports (import_id, file_name, sha256, kind, period, rows_valid, rows_invalid,
                                           rows_skipped, imported_at)
                       VALUES (?, ?, ?, 'problems', ?, 1, 0, 0, TIMESTAMP '2025-01-01 09:00:00')""",
                    [(i, name, f"{i:064d}", period) for i, name, period in IMPORTS])
    con.executemany("""INSERT INTO observations (import_id, problem_id, period_no, excel_row, problem_code, source,
                                                category, description, unit, severity, status, deadline, measures,
                                                progress, deadline_text)
                       VALUES (?, ?, ?, ?, ?, ?, '作风建设', ?, ?, '一般', ?, CAST(? AS DATE), ?, ?, ?)""",
                    [(i, p, q, row, code, source, f"问题{p}的描述", unit, status, deadline, measures, progress, text)
                     for i, p, q, row, code, source, unit, status, deadline, measures, progress, text in OBSERVATIONS])
    derived.bring_up_to_date(con, CFG)
    return con


def test_thresholds_the_hand_computation_assumes():
    thresholds = (CFG.notice_days, CFG.reminder_max_overdue, CFG.supervision_overdue, CFG.proposal_overdue)
    assert thresholds == (20, 30, 30, 90)


def test_a_problem_quarter_by_quarter(ledger):
    found = history.problem_history(ledger, P1, CFG)
    assert list(found.columns) == list(history.HISTORY_COLUMNS)
    assert list(found["period"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    # listed in its quarter's ledger, except 2024Q2, which carries the 2024Q1 report
    assert list(found["listed"]) == [True, False, True, True]
    assert found["file_name"].tolist() == [IMPORTS[0][1], None, IMPORTS[2][1], IMPORTS[3][1]]
    assert list(found["status"]) == ["整改中", "整改中", "已整改", "已销号"]
    # 2024Q4's report has no deadline: the 2024Q3 one holds
    assert list(found["deadline"]) == [pd.Timestamp(d) for d in ("2024-03-31", "2024-03-31", "2024-09-30",
                                                                 "2024-09-30")]
    # days from the quarter's end to the deadline, for an open problem: due on 2024-03-31 itself (0), then
    # 2024-06-30 is 91 days past it (30 + 31 + 30); completed quarters have none
    assert found["days_left"].tolist() == [0, -91, pd.NA, pd.NA]
    # 0 days: within 20 days of its deadline, a 工作提醒函; 91 days overdue, over 90: a 纪检建议书; then completed
    assert found["warning"].tolist() == ["工作提醒函", "纪检建议书", None, None]
    # 整改措施 as last given (2024Q3 and Q4 had no such column); 进展 only from 2024Q3 on
    assert found["measures"].tolist() == ["1. 修订采购制度"] * 4
    assert found["progress"].tolist() == [None, None, "已完成整改", "验收销号"]
    # 时限原文 carried into 2024Q2, cleared by 2024Q3's blank cell and not given again in 2024Q4
    assert found["deadline_text"].tolist() == ["2024年一季度末", "2024年一季度末", None, None]
    assert not found["recurred"].any()
    assert set(found["unit"]) == {"采购部"} and set(found["problem_code"]) == {"XC-1"}


def test_no_such_problem_gives_an_empty_history(ledger):
    assert history.problem_history(ledger, 99, CFG).empty
    assert not history.in_scope(ledger, 99)


def test_scope_covers_every_quarter(ledger):
    """A problem is in a scope only if every quarter of it is: its unit, never a hidden source."""
    assert history.in_scope(ledger, P1, Scope(within=("采购部",)))
    assert not history.in_scope(ledger, P1, Scope(within=("财务部",)))
    assert history.in_scope(ledger, P2, Scope(within=("采购部",)))
    assert not history.in_scope(ledger, P2, Scope(within=("采购部",), hidden_sources=("信访举报",)))


def test_the_secretary_sees_the_warnings(ledger):
    found = actions.problem_history(ledger, SECRETARY, P1, CFG)
    assert found["warning"].tolist()[:2] == ["工作提醒函", "纪检建议书"]


def test_a_department_head_sees_their_units_problem_without_the_warnings(ledger):
    """The head's part is the problems to rectify, not the 纪委's warning tiers (access.toml [parts])."""
    found = actions.problem_history(ledger, HEAD, P1, CFG)
    assert list(found["period"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert "warning" not in found.columns


@pytest.mark.parametrize("problem", [P3, P2, 99], ids=["another unit's", "a complaint about their unit", "none"])
def test_a_department_head_is_refused_the_same_way(ledger, problem):
    """Attack: a head asks, by id, for another unit's problem or a complaint (信访举报) about their own unit. The
    refusal is the one for a problem that does not exist, so it does not even tell that the complaint exists."""
    with pytest.raises(AccessDenied) as refused:
        actions.problem_history(ledger, HEAD, problem, CFG)
    assert str(refused.value) == actions.NO_SUCH_PROBLEM


def test_a_role_that_sees_no_problems_is_refused(ledger):
    with pytest.raises(AccessDenied):
        actions.problem_history(ledger, User("访客", "部门负责人", "采购部", parts=frozenset({"figures"})), P1, CFG)


def test_dates_are_dates(ledger):
    """The dialog formats them as dates: no time of day, no text."""
    found = history.problem_history(ledger, P1, CFG)
    assert all(isinstance(d, (pd.Timestamp, dt.date)) for d in found["deadline"])
