"""Login and sessions under attack (issue 15): parallel guesses, memory from password checks, an attacker locking
an account out for everyone, a password change without a throttle, sessions that outlive an administrator's change,
and an expired session that keeps showing data until the next click."""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import threading
import time

import pytest
import streamlit as st

from analytics import actions, users
from analytics.access import HEAD, MEMBER, User
from analytics.config import AccessSettings, ConfigError, audit_path
from analytics.errors import DashboardError
from analytics.users import (
    EXPIRED,
    IDLE,
    OWN_PASSWORD,
    PASSWORD_RESET,
    REMOVED,
    ROLE_CHANGED,
    Throttle,
    UserStore,
    session_over,
)
from app_pages import auth
from tests.conftest import PASSWORD, dashboard, logged_in

SETTINGS = AccessSettings(free_failures=3, first_wait_seconds=5, max_wait_seconds=60, address_free_failures=4,
                          address_memory_hours=24, max_password_checks=2, check_queue_seconds=60)
WANG = User("wang", MEMBER)
PATIENCE = 20  # seconds a test waits for threads before it gives up (never reached when the code is right)


class SpyHasher:
    """The real argon2 hasher, counting its checks and how many ran at once; ``hold`` runs inside each check."""

    def __init__(self, hold=lambda spy: None) -> None:
        self.real, self.hold = users._HASHER, hold
        self.calls = self.running = self.most = 0
        self.changed = threading.Condition()

    def verify(self, hashed: str, password: str) -> bool:
        with self.changed:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            self.changed.notify_all()
        try:
            self.hold(self)
            return self.real.verify(hashed, password)
        finally:
            with self.changed:
                self.running -= 1
                self.changed.notify_all()

    def hash(self, password: str) -> str:
        return self.real.hash(password)


@pytest.fixture
def store(tmp_path) -> UserStore:
    s = UserStore(tmp_path / "users.json")
    s.add("wang", MEMBER, PASSWORD)
    return s


def in_parallel(count: int, attempt) -> list:
    """Run attempt(i) for i < count, each in its own thread, all started together; their results in order."""
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        results[i] = attempt(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE * 2)
    return results


def trail(db, action: str | None = None) -> list[dict]:
    """The audit trail's entries, oldest first (of one action)."""
    lines = audit_path(db).read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if action in (None, e["action"])]


def outcomes(db, action: str = "login_failed") -> list[str]:
    return [e["outcome"] for e in trail(db, action)]


# ---- one password check per account at a time, a few at once in the process ----

def test_eight_parallel_guesses_at_one_account_check_one_password(monkeypatch, tmp_path, store):
    """Attack: eight parallel logins to one account each had their password checked (the wait was read and the
    failure counted without a lock). Now the first holds the account; the seven others are refused unchecked."""
    released = threading.Event()
    spy = SpyHasher(hold=lambda spy: released.wait(PATIENCE))
    monkeypatch.setattr(users, "_HASHER", spy)
    db, throttle = tmp_path / "d.duckdb", Throttle(SETTINGS)
    answers: list[str] = []
    answered = threading.Condition()

    def guess(i: int) -> str:
        why = actions.login(db, store, throttle, "wang", f"guess-{i}-password")[1]
        with answered:
            answers.append(why)
            answered.notify_all()
        return why

    runner = threading.Thread(target=lambda: in_parallel(8, guess))
    runner.start()
    with answered:  # the seven refused answer while the first is still checking
        answered.wait_for(lambda: len(answers) >= 7, PATIENCE)
    released.set()
    runner.join(PATIENCE * 2)
    assert spy.calls == 1
    assert sorted(answers) == ["用户名或密码错误"] + ["该账户正在验证密码，请稍后再试"] * 7
    assert sorted(outcomes(db)) == ["同一账户正在验证中被拒绝"] * 7 + ["用户名或密码错误"]
    # the one check was counted before the account was free again: two more failures start the wait
    assert throttle.failed("wang") == 0 and throttle.failed("wang") == 5


def test_password_checks_running_at_once_never_exceed_the_cap(monkeypatch, tmp_path, store):
    """Attack: many anonymous sessions each start an argon2 check (64 MiB) at once and exhaust memory. Now at most
    max_password_checks run together; the others wait their turn (each check here waits for a partner, so two do
    run together)."""
    tries = 8

    def partner(spy: SpyHasher) -> None:
        with spy.changed:
            spy.changed.wait_for(lambda: spy.running >= 2 or spy.calls >= tries, PATIENCE)

    spy = SpyHasher(hold=partner)
    monkeypatch.setattr(users, "_HASHER", spy)
    db, throttle = tmp_path / "d.duckdb", Throttle(SETTINGS)
    answers = in_parallel(tries, lambda i: actions.login(db, store, throttle, f"name-{i}", "any-password-1")[1])
    assert answers == ["用户名或密码错误"] * tries  # every one checked in the end
    assert spy.calls == tries and spy.most == SETTINGS.max_password_checks


def test_an_attempt_that_finds_no_free_check_is_refused_as_busy(monkeypatch, tmp_path, store):
    """Beyond the cap an attempt waits check_queue_seconds at most, then is told the system is busy: requests do
    not pile up behind the checks."""
    released = threading.Event()
    spy = SpyHasher(hold=lambda spy: released.wait(PATIENCE))
    monkeypatch.setattr(users, "_HASHER", spy)
    db = tmp_path / "d.duckdb"
    throttle = Throttle(AccessSettings(max_password_checks=1, check_queue_seconds=0))
    first = threading.Thread(target=actions.login, args=(db, store, throttle, "wang", "wrong-password-1"))
    first.start()
    with spy.changed:
        spy.changed.wait_for(lambda: spy.running == 1, PATIENCE)
    assert actions.login(db, store, throttle, "li", "wrong-password-2") == (None, "系统繁忙，请稍后再试")
    released.set()
    first.join(PATIENCE)
    assert spy.calls == 1
    assert outcomes(db) == ["系统繁忙被拒绝", "用户名或密码错误"]
    assert throttle.wait("li") == 0  # refused unchecked: not counted against the account


def test_a_check_that_raises_still_counts_and_frees_the_account():
    throttle = Throttle(SETTINGS)
    with pytest.raises(RuntimeError), throttle.attempt("wang"):
        raise RuntimeError("the accounts file vanished")
    with throttle.attempt("wang") as attempt:  # free again, and the first counted as a failure
        attempt.failed()
    assert throttle.failed("wang") == 5


# ---- per client address ----

def test_an_attackers_failures_do_not_lock_the_account_for_another_address(tmp_path, store):
    """Attack: anyone who knows an account's name locked it for its owner by failing on purpose. The failures now
    slow down the attacker's address only; without an address (localhost) the account waits as before."""
    db, now = tmp_path / "d.duckdb", [0.0]
    throttle = Throttle(SETTINGS, clock=lambda: now[0])
    for _ in range(3):
        assert actions.login(db, store, throttle, "wang", "guess-password", "203.0.113.9")[0] is None
    assert actions.login(db, store, throttle, "wang", PASSWORD, "203.0.113.9") == (
        None, "登录失败次数过多，请 5 秒后再试")
    assert actions.login(db, store, throttle, "wang", PASSWORD, "10.1.2.3") == (WANG, "")
    assert actions.login(db, store, throttle, "wang", PASSWORD) == (WANG, "")  # no address: counted apart
    assert [(e["action"], e["details"].get("address")) for e in trail(db)] == [
        ("login_failed", "203.0.113.9")] * 4 + [("login", "10.1.2.3"), ("login", None)]
    for _ in range(3):
        actions.login(db, store, throttle, "wang", "guess-password")
    assert actions.login(db, store, throttle, "wang", PASSWORD)[1].startswith("登录失败次数过多")


def test_one_address_cannot_try_a_few_passwords_on_every_account(tmp_path, store):
    """Attack: from one address, two guesses at each of many accounts, each below its own limit. The address has
    a budget over all accounts (address_free_failures); its own account's success does not reset it; it is
    forgotten after address_memory_hours."""
    for name in ("li", "zhao", "qian"):
        store.add(name, MEMBER, PASSWORD)
    db, now = tmp_path / "d.duckdb", [0.0]
    throttle = Throttle(SETTINGS, clock=lambda: now[0])
    attacker = "198.51.100.7"
    for name in ("li", "zhao", "qian"):
        assert actions.login(db, store, throttle, name, "guess-password", attacker)[1] == "用户名或密码错误"
    assert actions.login(db, store, throttle, "wang", PASSWORD, attacker) == (WANG, "")  # their own account
    assert actions.login(db, store, throttle, "li", "guess-password", attacker)[1] == "用户名或密码错误，请 5 秒后再试"
    now[0] += 5
    assert actions.login(db, store, throttle, "zhao", "guess-password", attacker)[1].endswith("请 10 秒后再试")
    assert actions.login(db, store, throttle, "qian", PASSWORD, attacker)[1] == "登录失败次数过多，请 10 秒后再试"
    assert actions.login(db, store, throttle, "qian", PASSWORD, "10.1.2.3")[0] == User("qian", MEMBER)
    now[0] += SETTINGS.address_memory_hours * 3600
    assert throttle.wait("qian", attacker) == 0 and throttle.failed("qian", attacker) == 0


@pytest.mark.parametrize("address", ["10.20.30.40", None])
def test_the_login_page_passes_the_address_on_and_records_it(monkeypatch, demo_db, tmp_path, address):
    """Without a patch AppTest's st.context.ip_address is a mock, not an address: it is not used (as None on
    localhost)."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    if address:
        monkeypatch.setattr(auth, "client_address", lambda: address)
    at = dashboard().run()
    at.text_input(key="login_name").set_value("member")
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.metric
    entry = trail(demo_db, "login")[-1]
    assert (entry["who"], entry["details"].get("address")) == ("member", address)


@pytest.mark.parametrize(("seen", "address"), [
    ("203.0.113.9", "203.0.113.9"), ("2001:db8::1", "2001:db8::1"), (None, None),
    ("x" * 10_000, None), ("203.0.113.9, 10.0.0.1", None), (object(), None)])
def test_only_an_address_keys_the_throttle(monkeypatch, seen, address):
    """A client on the server itself can send any X-Forwarded-For: only a well-formed address is kept and logged."""
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: seen))
    assert auth.client_address() == address


# ---- changing one's own password ----

def test_changing_ones_own_password_is_throttled_and_recorded(tmp_path, store):
    """Attack: a session left open let anyone guess its user's password on 我的账户, without limit or trace."""
    db, now = tmp_path / "d.duckdb", [0.0]
    throttle = Throttle(SETTINGS, clock=lambda: now[0])
    with pytest.raises(DashboardError, match="密码至少 8 位"):
        actions.change_own_password(db, store, throttle, WANG, PASSWORD, "short")
    for wait in ("", "", "，请 5 秒后再试"):
        with pytest.raises(DashboardError, match=f"^当前密码不正确{wait}$"):
            actions.change_own_password(db, store, throttle, WANG, "guess-password", "new-password-1")
    with pytest.raises(DashboardError, match="密码错误次数过多，请 5 秒后再试"):
        actions.change_own_password(db, store, throttle, WANG, PASSWORD, "new-password-1")
    assert actions.login(db, store, throttle, "wang", PASSWORD)[1].startswith("登录失败次数过多")  # the same count
    now[0] += 5
    actions.change_own_password(db, store, throttle, WANG, PASSWORD, "new-password-1", "10.1.2.3")
    assert store.verify("wang", "new-password-1")
    changes = trail(db, "own_password")  # not 重置密码: an administrator's reset is another action
    assert [(e["outcome"], e["details"].get("reason")) for e in changes] == [
        ("失败", "密码至少 8 位"), ("失败", "当前密码不正确"), ("失败", "当前密码不正确"),
        ("失败", "当前密码不正确，请 5 秒后再试"), ("失败", "密码错误次数过多，请 5 秒后再试"), ("成功", None)]
    assert changes[-1]["details"] == {"account": "wang", "address": "10.1.2.3"}


# ---- an administrator's change ends the account's sessions ----

@pytest.mark.parametrize(("change", "reason"), [
    (lambda s: s.set_password("wang", "reset-password-1"), PASSWORD_RESET),
    (lambda s: s.set_role("wang", HEAD, "采购部"), ROLE_CHANGED),
    (lambda s: s.set_password("wang", "own-password-1", own=True), OWN_PASSWORD),
    (lambda s: (s.remove("wang"), s.add("wang", MEMBER, PASSWORD)), REMOVED),  # a namesake made anew
])
def test_a_change_of_password_or_role_ends_the_sessions_begun_before_it(store, change, reason):
    opened = time.time()
    assert session_over(store.get("wang"), opened, opened, opened, opened, SETTINGS) is None
    change(store)
    account = store.get("wang")
    assert session_over(account, opened, opened, opened, opened, SETTINGS) == reason
    # a session opened after it (or, for one's own change, the session it was made in) goes on
    assert session_over(account, account.sessions_after, opened, opened, opened, SETTINGS) is None


@pytest.mark.parametrize(("started", "seen", "now", "reason"), [
    (0, 0, 29 * 60, None), (0, 0, 30 * 60, IDLE), (0, 11.9 * 3600, 12 * 3600 - 1, None),
    (0, 12 * 3600, 12 * 3600, EXPIRED)])
def test_sessions_still_end_by_time(store, started, seen, now, reason):
    account = dataclasses.replace(store.get("wang"), sessions_after=0.0)
    assert session_over(account, started, started, seen, now, SETTINGS) == reason
    assert session_over(None, started, started, seen, now, SETTINGS) == REMOVED


def test_an_accounts_file_written_before_the_session_fields_still_works(tmp_path, store):
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    for fields in raw["users"].values():
        del fields["sessions_after"], fields["ended_by"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(raw), encoding="utf-8")
    account = UserStore(old).verify("wang", PASSWORD)
    assert account.sessions_after == 0 and session_over(account, 1.0, 1.0, 1.0, 1.0, SETTINGS) is None
    UserStore(old).set_role("wang", HEAD, "采购部")
    assert session_over(UserStore(old).get("wang"), 1.0, 1.0, 1.0, 1.0, SETTINGS) == ROLE_CHANGED


def test_a_hand_edited_session_field_is_refused_in_chinese(tmp_path, store):
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    raw["users"]["wang"]["sessions_after"] = "tomorrow"
    store.path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(DashboardError, match="格式错误（用户「wang」的 sessions_after 或 ended_by）"):
        store.get("wang")


def app_with_users(monkeypatch, demo_db, tmp_path, accounts_file):
    users_file = tmp_path / "users.json"
    shutil.copy(accounts_file, users_file)
    monkeypatch.setenv("DASHBOARD_USERS", str(users_file))
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    return UserStore(users_file)


def test_an_administrators_password_reset_ends_the_open_session(monkeypatch, demo_db, tmp_path, accounts_file):
    """Attack: a password reset because it leaked left the intruder's open session working."""
    store = app_with_users(monkeypatch, demo_db, tmp_path, accounts_file)
    at = logged_in("member").run()
    assert at.metric
    actions.reset_password(demo_db, store, User("admin", "管理员"), "member", "reset-password-1")
    at.run()
    assert "密码已由管理员重置" in at.warning[0].value and not at.metric and not at.dataframe
    assert outcomes(demo_db, "session_ended") == ["管理员重置了密码"]


def test_ones_own_password_change_ends_the_other_sessions_only(monkeypatch, demo_db, tmp_path, accounts_file):
    store = app_with_users(monkeypatch, demo_db, tmp_path, accounts_file)
    elsewhere = logged_in("secretary").run()
    here = logged_in("secretary").run()
    here.switch_page("app_pages/account.py").run()
    for field, value in zip(here.text_input, (PASSWORD, "new-password-1", "new-password-1"), strict=True):
        field.set_value(value)
    next(b for b in here.button if b.label == "修改密码").click().run()
    assert not here.exception and "密码已修改" in here.success[0].value
    assert store.verify("secretary", "new-password-1")
    here.run()
    assert not here.warning and here.title[0].value == "我的账户"  # this session goes on
    elsewhere.run()
    assert "在其他会话中修改" in elsewhere.warning[0].value and not elsewhere.metric
    assert outcomes(demo_db, "session_ended") == ["本人在其他会话中修改了密码"]


# ---- an expired session leaves the page without a click ----

def tick(at, monkeypatch):
    """One run of the session timer alone, as the browser's run_every starts it (AppTest has no timer of its own):
    the run that dashboard.py's auth.watch_session registered, scoped to its fragment."""
    from streamlit.testing.v1 import local_script_runner

    ids = list(at._fragment_storage._ids_by_target_key[auth.WATCH_KEY])
    with monkeypatch.context() as m:
        m.setattr(local_script_runner, "RerunData", functools.partial(
            local_script_runner.RerunData, fragment_id_queue=ids, is_fragment_scoped_rerun=True))
        return at.run()


def test_the_timer_is_not_activity(monkeypatch, demo_db):
    """If the timer's own runs counted as activity, an open page would never go idle."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in("secretary").run()
    seen = time.time() - 10 * 60
    at.session_state["auth"]["seen"] = seen
    tick(at, monkeypatch)
    assert not at.exception and at.session_state["auth"]["seen"] == seen
    assert not at.warning


@pytest.mark.parametrize(("session", "notice"), [
    ({"seen": -31 * 60}, "长时间未操作"),
    ({"since": -13 * 3600}, "超过最长时间"),
])
def test_an_expired_session_leaves_the_page_without_a_click(monkeypatch, demo_db, session, notice):
    """Attack: an unattended screen kept showing the figures after the session was over, until someone clicked."""
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in("secretary").run()
    assert at.metric
    for key, ago in session.items():
        at.session_state["auth"][key] = time.time() + ago
    tick(at, monkeypatch)
    assert not at.exception and notice in at.warning[0].value
    assert [t.value for t in at.title] == ["政治生态分析研判看板"] and not at.metric and not at.dataframe


def test_a_removed_account_leaves_the_page_without_a_click(monkeypatch, demo_db, tmp_path, accounts_file):
    store = app_with_users(monkeypatch, demo_db, tmp_path, accounts_file)
    at = logged_in("member").run()
    store.remove("member")
    tick(at, monkeypatch)
    assert "账户已被删除" in at.warning[0].value and not at.metric


# ---- settings ----

@pytest.mark.parametrize("field", ["max_password_checks", "expiry_check_seconds"])
def test_settings_refuse_no_password_checks_or_no_timer(field):
    with pytest.raises(ConfigError, match=field):
        AccessSettings.from_dict({"access": {field: 0}}, "access.toml")
