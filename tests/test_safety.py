"""Data safety: backups before every write, restore, a killed import, two imports at once, hostile files.

One test (or one parametrised test) per promise; the database is compared row by row (database_digest).
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from analytics import backup, config, ledger
from analytics.config import Backups, LedgerConfig, Limits, ledger_config
from analytics.db import BUSY_MESSAGE, connect, open_db
from analytics.errors import ConfigError, DatabaseBusy, FileRejected
from analytics.ingest.parse import parse_file
from analytics.summary import summary
from tests import sample_ledgers
from tests.conftest import CFG, HEADER, ROOT, database_digest, load, problem_row, write_xlsx

Q1, Q2 = sample_ledgers.Q1, sample_ledgers.Q2  # file names; sample(Q1) is the file
MB = 1024 * 1024
# the CLI with a shorter wait for the database lock, so that "busy" comes in half a second, not ten
CLI_WITH_WAIT = ("import sys, analytics.db as db; db.LOCK_WAIT_SECONDS = float(sys.argv[1]); "
                 "from analytics.cli import main; raise SystemExit(main(sys.argv[2:]))")


def cli(*args: str, wait: float | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    head = [sys.executable, "-c", CLI_WITH_WAIT, str(wait)] if wait is not None else [sys.executable, "-m", "analytics"]
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_DB"}
    return subprocess.run([*head, *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout)


def assert_busy_and_unchanged(db: Path, *args: str, wait: float | None = None) -> None:
    """Run a CLI command while another program holds the database for writing: a clear busy message, no
    traceback, and the database exactly as it was."""
    with open_db(db, read_only=True) as con:
        before = database_digest(con)
    holder = connect(db)
    try:
        done = cli(*args, wait=wait)
    finally:
        holder.close()
    assert done.returncode == 1
    assert BUSY_MESSAGE in done.stderr and "Traceback" not in done.stderr
    with open_db(db, read_only=True) as con:
        assert database_digest(con) == before


def small_ledger(path: Path, quarter: str, prefix: str, rows: int = 3) -> Path:
    return write_xlsx(path / f"{quarter}问题整改台账_{prefix}.xlsx", {"台账": [
        [f"{quarter}问题整改台账"], HEADER, *(problem_row(i, f"{prefix}-{i}") for i in range(1, rows + 1))]})


def big_ledger(path: Path, rows: int, quarter: str = "2024年第三季度", prefix: str = "K") -> Path:
    """A problem ledger of ``rows`` distinct problems, streamed by xlsxwriter (seconds to import, not minutes)."""
    out = path / f"{quarter}问题整改台账_{prefix}{rows}.xlsx"
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, [f"{quarter}问题整改台账"])
    sheet.write_row(1, 0, HEADER)
    for i in range(1, rows + 1):
        sheet.write_row(i + 1, 0, problem_row(i, f"{prefix}-{i}", unit=f"单位{i % 40}",
                                             description=f"问题描述{prefix}{i}"))
    book.close()
    return out


def settings(monkeypatch, **changes) -> None:
    """Run with other [backups] or [limits] settings, as if data/ledger.toml said so."""
    cfg = config.ledger_config()  # the current one, patched or not
    backups = dataclasses.replace(cfg.backups, **{k: v for k, v in changes.items() if k in ("keep", "folder")})
    limits = dataclasses.replace(cfg.limits, **{k: v for k, v in changes.items() if k.startswith("max_")})
    patched = dataclasses.replace(cfg, backups=backups, limits=limits)
    monkeypatch.setattr("analytics.config.ledger_config", lambda *a: patched)
    monkeypatch.setattr("analytics.ingest.parse.ledger_config", lambda *a: patched)
    monkeypatch.setattr("analytics.ingest.reader.ledger_config", lambda *a: patched)
    monkeypatch.setattr("analytics.cli.ledger_config", lambda *a: patched)
    monkeypatch.setattr("analytics.ingest.worker.ledger_config", lambda *a: patched)


def db_of(con: duckdb.DuckDBPyConnection) -> Path:
    return Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                .fetchone()[0])


# ---- backups -----------------------------------------------------------------------------------------------------


def test_an_import_is_preceded_by_a_backup_that_opens_with_the_same_figures(con, sample):
    assert load(con, sample(Q1)).outcome == "imported"
    before, figures = database_digest(con), summary(con, cfg=CFG)
    assert load(con, sample(Q2)).outcome == "imported"
    newest = backup.list_backups(db_of(con))[0]
    assert (newest.action, newest.reason) == ("import", f"导入 {Q2} 之前")
    assert newest.path.parent == db_of(con).parent / "test.duckdb.backups"
    copy = duckdb.connect(str(newest.path), read_only=True)
    try:
        assert database_digest(copy) == before
        assert summary(copy, cfg=CFG) == figures
    finally:
        copy.close()
    assert not list(newest.path.parent.glob(".partial-*"))


def test_undo_is_preceded_by_a_backup(con, sample):
    load(con, sample(Q1))
    q2 = load(con, sample(Q2))
    before = database_digest(con)
    ledger.undo(con, q2.import_id, scoring=CFG)
    newest = backup.list_backups(db_of(con))[0]
    assert newest.reason == f"撤销导入 #{q2.import_id} {Q2} 之前"
    copy = duckdb.connect(str(newest.path), read_only=True)
    try:
        assert database_digest(copy) == before
    finally:
        copy.close()


def test_taking_a_backup_keeps_other_writers_out(tmp_path, sample):
    """Regression: copying the file in the writing process dropped DuckDB's POSIX lock (closing any descriptor of a
    file drops the process's locks on it); a second importer then wrote at the same time and one import was lost."""
    db = tmp_path / "locked.duckdb"
    with open_db(db) as con:
        load(con, sample(Q1))
        assert backup.before_write(con, "import", "x.xlsx") is not None
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from analytics.db import connect\n"
                                   "try: connect(sys.argv[1], wait=0)\nexcept Exception as e: print(type(e).__name__)",
             str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "DatabaseBusy", probe.stdout + probe.stderr


def test_nothing_written_means_no_backup(con, tmp_path, sample):
    load(con, sample(Q1))
    count = len(backup.list_backups(db_of(con)))
    assert load(con, sample(Q1)).outcome == "duplicate"
    bad = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"台账": [HEADER, problem_row(1, "X-1", "搁置")]})
    assert load(con, bad).outcome == "rejected"
    assert len(backup.list_backups(db_of(con))) == count


def test_only_the_newest_backups_are_kept_in_the_configured_folder(con, tmp_path, monkeypatch):
    settings(monkeypatch, keep=3, folder="备份/{name}")
    names = []
    quarters = ["2023年第一季度", "2023年第二季度", "2023年第三季度", "2023年第四季度", "2024年第一季度"]
    for n, quarter in enumerate(quarters):
        path = small_ledger(tmp_path, quarter, f"P{n}")
        assert load(con, path).outcome == "imported"
        names.append(path.name)
    kept = backup.list_backups(db_of(con))
    assert [b.subject for b in kept] == names[:1:-1]  # newest first: the last three imports
    assert all(b.path.parent == tmp_path / "备份" / "test.duckdb" for b in kept)
    settings(monkeypatch, keep=0)
    load(con, small_ledger(tmp_path, "2024年第二季度", "P9"))
    assert [b.subject for b in backup.list_backups(db_of(con))] == names[:1:-1]  # keep = 0: none taken


@pytest.mark.parametrize(("section", "bad", "says"), [
    ("backups", {"keep": -1}, "keep"),
    ("backups", {"keep": "10"}, "keep"),
    ("backups", {"folder": "{db}.bak"}, "folder"),
    ("backups", {"copies": 3}, "未知的配置项"),
    ("limits", {"max_rows": 0}, "正数"),
    ("limits", {"max_rows": 1.5}, "整数"),
    ("limits", {"max_file_mb": "100"}, "数字"),
    ("limits", {"max_compression_ratio": float("nan")}, "正数"),
    ("limits", {"max_size": 1}, "未知的配置项"),
], ids=lambda v: str(v))
def test_limits_and_backups_settings_are_validated(section, bad, says):
    import tomllib

    raw = tomllib.loads((ROOT / "data" / "ledger.toml").read_text(encoding="utf-8"))
    raw[section] = {**raw[section], **bad}
    with pytest.raises(ConfigError, match=says):
        LedgerConfig.from_dict(raw)


def test_ledger_toml_sets_limits_and_backups():
    cfg = ledger_config()
    assert cfg.backups == Backups(keep=10, folder="{name}.backups")
    assert cfg.limits == Limits(max_file_mb=100, max_rows=200_000, max_columns=200, max_unzipped_mb=300,
                                max_compression_ratio=200)
    assert cfg.backups.folder_for(Path("data/dashboard.duckdb")) == Path("data/dashboard.duckdb.backups")


def test_cli_lists_backups_and_restores_one(tmp_path, sample):
    db = tmp_path / "cli.duckdb"
    assert cli("import", "--db", str(db), str(sample(Q1)), str(sample(Q2))).returncode == 0
    assert cli("undo", "--db", str(db), "2").returncode == 0
    with open_db(db, read_only=True) as con:
        undone, undone_figures = database_digest(con), summary(con, cfg=CFG)
    listing = cli("backups", "--db", str(db))
    assert listing.returncode == 0, listing.stderr
    lines = [line for line in listing.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(lines) == 3
    assert f"撤销导入 #2 {Q2} 之前" in lines[0] and f"导入 {Q2} 之前" in lines[1]
    assert f"导入 {Q1} 之前" in lines[2] and " MB " in lines[0]

    done = cli("restore", "--db", str(db), "1")  # the newest: the database before the undo
    assert done.returncode == 0, done.stderr
    assert "已恢复备份" in done.stdout
    with open_db(db, read_only=True) as con:
        assert summary(con, cfg=CFG)["period"] == "2024Q2"
        assert ledger.list_imports(con)["undone_at"].isna().all()
    assert not list(tmp_path.glob(".cli.duckdb.restoring-*")) and not (tmp_path / "cli.duckdb.wal").exists()
    # the restore backed up what it replaced, so it can be taken back
    newest = backup.list_backups(db)[0]
    assert (newest.action, newest.subject) == ("restore", backup.list_backups(db)[1].stamp)
    assert cli("restore", "--db", str(db), newest.path.name).returncode == 0
    with open_db(db, read_only=True) as con:
        assert summary(con, cfg=CFG) == undone_figures
        assert database_digest(con) != undone  # the revision alone moved on, past every earlier one
        assert ledger.list_imports(con)["undone_at"].notna().sum() == 1


def test_restore_refuses_while_the_database_is_busy(tmp_path, sample):
    db = tmp_path / "busy.duckdb"
    assert cli("import", "--db", str(db), str(sample(Q1)), str(sample(Q2))).returncode == 0
    assert_busy_and_unchanged(db, "restore", "--db", str(db), "1")
    assert len(backup.list_backups(db)) == 2  # nothing was backed up or replaced


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, sample):
    db = tmp_path / "r.duckdb"
    assert cli("import", "--db", str(db), str(sample(Q1))).returncode == 0
    with open_db(db, read_only=True) as con:
        before = database_digest(con)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    for ref, says in ((str(junk), "备份文件无法打开"), (str(other), "不是看板的数据库备份"), ("7", "没有第 7 号备份"),
                      ("nothing.duckdb", "找不到备份")):
        done = cli("restore", "--db", str(db), ref)
        assert done.returncode == 1 and says in done.stderr, (ref, done.stderr)
    with open_db(db, read_only=True) as con:
        assert database_digest(con) == before


# ---- a killed import ---------------------------------------------------------------------------------------------

KILL_ROWS = 50_000


@pytest.fixture(scope="session")
def kill_ledger(tmp_path_factory) -> Path:
    return big_ledger(tmp_path_factory.mktemp("kill"), KILL_ROWS)


@pytest.fixture(scope="session")
def base_db(tmp_path_factory, sample) -> Path:
    """A database holding two quarters; each test works on a copy."""
    db = tmp_path_factory.mktemp("base") / "base.duckdb"
    with open_db(db) as con:
        load(con, sample(Q1))
        load(con, sample(Q2))
    return db


def copy_of(base: Path, where: Path) -> Path:
    db = where / "kill.duckdb"
    shutil.copy(base, db)
    return db


# From the start (parsing), and from the moment the backup appears, i.e. the write transaction opens; on this
# machine the transaction then lasts about 0.6-0.7 s (50,000 rows), so the later moments fall around the commit.
KILL_MOMENTS = [("after", 0.3), ("after", 1.5), ("backup+", 0.0), ("backup+", 0.1), ("backup+", 0.3), ("backup+", 0.5),
                ("backup+", 0.6), ("backup+", 0.7), ("backup+", 0.8), ("backup+", 1.2)]
KILL_OUTCOMES: list[str] = []


@pytest.mark.slow
@pytest.mark.parametrize(("when", "delay"), KILL_MOMENTS, ids=[f"{w}{d}s" for w, d in KILL_MOMENTS])
def test_an_import_killed_at_any_moment_leaves_the_database_as_before_or_whole(kill_ledger, base_db, tmp_path,
                                                                               when, delay):
    db = copy_of(base_db, tmp_path)
    with open_db(db, read_only=True) as con:
        before = database_digest(con)
    folder = backup.folder(db)
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "analytics", "import", "--db", str(db), str(kill_ledger)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if when == "backup+":  # the backup is taken just before the write transaction opens
        while child.poll() is None and not (folder.is_dir() and any(folder.glob("*.duckdb"))):
            time.sleep(0.005)
    time.sleep(delay)
    finished = child.poll() is not None
    child.send_signal(signal.SIGKILL)
    child.wait()
    moment = time.monotonic() - started

    with open_db(db) as con:  # opening replays or discards what the killed process left
        imported = con.execute("SELECT import_id, rows_valid FROM imports WHERE file_name = ?",
                               [kill_ledger.name]).fetchall()
        if imported:
            (import_id, rows_valid), = imported
            stored = con.execute("SELECT count(*) FROM observations WHERE import_id = ?", [import_id]).fetchone()[0]
            assert rows_valid == stored == KILL_ROWS  # whole, never half
            outcome = "whole"
        else:
            assert database_digest(con) == before
            outcome = "as before"
        assert summary(con, cfg=CFG)["total"] >= 15
    KILL_OUTCOMES.append(f"{when}{delay}s: killed at {moment:.2f}s{' (had finished)' if finished else ''} → {outcome}")
    print(KILL_OUTCOMES[-1])
    # and the file still takes an import
    assert cli("import", "--db", str(db), str(kill_ledger)).returncode == 0


# ---- two imports at once -----------------------------------------------------------------------------------------


def test_two_processes_importing_at_once_both_land_or_one_is_told_busy(base_db, tmp_path):
    db = copy_of(base_db, tmp_path)
    files = [big_ledger(tmp_path, 15_000, "2024年第三季度", "A"), big_ledger(tmp_path, 15_000, "2024年第四季度", "B")]
    children = [subprocess.Popen([sys.executable, "-m", "analytics", "import", "--db", str(db), str(f)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    results = [(c.wait(timeout=120), *c.communicate()) for c in children]
    landed = set()
    for path, (code, out, err) in zip(files, results, strict=True):
        assert "Traceback" not in err
        if code == 0:
            landed.add(path.name)
        else:
            assert code == 1 and BUSY_MESSAGE in err, (out, err)
    assert landed  # at most one is turned away
    with open_db(db, read_only=True) as con:
        names = {r[0] for r in con.execute("SELECT file_name FROM imports").fetchall()}
        assert names == {Q1, Q2} | landed
        new = con.execute("SELECT count(*) FROM observations WHERE import_id > 2").fetchone()[0]
        assert new == 15_000 * len(landed)


def test_an_import_while_another_program_writes_is_told_busy_and_changes_nothing(base_db, tmp_path):
    db = copy_of(base_db, tmp_path)
    assert_busy_and_unchanged(db, "import", "--db", str(db), str(small_ledger(tmp_path, "2024年第三季度", "W")),
                              wait=0.5)


def test_the_app_reading_while_another_program_writes_gets_a_clear_busy_error(base_db, tmp_path):
    db = copy_of(base_db, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from analytics.db import connect; c = connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(30)", str(db)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy, match="数据库正被另一个程序使用"), open_db(db, read_only=True, wait=0.5):
            pass
        with pytest.raises(DatabaseBusy), open_db(db, wait=0.5):
            pass
    finally:
        holder.kill()
        holder.communicate()


def test_two_sessions_in_one_process_import_one_after_the_other(base_db, tmp_path):
    """Regression: two app sessions (threads) importing at once failed with DuckDB's 'write-write conflict'."""
    db = copy_of(base_db, tmp_path)
    files = [small_ledger(tmp_path, "2024年第三季度", "S", 200), small_ledger(tmp_path, "2024年第四季度", "T", 200)]
    parsed = [parse_file(f.name, f.read_bytes()) for f in files]
    outcomes: dict[int, str] = {}
    gate = threading.Barrier(2)

    def session(i: int) -> None:
        gate.wait()
        try:
            with open_db(db) as con:
                outcomes[i] = ledger.store(con, parsed[i], scoring=CFG).outcome
        except Exception as exc:  # the test reports whatever escaped
            outcomes[i] = repr(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {0: "imported", 1: "imported"}
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 4


# ---- limits against hostile files --------------------------------------------------------------------------------


def refused(name: str, data: bytes, **limits) -> str:
    cfg = dataclasses.replace(ledger_config(), limits=dataclasses.replace(ledger_config().limits, **limits))
    with pytest.raises(FileRejected) as caught:
        parse_file(name, data, cfg=cfg)
    message = str(caught.value)
    assert f"文件「{name}」" in message, message
    return message


def rows_ledger(tmp_path: Path, rows: int) -> Path:
    return small_ledger(tmp_path, "2024年第三季度", "R", rows)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys, sample):
    data = sample(Q1).read_bytes()
    message = refused(Q1, data, max_file_mb=0.001)
    size = f"{len(data) / 1024:,.1f}".removesuffix(".0")
    assert f"文件大小 {size} KB，超过上限 1 KB（可在 data/ledger.toml 的 [limits] 中调整 max_file_mb）" in message
    from analytics.cli import main

    settings(monkeypatch, max_file_mb=0.001)

    read = Path.read_bytes

    def unread(self):
        if self.name == Q1:  # the ledger; configuration files may be read
            raise AssertionError("read before its size was checked")
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", unread)
    assert main(["import", "--db", str(tmp_path / "s.duckdb"), str(sample(Q1))]) == 1
    assert "超过上限" in capsys.readouterr().out


def zip_with(base: bytes, part: str, content: bytes) -> bytes:
    """The workbook with one part's content replaced, deflated at the strongest level."""
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == part else source.read(info.filename))
    return out.getvalue()


def zeros_sheet(base: bytes, megabytes: int) -> bytes:
    """A real zip bomb: the first sheet's one cell is a run of zeros that deflates about 1000 to 1."""
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    cell = b'<row r="999"><c r="A999" t="inlineStr"><is><t>' + b"0" * (megabytes * MB) + b"</t></is></c></row>"
    return zip_with(base, "xl/worksheets/sheet1.xml", sheet.replace(b"</sheetData>", cell + b"</sheetData>"))


def lie_about_sizes(data: bytes) -> bytes:
    """Write a small uncompressed size into the local and central headers of every part (a lying zip)."""
    out = bytearray(data)
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        struct.pack_into("<I", out, info.header_offset + 22, 1000)
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) >= 0:
        struct.pack_into("<I", out, at + 24, 1000)
        at += 4
    return bytes(out)


def test_a_zip_bomb_is_refused_by_its_unzipped_size(tmp_path):
    base = rows_ledger(tmp_path, 3).read_bytes()
    bomb = zeros_sheet(base, 64)
    assert len(bomb) < 100 * 1024  # 64 MB in under 100 KB
    message = refused("2024年第三季度问题整改台账.xlsx", bomb, max_unzipped_mb=16)
    assert "解压后大小 64 MB，超过上限 16 MB（可在 data/ledger.toml 的 [limits] 中调整 max_unzipped_mb）" in message
    # the same bomb with sizes in its directory that lie: caught while decompressing, at the limit
    message = refused("2024年第三季度问题整改台账.xlsx", lie_about_sizes(bomb), max_unzipped_mb=16)
    assert "解压后大小超过 16" in message and "超过上限 16 MB" in message
    # the workbook's own directory, read before any sheet, is held to the same budget
    book = zip_with(base, "xl/workbook.xml", b"<workbook>" + b" " * (64 * MB) + b"</workbook>")
    message = refused("2024年第三季度问题整改台账.xlsx", lie_about_sizes(book), max_unzipped_mb=16)
    assert "「xl/workbook.xml」压缩比" in message and "疑似压缩炸弹" in message  # caught as it grows


def test_a_zip_bomb_under_the_size_limit_is_refused_by_its_compression_ratio(tmp_path):
    base = rows_ledger(tmp_path, 3).read_bytes()
    message = refused("2024年第三季度问题整改台账.xlsx", zeros_sheet(base, 24))
    assert "压缩比" in message and "超过上限 200 倍" in message and "xl/worksheets/sheet1.xml" in message


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".xls"])
def test_too_many_rows_or_columns_are_refused_with_the_actual_count(tmp_path, suffix):
    path = rows_ledger(tmp_path, 60)  # title + header + 60 problems: 62 rows, 12 columns
    if suffix == ".csv":
        path = tmp_path / "2024年第三季度问题整改台账.csv"
        path.write_text("\n".join(",".join(str(v or "") for v in row)
                                  for row in [HEADER, *(problem_row(i, f"R-{i}") for i in range(1, 62))]),
                        encoding="utf-8")
    elif suffix == ".xls":
        import xlwt

        book = xlwt.Workbook()
        sheet = book.add_sheet("台账")
        for r, row in enumerate([HEADER, *(problem_row(i, f"R-{i}") for i in range(1, 62))]):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        path = tmp_path / "2024年第三季度问题整改台账.xls"
        book.save(str(path))
    data = path.read_bytes()
    assert "有数据到第 62 行，超过上限 50 行（可在 data/ledger.toml 的 [limits] 中调整 max_rows）" in refused(
        path.name, data, max_rows=50)
    assert "有数据到第 12 列（L 列），超过上限 10 列" in refused(path.name, data, max_columns=10)
    parse_file(path.name, data, cfg=dataclasses.replace(ledger_config(), limits=Limits(max_rows=62, max_columns=12)))


def test_rows_over_all_sheets_count_together(tmp_path):
    sheets = {f"台账{n}": [HEADER, *(problem_row(i, f"M{n}-{i}") for i in range(1, 31))] for n in range(3)}
    path = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", sheets)
    assert "各工作表共有 93 行，超过上限 80 行" in refused(path.name, path.read_bytes(), max_rows=80)


def far_cell_workbook(tmp_path: Path, ref: str = "XFD1048576", dimension: bool = True) -> bytes:
    sheets = {"台账": [HEADER, problem_row(1, "F-1")]}
    base = write_xlsx(tmp_path / "base.xlsx", sheets).read_bytes()
    xml = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    far = f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = xml.replace(b"</sheetData>", far.encode() + b"</sheetData>")
    if not dimension:
        xml = xml.replace(b'<dimension ref="A1:L2"/>', b"")
    return zip_with(base, "xl/worksheets/sheet1.xml", xml)


@pytest.mark.parametrize("dimension", [True, False], ids=["dimension-says-so", "no-dimension"])
def test_two_far_apart_cells_are_refused_not_an_abort(tmp_path, dimension):
    """Regression: cells at A1 and XFD1048576 made calamine allocate 549 GB and abort the process (SIGABRT).

    Run in a child process, so that a regression fails this test instead of killing the test run.
    """
    path = tmp_path / "2024年第三季度问题整改台账.xlsx"
    path.write_bytes(far_cell_workbook(tmp_path, dimension=dimension))
    done = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                           "from analytics.ingest.parse import parse_file; from analytics.errors import FileRejected\n"
                           "try: parse_file(Path(sys.argv[1]).name, Path(sys.argv[1]).read_bytes())\n"
                           "except FileRejected as e: print(e)", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "有数据到第 16,384 列（XFD 列），超过上限 200 列" in done.stdout


@pytest.mark.parametrize(("change", "says"), [
    (lambda x: x.replace(b'<c r="A2"', b'<c r="A2" x="&gt;" r="XFD9"'), "duplicate attribute"),
    (lambda x: x.replace(b'<c r="L2"', b'<x:c r="GS2"').replace(b"</c></row></sheetData>", b"</x:c></row></sheetData>"),
     "第 201 列"),
    (lambda x: x.replace(b'<row r="2">', b'<row r="2">' + b"<c><v>1</v></c>" * 250), "第 250 列"),
    (lambda x: x.replace(b'<row r="2">', b'<row r="300001">').replace(b' r="A2"', b""), "第 300,001 行"),
], ids=["second-r-attribute", "namespace-prefix", "cells-without-position", "row-position-only"])
def test_cells_placed_in_unusual_ways_are_found_too(tmp_path, change, says):
    base = write_xlsx(tmp_path / "base.xlsx", {"台账": [HEADER, problem_row(1, "F-1")]}).read_bytes()
    xml = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    assert says in refused("2024年第三季度问题整改台账.xlsx", zip_with(base, "xl/worksheets/sheet1.xml", change(xml)))


def test_unusual_but_small_sheets_still_import(tmp_path):
    """The exact scan clears what the quick check only suspected: empty styled cells far away, a namespace prefix."""
    base = write_xlsx(tmp_path / "base.xlsx", {"台账": [HEADER, problem_row(1, "F-1")]}).read_bytes()
    xml = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    xml = xml.replace(b"</sheetData>", b'<row r="900000"><c r="XFD900000" s="0"/></row></sheetData>')
    xml = xml.replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>", b"</x:sheetData>")
    parsed = parse_file("2024年第三季度问题整改台账.xlsx", zip_with(base, "xl/worksheets/sheet1.xml", xml))
    assert parsed.rows_valid == 1 and not parsed.issues


def test_a_refused_file_leaves_the_database_unchanged(con, tmp_path, sample):
    load(con, sample(Q1))
    before = database_digest(con)
    path = tmp_path / "2024年第三季度问题整改台账.xlsx"
    path.write_bytes(far_cell_workbook(tmp_path))
    with pytest.raises(FileRejected):
        load(con, path)
    assert database_digest(con) == before
    assert len(backup.list_backups(db_of(con))) == 1  # refused before anything was written or backed up


def test_an_ordinary_large_ledger_passes_the_quick_check_without_the_exact_scan(tmp_path, monkeypatch):
    """The slow exact scan is only for suspect sheets; an ordinary ledger must never need it."""
    from analytics.ingest import reader

    def exact_scan(self, chunks):
        raise AssertionError(f"exact scan of {self.sheet}")

    monkeypatch.setattr(reader._ExactExtent, "scan", exact_scan)
    path = big_ledger(tmp_path, 5_000)
    assert parse_file(path.name, path.read_bytes()).rows_valid == 5_000
