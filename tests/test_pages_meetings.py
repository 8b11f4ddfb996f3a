"""会商督办 and 回头看与案例库 run headless (AppTest): the office records a meeting, a decision, its progress, a
回头看 result and a case through the pages; a member reads without the forms; a department head has neither page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics import actions, audit
from analytics.access import MEMBER, User
from analytics.db import connect, open_db
from analytics.periods import Period
from tests.conftest import CFG, logged_in
from tests.fixtures import two_quarters

MEETINGS, LOOKBACK = "app_pages/meetings.py", "app_pages/lookback.py"


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "m.duckdb"
    con = connect(path)
    two_quarters(con, tmp_path)
    con.close()
    return path


def open_page(monkeypatch, db: Path, page: str, account: str = "office"):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(account).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_office_records_a_meeting_a_decision_and_its_progress(monkeypatch, db):
    at = open_page(monkeypatch, db, MEETINGS)
    assert at.title[0].value == "会商督办"
    at.text_input(key="meet_new_people").input("纪委书记、纪委委员")
    button(at, "保存会商记录").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_area[0].input("督促冶炼厂完成采购论证整改")
    at.text_input[0].input("冶炼厂")
    button(at, "保存议定事项").click().run()
    assert not at.error, [e.value for e in at.error]
    at.text_area[0].input("已约谈冶炼厂负责人")
    button(at, "记录进展").click().run()
    assert not at.error, [e.value for e in at.error]
    with open_db(db, read_only=True) as con:
        listed = actions.supervision_list(con, User("m", MEMBER), dt.date.today())
    assert listed[["matter", "unit", "notes"]].values.tolist() == [["督促冶炼厂完成采购论证整改", "冶炼厂", 1]]
    trail = audit.entries(db, newest_first=False)
    assert [a for a in trail["action"] if a != "import"][-3:] == ["meeting_record", "decision_add",
                                                                  "decision_progress"]


def test_the_office_records_a_lookback_result_and_a_case(monkeypatch, db):
    at = open_page(monkeypatch, db, LOOKBACK)
    assert at.title[0].value == "回头看与案例库"
    at.radio[0].set_value("改而复发")
    at.text_area[0].input("培训记录又有缺失")
    button(at, "登记复查结果").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="case_find").input("A-4").run()
    next(t for t in at.text_input if t.label == "案例标签").input("作风，宴请")
    button(at, "列入案例库").click().run()
    assert not at.error, [e.value for e in at.error]
    with open_db(db, read_only=True) as con:
        member = User("m", MEMBER)
        assert actions.lookback_summary(con, member)["recurred"].tolist() == [1]
        assert list(actions.case_library(con, member)["tags"].iloc[0]) == ["作风", "宴请"]
        assert not actions.lookback_sheet(con, member, Period(2024, 2), cfg=CFG)["result"].isna().all()


def test_a_member_reads_without_the_forms(monkeypatch, db):
    at = open_page(monkeypatch, db, MEETINGS, "member")
    assert [t.label for t in at.tabs] == ["督办清单", "会商记录"]
    assert not [b for b in at.button if b.label in ("保存会商记录", "记录进展")]
    at = open_page(monkeypatch, db, LOOKBACK, "member")
    assert not [b for b in at.button if b.label in ("登记复查结果", "列入案例库")]


@pytest.mark.parametrize("page", [MEETINGS, LOOKBACK])
def test_a_department_head_has_neither_page(monkeypatch, db, page):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in("head").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
