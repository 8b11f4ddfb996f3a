"""Generate the update workbooks of a quarter: one per unit, each recorded (update_workbooks), several as a zip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import duckdb

from analytics.config import CLOSED_STATUS, LedgerConfig, ScoringConfig
from analytics.db import has_table, transaction
from analytics.errors import DashboardError
from analytics.metrics import Scope
from analytics.periods import Period
from analytics.workbooks import records
from analytics.workbooks.build import Workbook, build, open_problems


def units_with_open(con: duckdb.DuckDBPyConnection, base: Period, scope: Scope) -> list[str]:
    """The units with problems not yet 销号 at the end of ``base``, in the scope."""
    where, params = scope.where()
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT unit FROM problem_state WHERE period_no = $no AND status <> $closed AND {where} "
        "AND unit IS NOT NULL ORDER BY unit", params | {"no": base.index, "closed": CLOSED_STATUS}).fetchall()]


def generate(con: duckdb.DuckDBPyConnection, base: Period, units: list[str], *, cfg: ScoringConfig,
             ledger: LedgerConfig, hidden_sources: tuple[str, ...], user: str | None,
             now: dt.datetime | None = None) -> list[Workbook]:
    """Build and record each unit's workbook in one transaction. ``hidden_sources`` never go into a workbook: it
    is handed to the unit, and a complaint must not reach the unit it is about."""
    if not units:
        raise DashboardError(f"{base.label}末没有未销号的问题，无需生成更新表")
    known = con.execute("SELECT max(period_no) FROM problem_state").fetchone()[0] \
        if has_table(con, "problem_state") else None
    if known is None or base.index > known:
        raise DashboardError(f"还没有{base.label}的问题台账，无法生成更新表")
    now = now or dt.datetime.now().replace(microsecond=0)
    made = []
    with transaction(con):
        for unit in units:
            marker = records.new_marker(con, unit, base)  # each recorded before the next is numbered
            frame = open_problems(con, base, unit, hidden_sources)
            book = build(frame, marker, now, cfg.dimension_names, ledger.source_names, ledger.severity_names)
            records.record(con, marker, book.file_name, book.content, book.problems, user)
            made.append(book)
    return made


def zipped(books: list[Workbook]) -> bytes:
    """Several workbooks in one zip, each under its file name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for book in books:
            zf.writestr(book.file_name, book.content)
    return buffer.getvalue()


def zip_name(base: Period) -> str:
    return f"{Period.from_index(base.index + 1).label}问题整改更新表.zip"
