"""回头看 results and the 典型问题案例库: a re-check 改而复发 makes the problem recurred in every recurrence figure
(by hand on the two-quarter fixture), the summary per quarter, 再通报 proposals; cases tagged, filtered and exported;
who may record or read them, every write audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from analytics import actions, audit, derived, recurrence
from analytics.access import HEAD, MEMBER, OFFICE, SECRETARY, AccessDenied, Policy, User, with_policy
from analytics.errors import DashboardError
from analytics.lookback import DONE, RECURRED, UNCLEAR
from analytics.metrics import Scope, headline
from analytics.periods import Period
from tests.conftest import CFG
from tests.fixtures import two_quarters

Q1, Q2 = Period(2024, 1), Period(2024, 2)
OFFICE_USER, SECRETARY_USER = User("王办", OFFICE), User("李书记", SECRETARY)
MEMBER_USER, HEAD_USER = User("赵委员", MEMBER), User("钱主任", HEAD, "冶炼厂")
CHECKED = dt.date(2024, 7, 20)


def db_of(con):
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]


def logged(con) -> list[tuple[str, str]]:
    trail = audit.entries(db_of(con), newest_first=False)
    return [(a, w) for a, w in zip(trail["action"], trail["who"], strict=True) if a != "import"]


def problem_id(con, code: str) -> int:
    return con.execute("SELECT DISTINCT problem_id FROM problem_state WHERE problem_code = ?", [code]).fetchone()[0]


@pytest.fixture
def ledgers(con, tmp_path):
    two_quarters(con, tmp_path)
    return {code: problem_id(con, code) for code in ("A-1", "A-2", "A-4", "A-5", "A-6")}


# ---- 回头看 ----

def test_the_sample_is_the_closed_problems_with_their_checks(con, ledgers):
    # 已销号 at the end of Q2: A-1 (closed in Q2), A-5 (closed in Q1, carried), A-6 (closed in Q2); A-4 reopened
    sheet = actions.lookback_sheet(con, OFFICE_USER, Q2, cfg=CFG)
    assert sorted(sheet["problem_code"]) == ["A-1", "A-5", "A-6"]
    assert sheet["result"].isna().all()
    actions.record_lookback(con, OFFICE_USER, ledgers["A-1"], Q2, DONE, "", CHECKED, cfg=CFG)
    sheet = actions.lookback_sheet(con, OFFICE_USER, Q2, cfg=CFG).set_index("problem_code")
    assert sheet.loc["A-1", "result"] == DONE and sheet.loc["A-1", "recorded_by"] == "王办"
    assert sheet["result"].isna().sum() == 2


def test_a_recheck_found_recurred_counts_wherever_recurrence_counts(con, ledgers):
    """改而复发 recorded for A-5 (closed in Q1, drawn in Q2's sample) makes it recurred from Q2 on, in problem_state
    and in the cubes that every recurrence figure reads; Q1 is untouched."""
    # before, by hand: Q2's only recurred problem is A-4 (reopened, and marked 是); Q1 has none
    assert recurrence.recurrence_counts(con, Q2) == {"marked": 1, "reopened": 1, "lookback": 0, "recurred": 1,
                                                    "reopened_this_period": 1}
    assert headline(con, Q2)["recurred"] == 1
    actions.record_lookback(con, OFFICE_USER, ledgers["A-5"], Q2, RECURRED, "培训记录又有缺失", CHECKED, cfg=CFG)
    # after; A-5 by the 回头看 alone
    assert recurrence.recurrence_counts(con, Q2) == {"marked": 1, "reopened": 1, "lookback": 1, "recurred": 2,
                                                    "reopened_this_period": 1}
    assert headline(con, Q2)["recurred"] == 2
    assert recurrence.recurrence_counts(con, Q1)["recurred"] == 0
    listed = recurrence.recurred_problems(con, Q2).set_index("problem_code")
    assert sorted(listed.index) == ["A-4", "A-5"]
    assert listed.loc["A-5", "how"] == "回头看发现改而复发"
    # the derived tables are stamped with the check: nothing stale, and a rebuild from scratch agrees
    assert derived.stale(con, CFG) == []
    con.execute("DELETE FROM meta WHERE starts_with(key, 'derived:')")
    assert derived.bring_up_to_date(con, CFG)
    assert recurrence.recurrence_counts(con, Q2)["recurred"] == 2


def test_a_later_recheck_of_the_same_quarter_replaces_the_earlier(con, ledgers):
    actions.record_lookback(con, OFFICE_USER, ledgers["A-5"], Q2, RECURRED, "误录", CHECKED, cfg=CFG)
    actions.record_lookback(con, SECRETARY_USER, ledgers["A-5"], Q2, DONE, "经核实整改到位", CHECKED, cfg=CFG)
    assert recurrence.recurrence_counts(con, Q2)["recurred"] == 1
    row = actions.lookback_sheet(con, OFFICE_USER, Q2, cfg=CFG).set_index("problem_code").loc["A-5"]
    assert (row["result"], row["times_checked"], row["recorded_by"]) == (DONE, 2, "李书记")


def test_the_summary_per_quarter_and_the_renotifications(con, ledgers):
    actions.record_lookback(con, OFFICE_USER, ledgers["A-1"], Q2, DONE, "", CHECKED, cfg=CFG)
    actions.record_lookback(con, OFFICE_USER, ledgers["A-5"], Q2, RECURRED, "培训记录又有缺失", CHECKED, cfg=CFG)
    actions.record_lookback(con, OFFICE_USER, ledgers["A-6"], Q2, UNCLEAR, "需找干部群众了解", CHECKED, cfg=CFG)
    actions.record_lookback(con, OFFICE_USER, ledgers["A-4"], Q1, DONE, "", dt.date(2024, 4, 5), cfg=CFG)
    summary = actions.lookback_summary(con, MEMBER_USER)
    assert summary.to_dict("records") == [
        {"period": "2024Q1", "checked": 1, "done": 1, "recurred": 0, "unclear": 0, "done_rate": 1.0},
        {"period": "2024Q2", "checked": 3, "done": 1, "recurred": 1, "unclear": 1, "done_rate": 0.3333}]
    # 需再了解 followed up: the latest check counts
    actions.record_lookback(con, OFFICE_USER, ledgers["A-6"], Q2, DONE, "", CHECKED, cfg=CFG)
    assert actions.lookback_summary(con, MEMBER_USER).iloc[1][["checked", "done", "unclear"]].tolist() == [3, 2, 0]
    # within a scope: 财务部's problems only (A-4 in Q1, A-5 in Q2)
    by_unit = actions.lookback_summary(con, MEMBER_USER, Scope(units=("财务部",)))
    assert by_unit[["period", "checked", "recurred"]].values.tolist() == [["2024Q1", 1, 0], ["2024Q2", 1, 1]]
    renotify = actions.lookback_renotify(con, MEMBER_USER, Q2)
    assert renotify["problem_code"].tolist() == ["A-5"]
    assert "财务部" in renotify.iloc[0]["proposal"] and "再通报" in renotify.iloc[0]["proposal"]
    assert actions.lookback_renotify(con, MEMBER_USER, Q1).empty


@pytest.mark.parametrize(("code", "result", "note", "message"), [
    ("A-2", DONE, "", "不是已销号问题"),  # open in Q2: not in the 回头看
    ("A-5", "差不多", "", "回头看结果只能是"),
    ("A-5", RECURRED, " ", "请写明情况"),
])
def test_a_recheck_that_cannot_be_is_refused_and_nothing_stored(con, ledgers, code, result, note, message):
    with pytest.raises(DashboardError, match=message):
        actions.record_lookback(con, OFFICE_USER, ledgers[code], Q2, result, note, CHECKED, cfg=CFG)
    assert con.execute("SELECT count(*) FROM lookback_checks").fetchone()[0] == 0
    assert logged(con) == []


def test_who_may_record_and_read_lookback(con, ledgers):
    for user in (MEMBER_USER, HEAD_USER):
        with pytest.raises(AccessDenied):
            actions.record_lookback(con, user, ledgers["A-5"], Q2, DONE, "", CHECKED, cfg=CFG)
    for read in (lambda u: actions.lookback_sheet(con, u, Q2, cfg=CFG), lambda u: actions.lookback_summary(con, u),
                 lambda u: actions.lookback_renotify(con, u, Q2)):
        with pytest.raises(AccessDenied):
            read(HEAD_USER)
        read(MEMBER_USER)
    actions.record_lookback(con, SECRETARY_USER, ledgers["A-5"], Q2, RECURRED, "复发", CHECKED, cfg=CFG)
    assert logged(con) == [("lookback_record", "李书记")]


# ---- the case library ----

def test_cases_are_tagged_filtered_and_listed(con, ledgers):
    assert actions.mark_case(con, OFFICE_USER, ledgers["A-4"], "违规吃喝，作风 违规吃喝", "节日期间接受宴请") == [
        "违规吃喝", "作风"]
    actions.mark_case(con, SECRETARY_USER, ledgers["A-2"], ["采购", "作风"], "")
    library = actions.case_library(con, MEMBER_USER)
    assert sorted(library["problem_code"]) == ["A-2", "A-4"]
    assert actions.case_library(con, MEMBER_USER, tags=("采购",))["problem_code"].tolist() == ["A-2"]
    assert sorted(actions.case_library(con, MEMBER_USER, tags=("作风",))["problem_code"]) == ["A-2", "A-4"]
    assert actions.case_library(con, MEMBER_USER, Scope(units=("财务部",)))["problem_code"].tolist() == ["A-4"]
    dimension = library.set_index("problem_code").loc["A-2", "dimension"]
    assert actions.case_library(con, MEMBER_USER, Scope(dimensions=(dimension,)))["problem_code"].tolist() == ["A-2"]
    # marked again: new tags replace the old
    actions.mark_case(con, OFFICE_USER, ledgers["A-4"], ["警示"], "改")
    row = actions.case_library(con, MEMBER_USER).set_index("problem_code").loc["A-4"]
    assert (list(row["tags"]), row["summary"], row["marked_by"]) == (["警示"], "改", "王办")
    assert actions.unmark_case(con, OFFICE_USER, ledgers["A-2"])
    assert actions.case_library(con, MEMBER_USER)["problem_code"].tolist() == ["A-4"]
    assert logged(con) == [("case_mark", "王办"), ("case_mark", "李书记"), ("case_mark", "王办"),
                           ("case_unmark", "王办")]


def test_the_library_exports_as_excel_and_a_warning_education_compilation(con, ledgers):
    actions.mark_case(con, OFFICE_USER, ledgers["A-4"], ["违规吃喝", "作风"], "=节日期间接受宴请")
    files = actions.case_files(con, MEMBER_USER, now=dt.datetime(2024, 8, 1, 9, 0))
    ws = load_workbook(io.BytesIO(files["xlsx"])).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("问题编号", "责任单位", "问题来源", "维度")
    assert rows[1][0] == "A-4" and rows[1][7] == "违规吃喝、作风" and rows[1][8] == "=节日期间接受宴请"
    assert ws.cell(2, 9).data_type == "s"
    doc = Document(io.BytesIO(files["docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "典型问题案例汇编"
    assert any(t.startswith("1. 财务部：违规接受宴请") for t in texts)
    assert "案例标签：违规吃喝、作风" in texts and "案例说明：=节日期间接受宴请" in texts
    assert texts[-1] == "2024年8月1日"


def test_who_may_mark_and_read_cases(con, ledgers):
    for user in (MEMBER_USER, HEAD_USER):
        with pytest.raises(AccessDenied):
            actions.mark_case(con, user, ledgers["A-4"], ["x"], "")
    actions.mark_case(con, OFFICE_USER, ledgers["A-4"], ["作风"], "")
    actions.mark_case(con, OFFICE_USER, ledgers["A-2"], ["采购"], "")
    with pytest.raises(AccessDenied):
        actions.case_library(con, HEAD_USER)
    with pytest.raises(AccessDenied):
        actions.unmark_case(con, MEMBER_USER, ledgers["A-4"])
    # given the cases part: their own unit's cases only
    head = with_policy(HEAD_USER, Policy(role_parts=((HEAD, frozenset({"figures", "cases"})),)))
    assert actions.case_library(con, head)["problem_code"].tolist() == ["A-2"]
    with pytest.raises(DashboardError, match="案例标签"):
        actions.mark_case(con, OFFICE_USER, ledgers["A-1"], " ，", "")
    with pytest.raises(AccessDenied):
        actions.mark_case(con, OFFICE_USER, 999_999, ["x"], "")
