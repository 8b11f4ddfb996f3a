"""Find a sheet's header row (one row, or two under a merged parent), tell the ledger kind, map columns to fields.

A column is mapped by the user's answer for this header layout (a ledger profile) first, then by the configured
aliases; a problem ledger's column whose header is unknown is then judged by its values (mostly status words: a
status column; mostly dates: the deadline; mostly unit names: the unit).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.config import KINDS, LedgerConfig, ScoringConfig
from analytics.ingest.answers import IGNORE, Answers, column_key, layout_key
from analytics.ingest.normalise import parse_date
from analytics.ingest.reader import Sheet
from analytics.text import clean, header_key, is_blank, key

HEADER_SCAN_ROWS = 30
SNIFF_ROWS = 200  # body rows looked at to judge an unknown column by its values
SNIFF_SHARE = 0.6  # the share of its non-blank values that must look alike
# a column about an earlier period (上季度整改状态) is history, never this ledger's status or deadline
_EARLIER = re.compile(r"上一?季度|上期|上年|上月|前期|^原")
_UNIT_NAME = re.compile(r"^[^\d，,。；;:：]{1,18}(?:部|室|厂|中心|公司|处|科|队|站|所|院|办|委|组|车间)$")


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
    status_columns: list[int] = field(default_factory=list)  # more status-bearing columns (是否销号 beside 整改状态)
    answered: dict[int, str] = field(default_factory=dict)  # column → field, as the user answered
    sniffed: dict[int, str] = field(default_factory=dict)  # column → field, judged by its values
    ignored: list[str] = field(default_factory=list)  # headers the user chose not to import
    key: str = ""  # the header layout's key (ledger profiles)
    answers: Answers = field(default_factory=Answers)  # the answers that applied

    @property
    def data_start(self) -> int:
        return self.header_row + self.header_height

    def header_of(self, name: str) -> str:
        return self.headers[self.columns[name]]


# a header scan reads each of 30 rows as a header of every kind: each text is keyed once
_header_key = functools.lru_cache(maxsize=4096)(header_key)
_column_key = functools.lru_cache(maxsize=4096)(column_key)


def _map_columns(names: dict[int, str], kind: str, cfg: LedgerConfig, scoring: ScoringConfig,
                 answers: Answers | None = None) -> Layout:
    aliases = cfg.aliases[kind]
    answers = answers or Answers()
    layout = Layout(kind, 0, 1, {}, names, answers=answers)
    dim_keys = {_header_key(d): d for d in scoring.dimension_names}
    for col, name in names.items():
        hk = _header_key(name)
        answer = answers.columns.get(_column_key(name)) if kind == "problems" and answers.columns else None
        fld = answer or aliases.get(hk)
        if fld == IGNORE:
            layout.ignored.append(name)
        elif fld is None and kind == "scores" and (dim := dim_keys.get(hk) or _dimension_of(name, scoring)):
            layout.dimension_columns[col] = dim
        elif fld is None:
            layout.unmapped.append(name)
        elif fld in layout.columns:
            if fld == "status" and kind == "problems":
                layout.status_columns.append(col)
            else:
                layout.duplicates.append(name)
        else:
            layout.columns[fld] = col
            if answer:
                layout.answered[col] = fld
    if kind == "problems" and "description" not in layout.columns and "parent" in layout.columns:
        layout.columns["description"] = layout.columns.pop("parent")  # 反馈问题 alone is the problem itself
    return layout


def _dimension_of(name: str, scoring: ScoringConfig) -> str | None:
    dim = scoring.classify(name)
    return None if dim == scoring.unclassified else dim


def _signature_ok(layout: Layout) -> bool:
    fields = layout.columns
    if layout.kind == "problems":  # without a description column: the user is asked which column it is
        return "description" in fields or len(fields.keys() & {"unit", "status", "deadline", "measures"}) >= 3
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


AnswersFor = Callable[[str], "Answers | None"]


def _layout_of(names: dict[int, str], kind: str, cfg: LedgerConfig, scoring: ScoringConfig,
               answers_for: AnswersFor, layout_id: str | None = None) -> Layout:
    """The columns mapped with the answers saved for exactly this header layout, if any."""
    layout_id = layout_id or layout_key(n for _, n in sorted(names.items()))
    layout = _map_columns(names, kind, cfg, scoring, answers_for(layout_id))
    layout.key = layout_id
    return layout


def find_layout(sheet: Sheet, cfg: LedgerConfig, scoring: ScoringConfig,
                answers_for: AnswersFor | None = None) -> Layout | None:
    """The best header row in the first rows of a sheet and its kind, or None if the sheet holds no ledger.
    answers_for gives the user's answers for a header layout's key, if any (ledger profiles)."""
    answers_for = answers_for or (lambda _key: None)
    best: Layout | None = None
    best_score = 1  # a header needs at least two recognised columns
    rows = sheet.head(HEADER_SCAN_ROWS + 1)  # and the row under the last, for a header on two rows
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = _row_names(row)
        if len(names) < 2:
            continue
        layout_id = layout_key(n for _, n in sorted(names.items()))
        for kind in KINDS:
            layout = _layout_of(names, kind, cfg, scoring, answers_for, layout_id)
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
            merged = _layout_of(dict(sorted(names.items())), best.kind, cfg, scoring, answers_for)
            if _signature_ok(merged):
                merged.header_row, merged.header_height = r, 2
                best = merged
    if best.kind == "problems":
        _sniff(sheet, best, cfg)
    return best


def _sniff(sheet: Sheet, layout: Layout, cfg: LedgerConfig) -> None:
    """Judge each unknown column by its first values: status words, dates, unit names."""
    unknown = [c for c, name in layout.headers.items()
               if c not in layout.columns.values() and c not in layout.status_columns and name in layout.unmapped
               and not _EARLIER.search(header_key(name))]
    if not unknown:
        return
    body = sheet.head(layout.data_start + SNIFF_ROWS)[layout.data_start:]
    for c in unknown:
        values = [v for row in body if c < len(row) and not is_blank(v := row[c])]
        if len(values) < 2:
            continue
        guess = _guess_field(values, layout, cfg)
        if guess is None:
            continue
        if guess == "status":
            layout.status_columns.append(c)
        else:
            layout.columns[guess] = c
        layout.sniffed[c] = guess
        layout.unmapped.remove(layout.headers[c])
    layout.status_columns.sort()


def _share(values: list, test: Callable[[object], bool]) -> float:
    return sum(map(test, values)) / len(values)


def _guess_field(values: list, layout: Layout, cfg: LedgerConfig) -> str | None:
    def is_status(v: object) -> bool:
        text = key(v)
        return text in cfg.status_values or any(word in text for word, _ in cfg.status_rules)

    def is_date(v: object) -> bool:
        try:
            return parse_date(v, cfg.no_deadline) != (None, False)
        except ValueError:
            return False

    if _share(values, is_status) >= SNIFF_SHARE:
        return "status"
    if "deadline" not in layout.columns and _share(values, is_date) >= SNIFF_SHARE:
        return "deadline"
    if "unit" not in layout.columns and _share(values, lambda v: bool(_UNIT_NAME.match(key(v)))) >= SNIFF_SHARE:
        return "unit"
    return None
