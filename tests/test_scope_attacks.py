"""Attacks on subtree scopes (issue 17): a 分公司's 纪委书记 (or 纪委办, or a 部门负责人 under it) trying to see, count,
download or change anything of another subtree (三亚分公司, 纪检部, 乙公司 …) or anything spanning every unit.

The world: the group of tests/group_ledgers.py (two companies, three levels), a 监督清单 of 甲公司 naming 海口分公司
and 三亚分公司, and, made by the group's own (unscoped) 纪委办 and 纪委书记: a 会商 on 三亚's 备用金 with a decision
for 三亚's 财务部, a typical case of 三亚's problem, a 督办单 delivered to 三亚's 财务部, a 回头看 of 纪检部's problem,
a 乙公司 ledger of 2025Q1 imported leaving an invalid row out, and snapshots / reports of 海口分公司 exported by the
group's secretary.

Each test whose docstring starts with "The attack" reproduces a leak a review found (and the product now closes);
the others are regression tests of guarantees that held from the start.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document

from analytics import actions, derived, lookback, meetings, notices
from analytics.access import HEAD, OFFICE, SECRETARY, AccessDenied, User
from analytics.cli import main as cli
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.export import records
from analytics.meetings import Decision
from analytics.metrics import Scope
from analytics.periods import parse_period
from tests import group_ledgers as group
from tests.conftest import CFG, HEADER, problem_row, write_xlsx
from tests.fixtures import TASK_HEADER
from tests.test_org import text_of

Q1, Q2 = parse_period("2025Q1"), parse_period("2025Q2")
JIA, YI = "甲公司", "乙公司"
HAIKOU, SANYA = f"{JIA}›海口分公司", f"{JIA}›三亚分公司"
HK_FINANCE, SY_FINANCE = f"{HAIKOU}›财务部", f"{SANYA}›财务部"

GROUP_OFFICE, GROUP_SECRETARY = User("集团纪委办", OFFICE), User("集团纪委书记", SECRETARY)
HK_SECRETARY = User("hk", SECRETARY, HAIKOU)  # 海口分公司's 纪委书记: sees 海口分公司 and what is under it
HK_OFFICE = User("hkb", OFFICE, HAIKOU)  # 海口分公司's 纪委办: records 会商 and cases, drafts documents
HK_HEAD = User("cw", HEAD, HK_FINANCE)  # 海口分公司财务部's 部门负责人
SCOPED = (HK_SECRETARY, HK_OFFICE)

# what must never reach 海口分公司's accounts: other subtrees' names, codes and descriptions
OTHERS = ("三亚", "乙公司", "纪检部", "文昌", "J-5", "J-6", "Y-2", "Y-3", "备用金", "资金支付", "问题线索台账")
NCFG = notices.NoticeConfig(issuer="甲公司纪委", numbers=(("工作提醒函", "甲纪提〔{year}〕{seq}号"),
                                                          ("工作督办单", "甲纪督〔{year}〕{seq}号"),
                                                          ("纪检建议书", "甲纪建〔{year}〕{seq}号")))
HELD = dt.date(2025, 7, 5)
NOW = dt.datetime(2025, 7, 5, 10, 0)
TODAY = dt.date(2025, 7, 10)




def leaked(data: object) -> list[str]:
    text = data if isinstance(data, str) else text_of(data)
    return [name for name in OTHERS if name in text]


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return " ".join([p.text for p in doc.paragraphs] + cells)


def pid(con, code: str, unit: str) -> int:
    return con.execute("SELECT DISTINCT problem_id FROM problem_state WHERE problem_code = ? AND unit = ?",
                       [code, unit]).fetchone()[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("attacks")
    files = group.write_group(out / "files")
    db = out / "group.duckdb"
    assert cli(["org", "import", str(files / group.REGISTER), "--db", str(db)]) == 0
    assert cli(["import", "--db", str(db), str(files / group.JIA), str(files / group.YI)]) == 0
    tasks = write_xlsx(out / "甲公司2025年第二季度监督清单.xlsx", {"清单": [
        TASK_HEADER, [1, "第一议题", "海口中心组学习检查", "海口分公司", "每季度", "已完成"],
        [2, "关键少数", "三亚任前廉洁谈话", "三亚分公司", "每季度", "未开始"]]})
    assert cli(["import", "--db", str(db), "--company", JIA, str(tasks)]) == 0
    # 乙公司's 2025Q1 ledger with one row without a unit, imported leaving it out
    yi_q1 = write_xlsx(out / "乙公司2025年第一季度问题整改台账.xlsx", {"台账": [
        HEADER, problem_row(1, "Y-9", unit="财务部", deadline="2025-06-30"), problem_row(2, "Y-10", unit="")]})
    assert cli(["import", "--db", str(db), "--company", YI, "--skip-invalid", str(yi_q1)]) == 0
    ids = {}
    with open_db(db) as con:
        derived.bring_up_to_date(con, CFG)
        ids["J-5"], ids["J-1"] = pid(con, "J-5", SY_FINANCE), pid(con, "J-1", HK_FINANCE)
        ids["J-6"] = pid(con, "J-6", f"{JIA}›纪检部")
        proposed = actions.proposed_agenda(con, GROUP_OFFICE, Q2, HELD, cfg=CFG)
        ids["meeting"] = actions.record_meeting(con, GROUP_OFFICE, "专题会商", HELD, "三亚分公司备用金专题会商",
                                                "甲公司纪委书记", Q2, proposed, now=NOW)
        ids["sy_decision"] = actions.add_decision(con, GROUP_OFFICE, ids["meeting"], Decision(
            "督促三亚分公司清理备用金挂账", SY_FINANCE, "张五", dt.date(2025, 8, 31)), now=NOW)
        ids["hk_decision"] = actions.add_decision(con, GROUP_OFFICE, ids["meeting"], Decision(
            "督促海口财务部规范差旅费审核", HK_FINANCE, "张一", dt.date(2025, 8, 31)), now=NOW)
        actions.add_progress(con, GROUP_OFFICE, ids["sy_decision"], dt.date(2025, 7, 6), "三亚已清理一半备用金")
        actions.mark_case(con, GROUP_OFFICE, ids["J-5"], ["三亚备用金长期挂账"], "三亚分公司备用金长期挂账案例")
        actions.record_lookback(con, GROUP_OFFICE, ids["J-6"], Q2, lookback.RECURRED, "纪检部台账又未更新",
                                dt.date(2025, 7, 6), cfg=CFG)
        ids["notice"], _ = actions.draft_notice(con, GROUP_OFFICE, NCFG, Q2, cfg=CFG, problem_ids=[ids["J-5"]],
                                                now=NOW)
        actions.notice_step(con, GROUP_SECRETARY, ids["notice"], notices.SIGN, ncfg=NCFG, now=NOW)
        actions.notice_step(con, GROUP_OFFICE, ids["notice"], notices.DELIVER, ncfg=NCFG, now=NOW)
        # the group's secretary exports 海口分公司 (a node: its subtree) and its 财务部's 画像报告
        snapshot, content = actions.export(con, GROUP_SECRETARY, Q2, Scope(units=(HAIKOU,)), "xlsx", cfg=CFG)
        ids["hk_snapshot"], _ = actions.record_export(con, GROUP_SECRETARY, snapshot, "xlsx", content)
        built, content = actions.report(con, GROUP_SECRETARY, "unit", Q2, Scope(), cfg=CFG, unit=HK_FINANCE)
        ids["hk_report"], _ = actions.record_report(con, GROUP_SECRETARY, built, content)
        snapshot, content = actions.export(con, GROUP_SECRETARY, Q2, Scope(), "xlsx", cfg=CFG)
        ids["all_snapshot"], _ = actions.record_export(con, GROUP_SECRETARY, snapshot, "xlsx", content)
    return {"db": db, **ids}


@pytest.fixture
def writable(world, tmp_path) -> Path:
    """A copy of the world to write on (its audit trail travels with it when next to it)."""
    src = Path(world["db"])
    for f in src.parent.iterdir():
        if f.is_file() and f.name.startswith(src.stem):
            shutil.copy(f, tmp_path / f.name)
    return tmp_path / src.name


def reading(world):
    return derived.reading(world["db"], CFG)


def test_the_world_holds_what_the_attacks_need(world):
    """The group's secretary sees every subtree's names (the leak checks below can fail)."""
    with reading(world) as con:
        everything = text_of([actions.meeting_list(con, GROUP_SECRETARY),
                              actions.case_library(con, GROUP_SECRETARY),
                              actions.notice_register(con, GROUP_SECRETARY, TODAY),
                              actions.page_data(con, GROUP_SECRETARY, "supervision", Q2, cfg=CFG)])
        assert actions.incomplete_periods(con, GROUP_SECRETARY) == {"2025Q1": 1}
    assert {"三亚", "备用金", "J-5"} <= set(leaked(everything))


# ---- leaks ----

def test_supervision_page_shows_only_the_own_subtree(world):
    """The attack: page_data('supervision') calls views.supervision(con, period) with no scope: a 分公司's 纪委书记 (who
    holds the "supervision" right) sees every unit's 监督清单 measures, 三亚分公司's and 乙公司's included."""
    with reading(world) as con:
        data = actions.page_data(con, HK_SECRETARY, "supervision", Q2, cfg=CFG)
    assert leaked(data) == []


def test_meeting_list_shows_no_meeting_of_another_subtree(world):
    """The attack: meeting_list returned every meeting (meetings.meetings, no unit filter): 海口分公司's 纪委书记
    read the group's 三亚分公司 meeting, its topic and participants."""
    with reading(world) as con:
        listed = actions.meeting_list(con, HK_SECRETARY)
    assert leaked(listed) == []


def test_meeting_agenda_of_another_subtree_is_not_readable(world):
    """The attack: meeting_agenda(meeting_id) checks only the 'agenda' part: any meeting's agenda, naming other
    subtrees' units and problems, is read by id."""
    with reading(world) as con:
        try:
            items = actions.meeting_agenda(con, HK_SECRETARY, world["meeting"])
        except AccessDenied:
            return
    assert leaked(items) == []


def test_meeting_minutes_are_not_given_to_a_scoped_secretary(world):
    """LEAK (high): meeting_minutes guards with require(user, 'all_units'), but a 分公司's 纪委书记 keeps
    'all_units' (it is not in WHOLE_ONLY): the Word 会商纪要 names every unit's decisions and agenda items."""
    with reading(world) as con:
        try:
            _, content = actions.meeting_minutes(con, HK_SECRETARY, world["meeting"], now=NOW)
        except AccessDenied:
            return
    assert leaked(docx_text(content)) == []


def test_proposed_agenda_carries_no_decision_of_another_subtree(world):
    """The attack: proposed_agenda scopes the 会商议题建议清单 but meetings.opening_agenda adds every open decision of
    earlier meetings (open_decisions has no unit filter): 三亚's decision, person and latest progress leak."""
    with reading(world) as con:
        proposed = actions.proposed_agenda(con, HK_SECRETARY, Q2, dt.date(2025, 7, 20), cfg=CFG)
    assert leaked(proposed) == []


def test_a_scoped_recorder_cannot_add_a_decision_for_another_unit(writable, world):
    """The attack (a write): add_decision checked neither the meeting nor the decision's 责任单位 against the scope:
    海口's 纪委办 added a decision for 三亚分公司财务部 to the group's meeting (then shown in 三亚's 督办清单)."""
    with open_db(writable) as con, pytest.raises(AccessDenied):
        actions.add_decision(con, HK_OFFICE, world["meeting"],
                             Decision("三亚财务部限期清理", SY_FINANCE, None, dt.date(2025, 9, 30)), now=NOW)


def test_a_scoped_recorder_cannot_complete_another_units_decision(writable, world):
    """The attack (a write): add_progress takes any decision id: 海口's 纪委办 marks 三亚's decision 已完成."""
    with open_db(writable) as con:
        with pytest.raises(AccessDenied):
            actions.add_progress(con, HK_OFFICE, world["sy_decision"], dt.date(2025, 7, 8), "已办结", completes=True)
        status = meetings.decisions(con, TODAY).set_index("decision_id").loc[world["sy_decision"], "status"]
    assert status != meetings.DONE


def test_a_scoped_recorder_cannot_rewrite_the_groups_meeting_agenda(writable, world):
    """The attack (a write): set_meeting_agenda replaces any meeting's agenda by id: 海口's 纪委办 empties the group's
    meeting on 三亚分公司."""
    with open_db(writable) as con:
        before = len(meetings.agenda(con, world["meeting"]))
        with pytest.raises(AccessDenied):
            actions.set_meeting_agenda(con, HK_OFFICE, world["meeting"],
                                       pd.DataFrame(columns=list(meetings.ITEM_COLUMNS)))
        assert len(meetings.agenda(con, world["meeting"])) == before > 0


def test_a_scoped_recorder_cannot_record_a_meeting_on_another_subtree(writable, world):
    """The attack (a write): record_meeting stores any agenda items: 海口's 纪委办 files items naming 三亚's units and
    problems, seen by everyone reading meetings."""
    items = pd.DataFrame([{"origin": meetings.ADDED, "topic": "研究三亚分公司问题", "unit": SY_FINANCE,
                           "problem_id": world["J-5"]}], columns=list(meetings.ITEM_COLUMNS))
    with open_db(writable) as con, pytest.raises(AccessDenied):
        actions.record_meeting(con, HK_OFFICE, "专题会商", HELD, "海口会商", "海口纪委", Q2, items, now=NOW)


def test_case_tags_are_only_of_visible_cases(world):
    """The attack: case_tags returns every tag of the library (cases.all_tags): 三亚's case tag 三亚备用金长期挂账
    shows in 海口's tag filter while the library itself is scoped."""
    with reading(world) as con:
        assert actions.case_library(con, HK_SECRETARY).empty
        tags = actions.case_tags(con, HK_SECRETARY)
    assert leaked(tags) == []


def test_incomplete_quarters_count_only_the_own_subtree(world):
    """The attack: incomplete_periods sums problems_dropped over every import: 海口分公司's accounts learn that
    乙公司's 2025Q1 ledger left a problem out (the sidebar's 数据不完整 note), though 海口 had no 2025Q1 ledger."""
    with reading(world) as con:
        for user in (HK_SECRETARY, HK_HEAD):
            assert actions.incomplete_periods(con, user) == {}


def test_a_snapshot_of_the_subtree_made_by_the_group_holds_nothing_beyond_it(world):
    """A snapshot the group's secretary made of 海口分公司 is listed for 海口's 纪委书记 (its units are theirs):
    its file must then hold nothing of other subtrees."""
    with reading(world) as con:
        listed = actions.snapshots(con, HK_SECRETARY)
        assert world["hk_snapshot"] in set(listed["snapshot_id"])
        assert world["all_snapshot"] not in set(listed["snapshot_id"])
        _, content = actions.snapshot_file(con, HK_SECRETARY, world["hk_snapshot"])
    assert leaked(xlsx_text(content)) == []


def test_a_unit_report_made_by_the_group_ranks_the_unit_only_among_what_the_reader_sees(world):
    """The attack: a 画像报告 the group's secretary made of 海口分公司财务部 (scope units = that unit, no
    ``within``) ranks it among every unit of the group (report.scores: peers = replace(scope, units=None)); the
    snapshot is listed for 海口's 纪委书记 (_visible compares units only) and tells them how many units the group
    has and where this one stands among them. The same report made by 海口's secretary ranks among 海口's 3."""
    with reading(world) as con:
        listed = actions.snapshots(con, HK_SECRETARY)
        assert world["hk_report"] in set(listed["snapshot_id"])
        _, content = actions.snapshot_file(con, HK_SECRETARY, world["hk_report"])
        own, own_content = actions.report(con, HK_SECRETARY, "unit", Q2, Scope(), cfg=CFG, unit=HK_FINANCE)
    groups, mine = docx_text(content), docx_text(own_content)
    assert leaked(groups) == []
    assert own.scores.ranks and all(n <= 3 for _, n in own.scores.ranks.values())
    among = {int(n) for n in re.findall(r"在各单位中居第\d+位（共(\d+)个）", groups)}
    assert among and among <= {3}, among
    assert "（共3个）" in mine


def test_another_subtrees_empty_snapshot_is_not_listed(writable):
    """The attack: 三亚分公司's 纪委书记 exports asking for 乙公司; the scope is cut to no unit (units=(), within =
    三亚's subtree) and recorded. _visible checks only ``set(scope.units) <= allowed`` (the empty set always is) and
    ignores ``within``: 海口's 纪委书记 lists and downloads it, learning who in 三亚 exported what and when; it is
    labelled 全公司 besides."""
    sanya = User("sy", SECRETARY, SANYA)
    with open_db(writable) as con:
        before = set(actions.snapshots(con, HK_SECRETARY)["snapshot_id"])
        with pytest.raises(AccessDenied, match="所选单位不在本账户可查看的范围内"):  # no export of nothing at all
            actions.export(con, sanya, Q2, Scope(units=(YI,)), "xlsx", cfg=CFG)
        # one recorded so anyway (by an older release) is listed for nobody else
        snapshot, content = actions.export(con, sanya, Q2, Scope(), "xlsx", cfg=CFG)
        empty = replace(snapshot, scope=replace(snapshot.scope, units=()))
        snapshot_id = records.record(con, empty, "xlsx", content, "empty.xlsx", user="sy")
        listed = set(actions.snapshots(con, HK_SECRETARY)["snapshot_id"])
    assert snapshot_id not in listed and listed == before


# ---- what holds (regression tests) ----

@pytest.mark.parametrize("user", [HK_SECRETARY, HK_HEAD], ids=["secretary", "head"])
@pytest.mark.parametrize("view", ["overview", "problem_trends", "rectification", "scores", "follow_up"])
def test_every_view_is_cut_to_the_subtree_even_when_other_nodes_are_asked(world, user, view):
    with reading(world) as con:
        for scope in (Scope(), Scope(units=(SANYA,)), Scope(units=(JIA,)), Scope(units=(YI, SY_FINANCE))):
            try:
                data = actions.page_data(con, user, view, Q2, scope, cfg=CFG)
            except AccessDenied:  # a part the head's role does not see
                continue
            assert leaked(data) == [], (view, scope)


def test_the_headline_counts_only_the_subtree(world):
    """Not only names: 海口分公司 has 4 problems (J-1..J-4), its 财务部 2."""
    with reading(world) as con:
        assert actions.page_data(con, HK_SECRETARY, "overview", Q2, cfg=CFG)["headline"]["total"] == 4
        assert actions.page_data(con, HK_HEAD, "overview", Q2, cfg=CFG)["headline"]["total"] == 2
        assert actions.page_data(con, HK_SECRETARY, "overview", Q2, Scope(units=(JIA,)),
                                 cfg=CFG)["headline"]["total"] == 4


def test_one_problem_of_another_subtree_is_refused_by_id(world):
    with reading(world) as con:
        for user in (HK_SECRETARY, HK_HEAD):
            with pytest.raises(AccessDenied):
                actions.problem_history(con, user, world["J-5"], CFG)
            assert actions.problem_notices(con, user, world["J-5"], TODAY).empty
        assert not actions.problem_history(con, HK_HEAD, world["J-1"], CFG).empty


def test_the_notices_of_another_subtree_are_not_seen(world):
    with reading(world) as con:
        assert actions.notice_register(con, HK_SECRETARY, TODAY, units=(SY_FINANCE,)).empty
        assert actions.notice_register(con, HK_SECRETARY, TODAY).empty
        assert actions.overdue_replies(con, HK_SECRETARY, dt.date(2026, 1, 1)).empty
        assert actions.notice_marks(con, HK_SECRETARY, Q2, pd.DataFrame(
            {"problem_id": [world["J-5"]], "unit": [SY_FINANCE], "tier": ["督办单"]}), TODAY) == [None]
        for call in (lambda: actions.notice_detail(con, HK_SECRETARY, world["notice"]),
                     lambda: actions.notice_file(con, HK_SECRETARY, world["notice"], "docx"),
                     lambda: actions.reply_file(con, HK_SECRETARY, world["notice"], 1)):
            with pytest.raises(AccessDenied):
                call()


def test_a_scoped_office_cannot_draft_or_handle_for_another_subtree(writable, world):
    with open_db(writable) as con:
        with pytest.raises(AccessDenied):
            actions.draft_notice(con, HK_OFFICE, NCFG, Q2, cfg=CFG, unit=SY_FINANCE, now=NOW)
        with pytest.raises(notices.NoticeRefused):
            actions.draft_notice(con, HK_OFFICE, NCFG, Q2, cfg=CFG, problem_ids=[world["J-5"]], now=NOW)
        with pytest.raises(AccessDenied):
            actions.notice_step(con, HK_OFFICE, world["notice"], notices.REPLY, ncfg=NCFG, reply_text="已整改",
                                now=NOW)


def test_cases_lookback_and_problems_are_cut_to_the_subtree(world):
    with reading(world) as con:
        found = [actions.case_library(con, HK_SECRETARY, Scope(units=(SANYA,))),
                 actions.case_files(con, HK_SECRETARY, now=NOW)["xlsx"],
                 actions.find_problems(con, HK_SECRETARY, "J-5"), actions.find_problems(con, HK_SECRETARY, "备用金"),
                 actions.lookback_sheet(con, HK_SECRETARY, Q2, cfg=CFG),
                 actions.lookback_summary(con, HK_SECRETARY), actions.lookback_renotify(con, HK_SECRETARY, Q2)]
        docx = actions.case_files(con, HK_SECRETARY, now=NOW)["docx"]
    assert leaked(found[:1] + found[2:]) == []
    assert leaked(xlsx_text(found[1])) == [] and leaked(docx_text(docx)) == []


def test_a_scoped_recorder_cannot_mark_or_recheck_another_subtrees_problem(writable, world):
    with open_db(writable) as con:
        for call in (lambda: actions.mark_case(con, HK_OFFICE, world["J-6"], ["x"], "y"),
                     lambda: actions.unmark_case(con, HK_OFFICE, world["J-5"]),
                     lambda: actions.record_lookback(con, HK_OFFICE, world["J-6"], Q2, lookback.DONE, "",
                                                     dt.date(2025, 7, 9), cfg=CFG)):
            with pytest.raises(AccessDenied):
                call()


def test_the_supervision_list_and_progress_are_cut_to_the_subtree(world):
    with reading(world) as con:
        listed = actions.supervision_list(con, HK_SECRETARY, TODAY)
        assert list(listed["decision_id"]) == [world["hk_decision"]]
        assert leaked(xlsx_text(actions.supervision_workbook(con, HK_SECRETARY, TODAY))) == []
        with pytest.raises(AccessDenied):
            actions.decision_progress(con, HK_SECRETARY, world["sy_decision"])


def test_scores_portraits_and_reports_of_another_subtree_are_refused(world):
    with reading(world) as con:
        for call in (lambda: actions.deductions(con, HK_SECRETARY, Q2, SY_FINANCE, None, cfg=CFG),
                     lambda: actions.colour_history(con, HK_SECRETARY, Q2, SY_FINANCE, cfg=CFG),
                     lambda: actions.page_data(con, HK_SECRETARY, "unit_portrait", Q2, Scope(), SANYA, cfg=CFG),
                     lambda: actions.report(con, HK_SECRETARY, "unit", Q2, Scope(), cfg=CFG, unit=SY_FINANCE),
                     lambda: actions.snapshot_file(con, HK_SECRETARY, world["all_snapshot"]),
                     lambda: actions.page_data(con, HK_SECRETARY, "group_view", Q2, cfg=CFG)):
            with pytest.raises(AccessDenied):
                call()
        portrait = actions.page_data(con, HK_SECRETARY, "unit_portrait", Q2, Scope(), HK_FINANCE, cfg=CFG)
        quarter = docx_text(actions.report(con, HK_SECRETARY, "quarter", Q2, Scope(units=(YI,)), cfg=CFG)[1])
        month = docx_text(actions.report(con, HK_SECRETARY, "month", None, cfg=CFG, month="2025-06")[1])
    assert leaked(portrait) == [] and leaked(quarter) == [] and leaked(month) == []


def test_filter_options_and_workbooks_are_cut_to_the_subtree(world):
    with reading(world) as con:
        options = actions.filter_options(con, HK_SECRETARY)
        assert set(options["unit"]) == {HAIKOU, HK_FINANCE, f"{HAIKOU}›营业部"}
        assert actions.filter_options(con, HK_HEAD)["unit"] == [HK_FINANCE]
        assert leaked(actions.workbook_units(con, HK_SECRETARY, Q1)) == []
        assert leaked([actions.workbook_collection(con, HK_SECRETARY, Q2),
                       actions.not_reported(con, HK_SECRETARY, Q2)]) == []
        with pytest.raises(AccessDenied):
            actions.update_workbooks(con, HK_SECRETARY, Q2, [SY_FINANCE], cfg=CFG, ledger_cfg=None)


@pytest.mark.parametrize("user", [*SCOPED, HK_HEAD], ids=["secretary", "office", "head"])
def test_nothing_that_spans_every_unit_is_open_to_a_scoped_account(world, user):
    with reading(world) as con:
        for call in (lambda: actions.org_register(con, user), lambda: actions.imports(con, user),
                     lambda: actions.unregistered_units(con, user), lambda: actions.ledger_profiles(con, user),
                     lambda: actions.audit_log(world["db"], user),
                     lambda: actions.audit_export(world["db"], user, "csv")):
            with pytest.raises(AccessDenied):
                call()


def test_a_scoped_export_of_another_node_holds_nothing_of_it(world):
    with reading(world) as con:
        snapshot, content = actions.export(con, HK_SECRETARY, Q2, Scope(units=(HAIKOU, YI)), "xlsx", cfg=CFG)
        try:
            _, none = actions.export(con, HK_SECRETARY, Q2, Scope(units=(SANYA,)), "xlsx", cfg=CFG)
        except DashboardError:
            none = None
    assert set(snapshot.scope.units) <= {HAIKOU, HK_FINANCE, f"{HAIKOU}›营业部"}
    assert leaked(xlsx_text(content)) == []
    assert none is None or leaked(xlsx_text(none)) == []


def test_a_scoped_secretary_sees_and_signs_their_own_subtrees_drafts(writable):
    """Scoped to 海口分公司, the 纪委书记 still sees the drafts addressed to 海口's units (to sign them), and none of
    三亚's."""
    group_office = User("bgs", OFFICE)
    ncfg = notices.notices_config()
    with open_db(writable) as con:
        hk_id, _ = actions.draft_notice(con, group_office, ncfg, Q2, cfg=CFG, kind=notices.KINDS[0], unit=HK_FINANCE,
                                        reply_by=dt.date.today() + dt.timedelta(days=20))
        register = actions.notice_register(con, HK_SECRETARY, dt.date.today())
        assert hk_id in set(register["notice_id"]) and leaked(register) == []
        actions.notice_step(con, HK_SECRETARY, hk_id, notices.SIGN, ncfg=ncfg)
        assert notices.status_of(con, hk_id)[0] == notices.SIGNED
