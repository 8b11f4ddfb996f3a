"""Copies of the database, taken before every import, undo and restore; listing them and restoring one.

A backup is the database file itself, copied while the writer holds DuckDB's
lock (nobody else can write) right after a CHECKPOINT (everything is in the
main file, no WAL), so a copy opens on its own and gives the same figures.
Backups live in a folder beside the database ([backups] in data/ledger.toml),
named by a sortable time stamp, the action and its subject; the newest
``keep`` are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics import audit, config
from analytics.config import Backups
from analytics.db import connect, database_file, open_db, revision
from analytics.errors import DashboardError, DatabaseUnreadable

ACTIONS = {"import": "导入 {} 之前", "undo": "撤销导入 {} 之前", "restore": "恢复备份 {} 之前",
           "upgrade": "升级数据库结构（{}）之前"}
_NAME = re.compile(r"^(\d{8}-\d{6}-\d{6})_(" + "|".join(ACTIONS) + r")_(.*)\.duckdb$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')  # path separators, controls, what Windows forbids
_STALE_PARTIAL_SECONDS = 3600  # a partial copy this old was left by a killed process
RESTORE_WAIT_SECONDS = 2.0  # long enough for a page's read to finish, short enough to say "busy" to a person


@dataclass(frozen=True)
class Backup:
    """One backup file and what it was taken before."""

    path: Path
    taken_at: dt.datetime
    action: str  # import | undo | restore | upgrade
    subject: str  # the ledger file, "#id file" of the undone import, or the backup restored
    size: int

    @property
    def reason(self) -> str:
        """In Chinese, e.g. 导入 2024年第一季度问题整改台账.xlsx 之前."""
        return ACTIONS[self.action].format(self.subject)

    @property
    def stamp(self) -> str:
        return self.path.name.split("_", 1)[0]


def _settings(settings: Backups | None) -> Backups:
    return settings or config.ledger_config().backups


def folder(db: Path, settings: Backups | None = None) -> Path:
    return _settings(settings).folder_for(Path(db))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def before_write(con: duckdb.DuckDBPyConnection, action: str, subject: str,
                 settings: Backups | None = None) -> Backup | None:
    """Back up the database behind a write connection, just before it writes. None in memory or with keep = 0."""
    db = database_file(con)
    if db is None or _settings(settings).keep == 0:
        return None
    return take(con, db, action, subject, settings)


def take(con: duckdb.DuckDBPyConnection, db: Path, action: str, subject: str,
         settings: Backups | None = None) -> Backup:
    """Checkpoint, copy the file under a temporary name, flush it to disk, rename; then drop the oldest.

    ``con`` must be the connection that holds the database for writing, so nothing changes during the copy.
    """
    settings = _settings(settings)
    target_dir = settings.folder_for(db)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        con.execute("CHECKPOINT")
        wal = db.with_name(db.name + ".wal")
        if wal.exists() and wal.stat().st_size:
            raise DashboardError("无法备份数据库：写入主文件后仍有未合并的日志（可能另有程序在写入），"
                                 "本次未做改动，请稍后再试")
        now = dt.datetime.now()
        slug = _UNSAFE.sub("_", subject).strip()[:60]
        final = target_dir / f"{now:%Y%m%d-%H%M%S-%f}_{action}_{slug}.duckdb"
        while final.exists():  # two backups in one microsecond
            now += dt.timedelta(microseconds=1)
            final = target_dir / f"{now:%Y%m%d-%H%M%S-%f}_{action}_{slug}.duckdb"
        partial = target_dir / f".partial-{os.getpid()}-{now:%H%M%S%f}"
        try:
            _copy_locked(db, partial)
            _fsync(partial)
            os.replace(partial, final)  # a backup is whole or absent, even if the process dies here
        finally:
            partial.unlink(missing_ok=True)
        _fsync(target_dir)
        _prune(target_dir, settings.keep)
    except OSError as exc:
        raise DashboardError(f"无法备份数据库到 {target_dir}（{exc.strerror or exc}），本次未做改动") from exc
    return Backup(final, now.replace(microsecond=0), action, subject, final.stat().st_size)


def _copy_locked(db: Path, target: Path) -> None:
    """Copy a database file this process holds open, in a child process.

    DuckDB's lock is a POSIX record lock, and POSIX drops every lock a process holds on a file as soon as the
    process closes *any* descriptor of that file: copying it here would unlock the database for other writers.
    """
    done = subprocess.run(["cp", "--", str(db), str(target)], capture_output=True, text=True)
    if done.returncode:
        raise OSError(done.returncode, done.stderr.strip() or "cp failed")


def _prune(target_dir: Path, keep: int) -> None:
    backups = sorted(p for p in target_dir.iterdir() if _NAME.match(p.name))
    for old in backups[:-keep] if keep else backups:
        old.unlink(missing_ok=True)
    for partial in target_dir.glob(".partial-*"):
        with contextlib.suppress(OSError):
            if time.time() - partial.stat().st_mtime > _STALE_PARTIAL_SECONDS:
                partial.unlink()


def list_backups(db: Path, settings: Backups | None = None) -> list[Backup]:
    """Every backup of a database, newest first."""
    target_dir = folder(db, settings)
    if not target_dir.is_dir():
        return []
    found = []
    for path in target_dir.iterdir():
        match = _NAME.match(path.name)
        if match:
            taken = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S-%f").replace(microsecond=0)
            found.append(Backup(path, taken, match.group(2), match.group(3), path.stat().st_size))
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def resolve(db: Path, ref: str, settings: Backups | None = None) -> Path:
    """A backup named by its number in the list (1 = newest), its file name, or a path."""
    backups = list_backups(db, settings)
    if ref.isdigit() and len(ref) <= 6:
        index = int(ref)
        if not 1 <= index <= len(backups):
            raise DashboardError(f"没有第 {index} 号备份（共 {len(backups)} 个，可用 backups 命令查看）")
        return backups[index - 1].path
    for candidate in (folder(db, settings) / ref, Path(ref)):
        if candidate.is_file():
            return candidate
    raise DashboardError(f"找不到备份「{ref}」（可用 backups 命令查看）")


def restore(db: Path, ref: str, settings: Backups | None = None) -> str:
    """Put a backup in place of the database; the current database is backed up first. Returns a confirmation.

    Refuses (DatabaseBusy) while another program uses the database. The new file is prepared beside the old one and
    renamed over it (atomic), under a lock that keeps other programs out until the old connection is closed.
    """
    db = Path(db)
    source = resolve(db, ref, settings)
    if db.exists() and source.samefile(db):
        raise DashboardError("不能用数据库文件本身恢复，请指定一个备份")
    source_name = source.name.split("_", 1)[0] if _NAME.match(source.name) else source.name
    size = source.stat().st_size  # taking the backup below may prune the source itself (it was copied first)
    incoming = db.with_name(f".{db.name}.restoring-{os.getpid()}")
    if db.exists():
        try:  # a look first: a file no program can open is replaced another way
            connect(db, read_only=True, wait=RESTORE_WAIT_SECONDS).close()
        except DatabaseUnreadable:
            return _replace_unreadable(db, source, incoming, size)
    with open_db(db, wait=RESTORE_WAIT_SECONDS) as con:
        try:
            shutil.copyfile(source, incoming)
            _prepare(incoming, revision(con), con)
            held = os.open(incoming, os.O_RDWR)
        except BaseException:
            incoming.unlink(missing_ok=True)
            Path(f"{incoming}.wal").unlink(missing_ok=True)
            raise
        try:
            # DuckDB's own kind of lock: once renamed, other programs wait until this one has let go
            fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.fsync(held)
            if _settings(settings).keep:
                take(con, db, "restore", source_name, settings)
            else:
                con.execute("CHECKPOINT")
            os.replace(incoming, db)
            _fsync(db.parent)
            con.close()  # the replaced file, now nameless; nothing was written since the checkpoint
        finally:
            os.close(held)
            incoming.unlink(missing_ok=True)
    return f"已恢复备份 {source.name}（{size / 1024 / 1024:,.1f} MB）"


def _replace_unreadable(db: Path, source: Path, incoming: Path, size: int) -> str:
    """Restore over a database that cannot be opened (no program can be using it): the broken file is moved aside,
    never deleted, and the backup copied into its place."""
    aside = db.with_name(f"{db.name}.damaged-{dt.datetime.now():%Y%m%d-%H%M%S}")
    try:
        shutil.copyfile(source, incoming)
        _prepare(incoming, int(time.time()))  # past any revision the pages have cached
        os.replace(db, aside)
        wal = Path(f"{db}.wal")
        if wal.exists():
            os.replace(wal, Path(f"{aside}.wal"))
        os.replace(incoming, db)
        _fsync(db.parent)
    finally:
        incoming.unlink(missing_ok=True)
        Path(f"{incoming}.wal").unlink(missing_ok=True)
    return f"已恢复备份 {source.name}（{size / 1024 / 1024:,.1f} MB）；无法打开的原数据库已另存为 {aside.name}"


def _prepare(path: Path, current_revision: int, current: duckdb.DuckDBPyConnection | None = None) -> None:
    """Check that a copy is a dashboard database; move its revision past the current one (pages cache by it) and
    keep the current database's audit anchor when it is newer (audit.carry_anchor)."""
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise DashboardError(f"备份文件无法打开，未做改动（{exc}）") from exc
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not {"meta", "imports", "observations"} <= tables:
            raise DashboardError("这不是看板的数据库备份，未做改动")
        con.execute("UPDATE meta SET value = CAST(greatest(CAST(value AS BIGINT), ?) + 1 AS VARCHAR) "
                    "WHERE key = 'revision'", [current_revision])
        if current is not None:
            audit.carry_anchor(current, con)
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise DashboardError(f"备份文件已损坏，未做改动（{exc}）") from exc
    finally:
        con.close()
