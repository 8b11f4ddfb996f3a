"""The commands scheduled jobs and monitoring run (README "Running it on an intranet"): `health`, `backup --to` and
`archive`, as real processes, each exiting 0 on success and 1 on failure; and /api/health served by serve.py."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics import actions
from analytics.access import OFFICE, User
from analytics.config import audit_path, scoring_config
from analytics.db import open_db
from analytics.export import records
from analytics.ingest.parse import parse_file
from tests.conftest import HEADER, ROOT, problem_row, write_xlsx
from tests.polling import get_json
from tests.test_cli import cli
from tests.test_damaged_database import damaged_database


@pytest.fixture(scope="module")
def template(tmp_path_factory, accounts_file) -> Path:
    """A database with two quarters imported through the CLI (so its trail is anchored in it), made once."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "x.duckdb"
    with pytest.MonkeyPatch.context() as env:  # as the tests run (conftest._accounts): the key beside accounts_file
        env.setenv("DASHBOARD_USERS", str(accounts_file))
        for name in ("DASHBOARD_AUDIT", "DASHBOARD_AUDIT_KEY", "DASHBOARD_DB"):
            env.delenv(name, raising=False)
        for quarter, status in (("2024年第三季度", "整改中"), ("2024年第四季度", "已销号")):
            ledger = write_xlsx(folder / f"{quarter}问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1", status)]})
            assert cli("import", str(ledger), db=db).returncode == 0
    return db


@pytest.fixture
def imported(template) -> Callable[[Path], Path]:
    """Copies of the template database and its trail into a folder; the copy's path."""
    def copy(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        db = Path(shutil.copy(template, folder / template.name))
        shutil.copy(audit_path(template), audit_path(db))
        return db

    return copy


def health(db, *options: str) -> subprocess.CompletedProcess:
    return cli("health", *options, db=db)


# ---- health ----

def test_health_is_ok_on_a_good_database_and_says_so(tmp_path, imported):
    db = imported(tmp_path)
    said = health(db)
    assert said.returncode == 0, said.stdout + said.stderr
    assert "✓ 数据库可以打开（导入记录 2 条）" in said.stdout and "✓ 审计日志完整" in said.stdout
    found = json.loads(health(db, "--json").stdout)
    assert (found["status"], found["database"], found["audit"], found["audit_problems"]) == ("ok", "ok", "ok", [])


def test_health_fails_on_a_damaged_database(tmp_path):
    """A disk fault overwrote the file's header blocks: monitoring must hear of it before the next user does."""
    db, env = damaged_database(tmp_path)
    said = cli("health", db=db, env=env)
    assert said.returncode == 1 and "Traceback" not in said.stderr
    assert "已损坏" in said.stdout and "异常" in said.stdout
    assert json.loads(cli("health", "--json", db=db, env=env).stdout)["database"] == "unreadable"


def test_health_fails_on_a_cut_audit_trail(tmp_path, imported):
    """Attack: the last entries of the trail deleted by one who can edit its file; the database's anchor shows it."""
    db = imported(tmp_path)
    trail = audit_path(db)
    kept = trail.read_bytes().split(b"\n")[:-3]  # the last import's two entries gone (and the final newline)
    trail.write_bytes(b"\n".join(kept) + b"\n")
    said = health(db)
    assert said.returncode == 1
    assert re.search(r"✗ 审计日志：审计日志在第 \d+ 条之后被截断", said.stdout)
    found = json.loads(health(db, "--json").stdout)
    assert found["status"] == "fail" and found["database"] == "ok" and found["audit"] == "problems"


def test_a_database_removed_after_imports_fails_but_a_fresh_install_is_healthy(tmp_path, imported):
    """A database moved away: the trail still records imports. A new install has neither, and is not an alarm."""
    fresh = cli("health", db=tmp_path / "new" / "d.duckdb")
    assert fresh.returncode == 0 and "尚未建立" in fresh.stdout
    db = imported(tmp_path)
    db.unlink()
    said = health(db)
    assert said.returncode == 1 and "被移走或删除" in said.stdout


def test_health_refuses_a_database_of_a_newer_release(tmp_path, imported):
    db = imported(tmp_path)
    with open_db(db) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    said = health(db)
    assert said.returncode == 1 and "较新版本" in said.stdout


def test_health_reports_a_database_of_an_earlier_release_without_upgrading_it(tmp_path):
    """Run as root by monitoring, an upgrade would leave a backup, a key and trail entries the service cannot use."""
    db = tmp_path / "old.duckdb"
    db.write_bytes(gzip.decompress((ROOT / "tests" / "data" / "release-cc5541e.duckdb.gz").read_bytes()))
    before = db.read_bytes()
    said = cli("health", db=db, env={"DASHBOARD_USERS": str(tmp_path / "users.json")})
    assert said.returncode == 0 and "数据结构版本 1，看板首次打开时备份并升级到" in said.stdout
    assert db.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["old.duckdb"]


def test_health_writes_nothing(tmp_path):
    """Run by a monitoring agent as another user (root), a check that wrote would leave files the service cannot
    write: no trail entry (not even the configuration entries other commands add to a trail without them), no
    database, no key."""
    db = tmp_path / "x.duckdb"
    ledger = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1")]})
    with open_db(db) as con:  # in-process: the trail holds no configuration entry yet
        actions.import_file(con, User("office", OFFICE), parse_file(ledger.name, ledger.read_bytes()),
                            cfg=scoring_config())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert health(db).returncode == 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("health", db=empty / "d.duckdb", env={"DASHBOARD_USERS": str(empty / "users.json")}).returncode == 0
    assert list(empty.iterdir()) == []


def test_health_while_an_import_holds_the_database_is_busy_not_broken(tmp_path, imported):
    db = imported(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(30)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said = health(db)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert said.returncode == 0 and "正被写入" in said.stdout


# ---- backup --to ----

def test_backup_copies_database_trail_and_accounts_into_a_dated_folder_that_restores(tmp_path, imported):
    db = imported(tmp_path)
    target = tmp_path / "other-disk"
    done = cli("backup", "--to", str(target), db=db)
    assert done.returncode == 0, done.stdout + done.stderr
    [copy] = [p for p in target.iterdir()]
    assert re.fullmatch(r"x-\d{8}-\d{6}", copy.name) and str(copy) in done.stdout
    users = os.environ["DASHBOARD_USERS"].rsplit("/", 1)[-1]
    assert sorted(p.name for p in copy.iterdir()) == sorted(["x.duckdb", "x.audit.jsonl", users, "SHA256SUMS"])
    for line in (copy / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((copy / name).read_bytes()).hexdigest() == digest
    trail = audit_path(db).read_bytes()
    assert trail.startswith((copy / "x.audit.jsonl").read_bytes())  # the copy, then the backup's own entry
    assert json.loads(trail.splitlines()[-1])["action"] == "backup"
    assert json.loads(cli("summary", "--json", db=copy / "x.duckdb").stdout) == \
        json.loads(cli("summary", "--json", db=db).stdout)
    restored = cli("restore", str(copy / "x.duckdb"), db=db)
    assert restored.returncode == 0, restored.stderr


def test_backup_keeps_the_newest_copies_and_nothing_else_is_touched(tmp_path, imported):
    db = imported(tmp_path)
    target = tmp_path / "other-disk"
    target.mkdir()
    (target / "x-notes.txt").write_text("kept")  # someone else's file in the folder
    for _ in range(3):
        assert cli("backup", "--to", str(target), "--keep", "2", db=db).returncode == 0
    copies = sorted(p.name for p in target.iterdir() if p.is_dir())
    assert len(copies) == 2 and (target / "x-notes.txt").read_text() == "kept"
    assert not [p for p in target.iterdir() if p.name.startswith(".partial")]


@pytest.mark.parametrize("case", ["no database", "damaged database", "folder is a file", "keep 0"])
def test_backup_fails_with_status_1_and_leaves_no_partial_copy(tmp_path, case, imported):
    db, env = (damaged_database(tmp_path) if case == "damaged database"
               else (tmp_path / "missing.duckdb" if case == "no database" else imported(tmp_path), None))
    target = tmp_path / "other-disk"
    if case == "folder is a file":
        target.write_text("not a folder")
    keep = "0" if case == "keep 0" else "3"
    said = cli("backup", "--to", str(target), "--keep", keep, db=db, env=env)
    assert said.returncode == 1 and said.stderr.startswith("错误：") and "Traceback" not in said.stderr
    assert not target.is_dir() or list(target.iterdir()) == []


# ---- archive ----

def test_archive_writes_the_latest_quarter_into_the_folder_under_a_dated_name_and_records_it(tmp_path, imported):
    db = imported(tmp_path)
    out = tmp_path / "snapshots"
    done = cli("archive", "--to", str(out), "--format", "xlsx", "--format", "html", db=db)
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert [re.sub(r"_\d{8}-\d{4}\.", "_DATE.", n) for n in names] == \
        ["政治生态分析研判快照_2024Q4_全公司_DATE.html", "政治生态分析研判快照_2024Q4_全公司_DATE.xlsx"]
    with open_db(db, read_only=True) as con:
        recorded = records.list_snapshots(con)
    assert sorted(recorded["file_name"]) == names
    assert {records.sha256((out / n).read_bytes()) for n in names} == set(recorded["sha256"])


@pytest.mark.parametrize("case", ["no database", "bad period", "pdf without a browser"])
def test_archive_fails_with_status_1_and_records_nothing(tmp_path, case, imported):
    db = tmp_path / "missing.duckdb" if case == "no database" else imported(tmp_path)
    out = tmp_path / "snapshots"
    options = {"bad period": ["--period", "2024Q9"], "pdf without a browser": ["--format", "pdf"]}.get(case, [])
    env = {**os.environ, "DASHBOARD_CHROMIUM": str(tmp_path / "no-such-browser")}
    said = cli("archive", "--to", str(out), *options, db=db, env=env)
    assert said.returncode == 1 and said.stderr.startswith("错误：") and "Traceback" not in said.stderr
    assert not out.is_dir() or list(out.iterdir()) == []
    if db.exists():
        with open_db(db, read_only=True) as con:
            assert records.list_snapshots(con).empty


# ---- /api/health on the server ----

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DASHBOARD_DB": str(db), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
               "--server.headless", "true", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def get(url: str, process: subprocess.Popen, log, timeout: float = 60) -> tuple[int, dict]:
    """(status, JSON) of a GET, once the server answers."""
    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    def alive() -> None:
        assert process.poll() is None, tail()
    return get_json(url, timeout, tail, alive, every=0.2)


def test_the_served_dashboard_answers_its_health_url_200_when_good_and_503_when_broken(tmp_path, imported):
    good = imported(tmp_path / "good")
    bad = imported(tmp_path / "bad")
    audit_path(bad).write_bytes(b"".join(audit_path(bad).read_bytes().splitlines(keepends=True)[:-2]))  # cut
    servers = [serve(good, tmp_path / "good.log"), serve(bad, tmp_path / "bad.log")]
    try:
        (good_process, good_url), (bad_process, bad_url) = servers
        status, body = get(f"{good_url}/api/health", good_process, tmp_path / "good.log")
        assert status == 200 and body["status"] == "ok" and body["database"] == "ok" and body["audit"] == "ok"
        status, body = get(f"{bad_url}/api/health", bad_process, tmp_path / "bad.log")
        assert status == 503 and body["status"] == "fail" and body["audit"] == "problems"
        assert body["audit_problems"] == 1 and "截断" not in json.dumps(body)  # states only, not sentences
        with urllib.request.urlopen(f"{good_url}/", timeout=10) as page:  # the dashboard itself is served too
            assert page.status == 200 and b"<html" in page.read().lower()
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=20)
