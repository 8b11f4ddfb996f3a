"""健康检查: whether the database opens and the audit trail verifies, for the office's monitoring.

``python -m analytics health`` prints it (exit 1 when unhealthy) and ``serve.py`` answers it at ``/api/health``.
Nothing here writes: a check run by another user (a monitoring agent, root) must not create or take over a file
the service writes. A database written by an earlier release is reported, not upgraded (the service upgrades it
on its first open).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import audit
from analytics.config import audit_path
from analytics.db import SCHEMA_VERSION, _is_lock_error

OK, EMPTY, BUSY, OLDER = "ok", "empty", "busy", "upgrade_pending"  # healthy database states
MISSING, UNREADABLE, TOO_NEW = "missing", "unreadable", "too_new"  # unhealthy ones
HEALTHY = (OK, EMPTY, BUSY, OLDER)


@dataclass(frozen=True)
class Health:
    """What one check found: the database's state with a sentence, the audit trail's problems and notes."""

    database: str  # one of HEALTHY, MISSING, UNREADABLE, TOO_NEW
    database_text: str
    audit_problems: tuple[str, ...] = ()
    audit_notes: tuple[str, ...] = ()
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def ok(self) -> bool:
        return self.database in HEALTHY and not self.audit_problems

    def as_dict(self) -> dict:
        """Everything, for `health --json` on the server itself."""
        return {"status": "ok" if self.ok else "fail", "database": self.database, "database_text": self.database_text,
                "audit": "ok" if not self.audit_problems else "problems", "audit_problems": list(self.audit_problems),
                "audit_notes": list(self.audit_notes), "checked_at": self.checked_at.isoformat(sep=" ")}

    def public(self) -> dict:
        """The states without sentences (they name paths and counts), for a URL the proxy may expose."""
        return {"status": "ok" if self.ok else "fail", "database": self.database,
                "audit": "ok" if not self.audit_problems else "problems",
                "audit_problems": len(self.audit_problems), "checked_at": self.checked_at.isoformat(sep=" ")}


def _imported_before(db: Path) -> bool:
    """Whether the trail records an import that was stored: then a missing database was moved or deleted."""
    return any(e["action"] == "import" and e["outcome"] == "成功" for e in audit._read(db))


def database_state(db: Path, wait: float = 2.0) -> tuple[str, str]:
    """(state, sentence) of the database file, opened read-only for a moment."""
    if not db.exists():
        if audit_path(db).exists() and _imported_before(db):
            return MISSING, f"数据库文件 {db} 不存在，而审计日志记有已导入的台账：文件被移走或删除"
        return EMPTY, f"数据库文件 {db} 尚未建立（还没有导入台账）"
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
            break
        except duckdb.Error as exc:
            # as db.connect tells them apart ("does not match … in block" is damage, not a lock)
            held = isinstance(exc, duckdb.IOException | duckdb.ConnectionException) and _is_lock_error(exc)
            if not held:
                return UNREADABLE, f"数据库文件 {db} 已损坏或不是看板的数据库（{str(exc).splitlines()[0][:200]}）"
            if time.monotonic() >= deadline:  # a writer holds it (an import): it opened for them
                return BUSY, "数据库正被写入（可能正在导入），本次未打开核对"
            time.sleep(0.2)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not {"meta", "imports"} <= tables:
            return UNREADABLE, f"数据库文件 {db} 不是看板的数据库（缺少数据表）"
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 1
        imports = con.execute("SELECT count(*) FROM imports").fetchone()[0]
    except (duckdb.Error, ValueError) as exc:
        return UNREADABLE, f"数据库文件 {db} 读取出错（{str(exc).splitlines()[0][:200]}）"
    finally:
        con.close()
    if version > SCHEMA_VERSION:
        return TOO_NEW, f"数据库由较新版本的看板写入（数据结构版本 {version}，本版本 {SCHEMA_VERSION}）"
    if version < SCHEMA_VERSION:
        return OLDER, (f"数据库可以打开（导入记录 {imports} 条；数据结构版本 {version}，看板首次打开时备份并升级到 "
                       f"{SCHEMA_VERSION}）")
    return OK, f"数据库可以打开（导入记录 {imports} 条）"


def check(db: Path | str) -> Health:
    """The database and the audit trail checked now."""
    db = Path(db)
    state, text = database_state(db)
    if state in (UNREADABLE, TOO_NEW):  # the trail's anchor lives in the database: the check would only repeat it
        return Health(state, text)
    if state == BUSY:  # the anchor cannot be read while a writer holds the file: next time
        return Health(state, text, audit_notes=("数据库正被写入，审计日志本次未核对",))
    if state == OLDER:  # reading the trail's anchor would open it as the dashboard does, which upgrades it
        return Health(state, text, audit_notes=("数据库待升级，审计日志待升级后核对",))
    found = audit.check(db)
    return Health(state, text, tuple(found.problems), tuple(found.notes))


def report(health: Health) -> str:
    """The check as the command line prints it."""
    lines = [f"{'✓' if health.database in HEALTHY else '✗'} {health.database_text}"]
    lines += [f"✗ 审计日志：{p}" for p in health.audit_problems]
    if not health.audit_problems and health.database in HEALTHY:
        lines.append("✓ 审计日志完整")
    lines += [f"· {n}" for n in health.audit_notes]
    lines.append("正常" if health.ok else "异常：请按上面的提示处理（python -m analytics backups / restore，"
                 "audit --verify）")
    return "\n".join(lines)


def to_json(health: Health) -> str:
    return json.dumps(health.as_dict(), ensure_ascii=False)
