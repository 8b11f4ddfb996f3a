"""Find a sheet's header row (one row, or two under a merged parent), tell the ledger kind, map columns to fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from analytics.config import KINDS, LedgerConfig, ScoringConfig
from analytics.ingest.reader import Sheet
from analytics.text import clean, header_key, is_blank

HEADER_SCAN_ROWS = 30


@dataclass
class Layout:
    """Where a sheet's table is and what its columns mean."""

    kind: str
    header_row: int  # 0-based index of the (top) header row
    header_height: int  # 1, or 2 for a header under merged parents
    columns: dict[str, int]  # field → 0-based column
    headers: dict[int, str]  # column → header text as written (child text for two-row headers)
    dimension_columns: dict[int, str] = field(default_factory=dict)  # wide score sheets: column → dimension
    unmapped: list[str] = field(default_factory=list)  # headers we do not import
    duplicates: list[str] = field(default_factory=list)  # headers naming a field already mapped

    @property
    def data_start(self) -> int:
        return self.header_row + self.header_height

    def header_of(self, name: str) -> str:
        return self.headers[self.columns[name]]


def _map_columns(names: dict[int, str], kind: str, cfg: LedgerConfig, scoring: ScoringConfig) -> Layout:
    aliases = cfg.aliases[kind]
    layout = Layout(kind, 0, 1, {}, names)
    dim_keys = {header_key(d): d for d in scoring.dimension_names}
    for col, name in names.items():
        hk = header_key(name)
        fld = aliases.get(hk)
        if fld is None and kind == "scores" and (dim := dim_keys.get(hk) or _dimension_of(name, scoring)):
            layout.dimension_columns[col] = dim
        elif fld is None:
            layout.unmapped.append(name)
        elif fld in layout.columns:
            layout.duplicates.append(name)
        else:
            layout.columns[fld] = col
    return layout


def _dimension_of(name: str, scoring: ScoringConfig) -> str | None:
    dim = scoring.classify(name)
    return None if dim == scoring.unclassified else dim


def _signature_ok(layout: Layout) -> bool:
    fields = layout.columns
    if layout.kind == "problems":
        return "description" in fields
    if layout.kind == "tasks":
        return "measure" in fields or "aspect" in fields
    return "unit" in fields and ("score" in fields or len(layout.dimension_columns) >= 3)


def _row_names(row: list) -> dict[int, str]:
    return {c: clean(v) for c, v in enumerate(row) if isinstance(v, str) and not is_blank(v)}


def _child_row(top: list, below: list, aliases: dict[str, str]) -> dict[int, str] | None:
    """The row under a header, if it is a second header row under merged parents (整改情况 → 整改措施 …)."""
    cells = {c: v for c, v in enumerate(below) if not is_blank(v)}
    if len(cells) < 2 or not all(isinstance(v, str) for v in cells.values()):
        return None
    if not any(header_key(v) in aliases for v in cells.values()):
        return None

    def top_blank(c: int) -> bool:
        return c >= len(top) or is_blank(top[c])

    # each child sits under a blank top cell or under the first cell of a merged parent span
    if all(top_blank(c) or top_blank(c + 1) for c in cells):
        return {c: clean(v) for c, v in cells.items()}
    return None


def find_layout(sheet: Sheet, cfg: LedgerConfig, scoring: ScoringConfig) -> Layout | None:
    """The best header row in the first rows of a sheet and its kind, or None if the sheet holds no ledger."""
    best: Layout | None = None
    best_score = 1  # a header needs at least two recognised columns
    rows = sheet.head(HEADER_SCAN_ROWS + 1)  # and the row under the last, for a header on two rows
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = _row_names(row)
        if len(names) < 2:
            continue
        for kind in KINDS:
            layout = _map_columns(names, kind, cfg, scoring)
            score = len(layout.columns) + len(layout.dimension_columns)
            if score > best_score and _signature_ok(layout):
                layout.header_row = r
                best, best_score = layout, score
    if best is None:
        return None
    r = best.header_row
    if r + 1 < len(rows):
        child = _child_row(rows[r], rows[r + 1], cfg.aliases[best.kind])
        if child:
            names = _row_names(rows[r]) | child
            merged = _map_columns(dict(sorted(names.items())), best.kind, cfg, scoring)
            if _signature_ok(merged):
                merged.header_row, merged.header_height = r, 2
                best = merged
    return best
