"""会商 meetings: the agenda picked from the 会商议题建议清单, decisions tracked in the 督办清单 with status and
progress, the next meeting's agenda opening with the open decisions, the 会商纪要 and 督办清单 files, and who may
record or read them (every write in the audit trail)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

from analytics import actions, alerts, audit, meetings
from analytics.access import HEAD, MEMBER, OFFICE, SECRETARY, AccessDenied, Policy, User, with_policy
from analytics.errors import DashboardError
from analytics.meetings import CARRIED, DONE, NOT_STARTED, OVERDUE, SUGGESTED, UNDERWAY, Decision
from analytics.periods import Period
from tests.conftest import CFG
from tests.fixtures import two_quarters

Q2 = Period(2024, 2)
OFFICE_USER, SECRETARY_USER = User("王办", OFFICE), User("李书记", SECRETARY)
MEMBER_USER, HEAD_USER = User("赵委员", MEMBER), User("钱主任", HEAD, "冶炼厂")
FIRST, SECOND = dt.date(2024, 7, 5), dt.date(2024, 10, 10)
NOW = dt.datetime(2024, 7, 5, 16, 30)


def db_of(con):
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]


def actions_logged(con) -> list[tuple[str, str]]:
    trail = audit.entries(db_of(con), newest_first=False)
    return list(zip(trail["action"], trail["who"], strict=True))


@pytest.fixture
def first_meeting(con, tmp_path):
    """Q1 and Q2 ledgers; a 综合会商 on 2024-07-05 that took the first two suggested items and added one, with two
    decisions: 冶炼厂's due 2024-08-31, 财务部's due 2024-09-30 (progress on 08-10, done on 09-15)."""
    two_quarters(con, tmp_path)
    proposed = actions.proposed_agenda(con, OFFICE_USER, Q2, FIRST, cfg=CFG)
    added = pd.DataFrame([{"origin": meetings.ADDED, "topic": "研究下季度回头看安排"}])
    items = pd.concat([proposed.head(2), added], ignore_index=True)
    meeting_id = actions.record_meeting(con, OFFICE_USER, "综合会商", FIRST, "二季度政治生态分析研判",
                                        "党委书记、纪委书记、纪委委员", Q2, items, now=NOW)
    smelter = actions.add_decision(con, OFFICE_USER, meeting_id,
                                   Decision("=督促冶炼厂完成采购论证整改", "冶炼厂", "张三", dt.date(2024, 8, 31)))
    finance = actions.add_decision(con, SECRETARY_USER, meeting_id,
                                   Decision("财务部重新核查干部档案", "财务部", None, dt.date(2024, 9, 30)))
    actions.add_progress(con, OFFICE_USER, finance, dt.date(2024, 8, 10), "已完成一半档案复核")
    actions.add_progress(con, OFFICE_USER, finance, dt.date(2024, 9, 15), "档案复核完毕", completes=True)
    return {"meeting": meeting_id, "smelter": smelter, "finance": finance, "proposed": proposed}


def test_the_agenda_is_picked_from_the_suggestions_edited_and_added_to(con, first_meeting):
    proposed = first_meeting["proposed"]
    suggested = alerts.meeting_agenda(con, Q2, cfg=CFG)
    # no earlier meeting: the suggestions alone, in their order
    assert list(proposed["origin"]) == [SUGGESTED] * len(suggested)
    assert list(proposed["topic"]) == list(suggested["topic"])
    saved = actions.meeting_agenda(con, MEMBER_USER, first_meeting["meeting"])
    assert list(saved["item_no"]) == [1, 2, 3]
    assert list(saved["topic"]) == [*suggested["topic"].head(2), "研究下季度回头看安排"]
    assert saved["origin"].tolist() == [SUGGESTED, SUGGESTED, meetings.ADDED]


@pytest.mark.parametrize(("as_of", "smelter", "finance"), [
    (dt.date(2024, 8, 1), NOT_STARTED, NOT_STARTED),
    (dt.date(2024, 8, 15), NOT_STARTED, UNDERWAY),  # a note on 08-10
    (dt.date(2024, 8, 31), NOT_STARTED, UNDERWAY),  # due that day: not yet overdue
    (dt.date(2024, 9, 1), OVERDUE, UNDERWAY),
    (dt.date(2024, 10, 1), OVERDUE, DONE),  # completed 09-15
])
def test_decision_status_against_a_given_date(con, first_meeting, as_of, smelter, finance):
    listed = actions.supervision_list(con, MEMBER_USER, as_of).set_index("decision_id")
    assert listed.loc[first_meeting["smelter"], "status"] == smelter
    assert listed.loc[first_meeting["finance"], "status"] == finance


def test_progress_notes_keep_who_and_when(con, first_meeting):
    notes = actions.decision_progress(con, MEMBER_USER, first_meeting["finance"])
    assert notes[["note_no", "note", "completes", "recorded_by"]].values.tolist() == [
        [1, "已完成一半档案复核", False, "王办"], [2, "档案复核完毕", True, "王办"]]
    assert [d.date() for d in notes["noted_on"]] == [dt.date(2024, 8, 10), dt.date(2024, 9, 15)]
    listed = actions.supervision_list(con, MEMBER_USER, dt.date(2024, 10, 1)).set_index("decision_id")
    finance = listed.loc[first_meeting["finance"]]
    assert (finance["notes"], finance["last_note"], finance["completed_on"].date()) == (
        2, "档案复核完毕", dt.date(2024, 9, 15))


def test_the_next_meeting_opens_with_the_open_decisions_of_earlier_ones(con, first_meeting):
    """A decision not done by the next meeting is not forgotten: it opens that meeting's agenda."""
    proposed = actions.proposed_agenda(con, OFFICE_USER, Q2, SECOND, cfg=CFG)
    carried = proposed[proposed["origin"] == CARRIED]
    # 财务部's was done on 09-15; 冶炼厂's is overdue and comes first
    assert carried["decision_id"].tolist() == [first_meeting["smelter"]]
    assert proposed.index[proposed["origin"] == CARRIED].tolist() == [0]
    assert "督促冶炼厂完成采购论证整改" in carried.iloc[0]["topic"] and "逾期" in carried.iloc[0]["reason"]
    assert (proposed["origin"].iloc[1:] == SUGGESTED).all()
    second = actions.record_meeting(con, OFFICE_USER, "专题会商", SECOND, "督办事项推进", "", Q2, proposed.head(1))
    assert actions.meeting_agenda(con, OFFICE_USER, second)["decision_id"].tolist() == [first_meeting["smelter"]]
    # once done, it no longer opens the agenda of a later meeting
    actions.add_progress(con, OFFICE_USER, first_meeting["smelter"], dt.date(2024, 10, 20), "整改完成", True)
    later = actions.proposed_agenda(con, OFFICE_USER, Q2, dt.date(2024, 12, 1), cfg=CFG)
    assert CARRIED not in set(later["origin"])


def test_the_minutes_are_a_word_document_with_the_meeting_and_its_decisions(con, first_meeting):
    second = actions.record_meeting(con, OFFICE_USER, "专题会商", SECOND, "督办事项推进", "纪委委员",
                                    Q2, pd.DataFrame([{"topic": "督办落实"}]))
    name, content = actions.meeting_minutes(con, MEMBER_USER, second, now=NOW)
    assert name == "专题会商纪要_20241010.docx"
    doc = Document(io.BytesIO(content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "党委纪委专题会商纪要" and doc.paragraphs[0].style.name == "公文标题"
    assert "2024年10月10日" in " ".join(texts) and "督办事项推进" in " ".join(texts)
    assert texts[-1] == "2024年10月10日" and texts[-2] == actions.ISSUER
    # the earlier meeting's open decision, with its state on the meeting's date
    carried = [[c.text for c in row.cells] for row in doc.tables[-1].rows]
    assert carried[0][:6] == ["序号", "议定事项", "责任单位", "责任人", "完成时限", "落实情况"]
    assert carried[1][1:6] == ["=督促冶炼厂完成采购论证整改", "冶炼厂", "张三", "2024-08-31", OVERDUE]
    # the first meeting's own decisions, and bytes that do not change when made again
    name, first = actions.meeting_minutes(con, MEMBER_USER, first_meeting["meeting"], now=NOW)
    decided = [[c.text for c in row.cells] for row in Document(io.BytesIO(first)).tables[0].rows]
    assert [r[2] for r in decided[1:]] == ["冶炼厂", "财务部"]
    assert first == actions.meeting_minutes(con, MEMBER_USER, first_meeting["meeting"], now=NOW)[1]


def test_the_supervision_workbook_keeps_text_as_text(con, first_meeting):
    """A matter typed as "=…" must stay a string in Excel, never a formula."""
    content = actions.supervision_workbook(con, MEMBER_USER, dt.date(2024, 10, 1))
    ws = load_workbook(io.BytesIO(content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:9] == ("编号", "会商类型", "会商日期", "议定事项", "责任单位", "责任人", "完成时限", "状态",
                           "完成日期")
    assert rows[1][3] == "=督促冶炼厂完成采购论证整改" and ws.cell(2, 4).data_type == "s"
    assert rows[1][7] == OVERDUE and rows[2][7] == DONE
    assert rows[1][6] == dt.datetime(2024, 8, 31)
    assert not any(isinstance(v, str) and v.startswith("=") and c.data_type == "f"
                   for row in ws.iter_rows() for c in row for v in [c.value])


def test_who_may_record_and_read_meetings(con, first_meeting):
    meeting_id = first_meeting["meeting"]
    for user in (MEMBER_USER, HEAD_USER):
        with pytest.raises(AccessDenied):
            actions.record_meeting(con, user, "即时会商", SECOND, "x", "", None, pd.DataFrame())
        with pytest.raises(AccessDenied):
            actions.add_decision(con, user, meeting_id, Decision("x", "冶炼厂", None, SECOND))
        with pytest.raises(AccessDenied):
            actions.add_progress(con, user, first_meeting["smelter"], SECOND, "x")
    # a department head sees nothing of the meetings by default
    for read in (lambda u: actions.meeting_list(con, u), lambda u: actions.supervision_list(con, u, SECOND),
                 lambda u: actions.meeting_minutes(con, u, meeting_id)):
        with pytest.raises(AccessDenied):
            read(HEAD_USER)
    # given the agenda part in access.toml: only the decisions their unit is responsible for, and no minutes
    head = with_policy(HEAD_USER, Policy(role_parts=((HEAD, frozenset({"figures", "agenda"})),)))
    assert actions.supervision_list(con, head, SECOND)["unit"].tolist() == ["冶炼厂"]
    with pytest.raises(AccessDenied):
        actions.decision_progress(con, head, first_meeting["finance"])
    with pytest.raises(AccessDenied):
        actions.meeting_minutes(con, head, meeting_id)
    assert len(actions.meeting_list(con, MEMBER_USER)) == 1


def test_every_write_is_in_the_audit_trail(con, first_meeting):
    logged = actions_logged(con)
    assert [a for a in logged if a[0] != "import"] == [
        ("meeting_record", "王办"), ("decision_add", "王办"), ("decision_add", "李书记"),
        ("decision_progress", "王办"), ("decision_progress", "王办")]
    actions.set_meeting_agenda(con, SECRETARY_USER, first_meeting["meeting"], pd.DataFrame([{"topic": "只留一项"}]))
    assert actions_logged(con)[-1] == ("meeting_agenda", "李书记")
    trail = audit.entries(db_of(con))
    assert "督促冶炼厂完成采购论证整改" in trail[trail["action"] == "decision_add"]["details"].iloc[-1]


@pytest.mark.parametrize(("decision", "message"), [
    (Decision(" ", "冶炼厂", None, SECOND), "议定事项的内容"),
    (Decision("x", "", None, SECOND), "责任单位"),
    (Decision("x", "冶炼厂", None, None), "完成时限"),
])
def test_a_decision_needs_what_who_and_when(con, first_meeting, decision, message):
    with pytest.raises(DashboardError, match=message):
        actions.add_decision(con, OFFICE_USER, first_meeting["meeting"], decision)
    assert len(actions.supervision_list(con, OFFICE_USER, SECOND)) == 2  # nothing stored


def test_a_meeting_of_an_unknown_type_is_refused(con, tmp_path):
    two_quarters(con, tmp_path)
    with pytest.raises(DashboardError, match="会商类型"):
        actions.record_meeting(con, OFFICE_USER, "茶话会", FIRST, "x", "", None, pd.DataFrame())
    assert actions.meeting_list(con, OFFICE_USER).empty


def test_a_department_head_with_every_part_still_cannot_record(con, first_meeting):
    head = replace(HEAD_USER, parts=frozenset({"agenda", "lookback", "cases"}))
    with pytest.raises(AccessDenied, match="记录会商督办"):
        actions.add_progress(con, head, first_meeting["smelter"], SECOND, "x")
