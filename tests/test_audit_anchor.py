"""The audit trail against one who can edit its file: cutting its end, emptying or deleting it, or rewriting the whole
chain with recomputed hashes all show in ``audit --verify``, through the anchor kept in the database (and so in its
backups) and the keyed hash under a key kept outside the data folder. An import is recorded before its commit."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys

import pytest

from analytics import actions, audit, backup
from analytics.access import OFFICE, User
from analytics.cli import main as cli
from analytics.config import audit_path
from analytics.db import connect, open_db
from analytics.errors import DashboardError
from analytics.ingest.answers import Answers
from analytics.ingest.parse import parse_file
from analytics.metrics import ALL
from tests.conftest import CFG, ROOT
from tests.fixtures import HEADER, Q1, write_xlsx

OFFICE_USER = User("office", OFFICE)


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def lines(db) -> list[str]:
    return audit_path(db).read_text(encoding="utf-8").splitlines()


def write_lines(db, kept: list[str]) -> None:
    audit_path(db).write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def ledger(tmp_path, name: str = "2024年第一季度问题整改台账.xlsx"):
    path = write_xlsx(tmp_path / name, {"台账": [HEADER, *Q1]})
    return parse_file(path.name, path.read_bytes())


def imported(tmp_path, db) -> int:
    """One import (an anchored write); the number of its outcome entry."""
    with open_db(db) as con:
        actions.import_file(con, OFFICE_USER, ledger(tmp_path), cfg=CFG)
    return json.loads(lines(db)[-1])["seq"]


def anchor_of(db) -> tuple[int, str] | None:
    con = connect(db, read_only=True)
    try:
        return audit.anchored(con)
    finally:
        con.close()


def rehashed(entries: list[dict], keyed: bool = True) -> list[str]:
    """The chain recomputed with plain sha256, as one who can edit the file but has no key would: keyed fields kept
    as they were (``keyed``) or stripped, to pass the entries off as written before the key. The first one chains
    from where it stood."""
    out, prev = [], entries[0].get("prev", "0" * 64)
    for entry in entries:
        entry = {k: v for k, v in entry.items() if keyed or k not in ("key", "mac")} | {"prev": prev}
        body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
        entry["hash"] = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        out.append(json.dumps(entry, ensure_ascii=False))
        prev = entry["hash"]
    return out


def legacy_trail(db, count: int) -> None:
    """A trail as the release before the key wrote it: a plain sha256 chain, no key, no mac."""
    entries = [{"seq": n, "at": "2026-01-05 09:00:00", "who": "office", "role": OFFICE, "unit": None,
                "action": "login", "outcome": "成功", "details": {}} for n in range(1, count + 1)]
    write_lines(db, rehashed(entries, keyed=False))


# ---- the anchor in the database ----

def test_every_recorded_database_write_anchors_the_trail_in_the_database(tmp_path):
    db = tmp_path / "d.duckdb"
    parsed = ledger(tmp_path)

    def last_entry() -> tuple[int, str]:
        entry = json.loads(lines(db)[-1])
        return entry["seq"], entry["hash"]

    with open_db(db) as con:
        result = actions.import_file(con, OFFICE_USER, parsed, cfg=CFG)
        assert audit.anchored(con) == last_entry()
        anchored = last_entry()
        duplicate = actions.import_file(con, OFFICE_USER, parsed, cfg=CFG)
        assert duplicate.outcome == "duplicate"  # recorded, nothing written
        assert audit.anchored(con) == anchored != last_entry()
        actions.save_profile(con, OFFICE_USER, "k1", "方案", ["问题编号"], Answers({}, {}, None))
        assert audit.anchored(con) == last_entry()
        actions.delete_profile(con, OFFICE_USER, "k1")
        assert audit.anchored(con) == last_entry()
        actions.assign_category(con, OFFICE_USER, "作风建设", CFG.dimension_names[0], CFG)
        assert audit.anchored(con) == last_entry()
        snapshot, content = actions.export(con, OFFICE_USER, "2024Q1", ALL, "html", cfg=CFG)
        actions.record_export(con, OFFICE_USER, snapshot, "html", content)
        assert audit.anchored(con) == last_entry()
        actions.undo(con, OFFICE_USER, result.import_id, cfg=CFG)
        assert audit.anchored(con) == last_entry()
        anchored = last_entry()
    audit.record(db, OFFICE_USER, "login")  # no database write
    assert anchor_of(db) == anchored
    assert audit.verify(db) == []


def test_removing_the_last_entries_is_detected(tmp_path, monkeypatch, capsys):
    """Attack: delete the trail's last lines (the import and what came after); verify passed before."""
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    seq = imported(tmp_path, db)
    audit.record(db, OFFICE_USER, "logout")
    write_lines(db, lines(db)[:seq - 2])  # the import's two entries and the logout removed
    assert audit.verify(db) == [f"审计日志在第 {seq - 2} 条之后被截断：数据库记载已有第 {seq} 条"]
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")
    assert code == 1 and f"✗ 审计日志在第 {seq - 2} 条之后被截断" in out


def test_entries_after_the_last_database_write_can_go_unnoticed_and_verify_says_so(tmp_path):
    """Not detected (README): the anchor covers the trail up to the last recorded database write only."""
    db = tmp_path / "d.duckdb"
    seq = imported(tmp_path, db)
    audit.record(db, OFFICE_USER, "login")
    audit.record(db, OFFICE_USER, "logout")
    assert audit.check(db).notes[-1] == (f"数据库锚点在第 {seq} 条，日志与之相符；"
                                         "其后的 2 条记于最近一次写入数据库之后，删去它们无法由锚点发现")
    write_lines(db, lines(db)[:seq])
    assert audit.verify(db) == []


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_an_emptied_or_deleted_trail_is_detected(tmp_path, monkeypatch, capsys, how):
    """Attack: empty the trail or delete its file; verify passed before (nothing to check)."""
    db = tmp_path / "d.duckdb"
    seq = imported(tmp_path, db)
    if how == "emptied":
        audit_path(db).write_bytes(b"")
    else:
        audit_path(db).unlink()
    state = "为空" if how == "emptied" else "不存在"
    assert audit.verify(db) == [f"审计日志文件{state}，而数据库记载已有 {seq} 条记录：日志被删除或清空"]
    assert run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")[0] == 1


def test_a_cut_trail_stays_reported_after_later_writes(tmp_path):
    """Attack: cut the trail, then let the office go on working: the next write must not anchor the cut trail."""
    db = tmp_path / "d.duckdb"
    seq = imported(tmp_path, db)
    write_lines(db, lines(db)[:seq - 2])
    with open_db(db) as con:
        actions.save_profile(con, OFFICE_USER, "k1", "方案", ["问题编号"], Answers({}, {}, None))
        for n in range(3):  # the new entries pass the anchored number
            actions.save_profile(con, OFFICE_USER, f"k{n}", "方案", ["问题编号"], Answers({}, {}, None))
        assert audit.anchored(con)[0] == seq
    assert audit.verify(db) == [f"第 {seq} 条记录与数据库中的锚点不符：该条或此前的记录被改动，或整条链被重算"]


def test_restoring_a_backup_keeps_the_newer_anchor_and_an_older_anchor_is_not_tampering(tmp_path, monkeypatch, capsys,
                                                                                        sample):
    """A backup's anchor is older than the trail (the trail is outside the database and is not rolled back): restore
    keeps the anchor of the database it replaces, and a backup copied in by hand is not reported either."""
    db = tmp_path / "d.duckdb"
    assert run_cli(monkeypatch, capsys, "import", "--db", str(db), str(sample("2024年第一季度问题整改台账.xlsx")),
                   str(sample("2024年第二季度问题整改台账.xlsx")))[0] == 0
    newest = anchor_of(db)
    before_second = backup.list_backups(db)[0].path  # taken before the second import
    older = anchor_of(before_second)
    assert older[0] < newest[0]
    assert run_cli(monkeypatch, capsys, "restore", "--db", str(db), "1")[0] == 0
    assert anchor_of(db) == newest  # not taken back: the trail's end cannot be cut back to the older one unseen
    assert audit.verify(db) == []
    db.write_bytes(before_second.read_bytes())  # by hand, as when the database cannot be opened
    assert anchor_of(db) == older
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")
    assert code == 0 and "✓ 审计日志完整" in out and f"数据库锚点在第 {older[0]} 条" in out
    assert run_cli(monkeypatch, capsys, "undo", "--db", str(db), "1")[0] == 0  # the next write moves it on
    assert anchor_of(db)[0] > newest[0]
    assert audit.verify(db) == []


def test_a_database_copied_without_its_trail_says_the_trail_is_missing(tmp_path, demo_db):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    seq = anchor_of(demo_db)[0]
    assert audit.verify(db) == [f"审计日志文件不存在，而数据库记载已有 {seq} 条记录：日志被删除或清空"]
    assert audit.verify(demo_db) == []


# ---- the keyed hash ----

def test_a_chain_rewritten_with_recomputed_hashes_is_detected_by_the_key(tmp_path, monkeypatch, capsys):
    """Attack: change an entry and recompute every plain hash after it (no database write to anchor it)."""
    db = tmp_path / "d.duckdb"
    for name in ("a", "b", "c", "d"):
        audit.record(db, User(name, "—"), "login_failed")
    entries = [json.loads(line) for line in lines(db)]
    entries[1]["who"] = "someone else"
    write_lines(db, rehashed(entries))
    assert audit.verify(db) == ["第 2–4 条的密钥校验值不符：记录被改动后重算了普通校验值（整条链被重写）"]
    assert run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")[0] == 1


def test_a_chain_rewritten_as_if_written_before_the_key_is_detected(tmp_path):
    """Attack: strip the keyed hashes and recompute the plain chain, passing the trail off as an old one."""
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    seq = imported(tmp_path, db)
    audit.record(db, OFFICE_USER, "logout")
    entries = [json.loads(line) for line in lines(db)]
    write_lines(db, rehashed(entries, keyed=False))  # the whole trail
    assert audit.verify(db) == [f"第 {seq} 条记录与数据库中的锚点不符：该条或此前的记录被改动，或整条链被重算"]
    kept = [json.dumps(e, ensure_ascii=False) for e in entries[:-1]]
    write_lines(db, kept + rehashed(entries[-1:], keyed=False))  # the last entry alone, after the anchor
    assert audit.verify(db) == [f"第 {seq + 1} 条没有密钥校验值，而此前的记录有：写入时密钥文件缺失，"
                                "或这些记录被人重写"]
    write_lines(db, [*kept, json.dumps({k: v for k, v in entries[-1].items() if k != "mac"}, ensure_ascii=False)])
    assert audit.verify(db) == [f"第 {seq + 1} 行与前后记录对不上（被改动、删除或插入）"]  # its mac alone removed


def test_an_entry_written_without_the_key_after_keyed_ones_is_reported(tmp_path, monkeypatch):
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    key = audit.key_path()
    monkeypatch.setenv("DASHBOARD_AUDIT_KEY", str(tmp_path / "gone.key"))  # the key lost: no new one is made
    audit.record(db, OFFICE_USER, "logout")
    assert not (tmp_path / "gone.key").exists()
    assert audit.verify(db) == [
        f"密钥文件 {tmp_path / 'gone.key'} 不存在：第 1 条起的密钥校验值无法核对（请放回原密钥文件，或用环境变量 "
        "DASHBOARD_AUDIT_KEY 指明它的位置）",
        "第 2 条没有密钥校验值，而此前的记录有：写入时密钥文件缺失，或这些记录被人重写"]
    monkeypatch.setenv("DASHBOARD_AUDIT_KEY", str(key))  # the key put back
    assert audit.verify(db) == ["第 2 条没有密钥校验值，而此前的记录有：写入时密钥文件缺失，或这些记录被人重写"]
    audit.record(db, OFFICE_USER, "login")
    assert json.loads(lines(db)[-1])["key"] == audit.key_id(audit._load_key(key))


def test_a_different_key_or_an_unreadable_key_file_is_reported(tmp_path, monkeypatch):
    db = tmp_path / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    audit.record(db, OFFICE_USER, "logout")
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    monkeypatch.setenv("DASHBOARD_AUDIT_KEY", str(other))
    assert audit.verify(db) == ["第 1–2 条的密钥校验值不是用现在的密钥写的：密钥文件被更换，或这些记录被人重写"]
    other.write_text("not a key\n")
    assert audit.verify(db) == [f"密钥文件 {other} 无法读取或内容不是密钥：密钥校验值无法核对"]


def test_a_trail_from_before_the_key_still_verifies_and_says_where_the_keyed_part_begins(tmp_path, monkeypatch,
                                                                                      capsys):
    db = tmp_path / "d.duckdb"
    monkeypatch.setenv("DASHBOARD_AUDIT_KEY", str(tmp_path / "keys" / "audit.key"))
    legacy_trail(db, 3)
    assert audit.verify(db) == []
    assert audit.check(db).notes[0].startswith("全部记录写于启用密钥之前，只有普通校验值")
    assert not (tmp_path / "keys" / "audit.key").exists()  # checking makes no key
    entry = audit.record(db, OFFICE_USER, "login")  # the first entry after the upgrade makes the key
    assert (entry["seq"], "key" in entry, "mac" in entry) == (4, True, True)
    code, out = run_cli(monkeypatch, capsys, "audit", "--db", str(db), "--verify")
    assert code == 0 and "✓ 审计日志完整" in out
    assert ("· 第 1–3 条写于启用密钥之前，只有普通校验值：单条的改动、删除能发现，"
            "整条链重算只有数据库中的锚点能发现") in out
    entries = [json.loads(line) for line in lines(db)]
    entries[0]["who"] = "someone else"  # the old part re-hashed: only the key's first entry shows it
    write_lines(db, rehashed(entries))
    assert audit.verify(db) == ["第 4 条的密钥校验值不符：记录被改动后重算了普通校验值（整条链被重写）"]


def test_the_key_is_made_once_owner_only_beside_the_accounts_file_or_where_the_environment_says(tmp_path,
                                                                                             monkeypatch):
    users = tmp_path / "conf" / "users.json"
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    db = tmp_path / "data" / "d.duckdb"
    audit.record(db, OFFICE_USER, "login")
    key = tmp_path / "conf" / "audit.key"
    assert audit.key_path() == key and stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes()
    assert len(bytes.fromhex(first.decode().strip())) == 32
    audit.record(db, OFFICE_USER, "logout")
    assert key.read_bytes() == first and audit.verify(db) == []
    assert [p.name for p in key.parent.iterdir()] == ["audit.key"]  # no partial file left
    monkeypatch.setenv("DASHBOARD_AUDIT_KEY", str(tmp_path / "elsewhere.key"))
    assert audit.key_path() == tmp_path / "elsewhere.key"


# ---- an import leaves its trace before its commit ----

KILL_AFTER_COMMIT = """
import os, signal, sys
from analytics import audit
from analytics.cli import main
record = audit.record
def killed_after_commit(db, who, action, outcome="成功", **details):
    if action == "import" and outcome == "成功":  # the data is committed; the outcome not yet written
        os.kill(os.getpid(), signal.SIGKILL)
    return record(db, who, action, outcome, **details)
audit.record = killed_after_commit
sys.exit(main(sys.argv[1:]))
"""


def test_an_import_killed_between_its_commit_and_its_outcome_still_names_the_file_in_the_trail(tmp_path):
    """Attack (or a crash): kill the process after the import is committed, before its outcome is recorded."""
    db = tmp_path / "d.duckdb"
    path = write_xlsx(tmp_path / "2024年第一季度问题整改台账.xlsx", {"台账": [HEADER, *Q1]})
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_COMMIT, "import", "--db", str(db), str(path)], cwd=ROOT,
                          capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == -9, done.stderr
    with open_db(db, read_only=True) as con:
        (import_id, name), = con.execute("SELECT import_id, file_name FROM imports").fetchall()
    last = json.loads(lines(db)[-1])
    assert (last["action"], last["outcome"]) == ("import", "进行中")
    assert (last["details"]["file"], last["details"]["import_id"]) == (name, import_id) == (path.name, 1)
    assert last["details"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert anchor_of(db) == (last["seq"], last["hash"])  # anchored in the import's own transaction
    assert audit.verify(db) == []


def test_an_import_whose_trail_cannot_be_written_stores_nothing(tmp_path, monkeypatch):
    db = tmp_path / "d.duckdb"
    trail = tmp_path / "trail"
    trail.mkdir()  # a folder where the trail should be: nothing can be appended
    monkeypatch.setenv("DASHBOARD_AUDIT", str(trail))
    with open_db(db) as con, pytest.raises(DashboardError, match="无法写入审计日志"):
        actions.import_file(con, OFFICE_USER, ledger(tmp_path), cfg=CFG)
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
        assert audit.anchored(con) is None
