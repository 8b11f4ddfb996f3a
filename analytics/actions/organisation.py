"""The 组织架构 register: read, replaced whole, and the ledgers' unit names it does not know yet."""


from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from analytics import (
    audit,
    backup,
    derived,
    ledger,
    org,
)
from analytics import org_register as org_register_io
from analytics.access import (
    User,
    require,
)
from analytics.actions.base import _record_write
from analytics.config import ScoringConfig
from analytics.db import bump_revision, table_exists, transaction

__all__ = ["imports", "org_register", "refused_file", "save_org", "undo", "unregistered_units"]



def org_register(con: duckdb.DuckDBPyConnection, user: User) -> org.Register:
    """The register, for those who keep it."""
    require(user, "org")
    return org.load(con)


def save_org(con: duckdb.DuckDBPyConnection, user: User, rows: list[org_register_io.Row], *, cfg: ScoringConfig,
             source: str) -> dict:
    """Replace the register (checked whole: org_register_io.check) and re-read every figure's units by it, in one
    transaction, backed up first; recorded with what changed."""
    require(user, "org")
    org_register_io.check(rows)  # refused before the backup: a bad table writes nothing
    backup.before_write(con, "org", source)
    with transaction(con):
        changed = org_register_io.save(con, rows, user.name)
        derived.refresh(con, cfg, [])
        bump_revision(con)
    _record_write(con, user, "org_change", source=source, **changed)
    return changed


def unregistered_units(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """The unit texts of the ledgers that the register does not know (counted under their company until it
    does), with how many problems name each."""
    require(user, "org")
    if not table_exists(con, "unit_map") or org.load(con).empty:
        return pd.DataFrame(columns=["company", "name", "unit", "problems"])
    return con.execute("""
        SELECT m.company, m.name, m.unit, count(DISTINCT o.problem_id) AS problems
        FROM unit_map m
        JOIN imports i ON coalesce(i.company, '') = m.company AND i.undone_at IS NULL
        JOIN observations o ON o.import_id = i.import_id AND o.unit = m.name
        WHERE NOT m.registered
        GROUP BY ALL ORDER BY problems DESC, m.company, m.name
    """).df()


def imports(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """导入记录 (see ledger.list_imports), for those who may import and undo."""
    require(user, "import")
    return ledger.list_imports(con)


def refused_file(db: Path, user: User, name: str, sha256: str | None, reason: str) -> None:
    """Record a file refused before it could be parsed (too large, not a spreadsheet, …)."""
    require(user, "import")
    audit.record(db, user, "import", "拒绝", file=name, sha256=sha256, reason=reason)


def undo(con: duckdb.DuckDBPyConnection, user: User, import_id: int, *, cfg: ScoringConfig) -> str:
    """撤销导入 (see ledger.undo), recorded with the file's name, sha256 and period."""
    require(user, "undo")
    row = con.execute("SELECT file_name, sha256, period FROM imports WHERE import_id = ?",
                      [int(import_id)]).fetchone() if table_exists(con, "imports") else None
    message = ledger.undo(con, int(import_id), scoring=cfg)
    _record_write(con, user, "undo", import_id=int(import_id), file=row[0], sha256=row[1], period=row[2])
    return message
