"""Accounts and the audit trail: passwords only as argon2id hashes, a CLI for accounts, failed logins slow
down, sessions end, and every login, import, undo, export and configuration change is recorded, append-only,
visible to 管理员 and 纪委书记 and exportable."""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys

import openpyxl
import pytest

from analytics import actions, audit, csvsafe
from analytics.access import ADMIN, HEAD, MEMBER, OFFICE, SECRETARY, AccessDenied, User
from analytics.cli import main as cli
from analytics.config import AccessSettings, audit_path
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.ingest.parse import parse_file
from analytics.metrics import ALL
from analytics.users import Throttle, UserStore, session_ended
from tests.conftest import CFG, PASSWORD, dashboard, logged_in
from tests.fixtures import HEADER, Q1, write_xlsx

SETTINGS = AccessSettings(idle_minutes=30, session_hours=12, free_failures=3, first_wait_seconds=5,
                          max_wait_seconds=60)
OFFICE_USER = User("office", OFFICE)


def last(db, n: int = 1) -> list[dict]:
    lines = audit_path(db).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-n:]]


# ---- accounts ----

def test_passwords_are_stored_only_as_argon2id_hashes(tmp_path):
    path = tmp_path / "users.json"
    store = UserStore(path)
    store.add("zhang", SECRETARY, "s3cret-password")
    text = path.read_text(encoding="utf-8")
    assert "s3cret-password" not in text
    assert json.loads(text)["users"]["zhang"]["password_hash"].startswith("$argon2id$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.verify("zhang", "s3cret-password").role == SECRETARY
    assert store.verify("zhang", "wrong-password") is None
    assert store.verify("nobody", "s3cret-password") is None


@pytest.mark.parametrize(("name", "role", "password", "unit", "message"), [
    ("zhang", "组长", "long-enough", None, "未知的角色"),
    ("zhang", HEAD, "long-enough", None, "须指定所在单位"),
    ("zhang", ADMIN, "long-enough", "采购部", "管理员不指定单位"),
    ("zhang", MEMBER, "short", None, "密码至少 8 位"),
    ("有 空格", MEMBER, "long-enough", None, "用户名"),
])
def test_bad_accounts_are_refused(tmp_path, name, role, password, unit, message):
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(DashboardError, match=message):
        store.add(name, role, password, unit)
    assert store.accounts() == {}


def run_cli(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_command_line_adds_users_resets_passwords_and_changes_roles(monkeypatch, capsys, tmp_path):
    users, db = tmp_path / "users.json", tmp_path / "d.duckdb"
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    store = UserStore(users)
    assert run_cli(monkeypatch, capsys, "users", "--db", str(db), "add", "li", "--role", "纪委委员",
                   stdin="first-password\n")[0] == 0
    assert store.verify("li", "first-password").role == MEMBER
    assert run_cli(monkeypatch, capsys, "users", "--db", str(db), "passwd", "li", stdin="second-password\n")[0] == 0
    assert store.verify("li", "first-password") is None and store.verify("li", "second-password")
    code, _ = run_cli(monkeypatch, capsys, "users", "--db", str(db), "role", "li", "部门负责人", "--unit", "采购部")
    assert code == 0
    assert store.get("li").user == User("li", HEAD, "采购部")
    code, out = run_cli(monkeypatch, capsys, "users", "--db", str(db), "list")
    assert code == 0 and "li  部门负责人：采购部" in out
    code, out = run_cli(monkeypatch, capsys, "users", "--db", str(db), "role", "li", "部门负责人")
    assert code == 1 and "须指定所在单位" in out
    assert run_cli(monkeypatch, capsys, "users", "--db", str(db), "remove", "li")[0] == 0
    assert store.accounts() == {}
    done = [e["action"] for e in map(json.loads, audit_path(db).read_text(encoding="utf-8").splitlines())]
    assert [a for a in done if a.startswith("user_")] == ["user_add", "user_password", "user_role", "user_remove"]


def test_demo_accounts_only_into_an_empty_accounts_file(monkeypatch, capsys, tmp_path, demo_db):
    users = tmp_path / "users.json"
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    code, out = run_cli(monkeypatch, capsys, "users", "--db", str(db), "demo")
    assert code == 0 and "demo、demo-head" in out
    assert UserStore(users).get("demo-head").unit == "采购部"  # the demo's unit with most problems
    code, out = run_cli(monkeypatch, capsys, "users", "--db", str(db), "demo")
    assert code == 0 and "未创建" in out


# ---- failed logins and sessions ----

def test_failed_logins_wait_doubling_up_to_the_maximum():
    now = [1000.0]
    throttle = Throttle(SETTINGS, clock=lambda: now[0])
    waits = [throttle.failed("x") for _ in range(8)]
    assert waits == [0, 0, 5, 10, 20, 40, 60, 60]
    assert throttle.wait("x") == 60 and throttle.wait("y") == 0
    now[0] += 60
    assert throttle.wait("x") == 0
    throttle.succeeded("x")
    assert throttle.failed("x") == 0  # a success starts the count again


def test_login_refuses_even_the_right_password_while_waiting(tmp_path):
    db, store = tmp_path / "d.duckdb", UserStore(tmp_path / "users.json")
    store.add("wang", MEMBER, PASSWORD)
    now = [0.0]
    throttle = Throttle(SETTINGS, clock=lambda: now[0])
    for _ in range(3):
        assert actions.login(db, store, throttle, "wang", "nope-nope")[0] is None
    who, why = actions.login(db, store, throttle, "wang", PASSWORD)
    assert who is None and why == "登录失败次数过多，请 5 秒后再试"
    now[0] += 5
    assert actions.login(db, store, throttle, "wang", PASSWORD)[0] == User("wang", MEMBER)
    entries = [(e["who"], e["action"], e["outcome"]) for e in last(db, 5)]
    assert entries == [("wang", "login_failed", "用户名或密码错误")] * 3 + [
        ("wang", "login_failed", "等待中被拒绝"), ("wang", "login", "成功")]


@pytest.mark.parametrize(("started", "seen", "ended"), [
    (0, 0, None), (0, 29 * 60, None), (0, 0, "idle"), (0, 11.9 * 3600, None), (0, 12 * 3600, "expired")])
def test_sessions_end_when_idle_or_too_old(started, seen, ended):
    now = seen if ended != "idle" else 30 * 60
    assert session_ended(started, seen, now, SETTINGS) == ended


# ---- the audit trail ----

def test_imports_undos_and_exports_are_recorded_with_who_what_and_when(tmp_path):
    db = tmp_path / "d.duckdb"
    path = write_xlsx(tmp_path / "2024年第一季度问题整改台账.xlsx", {"台账": [HEADER, *Q1]})
    parsed = parse_file(path.name, path.read_bytes())
    with open_db(db) as con:
        result = actions.import_file(con, OFFICE_USER, parsed, cfg=CFG)
        actions.import_file(con, OFFICE_USER, parsed, cfg=CFG)  # the same bytes again: recorded, nothing changed
        snapshot, content = actions.export(con, OFFICE_USER, "2024Q1", ALL, "html", cfg=CFG)
        snapshot_id, name = actions.record_export(con, OFFICE_USER, snapshot, "html", content)
        actions.undo(con, OFFICE_USER, result.import_id, cfg=CFG)
    imported, duplicate, exported, undone = last(db, 4)
    assert imported["who"] == "office" and imported["role"] == OFFICE and imported["action"] == "import"
    assert {
        k: imported["details"][k] for k in ("file", "sha256", "period", "rows_valid", "import_id", "problems_new")
    } == {"file": path.name, "sha256": parsed.sha256, "period": "2024Q1", "rows_valid": len(Q1),
          "import_id": result.import_id, "problems_new": result.problems_new}
    assert duplicate["outcome"] == "重复未改动"
    assert exported["details"]["snapshot_id"] == snapshot_id and exported["details"]["file"] == name
    assert exported["details"]["sha256"] == __import__("hashlib").sha256(content).hexdigest()
    assert undone["action"] == "undo" and undone["details"]["sha256"] == parsed.sha256
    assert all(e["at"] for e in (imported, exported, undone))


def test_a_refused_import_is_recorded_and_stores_nothing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "d.duckdb"
    bad = tmp_path / "2024年第一季度问题整改台账.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    code, _ = run_cli(monkeypatch, capsys, "import", "--db", str(db), str(bad))
    assert code == 1
    entry = last(db)[0]
    assert entry["action"] == "import" and entry["outcome"] == "拒绝" and entry["who"].startswith("命令行:")
    assert entry["details"]["file"] == bad.name and len(entry["details"]["sha256"]) == 64


def test_configuration_changes_are_recorded_once(tmp_path):
    folder, db, who = tmp_path / "conf", tmp_path / "d.duckdb", User("系统检测", "—")
    folder.mkdir()
    for name in ("ledger.toml", "scoring.toml", "access.toml", "notices.toml"):
        (folder / name).write_text("# v1\n")
    assert sorted(audit.note_config_changes(db, who, folder)) == ["access.toml", "ledger.toml", "notices.toml",
                                                                   "scoring.toml"]
    assert audit.note_config_changes(db, who, folder) == []
    (folder / "scoring.toml").write_text("# v2\n")
    assert audit.note_config_changes(db, who, folder) == ["scoring.toml"]
    entry = last(db)[0]
    assert entry["action"] == "config" and entry["details"]["change"] == "内容变更"
    assert entry["details"]["previous"] != entry["details"]["sha256"]


def test_the_trail_is_append_only_and_any_edit_shows(tmp_path):
    db = tmp_path / "d.duckdb"
    for i in range(5):
        audit.record(db, OFFICE_USER, "login", n=i)
    assert audit.verify(db) == []
    path = audit_path(db)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4, 5]
    edited = [*lines[:2], lines[2].replace('"n": 2', '"n": 9'), *lines[3:]]
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    assert audit.verify(db) == ["第 3 行（序号 3）与前后记录对不上（被改动、删除或插入）"]
    path.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")  # one entry deleted
    assert audit.verify(db) == ["第 2 行（序号 3）与前后记录对不上（被改动、删除或插入）"]
    assert not [name for name in dir(audit) if name.startswith(("delete", "remove", "update", "clear"))]


def test_only_the_administrator_and_the_secretary_read_or_export_the_trail(tmp_path):
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    for role in (OFFICE, MEMBER):
        with pytest.raises(AccessDenied, match="无权查看审计日志"):
            actions.audit_log(db, User("x", role))
    assert len(actions.audit_log(db, User("s", SECRETARY))) == 1
    content = actions.audit_export(db, User("a", ADMIN), "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("序号", "时间", "操作人", "角色", "操作", "结果", "详情")
    assert [r[4] for r in rows[1:]] == ["导出审计日志", "登录"]  # the export records itself first
    csv = actions.audit_export(db, User("a", ADMIN), "csv").decode("utf-8-sig")
    assert csv.splitlines()[0] == "序号,时间,操作人,角色,操作,结果,详情" and "office" in csv


def test_the_cli_prints_verifies_and_exports_the_trail(monkeypatch, capsys, tmp_path):
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")
    assert code == 0 and "完整" in out
    out_file = tmp_path / "log.csv"
    assert run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--out", str(out_file))[0] == 0
    assert "登录" in out_file.read_text(encoding="utf-8-sig")
    path = audit_path(db)
    path.write_text(path.read_text(encoding="utf-8").replace("office", "someone"), encoding="utf-8")
    assert run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")[0] == 1


TORN = "第 4 行不完整（只写入了半条记录，多因写入中断或磁盘已满），已跳过"


def half_a_line() -> bytes:
    """An entry's line cut inside a Chinese character, as a full disk leaves it."""
    line = json.dumps({"seq": 4, "at": "2024-07-01 09:00:00", "who": "wang", "role": "—", "unit": None,
                       "action": "login_failed", "outcome": "用户名或密码错误"}, ensure_ascii=False).encode()
    return line[:line.index("密".encode()) + 1]


@pytest.mark.parametrize("tail", [
    pytest.param(half_a_line(), id="half-a-line"),
    pytest.param(b'{"seq": 4, "at": "2024' + b"\0" * 300, id="nul-bytes-after-a-crash"),
])
def test_a_torn_last_line_is_read_past_reported_and_the_next_entry_chains_over_it(tmp_path, monkeypatch, capsys,
                                                                                   tail):
    db, store = tmp_path / "d.duckdb", UserStore(tmp_path / "users.json")
    store.add("wang", MEMBER, PASSWORD)
    for i in range(3):
        audit.record(db, OFFICE_USER, "login", n=i)
    path = audit_path(db)
    whole = path.read_bytes()
    with open(path, "ab") as f:
        f.write(tail)
    assert audit.verify(db) == [TORN]
    assert list(audit.entries(db, newest_first=False)["seq"]) == [1, 2, 3]
    # login and import raised here before: they go on, each entry chaining from the last whole one
    assert actions.login(db, store, Throttle(SETTINGS), "wang", PASSWORD)[0] == User("wang", MEMBER)
    ledger = write_xlsx(tmp_path / "2024年第一季度问题整改台账.xlsx", {"台账": [HEADER, *Q1]})
    with open_db(db) as con:
        actions.import_file(con, OFFICE_USER, parse_file(ledger.name, ledger.read_bytes()), cfg=CFG)
    data = path.read_bytes()
    assert data.startswith(whole + tail + b"\n")  # the torn bytes are kept as they were; the next entry on a new line
    lines = data.split(b"\n")
    assert len(lines) == 8 and lines[-1] == b""
    third, logged_in_, started, imported = (json.loads(lines[i]) for i in (2, 4, 5, 6))
    assert (logged_in_["seq"], logged_in_["prev"], logged_in_["action"]) == (4, third["hash"], "login")
    assert (started["seq"], started["prev"], started["outcome"]) == (5, logged_in_["hash"], "进行中")
    assert (imported["seq"], imported["prev"], imported["action"]) == (6, started["hash"], "import")
    assert audit.verify(db) == [TORN]  # the torn line only: the chain goes on over it
    assert list(audit.entries(db)["action"]) == ["import", "import", "login", "login", "login", "login"]
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")
    assert code == 1 and TORN in out
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db))  # the listing shows the whole entries
    assert code == 1 and all(f"{seq:>6}  " in out for seq in range(1, 7)) and TORN in out
    path.write_bytes(b"\n".join(line for number, line in enumerate(lines, 1) if number != 4))  # removed by hand
    assert audit.verify(db) == []


def test_a_last_entry_missing_only_its_newline_is_whole_and_the_next_starts_on_a_fresh_line(tmp_path):
    db = tmp_path / "d.duckdb"
    first = audit.record(db, OFFICE_USER, "login")
    path = audit_path(db)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert audit.verify(db) == [] and len(audit.entries(db)) == 1
    second = audit.record(db, OFFICE_USER, "logout")
    assert (second["seq"], second["prev"]) == (2, first["hash"])
    assert audit.verify(db) == [] and [e["seq"] for e in last(db, 2)] == [1, 2]


def test_a_login_name_with_a_unicode_line_break_stays_one_entry(tmp_path):
    """str.splitlines() split the trail at U+2028 and NEL: anyone could break the audit page with a login name."""
    db = tmp_path / "d.duckdb"
    store = UserStore(tmp_path / "users.json")
    name = "x\u2028y\x85z"
    assert actions.login(db, store, Throttle(SETTINGS), name, "whatever-password")[0] is None
    audit.record(db, OFFICE_USER, "login")
    assert audit.verify(db) == []
    assert list(audit.entries(db, newest_first=False)["who"]) == [name, "office"]


FORMULA_NAMES = ['=HYPERLINK("http://x.cn")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]


def test_formula_like_login_names_reach_the_audit_csv_as_text(monkeypatch, capsys, tmp_path):
    import csv

    db, store = tmp_path / "d.duckdb", UserStore(tmp_path / "users.json")
    throttle = Throttle(SETTINGS)
    for name in FORMULA_NAMES:
        assert actions.login(db, store, throttle, name, "whatever-password")[0] is None
    audit.record(db, User("\t=1+1", "—"), "login_failed")
    audit.record(db, User("\r=1+1", "—"), "login_failed")
    out_file = tmp_path / "x.csv"
    assert run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--out", str(out_file))[0] == 0
    rows = list(csv.reader(io.StringIO(out_file.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0] == ["序号", "时间", "操作人", "角色", "操作", "结果", "详情"]
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    who = [row[2] for row in rows[1:]]
    assert set(who) >= {"'" + name for name in [*FORMULA_NAMES, "\t=1+1", "\r=1+1"]}
    assert audit.verify(db) == []


@pytest.mark.parametrize(("value", "written"), [
    ("=SUM(A1:A3)", "'=SUM(A1:A3)"), ("+86 123", "'+86 123"), ("-1", "'-1"), ("@foo", "'@foo"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("a=b", "a=b"), (" =1", " =1"), ("", ""), ("采购部", "采购部"),
    (-1, -1), (2.5, 2.5), (None, None),
])
def test_csv_cells_that_start_like_a_formula_get_an_apostrophe(value, written):
    assert csvsafe.cell(value) == written or (value is None and csvsafe.cell(value) is None)


def test_the_shared_csv_writer_escapes_headers_and_cells_and_writes_a_bom():
    import pandas as pd

    content = csvsafe.to_csv(pd.DataFrame({"=列": ["=1+1", "文本"], "数": [-3, 4]}))
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig") == "'=列,数\r\n'=1+1,-3\r\n文本,4\r\n"
    assert csvsafe.to_csv(pd.DataFrame({"a": ["x\r=1+1"]})).decode("utf-8-sig") == 'a\r\n"x\r=1+1"\r\n'  # one cell


def test_the_audit_page_shows_the_trail_and_its_check(monkeypatch, demo_db, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    shutil.copy(audit_path(demo_db), audit_path(db))  # a database is copied with its trail: the trail is anchored
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    audit.record(db, OFFICE_USER, "login")
    at = logged_in("secretary").run()
    at.switch_page("app_pages/audit_log.py").run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "完整性检查通过" in at.success[0].value
    table = at.dataframe[0].value
    assert "office" in set(table["操作人"]) and "登录" in set(table["操作"])
    at.button(key="audit_prepare_csv").click().run()
    assert at.get("download_button")
    assert last(db)[0]["action"] == "audit_export"


def test_logins_and_logouts_through_the_app_are_recorded(monkeypatch, demo_db, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = dashboard().run()
    at.text_input(key="login_name").set_value("member")
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "总览"
    at.sidebar.button(key="logout_button").click().run()
    assert at.title[0].value == "政治生态分析研判看板"
    assert [(e["who"], e["action"]) for e in last(db, 2)] == [("member", "login"), ("member", "logout")]


def test_downloads_are_recorded_with_what_and_its_sha256(tmp_path):
    """The pages call this when a download button is clicked (a re-downloaded snapshot, the meeting agenda)."""
    import hashlib
    db = tmp_path / "d.duckdb"
    actions.downloaded(db, OFFICE_USER, "快照", b"the bytes", snapshot_id=3, file="a.xlsx")
    entry = last(db)[0]
    assert (entry["who"], entry["action"]) == ("office", "download")
    assert entry["details"] == {"what": "快照", "sha256": hashlib.sha256(b"the bytes").hexdigest(), "snapshot_id": 3,
                                "file": "a.xlsx"}


def test_the_administrator_manages_accounts_on_the_page(monkeypatch, demo_db, tmp_path, accounts_file):
    db, users = tmp_path / "d.duckdb", tmp_path / "users.json"
    shutil.copy(demo_db, db)
    shutil.copy(accounts_file, users)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    at = logged_in("admin").run()
    at.switch_page("app_pages/users.py").run()
    at.text_input[0].set_value("zhao")
    at.selectbox(key="add_role").set_value(HEAD)
    at.selectbox(key="add_unit").set_value("物流部")
    at.text_input[1].set_value("zhao-password")
    at.button(key="add_submit").click().run()
    assert not at.exception and "已新增用户 zhao" in at.success[0].value
    assert UserStore(users).verify("zhao", "zhao-password").user == User("zhao", HEAD, "物流部")
    at.selectbox(key="role_user").set_value("zhao")
    at.selectbox(key="role_role").set_value(MEMBER)
    at.button(key="role_submit").click().run()
    assert UserStore(users).get("zhao").user == User("zhao", MEMBER)
    at.selectbox(key="remove_user").set_value("zhao")
    at.checkbox(key="remove_confirm").check()
    at.button(key="remove_submit").click().run()
    assert UserStore(users).get("zhao") is None
    assert [(e["who"], e["action"]) for e in last(db, 3)] == [
        ("admin", "user_add"), ("admin", "user_role"), ("admin", "user_remove")]
