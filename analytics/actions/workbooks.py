"""Update workbooks (一表同享): generated for units, recognised on return, and the collection."""


from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from analytics.access import (
    User,
    require,
    require_unit,
)
from analytics.actions.base import _record_write, _under, scoped
from analytics.config import LedgerConfig, ScoringConfig
from analytics.export import records
from analytics.ingest.parse import ParsedFile
from analytics.metrics import ALL, Scope
from analytics.periods import Period, parse_period
from analytics.workbooks import changes as workbook_changes_module
from analytics.workbooks import generate as workbook_generate
from analytics.workbooks import records as workbook_records
from analytics.workbooks.marker import Marker

__all__ = [
    "not_reported", "returned_workbook", "update_workbooks", "workbook_changes", "workbook_collection",
    "workbook_units"
]



def update_workbooks(con: duckdb.DuckDBPyConnection, user: User, base: Period, units: list[str] | None = None, *,
                     cfg: ScoringConfig, ledger_cfg: LedgerConfig, as_zip: bool | None = None) -> tuple[str, bytes]:
    """Generate the update workbooks of ``units`` (None: every unit the user may see with problems not yet 销号 at
    the end of ``base``), record them and the export in the audit trail; (file name, bytes): one workbook's xlsx,
    or a zip (of several, unless ``as_zip`` says otherwise). An export: it needs that right, and a department head
    may have their own unit's only. The confidential sources never go into a workbook, whoever asks: it is handed
    to the unit."""
    require(user, "export")
    if units is None:
        units = workbook_units(con, user, base)
    for unit in units:
        require_unit(user, unit, _under(con))
    books = workbook_generate.generate(con, base, list(units), cfg=cfg, ledger=ledger_cfg,
                                       hidden_sources=user.confidential_sources, user=user.name)
    if as_zip is None:
        as_zip = len(books) > 1
    name, content = (workbook_generate.zip_name(base), workbook_generate.zipped(books)) if as_zip else \
        (books[0].file_name, books[0].content)
    _record_write(con, user, "workbook_export", period=str(base), units=[b.unit for b in books],
                  problems=sum(b.problems for b in books), file=name, sha256=records.sha256(content))
    return name, content


def workbook_units(con: duckdb.DuckDBPyConnection, user: User, base: Period) -> list[str]:
    """The units the user may generate a workbook for that have problems not yet 销号 at the end of ``base``."""
    require(user, "export")
    return workbook_generate.units_with_open(
        con, base, replace(scoped(con, user, Scope()), hidden_sources=user.confidential_sources))


def returned_workbook(con: duckdb.DuckDBPyConnection, parsed: ParsedFile, marker: Marker) -> bool:
    """Whether a parsed file is a workbook this database generated, returned as the quarter it was made for."""
    return parsed.period is not None and str(parsed.period) == marker.period and workbook_records.known(con, marker)


def workbook_changes(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile,
                     marker: Marker) -> workbook_changes_module.Changes:
    """What a returned workbook changes against the quarter it was made from (the import preview), for those who
    may import; its carried problems are those it listed (never a confidential source's, as it was generated)."""
    require(user, "import")
    return workbook_changes_module.compare(con, parsed, marker.unit, parse_period(marker.base_period),
                                           user.confidential_sources)


def workbook_collection(con: duckdb.DuckDBPyConnection, user: User, period: Period) -> pd.DataFrame:
    """收集情况 of the quarter units report (workbook_records.collection), over the units the user may see."""
    require(user, "view")
    return workbook_records.collection(con, period, scoped(con, user, Scope()))


def not_reported(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Units in the user's scope whose figures in ``period`` are carried over from the quarter before."""
    require(user, "view")
    return workbook_records.not_reported(con, period, scoped(con, user, scope))
