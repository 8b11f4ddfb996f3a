"""Copies of the data folder's contents on another disk, for a nightly job (``python -m analytics backup --to``).

Each run makes one dated folder ``<database stem>-YYYYmmdd-HHMMSS`` holding the database (copied under its write
lock right after a checkpoint, as ``backup.take`` copies it, and opened once to check it), then the audit trail
(copied under its own lock, after the database: so it holds the entry the database anchors) and the accounts file,
with their sha256 in ``SHA256SUMS``. The folder is written under a temporary name and renamed: a copy is whole or
absent. The newest ``keep`` folders are kept; nothing else in the target folder is touched. The audit key is not
copied: it is to be kept apart from the trail (README).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.backup import _copy_locked, _fsync  # the locked copy: see backup._copy_locked for why a child copies
from analytics.config import audit_path
from analytics.db import open_db
from analytics.errors import DashboardError

WAIT_SECONDS = 300.0  # a nightly job waits out an import rather than fail
_STALE_PARTIAL_SECONDS = 3600


@dataclass(frozen=True)
class Copy:
    """One dated copy and what it holds."""

    path: Path
    files: tuple[str, ...]
    size: int
    removed: tuple[str, ...]  # older copies pruned by this run


def _pattern(db: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(db.stem)}-\d{{8}}-\d{{6}}$")


def copies(target: Path, db: Path) -> list[Path]:
    """This database's copies in a folder, oldest first."""
    if not target.is_dir():
        return []
    pattern = _pattern(db)
    return sorted(p for p in target.iterdir() if p.is_dir() and pattern.match(p.name))


def _copy_trail(source: Path, target: Path) -> None:
    """The audit trail as it stands between two entries (audit.record appends under an exclusive flock)."""
    with open(source, "rb") as f:
        fcntl.flock(f, fcntl.LOCK_SH)
        with open(target, "wb") as out:
            shutil.copyfileobj(f, out)


def _check_copy(path: Path) -> None:
    """The copied database opens on its own and is a dashboard database."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DashboardError(f"备份副本无法打开（{str(exc).splitlines()[0][:200]}），已放弃本次备份") from exc
    try:
        con.execute("SELECT count(*) FROM imports").fetchone()
        con.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
    except duckdb.Error as exc:
        raise DashboardError(f"备份副本不完整（{str(exc).splitlines()[0][:200]}），已放弃本次备份") from exc
    finally:
        con.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def take(db: Path, target: Path, keep: int, users: Path | None = None, wait: float = WAIT_SECONDS) -> Copy:
    """Copy the database, its audit trail and the accounts file into a new dated folder under ``target``; keep the
    newest ``keep`` copies. DashboardError (nothing left behind) when anything fails."""
    db, target = Path(db), Path(target)
    if keep < 1:
        raise DashboardError("--keep 至少为 1（保留的备份份数）")
    if not db.is_file():
        raise DashboardError(f"找不到数据库 {db}，未备份")
    now = dt.datetime.now()
    try:
        target.mkdir(parents=True, exist_ok=True)
        while (final := target / f"{db.stem}-{now:%Y%m%d-%H%M%S}").exists():  # two runs in one second
            now += dt.timedelta(seconds=1)
        partial = target / f".partial-{final.name}-{os.getpid()}"
        partial.mkdir()
    except OSError as exc:
        raise DashboardError(f"无法在 {target} 建立备份文件夹（{exc.strerror or exc}），未备份") from exc
    try:
        with open_db(db, wait=wait) as con:  # the write lock: nobody writes during the copy
            con.execute("CHECKPOINT")
            wal = db.with_name(db.name + ".wal")
            if wal.exists() and wal.stat().st_size:
                raise DashboardError("数据库写入主文件后仍有未合并的日志（可能另有程序在写入），未备份，请稍后再试")
            _copy_locked(db, partial / db.name)
        trail = audit_path(db)
        if trail.exists():
            _copy_trail(trail, partial / trail.name)
        if users is not None and users.is_file():
            shutil.copyfile(users, partial / users.name)
        _check_copy(partial / db.name)
        files = sorted(p.name for p in partial.iterdir())
        sums = "".join(f"{_sha256(partial / name)}  {name}\n" for name in files)
        (partial / "SHA256SUMS").write_text(sums, encoding="ascii")
        for name in [*files, "SHA256SUMS"]:
            _fsync(partial / name)
        size = sum((partial / name).stat().st_size for name in files)
        os.replace(partial, final)
        _fsync(target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise DashboardError(f"备份到 {target} 失败（{exc.strerror or exc}），未留下不完整的副本") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Copy(final, tuple(files), size, _prune(target, db, keep))


def _prune(target: Path, db: Path, keep: int) -> tuple[str, ...]:
    old = copies(target, db)[:-keep]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    for partial in target.glob(f".partial-{db.stem}-*"):  # left by a run killed mid-copy
        with contextlib.suppress(OSError):
            if time.time() - partial.stat().st_mtime > _STALE_PARTIAL_SECONDS:
                shutil.rmtree(partial, ignore_errors=True)
    return tuple(p.name for p in old)


def same_disk(db: Path, target: Path) -> bool:
    """Whether the copies would sit on the database's own file system (a disk failure would take both)."""
    try:
        return Path(db).stat().st_dev == Path(target).stat().st_dev
    except OSError:
        return False
