"""A file's bytes → canonical, validated rows per ledger kind, with every issue located to the cell.

Works column by column and normalises each distinct value once: a ledger
repeats the same statuses, units and dates on most rows, so this keeps a
100,000-row ledger close to the cost of reading it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

import pyarrow as pa
import pyarrow.compute as pc

from analytics.config import FIELD_LABELS, KIND_LABELS, LedgerConfig, ScoringConfig, ledger_config, scoring_config
from analytics.errors import FileRejected, Issue
from analytics.ingest.headers import Layout, find_layout
from analytics.ingest.normalise import (
    is_recurred,
    is_task_done,
    normalise_severity,
    normalise_source,
    normalise_status,
    parse_date,
)
from analytics.ingest.reader import Sheet, read_sheets
from analytics.periods import Period, find_periods
from analytics.text import clean_many, fold_many, header_key, key, key_many, to_text

PROBLEM_TEXT_FIELDS = ("problem_code", "seq", "category", "description", "unit", "owner", "leader",
                       "measures", "progress", "remarks")
TASK_TEXT_FIELDS = ("seq", "aspect", "measure", "requirement", "unit", "remarks")
_FREQUENCIES = ("每月", "每季度", "每半年", "每年", "每周", "常态化", "长期")
_SECTION_NUMBER = re.compile(r"^[（(]?[一二三四五六七八九十]+[、.．)）]|^\d+[、.．]")


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


@dataclass
class ParsedFile:
    """A whole input file, parsed and validated but not stored."""

    name: str
    sha256: str
    period: Period | None
    period_origin: str
    sheets: list[ParsedSheet]
    ignored_sheets: list[tuple[str, str]]  # (sheet, why it is not a ledger)
    issues: list[Issue]  # file-level and row-level, in order

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
                   else s.rows.num_rows for s in self.sheets)

    @property
    def rows_invalid(self) -> int:
        return sum(len(s.invalid_rows) for s in self.sheets)

    @property
    def rows_skipped(self) -> int:
        return sum(sum(s.skipped.values()) for s in self.sheets)


def parse_file(name: str, data: bytes, period: Period | None = None,
               cfg: LedgerConfig | None = None, scoring: ScoringConfig | None = None) -> ParsedFile:
    """Read, locate, normalise and validate a file. Raises FileRejected if nothing in it can be read."""
    cfg = cfg or ledger_config()
    scoring = scoring or scoring_config()
    name = PurePath(name).name
    sheets = read_sheets(name, data, cfg.limits)
    parsed: list[ParsedSheet] = []
    ignored: list[tuple[str, str]] = []
    for sheet in sheets:
        if key(sheet.name) in cfg.skip_sheets:
            ignored.append((sheet.name, "填表说明，不是台账"))
            continue
        layout = find_layout(sheet, cfg, scoring)
        if layout is None:
            has_cells = any(not _blank(v) for row in sheet.rows for v in row)
            ignored.append((sheet.name, "未找到表头，不是台账" if has_cells else "空工作表"))
            continue
        parsed.append(_parse_sheet(name, sheet, layout, cfg, scoring))
    if not parsed:
        raise FileRejected(name, [Issue(name, "没有找到可导入的台账：未识别出问题整改台账、监督清单或评分表的表头"
                                              "（至少需要「问题描述」「责任单位」等列名）")])
    found_period, origin = _infer_period(name, sheets, parsed, period)
    issues = [i for s in parsed for i in s.issues]
    if found_period is None:
        issues.insert(0, Issue(name, origin))
    return ParsedFile(name, hashlib.sha256(data).hexdigest(), found_period, origin, parsed, ignored, issues)


def _infer_period(name: str, sheets: list[Sheet], parsed: list[ParsedSheet],
                  given: Period | None) -> tuple[Period | None, str]:
    """The file's quarter: as given, else from the file name, else from the title rows and sheet names."""
    if given is not None:
        return given, "指定"
    from_name = find_periods(PurePath(name).stem)
    if len(from_name) == 1:
        return next(iter(from_name)), "文件名"
    titles: set[Period] = set()
    by_name = {s.name: s for s in sheets}
    for ps in parsed:
        titles |= find_periods(ps.name)
        for row in by_name[ps.name].rows[: ps.layout.header_row]:
            for cell in row:
                if isinstance(cell, str):
                    titles |= find_periods(cell)
    if len(titles) == 1 and not from_name:
        return next(iter(titles)), "标题"
    named = sorted(str(p) for p in from_name | titles)
    ask = "请指定所属期间（页面上选择，或命令行 --period 2024Q3）"
    if named:
        return None, f"文件名和标题中出现多个期间（{'、'.join(named)}），{ask}"
    return None, f"无法从文件名或标题识别季度，{ask}"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Cells:
    """Column access for one sheet's data rows, with per-value normalisation and located issues."""

    def __init__(self, file: str, sheet: ParsedSheet, rows: list[list], row_numbers: list[int]):
        self.file, self.sheet, self.row_numbers = file, sheet, row_numbers
        self.columns = list(zip(*rows, strict=True)) if rows else []  # transposed once; rows are rectangular

    def raw(self, fld: str) -> list:
        col = self.sheet.layout.columns.get(fld)
        if col is None or not self.columns:
            return [None] * len(self.row_numbers)
        return list(self.columns[col])

    def issue(self, i: int, fld: str, value: object, reason: str, col: int | None = None) -> None:
        layout = self.sheet.layout
        col = layout.columns.get(fld) if col is None else col
        header = layout.headers.get(col) if col is not None else None
        row = self.row_numbers[i]
        self.sheet.issues.append(Issue(self.file, reason, self.sheet.name, row, header, col, to_text(value)))
        self.sheet.invalid_rows.add(row)

    def convert(self, fld: str, fn: Callable[[object], object], values: list | None = None,
                col: int | None = None) -> list:
        """Apply fn once per distinct value of a column; a ValueError becomes an issue on each row holding it."""
        if values is None:
            values = self.raw(fld) if col is None else (list(self.columns[col]) if self.columns else [])
        results, failures = {}, {}
        for v in set(values):
            try:
                results[v] = fn(v)
            except ValueError as exc:
                failures[v] = str(exc)
        if not failures:
            return [results[v] for v in values]
        out = []
        for i, v in enumerate(values):
            if v in failures:
                self.issue(i, fld, v, failures[v], col)
                out.append(None)
            else:
                out.append(results[v])
        return out

    def text(self, fld: str) -> pa.Array:
        return clean_many(self.raw(fld))


def _classify_rows(sheet: Sheet, layout: Layout, cfg: LedgerConfig, required: tuple[str, ...],
                   parsed: ParsedSheet, section_words: bool) -> tuple[list[list], list[int], list[str | None]]:
    """Pick the data rows; skip blanks, 合计/小计, notes, and section headings (remembering their source)."""
    note = re.compile("^(?:" + "|".join(map(re.escape, cfg.note_prefixes)) + r")\s*\d*\s*[:：]?")
    total = re.compile(r"^\s*(?:" + "|".join(map(re.escape, cfg.total_prefixes)) + ")")
    required_cols = [layout.columns[f] for f in required if f in layout.columns]
    rows, numbers, sections = [], [], []
    section: str | None = None
    for r in range(layout.data_start, len(sheet.rows)):
        row = sheet.rows[r]
        first_cell = row[0] if row else None
        # the common case, decided cheaply: every required cell filled and no 合计 in front
        if required_cols and all(row[c] for c in required_cols) and not (
                type(first_cell) is str and total.match(first_cell)):
            rows.append(row)
            numbers.append(r + 1)
            sections.append(section)
            continue
        filled = [v for v in row if not _blank(v)]
        if not filled:
            parsed.skipped["空行"] += 1
            continue
        first = key(filled[0])
        if first.startswith(cfg.total_prefixes):
            parsed.skipped["合计/小计行"] += 1
            continue
        if isinstance(filled[0], str) and note.match(first) and len(filled) <= 2:
            parsed.skipped["注释/说明行"] += 1
            continue
        if len(filled) == 1 and isinstance(filled[0], str):
            parsed.skipped["分类标题行"] += 1
            if section_words and _SECTION_NUMBER.match(first):
                found = normalise_source(first, cfg)
                section = found if found in cfg.source_names else None
            continue
        if required_cols and all(_blank(row[c]) for c in required_cols):
            parsed.skipped["无问题内容的行"] += 1
            continue
        rows.append(row)
        numbers.append(r + 1)
        sections.append(section)
    parsed.rows_read = len(rows)
    return rows, numbers, sections


def _parse_sheet(file: str, sheet: Sheet, layout: Layout, cfg: LedgerConfig, scoring: ScoringConfig) -> ParsedSheet:
    parsed = ParsedSheet(sheet.name, layout, pa.table({}))
    waived = {"source"} if layout.kind == "problems" else set()  # a source can come from headings or names
    if layout.kind == "scores" and layout.dimension_columns:
        waived.add("score")  # wide sheets: the dimension columns hold the scores
    missing = [f for f in cfg.required[layout.kind] if f not in layout.columns and f not in waived]
    if missing:
        names = "、".join(f"「{FIELD_LABELS[f]}」" for f in missing)
        parsed.issues.append(Issue(file, f"缺少必填列 {names}（{KIND_LABELS[layout.kind]}），"
                                         f"表头在第 {layout.header_row + 1} 行", sheet.name, layout.header_row + 1))
        return parsed
    rows, numbers, sections = _classify_rows(sheet, layout, cfg, cfg.required[layout.kind], parsed,
                                             section_words=layout.kind == "problems")
    cells = _Cells(file, parsed, rows, numbers)
    builder = {"problems": _problem_rows, "tasks": _task_rows, "scores": _score_rows}[layout.kind]
    columns = builder(file, sheet, cells, cfg, scoring, sections)
    columns.setdefault("excel_row", pa.array(numbers, pa.int32()))
    table = pa.table({"sheet": pa.array([sheet.name] * len(columns["excel_row"]), pa.string()), **columns})
    dropped = parsed.invalid_rows | parsed.dropped_rows
    if dropped:
        keep = pc.invert(pc.is_in(table["excel_row"], pa.array(sorted(dropped), pa.int32())))
        table = table.filter(keep)
    parsed.rows = table
    return parsed


def _require(cells: _Cells, fld: str, values: pa.Array | list, label: str) -> None:
    items = values.to_pylist() if isinstance(values, pa.Array) else values
    if None not in items and "" not in items:
        return
    for i, v in enumerate(items):
        if v is None or v == "":
            cells.issue(i, fld, None, f"必填项「{label}」为空")


def _default_source(file: str, sheet: Sheet, cfg: LedgerConfig) -> str | None:
    """A source named by the sheet or the file name (一个来源一张表), for rows that leave it blank."""
    for text in (sheet.name, PurePath(file).stem):
        found = normalise_source(text, cfg)
        if found in cfg.source_names and found != "其他":
            return found
    return None


def _dates(cells: _Cells, fld: str, cfg: LedgerConfig, allow_no_deadline: bool) -> tuple[pa.Array, pa.Array]:
    """A date column → (dates, no-deadline flags)."""
    def parse(v: object) -> tuple:
        day, open_ended = parse_date(v, cfg.no_deadline)
        if open_ended and not allow_no_deadline:
            raise ValueError("这里应填写日期，不能填写“长期”")
        return day, open_ended

    parsed = cells.convert(fld, parse)
    return (pa.array([d[0] if d else None for d in parsed], pa.date32()),
            pa.array([bool(d and d[1]) for d in parsed], pa.bool_()))


def _problem_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
                  sections: list[str | None]) -> dict[str, pa.Array]:
    cols: dict[str, pa.Array] = {f: cells.text(f) for f in PROBLEM_TEXT_FIELDS if f not in ("unit", "problem_code")}
    default = _default_source(file, sheet, cfg)
    source_raw = [sec or default if _blank(v) else v for v, sec in zip(cells.raw("source"), sections, strict=True)]
    source = cells.convert("source", lambda v: None if _blank(v) else normalise_source(v, cfg), source_raw)
    cols["source"] = pa.array(source, pa.string())
    status_col = cells.sheet.layout.columns.get("status")
    status_header = header_key(cells.sheet.layout.headers[status_col]) if status_col is not None else ""
    cols["status"] = pa.array(cells.convert("status", lambda v: normalise_status(v, status_header, cfg)), pa.string())
    cols["severity"] = pa.array(cells.convert("severity", lambda v: normalise_severity(v, cfg)), pa.string())
    cols["recurred_mark"] = pa.array(cells.convert("recurred", lambda v: is_recurred(v, cfg)), pa.bool_())
    cols["deadline"], cols["no_deadline"] = _dates(cells, "deadline", cfg, allow_no_deadline=True)
    cols["found_date"], _ = _dates(cells, "found_date", cfg, allow_no_deadline=False)
    cols["closed_date"], _ = _dates(cells, "closed_date", cfg, allow_no_deadline=False)
    cols["unit"] = key_many(cells.raw("unit"))
    cols["problem_code"] = pc.utf8_upper(key_many(cells.raw("problem_code")))
    _require(cells, "description", cols["description"], "问题描述")
    _require(cells, "unit", cols["unit"], "责任单位")
    _require(cells, "source", source, "问题来源")
    # identity of a problem without a code: unit + source + folded description (hashed when stored)
    cols["identity"] = pc.binary_join_element_wise(cols["unit"], cols["source"], fold_many(cols["description"]), "|")
    _check_duplicates(cells, cols)
    return cols


_CONTENT_FIELDS = ("description", "unit", "source", "status", "deadline", "closed_date", "category")


def _check_duplicates(cells: _Cells, cols: dict[str, pa.Array]) -> None:
    """The same problem twice in one file: identical rows are dropped, differing ones are errors."""
    idents = pc.coalesce(pc.binary_join_element_wise("code:", cols["problem_code"], ""),
                         pc.binary_join_element_wise("fp:", cols["identity"], "")).to_pylist()
    present = [i for i in idents if i is not None]
    if len(set(present)) == len(present):
        return
    content = list(zip(*(cols[f].to_pylist() for f in _CONTENT_FIELDS), strict=True))
    seen: dict[str, int] = {}
    for i, ident in enumerate(idents):
        if ident is None:
            continue
        first = seen.setdefault(ident, i)
        if first == i:
            continue
        where = f"第 {cells.row_numbers[first]} 行"
        if content[i] == content[first]:
            cells.sheet.dropped_rows.add(cells.row_numbers[i])
            cells.sheet.skipped["重复行（与前一行完全相同）"] += 1
        elif ident.startswith("code:"):
            cells.issue(i, "problem_code", ident[5:], f"问题编号与{where}重复，但内容不同；同一编号只能对应一个问题")
        else:
            cells.issue(i, "description", content[i][0],
                        f"与{where}是同一问题（同单位、同来源、同描述），但内容不同，请合并为一行")


def _task_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
               sections: list[str | None]) -> dict[str, pa.Array]:
    cols: dict[str, pa.Array] = {f: cells.text(f) for f in TASK_TEXT_FIELDS if f != "unit"}
    cols["unit"] = key_many(cells.raw("unit"))
    has_frequency = "frequency" in cells.sheet.layout.columns
    # 完成时限 often holds a frequency (每季度) instead of a date
    when = cells.raw("frequency" if has_frequency else "deadline")
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
                sections: list[str | None]) -> dict[str, pa.Array]:
    layout = cells.sheet.layout
    units = key_many(cells.raw("unit")).to_pylist()
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
            values = cells.convert(dim, lambda v: None if _blank(v) else _score_value(v), col=col)
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
