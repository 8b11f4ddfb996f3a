"""Access control: roles decide what each page shows and each action allows, in the analytics layer; a
department head sees only their own unit's rows, by any page or export."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import openpyxl
import pytest

from analytics import actions, audit, config, views
from analytics.access import (
    ADMIN,
    HEAD,
    MEMBER,
    OFFICE,
    PARTS,
    PERMISSIONS,
    SECRETARY,
    AccessDenied,
    Policy,
    User,
    can,
    scope_for,
    with_policy,
)
from analytics.config import access_settings, audit_path
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.ingest.parse import parse_file
from analytics.metrics import ALL, Scope
from analytics.periods import parse_period
from analytics.users import DEMO_PASSWORD, NAME_MAX, Throttle, UserStore, demo_accounts
from tests.conftest import ACCOUNTS, CFG, PASSWORD, dashboard, logged_in
from tests.fixtures import HEADER, Q1, write_xlsx

HEAD_UNIT = ACCOUNTS["head"][1]
HEAD_USER = User("head", HEAD, HEAD_UNIT)
# a department head whose policy shows every part (tests/test_confidential.py: what the default one hides): the
# unit is the limit these tests hold
EVERY_PART = Policy(role_parts=((HEAD, frozenset(PARTS)),))
HEAD_EVERY_PART = with_policy(HEAD_USER, EVERY_PART)
PERIOD = parse_period("2025Q2")


def other_units(db: Path) -> list[str]:
    with open_db(db, read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT unit FROM problem_state WHERE unit IS NOT NULL AND unit <> ?", [HEAD_UNIT]).fetchall()]


def leaked(data: object, units: list[str]) -> list[str]:
    """Other units named anywhere in a view's result: every frame cell, dict key and value, recursively."""
    text = repr_all(data)
    return [u for u in units if u in text]


def repr_all(data: object) -> str:
    if isinstance(data, dict):
        return " ".join(f"{k} {repr_all(v)}" for k, v in data.items())
    if isinstance(data, list | tuple):
        return " ".join(map(repr_all, data))
    if hasattr(data, "to_csv"):
        return data.to_csv()
    return str(data)


# ---- the roles ----

@pytest.mark.parametrize(("role", "allowed"), [
    (ADMIN, {"view", "all_units", "supervision", "export", "import", "undo", "audit", "users", "follow_record", "org",
             "notices", "group"}),
    (SECRETARY, {"view", "all_units", "supervision", "export", "import", "undo", "audit", "follow_record", "org",
                 "notices", "notice_sign", "group"}),
    (OFFICE, {"view", "all_units", "supervision", "export", "import", "undo", "follow_record", "org", "notices",
              "notice_draft", "notice_handle", "group"}),
    (MEMBER, {"view", "all_units", "group", "supervision", "export", "notices"}),
    (HEAD, {"view", "export", "notices"}),
])
def test_what_each_role_may_do(role, allowed):
    user = User("x", role, HEAD_UNIT if role == HEAD else None)
    assert {p for p in PERMISSIONS if can(user, p)} == allowed


def test_a_department_heads_scope_is_pinned_to_their_unit():
    assert scope_for(HEAD_EVERY_PART, ALL) == Scope(units=(HEAD_UNIT,), within=(HEAD_UNIT,))
    # asking for another unit gives nothing, not that unit
    assert scope_for(HEAD_USER, Scope(units=("物流部",))).units == ()
    assert scope_for(User("m", MEMBER), Scope(units=("物流部",))) == Scope(units=("物流部",))


# ---- a department head through the analytics layer ----

@pytest.mark.parametrize("name", ["overview", "problem_trends", "rectification", "scores", "follow_up"])
def test_a_department_head_sees_no_other_unit_in_any_view(demo_db, name):
    others = other_units(demo_db)
    with open_db(demo_db, read_only=True) as con:
        data = actions.page_data(con, HEAD_EVERY_PART, name, PERIOD, ALL, cfg=CFG)
        everything = views.__dict__[name](con, PERIOD, ALL, **({} if name == "problem_trends" else {"cfg": CFG}))
    assert leaked(everything, others), "the unrestricted view names other units (the check below means something)"
    assert leaked(data, others) == []
    for value in data.values():
        if hasattr(value, "columns") and "unit" in value.columns:
            assert set(value["unit"].dropna()) <= {HEAD_UNIT}


def test_a_department_heads_unit_portrait_compares_with_nothing_outside_it(demo_db):
    others = other_units(demo_db)
    with open_db(demo_db, read_only=True) as con:
        data = actions.page_data(con, HEAD_EVERY_PART, "unit_portrait", PERIOD, ALL, HEAD_UNIT, cfg=CFG)
        assert set(data["ranking"]["unit"]) == {HEAD_UNIT}  # the unrestricted view ranks every unit
        assert leaked(data, others) == []
        with pytest.raises(AccessDenied, match="只能查看本单位"):
            actions.page_data(con, HEAD_EVERY_PART, "unit_portrait", PERIOD, ALL, others[0], cfg=CFG)
        with pytest.raises(AccessDenied, match="监督清单"):
            actions.page_data(con, HEAD_EVERY_PART, "supervision", PERIOD, cfg=CFG)
        with pytest.raises(AccessDenied):
            actions.deductions(con, HEAD_EVERY_PART, PERIOD, others[0], None, cfg=CFG)
        assert leaked(actions.deductions(con, HEAD_EVERY_PART, PERIOD, HEAD_UNIT, None, cfg=CFG), others) == []
        assert actions.filter_options(con, HEAD_EVERY_PART)["unit"] == [HEAD_UNIT]


@pytest.mark.parametrize("fmt", ["xlsx", "html"])
def test_a_department_heads_export_holds_only_their_unit(demo_db, fmt):
    others = other_units(demo_db)
    with open_db(demo_db, read_only=True) as con:
        snapshot, content = actions.export(con, HEAD_EVERY_PART, PERIOD, ALL, fmt, cfg=CFG)
        _, everything = actions.export(con, User("m", MEMBER), PERIOD, ALL, fmt, cfg=CFG)
    text = html_or_xlsx_text(content, fmt)
    assert leaked(vars(snapshot), others) == []  # what every writer (docx and pdf too) draws from
    assert [u for u in others if u in html_or_xlsx_text(everything, fmt)]
    assert [u for u in others if u in text] == []
    assert snapshot.scope_label == f"单位：{HEAD_UNIT}"


def html_or_xlsx_text(content: bytes, fmt: str) -> str:
    if fmt == "html":
        return content.decode()
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def test_a_department_head_cannot_list_or_download_other_snapshots(demo_db, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    member = User("member", MEMBER)
    with open_db(db) as con:
        company, content = actions.export(con, member, PERIOD, ALL, "html", cfg=CFG)
        company_id, _ = actions.record_export(con, member, company, "html", content)
        mine, content = actions.export(con, HEAD_USER, PERIOD, ALL, "html", cfg=CFG)
        mine_id, _ = actions.record_export(con, HEAD_USER, mine, "html", content)
        assert list(actions.snapshots(con, HEAD_USER)["snapshot_id"]) == [mine_id]
        assert set(actions.snapshots(con, member)["snapshot_id"]) == {company_id, mine_id}
        with pytest.raises(AccessDenied, match="只能下载本角色可查看的快照"):
            actions.snapshot_file(con, HEAD_USER, company_id)
        assert actions.snapshot_file(con, HEAD_USER, mine_id)[1] == content
        # a snapshot built for everyone cannot be recorded under a department head's name either
        with pytest.raises(AccessDenied):
            actions.record_export(con, HEAD_USER, company, "html", b"x")


# ---- writes need the right role ----

@pytest.mark.parametrize("account", ["member", "head"])
def test_only_the_discipline_office_imports_and_undoes(tmp_path, account):
    db = tmp_path / "d.duckdb"
    first = write_xlsx(tmp_path / "2024年第一季度问题整改台账.xlsx", {"台账": [HEADER, *Q1]})
    parsed = parse_file(first.name, first.read_bytes())
    user = User(account, *ACCOUNTS[account])
    with open_db(db) as con:
        with pytest.raises(AccessDenied, match="无权导入台账"):
            actions.import_file(con, user, parsed, cfg=CFG)
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
        result = actions.import_file(con, User("office", OFFICE), parsed, cfg=CFG)
        assert result.outcome == "imported"
        with pytest.raises(AccessDenied, match="无权撤销导入"):
            actions.undo(con, user, result.import_id, cfg=CFG)
        assert con.execute("SELECT undone_at FROM imports").fetchone()[0] is None


def test_account_changes_need_the_administrator(tmp_path):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(AccessDenied, match="无权管理用户"):
        actions.add_user(tmp_path / "d.duckdb", store, User("s", SECRETARY), "new", MEMBER, "long-enough-1")
    actions.add_user(tmp_path / "d.duckdb", store, User("a", ADMIN), "new", MEMBER, "long-enough-1")
    assert store.get("new").role == MEMBER
    with pytest.raises(DashboardError, match="部门负责人须指定所在单位"):
        actions.change_role(tmp_path / "d.duckdb", store, User("a", ADMIN), "new", HEAD)


# ---- the same through the pages ----

HEAD_PAGES = ["app_pages/overview.py", "app_pages/trends.py", "app_pages/rectification.py", "app_pages/scores.py",
              "app_pages/unit_portrait.py", "app_pages/follow_up.py", "app_pages/export_snapshot.py",
              "app_pages/account.py"]


def page_bytes(at) -> bytes:
    """Everything the page sent to the browser: each element's message, tables and charts included."""
    out = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return b"".join(out)


@pytest.mark.parametrize("page", HEAD_PAGES)
def test_a_department_head_sees_only_their_unit_on_every_page(monkeypatch, demo_db, page):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setattr("app_pages.common.load_policy", lambda: EVERY_PART)
    at = logged_in("head").run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = page_bytes(at)
    assert HEAD_UNIT.encode() in shown
    assert [u for u in other_units(demo_db) if u.encode() in shown] == []


def test_the_secretary_sees_every_unit_on_the_overview(monkeypatch, demo_db):
    """The check above can fail: the same page shows other units to someone allowed to see them."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in("secretary").run()
    assert not at.exception
    assert [u for u in other_units(demo_db) if u.encode() in page_bytes(at)]


RESTRICTED = {"监督清单": "app_pages/supervision.py", "台账导入": "app_pages/import_ledgers.py",
              "映射方案": "app_pages/profiles.py", "审计日志": "app_pages/audit_log.py",
              "用户管理": "app_pages/users.py"}


@pytest.mark.parametrize(("account", "hidden"), [
    ("head", {"监督清单", "台账导入", "映射方案", "审计日志", "用户管理"}),
    ("member", {"台账导入", "映射方案", "审计日志", "用户管理"}),
    ("office", {"审计日志", "用户管理"}),
    ("secretary", {"用户管理"}),
    ("admin", set()),
])
def test_navigation_offers_only_what_the_role_allows(monkeypatch, demo_db, account, hidden):
    """A page the role may not use is not registered at all: no menu entry, no address that opens it."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in(account).run()
    for title, page in RESTRICTED.items():
        if title in hidden:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
        else:
            at.switch_page(page).run()
            assert not at.exception and at.title[0].value == title


# ---- logging in ----

def test_no_page_shows_data_before_login(monkeypatch, demo_db):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = dashboard().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["政治生态分析研判看板"]
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox
    with pytest.raises(ValueError, match=r"Known pages: \['/.*/app_pages/login.py'\]"):
        at.switch_page("app_pages/overview.py")  # the login page is the only page there is


def login_page(monkeypatch, db: Path, users: Path):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    return dashboard().run()


def submit(at, name: str, password: str):
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    return at.button[0].click().run()


def test_login_with_the_right_password_opens_the_overview(monkeypatch, demo_db, accounts_file):
    at = login_page(monkeypatch, demo_db, accounts_file)
    at = submit(at, "secretary", "wrong-password")
    assert "用户名或密码错误" in at.error[0].value and not at.metric
    at = submit(at, "secretary", PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"] and at.metric


def test_failed_logins_make_the_next_attempt_wait(monkeypatch, tmp_path, accounts_file):
    """After three wrong passwords even the right one is refused until the wait is over."""
    users = tmp_path / "users.json"
    shutil.copy(accounts_file, users)
    at = login_page(monkeypatch, tmp_path / "none.duckdb", users)
    account = f"member-{time.time_ns()}"  # the failure count lives in the server process: a name of its own
    UserStore(users).add(account, MEMBER, PASSWORD)
    for _ in range(3):
        at = submit(at, account, "wrong-password")
    assert "秒后再试" in at.error[0].value
    at = submit(at, account, PASSWORD)
    assert "登录失败次数过多" in at.error[0].value and not at.metric


def test_demo_accounts_are_shown_on_the_login_page(monkeypatch, tmp_path):
    users = tmp_path / "users.json"
    demo = tmp_path / "demo.duckdb"
    monkeypatch.setattr(config, "DEFAULT_DB", demo)  # this database is the bundled demo here
    assert demo_accounts(UserStore(users), HEAD_UNIT) == ["demo", "demo-head"]
    at = login_page(monkeypatch, demo, users)
    hint = at.info[0].value
    assert "demo" in hint and DEMO_PASSWORD in hint and f"部门负责人：{HEAD_UNIT}" in hint
    at = submit(at, "demo", DEMO_PASSWORD)
    assert not at.exception and "demo" in at.sidebar.caption[-2].value
    # once its password is changed the page stops printing it
    UserStore(users).set_password("demo", "another-secret")
    assert "demo（" not in login_page(monkeypatch, demo, users).info[0].value


def test_demo_accounts_cannot_open_any_other_database(monkeypatch, tmp_path):
    """Their password is printed in the README: on real data they are refused, and not even hinted at."""
    users = tmp_path / "users.json"
    demo_accounts(UserStore(users), HEAD_UNIT)
    real = tmp_path / "real.duckdb"
    at = login_page(monkeypatch, real, users)
    assert not any(DEMO_PASSWORD in i.value for i in at.info)
    at = submit(at, "demo", DEMO_PASSWORD)
    assert not at.exception and "演示账号只能登录演示数据库" in at.error[0].value and not at.metric
    refused = [e for e in audit.entries(real).to_dict("records") if e["action"] == "login_failed"]
    assert len(refused) == 1 and "演示账号" in refused[0]["outcome"]


def test_an_idle_session_ends(monkeypatch, demo_db):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in("secretary")
    hour_ago = time.time() - 3600
    at.session_state["auth"] = {"name": "secretary", "since": hour_ago, "seen": hour_ago}
    at.run()
    assert "长时间未操作" in at.warning[0].value
    assert not at.metric and not at.dataframe


def test_every_session_ends_after_the_maximum(monkeypatch, demo_db):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in("secretary")
    at.session_state["auth"] = {"name": "secretary", "since": time.time() - 13 * 3600, "seen": time.time()}
    at.run()
    assert "超过最长时间" in at.warning[0].value
    assert not at.metric


def test_a_role_change_or_removal_ends_the_session_at_the_next_click(monkeypatch, demo_db, tmp_path, accounts_file):
    """A demoted or removed user's open page does not keep showing what the old role saw."""
    users = tmp_path / "users.json"
    shutil.copy(accounts_file, users)
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    at = logged_in("member").run()
    assert at.sidebar.multiselect(key="filter_units")
    UserStore(users).set_role("member", HEAD, HEAD_UNIT)
    at.run()
    assert "角色已由管理员变更" in at.warning[0].value and not at.metric
    at = logged_in("member").run()  # logged in again: the new role
    assert at.metric and not [m for m in at.sidebar.multiselect if m.key == "filter_units"]
    UserStore(users).remove("member")
    at.run()
    assert "账户已被删除" in at.warning[0].value and not at.metric
    ended = audit.entries(demo_db).query("action == 'session_ended'").sort_values("seq")["outcome"].tolist()
    assert ended == ["管理员变更了角色", "账户已被删除"]


# ---- password rules and login names ----

@pytest.mark.parametrize(("name", "password", "message"), [
    ("zhang", "short", "密码至少 8 位"),
    ("zhangsan", "zhangsan", "不能与用户名相同"),
    ("zhangsan", "ZhangSan", "不能与用户名相同"),
    ("zhangsan", "nasgnahz", "用户名倒写"),
    ("zhang", "88888888", "同一个字符的重复"),
    ("zhang", "        ", "同一个字符的重复"),
    ("zhang", "12345678", "常见密码"),
    ("zhang", "PassW0rd", "常见密码"),
    ("zhang", "woaini1314", "常见密码"),
    ("zhang", "1qaz2wsx", "常见密码"),
])
def test_weak_passwords_are_refused_with_the_rule_named(tmp_path, name, password, message):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(DashboardError, match=message):
        store.add(name, MEMBER, password)
    assert store.accounts() == {}
    store.add(name, MEMBER, "long-enough-1")
    with pytest.raises(DashboardError, match=message):
        store.set_password(name, password)
    assert store.verify(name, "long-enough-1")


def test_the_demo_password_passes_the_rules(tmp_path):
    store = UserStore(tmp_path / "users.json")
    assert demo_accounts(store, HEAD_UNIT) == ["demo", "demo-head"]
    assert store.verify("demo", DEMO_PASSWORD) and store.verify("demo-head", DEMO_PASSWORD)


def test_a_login_name_longer_than_the_limit_is_refused_at_creation(tmp_path):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(DashboardError, match=f"用户名最长 {NAME_MAX} 个字符（收到 {NAME_MAX + 1} 个）"):
        store.add("a" * (NAME_MAX + 1), MEMBER, "long-enough-1")
    with pytest.raises(DashboardError, match="用户名须为"):
        store.add("zhang\n", MEMBER, "long-enough-1")
    store.add("a" * NAME_MAX, MEMBER, "long-enough-1")


def test_a_failed_login_with_a_huge_name_leaves_a_short_audit_entry(tmp_path, accounts_file):
    db, store = tmp_path / "d.duckdb", UserStore(accounts_file)
    who, why = actions.login(db, store, Throttle(access_settings()), "x" * 10_000, "wrong-password")
    assert who is None and why.startswith("用户名或密码错误")
    trail = audit_path(db).read_text(encoding="utf-8")
    assert len(trail) < 1000 and "x" * (NAME_MAX + 1) not in trail
    assert audit.entries(db).query("action == 'login_failed'")["who"].tolist() == ["x" * NAME_MAX + "…（已截断）"]


def test_the_login_page_logs_a_huge_name_cut(monkeypatch, tmp_path, accounts_file):
    db = tmp_path / "none.duckdb"
    at = submit(login_page(monkeypatch, db, accounts_file), "名" * 10_000, "wrong-password")
    assert "用户名或密码错误" in at.error[0].value and not at.metric
    failed = [line for line in audit_path(db).read_text(encoding="utf-8").splitlines() if '"login_failed"' in line]
    assert len(failed) == 1 and len(failed[0]) < 1000 and "名" * NAME_MAX + "…（已截断）" in failed[0]


def test_the_users_page_refuses_a_weak_password_and_says_why(monkeypatch, demo_db, tmp_path, accounts_file):
    users = tmp_path / "users.json"
    shutil.copy(accounts_file, users)
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    at = logged_in("admin").run()
    at.switch_page("app_pages/users.py").run()
    at.text_input[0].set_value("wangwu")
    at.text_input[1].set_value("5201314520")
    at.button(key="add_submit").click().run()
    assert not at.exception and "常见密码" in at.error[0].value
    assert UserStore(users).get("wangwu") is None


def test_the_account_page_refuses_ones_own_name_as_password(monkeypatch, demo_db, tmp_path, accounts_file):
    users = tmp_path / "users.json"
    shutil.copy(accounts_file, users)
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    at = logged_in("secretary").run()
    at.switch_page("app_pages/account.py").run()
    for field, value in zip(at.text_input, (PASSWORD, "Secretary", "Secretary"), strict=True):
        field.set_value(value)
    next(b for b in at.button if b.label == "修改密码").click().run()
    assert not at.exception and "不能与用户名相同" in at.error[0].value
    assert UserStore(users).verify("secretary", PASSWORD)
