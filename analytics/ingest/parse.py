"""A file's bytes → canonical, validated rows per ledger kind, with every issue located to the cell.

Works column by column and normalises each distinct value once: a ledger
repeats the same statuses, units and dates on most rows, so this keeps a
100,000-row ledger close to the cost of reading it.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, compress
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.config import (
    FIELD_LABELS,
    KIND_LABELS,
    LedgerConfig,
    ScoringConfig,
    ledger_config,
    scoring_config,
)
from analytics.errors import FileRejected, Issue, column_letter
from analytics.ingest import answers as asked
from analytics.ingest import measures as grouping
from analytics.ingest.answers import Answers, Question
from analytics.ingest.deadlines import parse_deadline
from analytics.ingest.headers import AnswersFor, Layout, find_layout
from analytics.ingest.merges import fill_down
from analytics.ingest.normalise import (
    is_recurred,
    is_task_done,
    normalise_severity,
    normalise_source,
    parse_date,
)
from analytics.ingest.reader import Sheet, read_sheets
from analytics.ingest.status import CellStatus, classify_cell, combine
from analytics.periods import FILE_NAME, GIVEN, NONE, SEVERAL, TITLE, Period, PeriodOrigin, find_periods
from analytics.text import as_strings, clean, clean_many, fold_many, header_key, is_blank, key, key_many, to_text

PROBLEM_TEXT_FIELDS = ("problem_code", "seq", "category", "description", "unit", "owner", "leader",
                       "measures", "progress", "remarks", "parent", "co_units")
_PROBLEM_TEXTS = tuple(f for f in PROBLEM_TEXT_FIELDS if f not in ("unit", "problem_code"))  # cleaned, not keyed
# a problem's own fields, the same on each of its measure rows (taken from its first row)
_PROBLEM_LEVEL = ("problem_code", "seq", "category", "description", "unit", "co_units", "leader", "parent",
                  "source", "severity", "recurred_mark", "found_date")
# several units in one cell: the first leads, the others are co-units (配合单位); a role or note beside a name is
# not part of it (牵头：财务部, 财务部（牵头）, 审计部配合, 财务部（张三）)
_UNIT_SEPARATORS = r"[、/，,；;]"
_UNIT_ROLE = "牵头|主责|负责|责任|配合|协同|协办|协助"
_UNIT_PREFIX = re.compile(rf"^(?:{_UNIT_ROLE})(?:单位|部门)?[:：]")
_UNIT_SUFFIX = re.compile(rf"(?:{_UNIT_ROLE})$")
_UNIT_NOTE = re.compile(r"[（(][^（）()]*[）)]")
# a status cell that is free text: a status word there counts, other words say nothing
_FREE_TEXT_FIELDS = ("progress", "remarks")
_MEASURE_CONTENT = ("measures", "deadline", "progress", "owner", "closed_date")
TASK_TEXT_FIELDS = ("seq", "aspect", "measure", "requirement", "unit", "remarks")
_FREQUENCIES = ("每月", "每季度", "每半年", "每年", "每周", "常态化", "长期")
_SECTION_NUMBER = re.compile(r"^[（(]?[一二三四五六七八九十]+[、.．)）]|^\d+[、.．]")
# a number, date, time or boolean cell as text (text.to_text, reader.Sheet): a value, not words
_TIME = r"\d{2}:\d{2}:\d{2}(?:\.\d+)?"
_VALUE_AS_TEXT = re.compile(rf"-?\d+(?:\.\d+)?|\d{{4}}-\d{{2}}-\d{{2}}(?: {_TIME})?|{_TIME}|true|false")


@dataclass
class ParsedSheet:
    """One ledger sheet: its layout, its valid rows and what was skipped or wrong."""

    name: str
    layout: Layout
    rows: pa.Table
    rows_read: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason → count (合计行, 空行, 说明行 …)
    issues: list[Issue] = field(default_factory=list)
    invalid_rows: set[int] = field(default_factory=set)  # Excel row numbers with an error
    dropped_rows: set[int] = field(default_factory=set)  # exact repeats of an earlier row
    measures: pa.Table | None = None  # problem ledgers: each problem's measure rows (problem_row: its first row)
    problems_dropped: int = 0  # problems left out for an error in one of their rows
    questions: list[Question] = field(default_factory=list)  # what the user is asked (answers.Question)


@dataclass
class ParsedFile:
    """A whole input file, parsed and validated but not stored."""

    name: str
    sha256: str
    period: Period | None
    period_origin: PeriodOrigin
    sheets: list[ParsedSheet]
    ignored_sheets: list[tuple[str, str]]  # (sheet, why it is not a ledger)
    issues: list[Issue]  # file-level and row-level, in order
    titles: tuple[str, ...] = ()  # the ledger sheets' title rows (the 填报单位 line …): which company it is from

    @property
    def questions(self) -> list[Question]:
        """What the user can answer (column mapping, status words, the source), every sheet's in order."""
        return [q for s in self.sheets for q in s.questions]

    @property
    def blocking(self) -> list[Question]:
        """The questions without whose answer the file cannot be imported whole."""
        return [q for q in self.questions if q.blocking]

    @property
    def measures_count(self) -> int:
        return sum(s.measures.num_rows for s in self.sheets if s.measures is not None)

    @property
    def problems_dropped(self) -> int:
        return sum(s.problems_dropped for s in self.sheets)

    @property
    def kinds(self) -> list[str]:
        return sorted({s.layout.kind for s in self.sheets})

    @property
    def kind(self) -> str:
        return ",".join(self.kinds)

    @property
    def ok(self) -> bool:
        return not self.issues

    def rows(self, kind: str) -> pa.Table:
        """All valid rows of one ledger kind, from every sheet."""
        tables = [s.rows for s in self.sheets if s.layout.kind == kind and s.rows.num_rows]
        return pa.concat_tables(tables) if tables else pa.table({})

    @property
    def rows_valid(self) -> int:
        """Valid Excel rows (a wide score sheet's row holds several unit × dimension records)."""
        return sum(len(set(s.rows["excel_row"].to_pylist())) if s.layout.kind == "scores" and s.rows.num_rows
                   else s.measures.num_rows if s.measures is not None else s.rows.num_rows for s in self.sheets)

    @property
    def rows_invalid(self) -> int:
        return sum(len(s.invalid_rows) for s in self.sheets)

    @property
    def rows_skipped(self) -> int:
        return sum(sum(s.skipped.values()) for s in self.sheets)


def parse_file(name: str, data: bytes, period: Period | None = None,
               cfg: LedgerConfig | None = None, scoring: ScoringConfig | None = None,
               answers_for: AnswersFor | None = None) -> ParsedFile:
    """Read, locate, normalise and validate a file. Raises FileRejected if nothing in it can be read.

    answers_for gives the user's answers for a header layout's key (a ledger profile, the command line's), if any.
    """
    cfg = cfg or ledger_config()
    scoring = scoring or scoring_config()
    name = PurePath(name).name
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())  # beside the parse: hashlib releases the GIL
        sheets = read_sheets(name, data, cfg.limits)
        found, ignored = _find_layouts(name, sheets, cfg, scoring, answers_for)
        found_period, origin = _infer_period(name, found, period)
        titles = [_titles(sheet, layout) for sheet, layout in found]
        parsed = [_parse_sheet(name, sheet, layout, cfg, scoring, _Context(found_period, t))
                  for (sheet, layout), t in zip(found, titles, strict=True)]
        issues = [i for s in parsed for i in s.issues]
        if found_period is None:
            issues.insert(0, Issue(name, origin.problem()))
        return ParsedFile(name, digest.result(), found_period, origin, parsed, ignored, issues,
                          tuple(dict.fromkeys(x for t in titles for x in t)))


@dataclass(frozen=True)
class _Context:
    """What a sheet's rows are read against: the ledger's quarter (year-less dates, 本季度内) and its title rows (a
    source named there)."""

    period: Period | None
    titles: tuple[str, ...]

    @property
    def year(self) -> int | None:
        return self.period.year if self.period else None

    @property
    def quarter(self) -> int | None:
        return self.period.quarter if self.period else None


def _titles(sheet: Sheet, layout: Layout) -> tuple[str, ...]:
    return tuple(clean(c) for row in sheet.head(layout.header_row) for c in row if isinstance(c, str) and c.strip())


def _find_layouts(name: str, sheets: list[Sheet], cfg: LedgerConfig, scoring: ScoringConfig,
                  answers_for: AnswersFor | None) -> tuple[list[tuple[Sheet, Layout]], list[tuple[str, str]]]:
    """The ledger sheets with their layouts; and the others with why they were left out."""
    found: list[tuple[Sheet, Layout]] = []
    ignored: list[tuple[str, str]] = []
    for sheet in sheets:
        if key(sheet.name) in cfg.skip_sheets:
            ignored.append((sheet.name, "填表说明，不是台账"))
            continue
        layout = find_layout(sheet, cfg, scoring, answers_for)
        if layout is None:
            ignored.append((sheet.name, "未找到表头，不是台账" if sheet.has_cells() else "空工作表"))
            continue
        found.append((sheet, layout))
    if not found:
        raise FileRejected(name, [Issue(name, "没有找到可导入的台账：未识别出问题整改台账、监督清单或评分表的表头"
                                              "（至少需要「问题描述」「责任单位」等列名）")])
    return found, ignored


def _infer_period(name: str, found: list[tuple[Sheet, Layout]],
                  given: Period | None) -> tuple[Period | None, PeriodOrigin]:
    """The file's quarter: as given, else from the file name, else from the title rows and sheet names."""
    if given is not None:
        return given, PeriodOrigin(GIVEN)
    from_name = find_periods(PurePath(name).stem)
    if len(from_name) == 1:
        return next(iter(from_name)), PeriodOrigin(FILE_NAME)
    titles: set[Period] = set()
    for sheet, layout in found:
        titles |= find_periods(sheet.name)
        for row in sheet.head(layout.header_row):
            for cell in row:
                if isinstance(cell, str):
                    titles |= find_periods(cell)
    if len(titles) == 1 and not from_name:
        return next(iter(titles)), PeriodOrigin(TITLE)
    named = tuple(sorted(str(p) for p in from_name | titles))
    return None, PeriodOrigin(SEVERAL, named) if named else PeriodOrigin(NONE)


class _Cells:
    """Column access for one sheet's data rows, with per-value normalisation and located issues."""

    def __init__(self, file: str, sheet: ParsedSheet, columns: list[Sequence], row_numbers: list[int]):
        self.file, self.sheet, self.columns, self.row_numbers = file, sheet, columns, row_numbers
        self.merged_description: pa.Array | None = None  # rows whose description a merged cell above gave

    def raw(self, fld: str) -> Sequence:
        """A column's cells (read only: shared, not copied)."""
        col = self.sheet.layout.columns.get(fld)
        if col is None or not self.columns:
            return [None] * len(self.row_numbers)
        return self.columns[col]

    def column(self, col: int) -> Sequence:
        """One column's cells by its index (blank when the sheet has no rows)."""
        return self.columns[col] if self.columns else [None] * len(self.row_numbers)

    def values(self, fld: str) -> list:
        """A column's cells as Python values, to go through one by one."""
        raw = self.raw(fld)
        return raw.to_pylist() if isinstance(raw, pa.Array) else list(raw)

    def issue(self, i: int, fld: str, value: object, reason: str, col: int | None = None) -> None:
        layout = self.sheet.layout
        col = layout.columns.get(fld) if col is None else col
        header = layout.headers.get(col) if col is not None else None
        row = self.row_numbers[i]
        self.sheet.issues.append(Issue(self.file, reason, self.sheet.name, row, header, col, to_text(value)))
        self.sheet.invalid_rows.add(row)

    def distinct(self, fld: str, fn: Callable[[object], object], values: Sequence | None = None,
                 col: int | None = None) -> tuple[list, pa.Array]:
        """fn once per distinct value: (its results, each row's index into them). A ValueError becomes an issue on
        each row holding that value, and its result None. A column of text only is told apart in Arrow."""
        if values is None:
            values = self.raw(fld) if col is None else (self.columns[col] if self.columns else [])
        text = _all_text(values)
        if text is not None:
            encoded = pc.dictionary_encode(text)
            seen, codes = encoded.dictionary.to_pylist(), encoded.indices
        else:
            seen = list(set(values))
            index = {v: k for k, v in enumerate(seen)}
            codes = pa.array(list(map(index.__getitem__, values)), pa.int32())
        results, failures = [], {}
        for k, v in enumerate(seen):
            try:
                results.append(fn(v))
            except ValueError as exc:
                results.append(None)
                failures[k] = str(exc)
        if failures:
            for i, k in enumerate(codes.to_pylist()):
                if k in failures:
                    self.issue(i, fld, seen[k], failures[k], col)
        return results, codes

    def convert(self, fld: str, fn: Callable[[object], object], values: Sequence | None = None,
                col: int | None = None) -> list:
        """fn once per distinct value of a column, as a list per row (see distinct)."""
        results, codes = self.distinct(fld, fn, values, col)
        return list(map(results.__getitem__, codes.to_pylist()))

    def array(self, fld: str, fn: Callable[[object], object], type_: pa.DataType,
              values: Sequence | None = None) -> pa.Array:
        """fn once per distinct value of a column, as an Arrow array (see distinct)."""
        results, codes = self.distinct(fld, fn, values)
        return pa.array(results, type_).take(codes)

    def text(self, fld: str) -> pa.Array:
        return clean_many(_strings(self.raw(fld)))

    def drop(self) -> None:
        """Let the cells go once converted; issues can still be located (they give the value they are about)."""
        self.columns = []


def _strings(values: Sequence) -> pa.Array:
    """A column of cells as Arrow strings (text.as_strings), a column of text only without going cell by cell."""
    text = _all_text(values)
    return as_strings(values) if text is None else text


def _all_text(values: Sequence) -> pa.Array | None:
    """The column as an Arrow string array if every cell is text, else None.

    The cells are joined into one text and split again in Arrow: quicker than converting them one by one, which
    would also leave a UTF-8 copy cached inside every non-ASCII cell for as long as the cells live (40 MB at
    100,000 rows). A cell holding NUL itself would split in two, so the count is checked.
    """
    if isinstance(values, pa.Array):  # a large sheet's column, text already ("" for blank)
        return values
    if not values:
        return None
    try:
        joined = "\0".join(values).encode()
    except (TypeError, UnicodeEncodeError):  # a number, a date or a blank (None) among the cells
        return None
    if len(joined) >= 2**31:  # past the offsets of an Arrow string array
        return None
    parts = pc.split_pattern(pa.scalar(joined, pa.binary()), b"\0").values
    return parts.view(pa.string()) if len(parts) == len(values) else None  # UTF-8 split at NUL stays UTF-8


def _classify_rows(sheet: Sheet, layout: Layout, cfg: LedgerConfig, required: tuple[str, ...],
                   parsed: ParsedSheet, section_words: bool
                   ) -> tuple[list[Sequence], list[int], list[str | None], pa.Array | None]:
    """Pick the data rows; skip blanks, 合计/小计, notes, and section headings (remembering their source).

    Returns the data rows' columns, their Excel row numbers, the section each row is under, and which rows' problem
    description came from a merged cell above (None when none did).
    """
    start = layout.data_start
    columns, covered = fill_down(sheet.body(start), sheet.merged, start)
    count = max(sheet.height - start, 0)
    required_cols = [layout.columns[f] for f in required if f in layout.columns]
    # a measure row may leave every required cell blank: its measure, deadline or status is its content
    content_cols = required_cols + [layout.columns[f] for f in _MEASURE_CONTENT if f in layout.columns]
    anchors = tuple(c for f in ("unit", "status") if (c := layout.columns.get(f)) is not None)
    header_texts = frozenset(layout.headers.values()) | {header_key(h) for h in layout.headers.values()}
    rule = _RowRule(cfg, content_cols + layout.status_columns, section_words, header_texts,
                    anchors + tuple(layout.status_columns))
    runs: list[tuple[int, int]] = []  # the kept rows, as runs [a, b) of consecutive rows
    sections: list[str | None] = []
    section: str | None = None
    done = 0
    description = layout.columns.get("description")
    for i in _unusual_rows(columns, count, required_cols, rule, description):
        _keep(runs, done, i)  # the usual rows before this one
        sections.extend([section] * (i - done))
        done = i + 1
        skip, section = rule.judge([_cell(c, i) for c in columns], section)
        if skip:
            parsed.skipped[skip] += 1
        else:
            _keep(runs, i, i + 1)
            sections.append(section)
    _keep(runs, done, count)
    sections.extend([section] * (count - done))
    parsed.rows_read = len(sections)
    numbers = list(chain.from_iterable(range(start + a + 1, start + b + 1) for a, b in runs))
    merged_description = covered.get(layout.columns.get("description", -1))
    if merged_description is not None:
        merged_description = pa.array(merged_description).take(
            pa.array(np.fromiter(chain.from_iterable(range(a, b) for a, b in runs), np.int64)))
    return _take_rows(columns, runs, count), numbers, sections, merged_description


def _cell(column: Sequence, i: int) -> object:
    return column[i].as_py() if isinstance(column, pa.Array) else column[i]


def _keep(runs: list[tuple[int, int]], a: int, b: int) -> None:
    """Rows a to b (excluded) are kept: the last run grows, or a new one starts."""
    if a >= b:
        return
    if runs and runs[-1][1] == a:
        runs[-1] = (runs[-1][0], b)
    else:
        runs.append((a, b))


def _unusual_rows(columns: list[Sequence], count: int, required_cols: list[int], rule: _RowRule,
                  description: int | None = None) -> list[int]:
    """Rows that need a closer look, in order: the rest have every required cell filled, no 合计 in front, and a
    description that is words (not a 栏次 number, not the header's own text repeated lower down)."""
    if not required_cols or not columns:
        return list(range(count))
    unusual: set[int] = set()
    for c in required_cols:
        unusual.update(_blank_cells(columns[c], count))
    if description is not None:
        unusual.update(_odd_descriptions(columns[description], rule.header_keys))
    first = columns[0]
    if isinstance(first, pa.Array):  # only cells holding a 合计 word can start with one
        holding = pc.indices_nonzero(pc.match_substring_regex(first, rule.total_words)).to_pylist()
        unusual.update(i for i in holding if rule.total.match(first[i].as_py()))
        unusual.update(pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(first, _EXAMPLE), False)).to_pylist())
    else:
        unusual.update(i for i, v in enumerate(first) if type(v) is str and (rule.total.match(v) or
                                                                           re.match(_EXAMPLE, v)))
    return sorted(unusual)


_BLOCK = 4096


def _odd_descriptions(column: Sequence, header_keys: frozenset[str]) -> list[int]:
    """Rows whose description cell holds a header's text or a bare number: a repeated header or a 栏次 row."""
    if isinstance(column, pa.Array):  # a large sheet: the header's text as written, or as keyed
        odd = pc.or_(pc.match_substring_regex(column, r"^\s*[（(]?\d{1,2}[)）]?\s*$"),
                     pc.is_in(pc.utf8_trim_whitespace(column), pa.array(sorted(header_keys), pa.string())))
        return pc.indices_nonzero(pc.fill_null(odd, False)).to_pylist()
    return [i for i, v in enumerate(column) if (not isinstance(v, str) and isinstance(v, (int, float)))
            or (isinstance(v, str) and (_COLUMN_NUMBER.match(v.strip()) or header_key(v) in header_keys))]


def _blank_cells(column: Sequence, count: int) -> Iterator[int]:
    """The rows whose cell is falsy (empty text, None), looked for a block at a time: all() passes over most blocks
    several times faster than picking cells one by one."""
    if isinstance(column, pa.Array):
        yield from pc.indices_nonzero(pc.equal(column, "")).to_pylist()
        return
    for a in range(0, count, _BLOCK):
        block = column[a:a + _BLOCK]
        if not all(block):
            yield from compress(range(a, a + len(block)), map(operator.not_, block))


def _take_rows(columns: list[Sequence], runs: list[tuple[int, int]], count: int) -> list[Sequence]:
    """The kept rows of each column, copied run by run (usually one or a few)."""
    if runs == [(0, count)]:
        return columns
    if len(runs) == 1:
        return [col[runs[0][0]:runs[0][1]] for col in columns]
    return [pa.concat_arrays([col[a:b] for a, b in runs]) if isinstance(col, pa.Array) else
            _concat(col[a:b] for a, b in runs) for col in columns]


def _concat(pieces: Iterator[Sequence]) -> list:
    out: list = []
    for piece in pieces:
        out.extend(piece)
    return out


# a template's example row (示例 | 巡察 | （填写问题具体表现）…): never a problem
_EXAMPLE = r"^\s*(?:示例|样例|范例|填写示例|填表示例|填报示例|举例|例)\s*\d*\s*[:：]?\s*$"
_CN_ORDINAL = re.compile(r"^[（(]?[一二三四五六七八九十]+[)）、.．]?$")  # 一 / （一） / 一、 alone in a cell
_COLUMN_NUMBER = re.compile(r"^[（(]?(\d{1,2})[)）]?$")  # a 栏次 cell: 1 / （1）


class _RowRule:
    """The one-row-at-a-time rules for rows that are not plainly data."""

    def __init__(self, cfg: LedgerConfig, required_cols: list[int], section_words: bool,
                 header_keys: frozenset[str] = frozenset(), anchor_cols: tuple[int, ...] = ()):
        self.cfg, self.required_cols, self.section_words = cfg, required_cols, section_words
        self.header_keys = header_keys  # the header's texts: the header repeated lower down is no data
        self.anchor_cols = anchor_cols  # unit and status: under a notes line, rows without them are notes
        self.in_notes = False
        self.note = re.compile("^(?:" + "|".join(map(re.escape, cfg.note_prefixes)) + r")\s*\d*\s*[:：]?")
        footer = "|".join(map(re.escape, cfg.footer_words))
        self.footer = re.compile(f"^(?:{footer})") if footer else None
        self.total_words = "|".join(map(re.escape, cfg.total_prefixes))  # anywhere in a cell: only those may match
        self.total = re.compile(rf"^\s*(?:{self.total_words})")

    def judge(self, row: list, section: str | None) -> tuple[str | None, str | None]:
        """(why the row is skipped, or None for a data row; the section from here on)."""
        cfg = self.cfg
        filled = [v for v in row if not is_blank(v)]
        if not filled:
            return "空行", section
        first = key(filled[0])
        if first.startswith(cfg.total_prefixes):
            return "合计/小计行", section
        if re.match(_EXAMPLE, first):
            return "填写示例行", section
        if isinstance(filled[0], str) and self.note.match(first) and len(filled) <= 2:
            self.in_notes = True  # 说明：/ 注： and the numbered lines under it
            return "注释/说明行", section
        if self.in_notes and self.anchor_cols and all(is_blank(row[c]) for c in self.anchor_cols):
            return "注释/说明行", section
        if self.footer and all(isinstance(v, str) and self.footer.match(key(v)) for v in filled):
            return "填报/签字行", section
        if len(filled) >= 2 and all(header_key(v) in self.header_keys for v in filled):
            return "重复的表头行", section
        if _column_numbers(filled):
            return "栏次行", section
        heading = filled[0] if len(filled) == 1 else (  # 一 | 巡视巡察反馈问题: one heading over two cells
            f"{first.rstrip('、.．')}、{key(filled[1])}" if len(filled) == 2 and _CN_ORDINAL.match(first) else None)
        if heading is not None and _words(heading):
            if self.section_words and _SECTION_NUMBER.match(key(heading)):
                found = normalise_source(key(heading), cfg)
                section = found if found in cfg.source_names else None
            return "分类标题行", section
        if self.required_cols and all(is_blank(row[c]) for c in self.required_cols):
            return "无问题内容的行", section
        return None, section


def _column_numbers(filled: list) -> bool:
    """A 栏次 row under the header: 1, 2, 3 … (or （1）（2）…) across the columns, or a row that says 栏次."""
    if isinstance(filled[0], str) and key(filled[0]).startswith("栏次"):
        return True
    numbers = [_COLUMN_NUMBER.match(to_text(v)) for v in filled]
    if len(filled) < 3 or not all(numbers):
        return False
    values = [int(m[1]) for m in numbers]
    return values == list(range(values[0], values[0] + len(values)))


def _words(value: object) -> bool:
    """Whether a cell holds words (a heading's), not a number, date or boolean, typed or as text."""
    return isinstance(value, str) and not _VALUE_AS_TEXT.fullmatch(value)


def _parse_sheet(file: str, sheet: Sheet, layout: Layout, cfg: LedgerConfig, scoring: ScoringConfig,
                 ctx: _Context) -> ParsedSheet:
    parsed = ParsedSheet(sheet.name, layout, pa.table({}))
    waived = set()
    if layout.kind == "problems":
        waived.add("source")  # a source can come from headings, names, titles or the user
        if layout.status_columns or any(f in layout.columns for f in _FREE_TEXT_FIELDS):
            waived.add("status")  # status read wherever it is: 是否销号, 整改进展, 备注
        parsed.questions.extend(Question(asked.COLUMN, sheet.name, name, column=c, blocking=False)
                                for c, name in layout.headers.items() if name in layout.unmapped)
    if layout.kind == "scores" and layout.dimension_columns:
        waived.add("score")  # wide sheets: the dimension columns hold the scores
    missing = [f for f in cfg.required[layout.kind] if f not in layout.columns and f not in waived]
    if missing:
        names = "、".join(f"「{FIELD_LABELS[f]}」" for f in missing)
        parsed.issues.append(Issue(file, f"缺少必填列 {names}（{KIND_LABELS[layout.kind]}），"
                                         f"表头在第 {layout.header_row + 1} 行", sheet.name, layout.header_row + 1))
        if layout.kind == "problems":
            parsed.questions.extend(Question(asked.MISSING, sheet.name, f) for f in missing)
        return parsed
    columns, numbers, sections, merged_description = _classify_rows(
        sheet, layout, cfg, cfg.required[layout.kind], parsed, section_words=layout.kind == "problems")
    sheet.keep_head(layout.header_row)  # the rows go: the columns hold the cells, the title rows the period
    cells = _Cells(file, parsed, columns, numbers)
    cells.merged_description = merged_description
    del columns  # the raw cells now go with cells, before the table is built
    builder = {"problems": _problem_rows, "tasks": _task_rows, "scores": _score_rows}[layout.kind]
    arrays = builder(file, sheet, cells, cfg, scoring, sections, ctx)
    del cells
    arrays.setdefault("excel_row", pa.array(numbers, pa.int32()))
    table = pa.table({"sheet": pa.array([sheet.name] * len(arrays["excel_row"]), pa.string()), **arrays})
    invalid = parsed.invalid_rows
    measures = parsed.measures
    if measures is not None and invalid:  # a problem with an invalid measure row is invalid whole
        invalid = invalid | set(pc.filter(measures["problem_row"], _among(measures["excel_row"], invalid)).to_pylist())
    dropped = invalid | parsed.dropped_rows
    if dropped:
        parsed.problems_dropped = pc.sum(_among(table["excel_row"], invalid)).as_py() or 0
        table = table.filter(pc.invert(_among(table["excel_row"], dropped)))
        if measures is not None:
            measures = measures.filter(pc.and_(pc.invert(_among(measures["excel_row"], parsed.dropped_rows)),
                                               pc.invert(_among(measures["problem_row"], dropped))))
    parsed.rows, parsed.measures = table, measures
    return parsed


def _among(rows: pa.ChunkedArray | pa.Array, numbers: set[int]) -> pa.Array:
    """Which of these Excel row numbers are in numbers."""
    return pc.is_in(rows, pa.array(sorted(numbers), pa.int32()))


def _require(cells: _Cells, fld: str, values: pa.Array | list, label: str) -> None:
    if isinstance(values, pa.Array):
        blank = pc.fill_null(pc.equal(values, ""), True)
        rows = pc.indices_nonzero(blank).to_pylist() if pc.any(blank).as_py() else []
    elif None in values or "" in values:
        rows = [i for i, v in enumerate(values) if v is None or v == ""]
    else:
        rows = []
    for i in rows:
        cells.issue(i, fld, None, f"必填项「{label}」为空")


def _default_source(file: str, sheet: Sheet, cfg: LedgerConfig, titles: tuple[str, ...]) -> str | None:
    """A source named by the sheet, the title rows or the file name (一个来源一张表), for rows that leave it blank."""
    for text in (sheet.name, *titles, PurePath(file).stem):
        found = normalise_source(text, cfg)
        if found in cfg.source_names and found != "其他":
            return found
    return None


def _dates(cells: _Cells, fld: str, cfg: LedgerConfig, allow_no_deadline: bool,
           year: int | None = None) -> tuple[pa.Array, pa.Array]:
    """A date column → (dates, no-deadline flags); a year-less date takes the ledger's year."""
    def parse(v: object) -> tuple:
        day, open_ended = parse_date(v, cfg.no_deadline, year=year)
        if open_ended and not allow_no_deadline:
            raise ValueError("这里应填写日期，不能填写“长期”")
        return day, open_ended

    results, rows = cells.distinct(fld, parse)
    return (pa.array([d[0] if d else None for d in results], pa.date32()).take(rows),
            pa.array([bool(d and d[1]) for d in results], pa.bool_()).take(rows))


def _deadlines(cells: _Cells, cfg: LedgerConfig, ctx: _Context) -> dict[str, pa.Array]:
    """整改时限 as people write it → its date, the text as written, and the 长期坚持 / 立行立改 flags."""
    def parse(v: object) -> tuple:
        # the text as written when it is words (6月底前), not a date cell read as text (a large sheet's cells)
        return (parse_deadline(v, ctx.year, cfg.no_deadline, quarter=ctx.quarter),
                (clean(v) or None) if _words(v) else None)

    results, rows = cells.distinct("deadline", parse)
    parts = [r or (None, None) for r in results]
    return {"deadline": pa.array([d.date if d else None for d, _ in parts], pa.date32()).take(rows),
            "deadline_text": pa.array([text for _, text in parts], pa.string()).take(rows),
            "long_term": pa.array([bool(d and d.long_term) for d, _ in parts], pa.bool_()).take(rows),
            "immediate": pa.array([bool(d and d.immediate) for d, _ in parts], pa.bool_()).take(rows)}


_NOTHING = CellStatus(None, -1, False, "blank")


def _status_columns(layout: Layout) -> list[tuple[int, bool]]:
    """Every status-bearing column, the main one first, each with whether it is free text."""
    found = [(layout.columns["status"], False)] if "status" in layout.columns else []
    found += [(c, c in layout.sniffed) for c in layout.status_columns]
    found += [(layout.columns[f], True) for f in _FREE_TEXT_FIELDS if f in layout.columns]
    return found


def _statuses(cells: _Cells, cfg: LedgerConfig, answers: Answers) -> dict[str, pa.Array]:
    """Each row's status from every status-bearing cell, by the precedence of status.combine, with the cell that
    decided it (状态依据). Each column is classified once per distinct value, the rows once per distinct mix."""
    layout = cells.sheet.layout
    status_cols = _status_columns(layout)
    n = len(cells.row_numbers)
    classes: list[list[CellStatus]] = []
    codes: list[pa.Array] = []
    bases: list[pa.Array] = []  # per column, each row's cell as a 状态依据 text
    unknown: dict[str, None] = {}
    for c, free in status_cols:
        where = f"{layout.headers[c]}（{column_letter(c)}列）"

        def classify(v: object, header: str = header_key(layout.headers[c]), free: bool = free,
                     where: str = where) -> tuple[CellStatus, str | None]:
            if is_blank(v):
                return _NOTHING, None
            try:
                return classify_cell(v, header, cfg, answers.statuses, free), f"{where}「{clean(v)}」"
            except ValueError:
                unknown[clean(v)] = None
                raise
        results, rows = cells.distinct("status", classify, col=c)
        results = [r or (_NOTHING, None) for r in results]
        kinds = list(dict.fromkeys(k for k, _ in results))
        index = {k: i for i, k in enumerate(kinds)}
        classes.append(kinds)
        codes.append(pa.array([index[k] for k, _ in results], pa.int64()).take(rows))
        bases.append(pa.array([text for _, text in results], pa.string()).take(rows))
    cells.sheet.questions.extend(Question(asked.STATUS, cells.sheet.name, word) for word in unknown)
    if not status_cols:
        return {"status": pa.nulls(n, pa.string()), "status_long_term": pa.array([False] * n),
                "status_basis": pa.nulls(n, pa.string())}
    mix = codes[0]
    for kinds, code in zip(classes[1:], codes[1:], strict=True):
        mix = pc.add(pc.multiply(mix, len(kinds)), code)
    encoded = pc.dictionary_encode(mix)
    decisions = []
    for combo in encoded.dictionary.to_pylist():
        picked = []
        for kinds in reversed(classes):
            combo, k = divmod(combo, len(kinds))
            picked.append(kinds[k])
        decisions.append(combine(picked[::-1]))
    which = pa.array([d.column if d.status is not None else -1 for d in decisions], pa.int64()).take(encoded.indices)
    basis = pa.nulls(n, pa.string())
    for k, text in enumerate(bases):
        basis = pc.if_else(pc.equal(which, k), text, basis)
    return {"status": pa.array([d.status for d in decisions], pa.string()).take(encoded.indices),
            "status_long_term": pa.array([d.long_term for d in decisions], pa.bool_()).take(encoded.indices),
            "status_basis": basis}


def _split_units(cols: dict[str, pa.Array]) -> None:
    """财务部、审计部: the first unit leads and is counted; the others join the co-units (配合单位). A cell is split
    only into names of two characters or more, so a name that merely holds a slash stays whole."""
    unit = cols["unit"]
    encoded = pc.dictionary_encode(unit)  # a few hundred distinct names, each read once
    names = [_unit_names(v) for v in encoded.dictionary.to_pylist()]
    cols["unit"] = pa.array([n[0] for n in names], pa.string()).take(encoded.indices)
    rest = pa.array(["、".join(n[1:]) or None for n in names], pa.string()).take(encoded.indices)
    co = cols["co_units"]
    cols["co_units"] = pc.coalesce(pc.binary_join_element_wise(rest, co, "、"), rest, co)


def _unit_keys(units: pa.Array) -> pa.Array:
    """Unit cells as matching keys; a line break between two names separates them, as 、 does."""
    return key_many(pc.replace_substring_regex(units, r"\s*[\r\n]+\s*", "、"))


def _unit_names(text: str) -> list[str]:
    parts = [p for p in re.split(_UNIT_SEPARATORS, text) if p]
    names = [_UNIT_SUFFIX.sub("", _UNIT_NOTE.sub("", _UNIT_PREFIX.sub("", p))) for p in parts]
    return names if names and all(len(n) >= 2 for n in names) else [text]


def _problem_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
                  sections: list[str | None], ctx: _Context) -> dict[str, pa.Array]:
    # The descriptions, all different, take Arrow's text rules longest: a second thread runs them (Arrow releases
    # the GIL) while this one converts the rest. Only long calls gain: short ones would wait for the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        # merged down over its measure rows, a description repeats: cleaned once per distinct text
        description = pool.submit(_clean_and_fold, _strings(cells.raw("description")),
                                  cells.merged_description is not None)
        texts = {f: _by_value(clean_many, cells.raw(f)) for f in _PROBLEM_TEXTS if f != "description"}
        values = _problem_values(file, sheet, cells, cfg, sections, ctx)
        unit = _by_value(_unit_keys, cells.raw("unit"))
        code = pc.utf8_upper(_by_value(key_many, cells.raw("problem_code")))
        cells.drop()  # every column is converted: the cells go while the descriptions are still being cleaned
        texts["description"], folded = description.result()
    cols = {f: texts[f] for f in _PROBLEM_TEXTS} | values
    cols["unit"], cols["problem_code"], cols["folded"] = unit, code, folded
    _split_units(cols)
    starts = grouping.problem_starts(cols["description"], cols["folded"], cols["unit"], cols["problem_code"],
                                     cols.pop("source_cell"), cols["seq"], cells.merged_description)
    if starts is not None:  # a problem over several rows: its own fields are its first row's
        head = grouping.heads(starts)
        others = grouping.other_units(cols["unit"], starts)  # a measure's own unit works with the lead unit
        for f in (*_PROBLEM_LEVEL, "folded"):
            cols[f] = cols[f].take(head)
        cols["co_units"] = pc.coalesce(pc.binary_join_element_wise(cols["co_units"], others, "、"),
                                       cols["co_units"], others)
    _require(cells, "description", cols["description"], "问题描述")
    _require(cells, "unit", cols["unit"], "责任单位")
    _require(cells, "source", cols["source"], "问题来源")
    cols["category_guess"] = _category_guesses(cols["category"], cols["description"], scoring)
    _ask_categories(cells.sheet, cols["category"], scoring)
    problems = _by_problem(cells, cols, starts)
    # identity of a problem without a code: unit + source + folded description (hashed when stored)
    problems["identity"] = pc.binary_join_element_wise(problems["unit"], problems["source"],
                                                       problems.pop("folded"), "|")
    _check_duplicates(cells, problems)
    return problems


def _category_guesses(category: pa.Array, description: pa.Array, scoring: ScoringConfig) -> pa.Array:
    """Where the category is blank, the dimension the description's keywords name (else null: 未归类). Kept apart
    from the category: a category a ledger gave, now or earlier, is never replaced by a guess."""
    blank = pc.is_null(category)
    if not pc.any(blank).as_py():
        return pa.nulls(len(category), pa.string())
    found = _by_value(lambda d: pa.array([_named_dimension(v, scoring) for v in d.to_pylist()], pa.string()),
                      pc.filter(description, blank))
    return pc.replace_with_mask(pa.nulls(len(category), pa.string()), blank, found)


def _ask_categories(sheet: ParsedSheet, category: pa.Array, scoring: ScoringConfig) -> None:
    """Categories that name no dimension (and were not answered): the user may assign them (未归类 till then)."""
    counts = pc.value_counts(category)
    answered = sheet.layout.answers.categories
    for value, rows in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True):
        if value and value not in answered and scoring.classify(value) == scoring.unclassified:
            sheet.questions.append(Question(asked.CATEGORY, sheet.name, value, rows=rows, blocking=False))


def _named_dimension(text: str | None, scoring: ScoringConfig) -> str | None:
    dim = scoring.classify(text or "")
    return None if dim == scoring.unclassified else dim


# each measure row's own fields (the rest are its problem's)
_MEASURE_FIELDS = ("measures", "deadline", "deadline_text", "long_term", "immediate", "no_deadline", "status",
                   "status_long_term", "status_basis", "owner", "progress", "remarks", "closed_date")
# what makes two measure rows of one problem the same row typed twice
_MEASURE_CONTENT_FIELDS = ("measures", "deadline", "deadline_text", "status", "owner", "progress", "closed_date")


def _by_problem(cells: _Cells, cols: dict[str, pa.Array], starts: pa.Array | None) -> dict[str, pa.Array]:
    """One row per problem, its figures from its measures; the measures kept in order beside it (ParsedSheet)."""
    numbers = pa.array(cells.row_numbers, pa.int32())
    if starts is None:  # one row, one problem, one measure
        problem_rows, measure_no = numbers, pa.array([1] * len(numbers), pa.int32())
        problems = dict(cols) | {"excel_row": numbers, "measure_count": measure_no}
    else:
        problems, problem_rows, measure_no = _aggregate(cells, cols, starts, numbers)
    problems["long_term"] = pc.or_(problems.pop("long_term"), problems.pop("status_long_term"))
    problems["no_deadline"] = pc.and_(pc.is_null(problems["deadline"]),
                                      pc.or_(problems["no_deadline"], problems["long_term"]))
    # 立行立改 is due at once: at its found date (else at the quarter's end it first appears in: ledger.store)
    problems["immediate"] = pc.and_(pc.is_null(problems["deadline"]), problems["immediate"])  # no dated measure
    problems["deadline"] = pc.if_else(problems["immediate"], problems["found_date"], problems["deadline"])
    missing = pc.is_null(problems["status"])
    if pc.any(missing).as_py():
        layout = cells.sheet.layout
        status_cols = [c for c, _free in _status_columns(layout)]
        read = "、".join(f"「{layout.headers[c]}」（{column_letter(c)}列）" for c in status_cols)
        reason = f"整改状态为空：{read}均未写明整改状态" if read else "整改状态为空"
        told = set(pc.filter(problem_rows, _among(numbers, cells.sheet.invalid_rows)).to_pylist())
        for i in pc.indices_nonzero(missing).to_pylist():
            row = problems["excel_row"][i].as_py()
            if row in told:  # a status cell of the problem is wrong already: that is the issue to fix
                continue
            col = status_cols[0] if status_cols else None
            cells.sheet.issues.append(Issue(cells.file, reason, cells.sheet.name, row,
                                            layout.headers.get(col) if col is not None else None, col))
            cells.sheet.invalid_rows.add(row)
            # its only words on the matter are free text (整改进展, 备注): the user may say what they mean
            said = next((problems[f][i].as_py() for f in _FREE_TEXT_FIELDS if problems[f][i].is_valid), None)
            if said:
                cells.sheet.questions.append(Question(asked.STATUS, cells.sheet.name, said))
    measures = {f: cols[f] for f in ("measures", "deadline", "deadline_text", "long_term", "immediate", "status",
                                     "status_basis", "owner", "progress", "closed_date")}
    table = pa.table({"problem_row": problem_rows, "excel_row": numbers, "measure_no": measure_no, **measures})
    cells.sheet.measures = table.filter(pc.greater(measure_no, 0))  # 0: a repeat, or a problem's heading row
    return problems


def _aggregate(cells: _Cells, cols: dict[str, pa.Array], starts: pa.Array,
               numbers: pa.Array) -> tuple[dict[str, pa.Array], pa.Array, pa.Array]:
    """Each problem's row from its measure rows (measures.aggregate); a measure row typed twice is a repeat."""
    grouped = grouping.aggregate(cols, starts, _MEASURE_CONTENT_FIELDS)
    repeats = pc.filter(numbers, grouped.repeats).to_pylist()
    if repeats:
        cells.sheet.dropped_rows.update(repeats)
        cells.sheet.skipped["重复行（与前一行完全相同）"] += len(repeats)
    problems = {f: v.take(grouped.first) for f, v in cols.items() if f not in _MEASURE_FIELDS}
    problems |= grouped.fields
    problems["excel_row"] = numbers.take(grouped.first)
    problems["measure_count"] = grouped.counts
    group = pc.subtract(pc.cumulative_sum(pc.cast(starts, pa.int64())), 1)
    return problems, problems["excel_row"].take(group), grouped.measure_no


def _by_value(rule: Callable[[pa.Array], pa.Array], values: Sequence) -> pa.Array:
    """An element-wise text rule, applied once per distinct value when values repeat (units, statuses …)."""
    arr = _strings(values)
    encoded = pc.dictionary_encode(arr)
    if 2 * len(encoded.dictionary) > len(arr):
        return rule(arr)
    return rule(encoded.dictionary).take(encoded.indices)


def _clean_and_fold(description: pa.Array, repeats: bool = False) -> tuple[pa.Array, pa.Array]:
    if repeats:
        encoded = pc.dictionary_encode(description)
        cleaned = clean_many(encoded.dictionary)
        return cleaned.take(encoded.indices), fold_many(cleaned).take(encoded.indices)
    cleaned = clean_many(description)
    return cleaned, fold_many(cleaned)


def _problem_values(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig,
                    sections: list[str | None], ctx: _Context) -> dict[str, pa.Array]:
    """Source, status, severity, flags and dates, each converted once per distinct value."""
    cols: dict[str, pa.Array] = {}
    answers = cells.sheet.layout.answers
    default = _default_source(file, sheet, cfg, ctx.titles) or answers.source
    source_raw = cells.raw("source")
    cols["source_cell"] = _by_value(key_many, source_raw)  # as written: a measure row's blank is not a new source
    distinct = pc.unique(source_raw).to_pylist() if isinstance(source_raw, pa.Array) else set(source_raw)
    if any(map(is_blank, distinct)):  # blank cells take the section's or the sheet's source
        source_raw = [sec or default if is_blank(v) else v
                      for v, sec in zip(cells.values("source"), sections, strict=True)]
        if any(map(is_blank, source_raw)):
            cells.sheet.questions.append(Question(asked.SOURCE, sheet.name, "",
                                                  rows=sum(map(is_blank, source_raw))))
    cols["source"] = cells.array("source", lambda v: None if is_blank(v) else normalise_source(v, cfg), pa.string(),
                                 source_raw)
    cols |= _statuses(cells, cfg, answers)
    cols["severity"] = cells.array("severity", lambda v: normalise_severity(v, cfg), pa.string())
    cols["recurred_mark"] = cells.array("recurred", lambda v: is_recurred(v, cfg), pa.bool_())
    cols |= _deadlines(cells, cfg, ctx)
    cols["no_deadline"] = pc.and_(pc.is_null(cols["deadline"]), cols["long_term"])
    cols["found_date"], _ = _dates(cells, "found_date", cfg, allow_no_deadline=False, year=ctx.year)
    cols["closed_date"], _ = _dates(cells, "closed_date", cfg, allow_no_deadline=False, year=ctx.year)
    return cols


_CONTENT_FIELDS = ("description", "unit", "source", "status", "deadline", "closed_date", "category")


def _check_duplicates(cells: _Cells, cols: dict[str, pa.Array]) -> None:
    """The same problem twice in one file: identical rows are dropped, differing ones are errors."""
    joined = pc.coalesce(pc.binary_join_element_wise("code:", cols["problem_code"], ""),
                         pc.binary_join_element_wise("fp:", cols["identity"], ""))
    counts = pc.value_counts(joined)
    if not pc.any(pc.and_kleene(pc.greater(counts.field("counts"), 1), pc.is_valid(counts.field("values")))).as_py():
        return  # no identity twice (counted in Arrow; the rows are compared one by one only when one is)
    idents = joined.to_pylist()
    rows = cols["excel_row"].to_pylist()
    content = list(zip(*(cols[f].to_pylist() for f in _CONTENT_FIELDS), strict=True))
    seen: dict[str, int] = {}
    for i, ident in enumerate(idents):
        if ident is None:
            continue
        first = seen.setdefault(ident, i)
        if first == i:
            continue
        where = f"第 {rows[first]} 行"
        if content[i] == content[first]:
            cells.sheet.dropped_rows.add(rows[i])
            cells.sheet.skipped["重复行（与前一行完全相同）"] += 1
        else:
            reason = (f"问题编号与{where}重复，但内容不同；同一编号只能对应一个问题" if ident.startswith("code:") else
                      f"与{where}是同一问题（同单位、同来源、同描述），但内容不同，请合并为一行")
            fld = "problem_code" if ident.startswith("code:") else "description"
            value = ident[5:] if ident.startswith("code:") else content[i][0]
            _problem_issue(cells, rows[i], fld, value, reason)


def _problem_issue(cells: _Cells, row: int, fld: str, value: object, reason: str) -> None:
    """An issue about a whole problem, located at its first row."""
    layout = cells.sheet.layout
    col = layout.columns.get(fld)
    cells.sheet.issues.append(Issue(cells.file, reason, cells.sheet.name, row, layout.headers.get(col), col,
                                    to_text(value)))
    cells.sheet.invalid_rows.add(row)


def _task_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
               sections: list[str | None], ctx: _Context) -> dict[str, pa.Array]:
    cols: dict[str, pa.Array] = {f: cells.text(f) for f in TASK_TEXT_FIELDS if f != "unit"}
    cols["unit"] = key_many(_strings(cells.raw("unit")))
    has_frequency = "frequency" in cells.sheet.layout.columns
    # 完成时限 often holds a frequency (每季度) instead of a date
    when = cells.values("frequency" if has_frequency else "deadline")
    frequency = [next((f for f in _FREQUENCIES if key(v).startswith(f)), None) if isinstance(v, str) else None
                 for v in when]
    deadline_raw = cells.raw("deadline") if has_frequency else [None if f else v for v, f in zip(when, frequency,
                                                                                               strict=True)]
    deadline = cells.convert("deadline", lambda v: parse_date(v, cfg.no_deadline)[0], deadline_raw)
    cols["frequency"] = pa.array(frequency, pa.string())
    cols["deadline"] = pa.array(deadline, pa.date32())
    cols["status"] = cells.text("status")
    cols["done"] = pa.array(cells.convert("status", lambda v: is_task_done(v, cfg)), pa.bool_())
    _require(cells, "measure", cols["measure"], "监督措施")
    # a blank or missing 监督方面 is part of the key as '' (a null would make the whole key null)
    cols["task_key"] = pc.binary_join_element_wise(
        pc.fill_null(fold_many(cols["aspect"]), ""), pc.fill_null(fold_many(cols["measure"]), ""),
        pc.fill_null(cols["unit"], ""), "|")
    return cols


def _score_value(value: object) -> float:
    try:
        number = float(key(value)) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("得分应为 0–100 的数字") from None
    if not 0 <= number <= 100:
        raise ValueError("得分应在 0–100 之间")
    return number


def _score_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
                sections: list[str | None], ctx: _Context) -> dict[str, pa.Array]:
    layout = cells.sheet.layout
    units = key_many(_strings(cells.raw("unit"))).to_pylist()
    _require(cells, "unit", units, "单位")
    methods = cells.text("method").to_pylist()
    out: dict[str, list] = {"excel_row": [], "unit": [], "dimension": [], "score": [], "method": []}

    def add(i: int, dimension: str | None, score: float | None) -> None:
        out["excel_row"].append(cells.row_numbers[i])
        out["unit"].append(units[i])
        out["dimension"].append(dimension)
        out["score"].append(score)
        out["method"].append(methods[i])

    if layout.dimension_columns:  # wide: one column per dimension
        for col, dim in layout.dimension_columns.items():
            values = cells.convert(dim, lambda v: None if is_blank(v) else _score_value(v), col=col)
            for i, v in enumerate(values):
                if v is not None:
                    add(i, dim, v)
    else:  # long: 单位, 维度, 得分
        scores = cells.convert("score", _score_value)
        for i, d in enumerate(cells.text("dimension").to_pylist()):
            dim = scoring.classify(d or "")
            if dim == scoring.unclassified:
                cells.issue(i, "dimension", d, "无法对应到八个维度之一（维度名称见 data/scoring.toml）")
            add(i, dim, scores[i])
    seen: dict[tuple, int] = {}
    for i, (u, d, s, m) in enumerate(zip(out["unit"], out["dimension"], out["score"], out["method"], strict=True)):
        prev = seen.setdefault((u, d, m), i)
        if prev != i and out["score"][prev] != s:
            row = out["excel_row"][i]
            reason = f"单位「{u}」维度「{d}」的得分与第 {out['excel_row'][prev]} 行重复且不同"
            cells.sheet.issues.append(Issue(file, reason, sheet.name, row))
            cells.sheet.invalid_rows.add(row)
    return {"excel_row": pa.array(out["excel_row"], pa.int32()), "unit": pa.array(out["unit"], pa.string()),
            "dimension": pa.array(out["dimension"], pa.string()), "score": pa.array(out["score"], pa.float64()),
            "method": pa.array(out["method"], pa.string())}
