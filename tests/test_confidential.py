"""Confidentiality inside one's own unit: a department head never sees a complaint about their unit (信访举报,
counts included) nor the 纪委's deliberations (warning reasoning, the agenda, scores, likely repeats, the portrait),
by any page, view or export. The policy is data/access.toml's [parts] and [confidential]."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest

from analytics import actions
from analytics.access import (
    HEAD,
    MEMBER,
    PARTS,
    SECRETARY,
    AccessDenied,
    Policy,
    User,
    hidden_sources,
    load_policy,
    scope_for,
    sees,
    with_policy,
)
from analytics.db import connect, open_db
from analytics.errors import ConfigError
from analytics.export.snapshot import AGENDA, HEADLINE, OVERDUE, RATES, SCORES, TRENDS, WARNINGS
from analytics.metrics import ALL, Scope
from analytics.periods import parse_period
from tests.conftest import CFG, load, logged_in, write_xlsx
from tests.fixtures import HEADER
from tests.test_access import page_bytes

PERIOD = parse_period("2025Q2")  # ends 2025-06-30
UNIT = "采购部"
# the complaints: 信访 is read as the source 信访举报
COMPLAINT, OTHER_COMPLAINT = "反映采购员收受供应商礼金", "反映报销审批走过场"
ROWS = [
    # 10 days left at the quarter's end: a 工作提醒函
    ["C-1", "巡察", "作风建设", "采购台账登记不全", UNIT, "2025-04-10", "2025-07-10", "整改中", None, "一般", "否"],
    # 20 days overdue: a 工作提醒函 (up to 30)
    ["C-2", "审计", "廉洁建设", "供应商评审记录缺失", UNIT, "2025-03-01", "2025-06-10", "整改中", None, "一般", "否"],
    # 10 days overdue, from a complaint
    ["C-3", "信访", "廉洁建设", COMPLAINT, UNIT, "2025-04-20", "2025-06-20", "整改中", None, "较重", "否"],
    ["C-4", "信访", "作风建设", OTHER_COMPLAINT, "财务部", "2025-04-01", "2025-09-30", "整改中", None, "一般", "否"],
    ["C-5", "巡察", "两个责任", "预算执行不到位", "财务部", "2025-04-02", "2025-05-31", "已销号", "2025-05-20",
     "一般", "否"],
]
HEAD_USER = User("head", HEAD, UNIT)  # the account tests/conftest.py makes; the default policy applies
SECRETARY_USER = User("secretary", SECRETARY)
SECRET = (COMPLAINT, OTHER_COMPLAINT, "信访举报")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("confidential")
    path = folder / "c.duckdb"
    con = connect(path)
    result = load(con, write_xlsx(folder / "2025年第二季度问题整改台账.xlsx", {"台账": [HEADER, *ROWS]}))
    assert result.outcome == "imported", [i.message() for i in result.issues]
    con.close()
    return path


def text_of(data: object) -> str:
    """Every value of a view's result, frames as CSV, recursively."""
    if isinstance(data, dict):
        return " ".join(f"{k} {text_of(v)}" for k, v in data.items())
    if isinstance(data, list | tuple):
        return " ".join(map(text_of, data))
    return data.to_csv() if hasattr(data, "to_csv") else str(data)


# ---- the policy ----

def test_the_shipped_policy_is_the_conservative_default():
    assert load_policy() == Policy()
    assert Policy().confidential_sources == ("信访举报",)
    assert {p for p in PARTS if sees(HEAD_USER, p)} == {"figures", "problems", "reminders"}
    assert {p for p in PARTS if sees(SECRETARY_USER, p)} == set(PARTS)
    assert hidden_sources(HEAD_USER) == ("信访举报",) and hidden_sources(SECRETARY_USER) == ()


def test_a_head_made_without_the_policy_still_sees_no_confidential_source():
    """A User built anywhere without with_policy (the CLI, a test) gets the conservative defaults, not everything."""
    assert not sees(User("h", HEAD, UNIT), "agenda")
    assert scope_for(User("h", HEAD, UNIT), ALL).hidden_sources == ("信访举报",)


def test_the_policy_file_can_widen_or_narrow_what_a_role_sees(tmp_path):
    path = tmp_path / "access.toml"
    path.write_text('[parts]\n"部门负责人" = ["figures", "problems", "reminders", "confidential"]\n'
                    '"纪委委员" = ["figures", "scores"]\n[confidential]\nsources = ["信访举报", "巡视巡察"]\n',
                    encoding="utf-8")
    policy = load_policy(path)
    head, member = with_policy(HEAD_USER, policy), with_policy(User("m", MEMBER), policy)
    assert hidden_sources(head) == () and sees(head, "confidential")
    assert hidden_sources(member) == ("信访举报", "巡视巡察") and not sees(member, "agenda")


@pytest.mark.parametrize(("text", "message"), [
    ('[parts]\n"部门负责人" = ["figures", "everything"]\n', "未知的部分"),
    ('[parts]\n"处长" = ["figures"]\n', "未知的角色"),
    ('[parts]\n"部门负责人" = "figures"\n', "应为部分名称的列表"),
    ('[confidential]\nsources = "信访举报"\n', "[confidential]"),
    ('[confidential]\nroles = ["部门负责人"]\n', "[confidential]"),
])
def test_a_wrong_policy_is_refused_in_chinese(tmp_path, text, message):
    path = tmp_path / "access.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_policy(path)


# ---- the views ----

def test_a_heads_figures_leave_the_complaint_out_counts_included(db):
    """Hand-counted: 采购部 has three problems, two overdue (C-2, C-3); without the complaint two and one."""
    with open_db(db, read_only=True) as con:
        head = actions.page_data(con, HEAD_USER, "overview", PERIOD, ALL, cfg=CFG)["headline"]
        theirs = actions.page_data(con, SECRETARY_USER, "overview", PERIOD, Scope(units=(UNIT,)), cfg=CFG)["headline"]
        trends = actions.page_data(con, HEAD_USER, "problem_trends", PERIOD, ALL, cfg=CFG)
        sources = actions.filter_options(con, HEAD_USER)["source"]
    assert (theirs["total"], theirs["overdue"]) == (3, 2)
    assert (head["total"], head["overdue"]) == (2, 1)
    assert set(trends["by_source"]["source"]) == {"巡视巡察", "审计"}
    assert "信访举报" not in sources


@pytest.mark.parametrize("name", ["overview", "problem_trends", "rectification", "follow_up"])
def test_no_view_a_head_gets_holds_a_complaint(db, name):
    with open_db(db, read_only=True) as con:
        data = actions.page_data(con, HEAD_USER, name, PERIOD, ALL, cfg=CFG)
        theirs = actions.page_data(con, SECRETARY_USER, name, PERIOD, Scope(units=(UNIT,)), cfg=CFG)
        # asking for the confidential source by name gives nothing either
        asked = actions.page_data(con, HEAD_USER, name, PERIOD, Scope(sources=("信访举报",)), cfg=CFG)
    if name in ("rectification", "follow_up"):  # the check can fail: the secretary sees the complaint there
        assert COMPLAINT in text_of(theirs)
    assert [s for s in SECRET if s in text_of(data)] == []
    assert [s for s in SECRET if s in text_of(asked)] == []


def test_a_head_gets_the_reminders_addressed_to_them_without_the_reasoning(db):
    with open_db(db, read_only=True) as con:
        data = actions.page_data(con, HEAD_USER, "follow_up", PERIOD, ALL, cfg=CFG)
        overview = actions.page_data(con, HEAD_USER, "overview", PERIOD, ALL, cfg=CFG)
        theirs = actions.page_data(con, SECRETARY_USER, "follow_up", PERIOD, Scope(units=(UNIT,)), cfg=CFG)
    assert "agenda" in theirs and "rule" in theirs["warnings"].columns
    assert set(data) == {"warnings", "by_tier", "counts"}  # no agenda
    assert data["counts"] == {"工作提醒函": 2} and overview["warnings"] == {"工作提醒函": 2}
    rows = data["warnings"].sort_values("problem_code")
    assert list(rows["problem_code"]) == ["C-1", "C-2"]
    assert list(rows["days_left"]) == [10, -20]
    assert [f"{d:%Y-%m-%d}" for d in rows["deadline"]] == ["2025-07-10", "2025-06-10"]
    assert not {"rule", "figure"} & set(rows.columns)


def test_a_head_gets_no_score_lookback_portrait_or_deductions(db):
    with open_db(db, read_only=True) as con:
        overview = actions.page_data(con, HEAD_USER, "overview", PERIOD, ALL, cfg=CFG)
        rectification = actions.page_data(con, HEAD_USER, "rectification", PERIOD, ALL, cfg=CFG)
        for name, extra in (("scores", ()), ("unit_portrait", (UNIT,))):
            with pytest.raises(AccessDenied, match="无权查看"):
                actions.page_data(con, HEAD_USER, name, PERIOD, ALL, *extra, cfg=CFG)
        with pytest.raises(AccessDenied, match="八维评分"):
            actions.deductions(con, HEAD_USER, PERIOD, UNIT, None, cfg=CFG)
    assert not {"company", "company_previous", "worst_units"} & set(overview)
    assert not {"lookback", "lookback_seed", "lookback_size"} & set(rectification)
    assert set(rectification["bands"]["problem_code"]) == {"C-1", "C-2"}


# ---- the exports ----

def exported_text(content: bytes, fmt: str, tmp_path: Path) -> str:
    if fmt == "html":
        return content.decode()
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(content))
        return " ".join([ws.title for ws in wb] + [str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                                                   if c.value is not None])
    if fmt == "docx":
        doc = docx.Document(io.BytesIO(content))
        return " ".join([p.text for p in doc.paragraphs]
                        + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    path = tmp_path / "s.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("fmt", ["xlsx", "html", "docx", "pdf"])
def test_a_heads_export_holds_no_complaint_no_agenda_and_no_score(db, tmp_path, fmt):
    if fmt == "pdf" and shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) 未安装")
    with open_db(db, read_only=True) as con:
        snapshot, content = actions.export(con, HEAD_USER, PERIOD, ALL, fmt, cfg=CFG)
        _, theirs = actions.export(con, SECRETARY_USER, PERIOD, Scope(units=(UNIT,)), fmt, cfg=CFG)
    assert snapshot.sections == (HEADLINE, TRENDS, RATES, OVERDUE, WARNINGS)
    text, their_text = exported_text(content, fmt, tmp_path), exported_text(theirs, fmt, tmp_path)
    for shown_to_the_secretary in (COMPLAINT, AGENDA, SCORES, "综合得分", "触发规则"):
        assert shown_to_the_secretary in their_text  # the check below can fail
        assert shown_to_the_secretary not in text
    assert "信访举报" not in text
    assert "供应商评审记录缺失" in text and "工作提醒函" in text  # the reminders and the overdue list are there


def test_a_head_cannot_list_or_download_a_snapshot_made_for_the_secretary(db, tmp_path):
    copy = tmp_path / "c.duckdb"
    shutil.copy(db, copy)
    with open_db(copy) as con:
        theirs, content = actions.export(con, SECRETARY_USER, PERIOD, Scope(units=(UNIT,)), "html", cfg=CFG)
        their_id, _ = actions.record_export(con, SECRETARY_USER, theirs, "html", content)
        mine, content = actions.export(con, HEAD_USER, PERIOD, ALL, "html", cfg=CFG)
        mine_id, _ = actions.record_export(con, HEAD_USER, mine, "html", content)
        assert list(actions.snapshots(con, HEAD_USER)["snapshot_id"]) == [mine_id]
        with pytest.raises(AccessDenied, match="只能下载本角色可查看的快照"):
            actions.snapshot_file(con, HEAD_USER, their_id)
        with pytest.raises(AccessDenied):  # nor recorded under the head's name
            actions.record_export(con, HEAD_USER, theirs, "html", b"x")
        # a snapshot recorded before parts were (parts NULL) is the whole picture: the secretary's alone
        con.execute("UPDATE snapshots SET parts = NULL WHERE snapshot_id = ?", [mine_id])
        assert list(actions.snapshots(con, HEAD_USER)["snapshot_id"]) == []
        assert set(actions.snapshots(con, SECRETARY_USER)["snapshot_id"]) == {their_id, mine_id}


# ---- the pages ----

HEAD_PAGES = ["app_pages/overview.py", "app_pages/trends.py", "app_pages/rectification.py",
              "app_pages/follow_up.py", "app_pages/export_snapshot.py", "app_pages/account.py"]


@pytest.mark.parametrize("page", HEAD_PAGES)
def test_no_page_shows_a_head_a_complaint_or_the_agenda(monkeypatch, db, page):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("head").run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = page_bytes(at)
    assert UNIT.encode() in shown
    if page.endswith("account.py"):  # 我的账户 names the hidden source and the parts the head does not see
        assert [s for s in SECRET[:2] if s.encode() in shown] == []
        return
    assert [s for s in SECRET if s.encode() in shown] == []
    assert [s for s in ("会商议题", "触发规则", "综合得分", "回头看") if s.encode() in shown] == []


def test_the_secretary_sees_the_complaint_on_the_same_pages(monkeypatch, db):
    """The check above can fail."""
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("secretary").run()
    at.switch_page("app_pages/follow_up.py").run()
    shown = page_bytes(at)
    assert COMPLAINT.encode() in shown and "会商议题".encode() in shown


@pytest.mark.parametrize("page", ["app_pages/scores.py", "app_pages/unit_portrait.py"])
def test_a_head_has_no_score_or_portrait_page(monkeypatch, db, page):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("head").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


def test_my_account_lists_what_the_role_sees(monkeypatch, db):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("head").run()
    at.switch_page("app_pages/account.py").run()
    listed = " ".join(m.value for m in at.markdown)
    for part, label in PARTS.items():
        assert label in listed
        assert (f"✅{label}" in listed) == (part in {"figures", "problems", "reminders"})
    assert "信访举报的问题对本角色不可见" in " ".join(c.value for c in at.caption)


def test_a_broken_policy_file_stops_every_page_with_its_message(monkeypatch, db, tmp_path):
    broken = tmp_path / "access.toml"
    broken.write_text('[parts]\n"部门负责人" = ["figures", "all"]\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setattr("app_pages.common.load_policy", lambda: load_policy(broken))
    at = logged_in("head").run()
    assert not at.exception
    assert "未知的部分" in at.error[0].value
    assert UNIT.encode() not in page_bytes(at)
