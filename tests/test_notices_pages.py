"""督办文书 in the app (AppTest): drafted from 预警督办, which then marks the warning; signed and handled on the page
督办文书 by the roles allowed to, each button shown only to them; 逾期未回复 counted among the warnings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import actions
from analytics.access import User
from analytics.db import open_db
from analytics.notices import DELIVER, SIGN, notices_config
from analytics.periods import parse_period
from tests.conftest import CFG, logged_in
from tests.test_notices import quarter_db

FOLLOW_UP, NOTICES = "app_pages/follow_up.py", "app_pages/notices.py"
YEAR = dt.date.today().year


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = quarter_db(tmp_path, "pages.duckdb")
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    return path


def open_page(account: str, page: str):
    at = logged_in(account).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def steps(at) -> list[str]:
    """The lifecycle buttons on the page (not the sidebar's)."""
    return [b.label for b in at.button if (b.key or "").startswith("notices_")]


def draft(db, unit="采购部", reply_by=None) -> tuple[int, str]:
    with open_db(db) as con:
        return actions.draft_notice(con, User("办公室", "纪委办"), notices_config(), parse_period("2025Q2"), cfg=CFG,
                                    kind="督办单", unit=unit, reply_by=reply_by)


def test_the_office_drafts_from_the_warnings_page_which_then_marks_the_warnings(db):
    at = open_page("office", FOLLOW_UP)
    assert {m.label: m.value for m in at.metric}["逾期未回复"] == "0"
    at.selectbox(key="notice_draft_unit").set_value("采购部").run()
    assert at.selectbox(key="notice_draft_kind_采购部").value == "纪检建议书"  # N-4, the unit's highest tier
    at.selectbox(key="notice_draft_kind_采购部").set_value("工作督办单").run()
    at.button(key="notice_draft_button").click().run()
    assert not at.exception
    number = f"X纪督〔{YEAR}〕1号"
    assert any(number in s.value for s in at.success)
    at.run()
    table = next(d.value for d in at.dataframe if "notice" in d.value.columns)
    marked = dict(zip(table["problem_code"], table["notice"], strict=True))
    assert marked["N-1"] == marked["N-2"] == f"{number}（拟稿）" and pd.isna(marked["N-5"])


def test_steps_show_only_to_their_roles_and_advance_the_document(db):
    notice_id, number = draft(db)
    admin = open_page("admin", NOTICES)
    assert admin.title[0].value == "督办文书" and steps(admin) == []  # the register only
    secretary = open_page("secretary", NOTICES)
    assert steps(secretary) == ["签发"]
    assert [b for b in secretary.get("download_button") if "notices_file" in b.proto.id]  # Word (and PDF)
    secretary.button(key=f"notices_{SIGN}_{notice_id}").click().run()
    assert any("已签发" in s.value for s in secretary.success)
    office = open_page("office", NOTICES)
    assert steps(office) == ["送达"]
    office.button(key=f"notices_{DELIVER}_{notice_id}").click().run()
    assert any(f"{number}：已送达" in s.value for s in office.success)
    assert office.text_area(key=f"notices_reply_text_{notice_id}") is not None


def test_a_missed_reply_date_counts_among_the_warnings(db):
    notice_id, number = draft(db, reply_by=dt.date.today())
    with open_db(db) as con:
        actions.notice_step(con, User("书记", "纪委书记"), notice_id, SIGN, ncfg=notices_config(),
                            now=dt.datetime.now() - dt.timedelta(days=1))
        con.execute("UPDATE notices SET reply_by = ? WHERE notice_id = ?",  # the reply date has passed since
                    [dt.date.today() - dt.timedelta(days=2), notice_id])
    at = open_page("secretary", FOLLOW_UP)
    assert {m.label: m.value for m in at.metric}["逾期未回复"] == "1"
    late = next(d.value for d in at.dataframe if "days_late" in d.value.columns)
    assert late[["number", "days_late"]].values.tolist() == [[number, 2]]


def test_a_department_head_sees_only_their_units_delivered_documents(db):
    ours, _ = draft(db)
    theirs, _ = draft(db, unit="物流部")
    head = open_page("head", NOTICES)
    assert "还没有督办文书" in head.info[0].value  # drafts are not yet theirs
    with open_db(db) as con:
        for notice_id in (ours, theirs):
            actions.notice_step(con, User("书记", "纪委书记"), notice_id, SIGN, ncfg=notices_config())
            actions.notice_step(con, User("办公室", "纪委办"), notice_id, DELIVER, ncfg=notices_config())
    head = open_page("head", NOTICES)
    register = next(d.value for d in head.dataframe if "number" in d.value.columns)
    assert register["unit"].tolist() == ["采购部"]
    assert steps(head) == []
    # the document itself carries the rules that warranted it: not downloaded by the unit
    assert not [b for b in head.get("download_button") if "notices_file" in b.proto.id]
