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

import pandas as pd

from analytics.config import KIND_LABELS, LedgerConfig, ScoringConfig, ledger_config, scoring_config
from analytics.errors import FileRejected, Issue, PeriodUnknown
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
from analytics.text import clean, fingerprint_text, header_key, key, to_text

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
    rows: pd.DataFrame
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

    def rows(self, kind: str) -> pd.DataFrame:
        frames = [s.rows for s in self.sheets if s.layout.kind == kind and len(s.rows)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def rows_valid(self) -> int:
        return sum(len(s.rows) for s in self.sheets)

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
    sheets = read_sheets(name, data)
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
    if named:
        raise_msg = f"文件名和标题中出现多个期间（{'、'.join(named)}），请指定期间（如 --period 2024Q3）"
    else:
        raise_msg = "无法从文件名或标题识别季度，请指定期间（如 --period 2024Q3，或在页面上选择）"
    return None, raise_msg


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Cells:
    """Column access for one sheet's data rows, with cached per-value normalisation and located issues."""

    def __init__(self, file: str, sheet: ParsedSheet, rows: list[list], row_numbers: list[int]):
        self.file, self.sheet, self.rows, self.row_numbers = file, sheet, rows, row_numbers

    def raw(self, fld: str) -> list:
        col = self.sheet.layout.columns.get(fld)
        if col is None:
            return [None] * len(self.rows)
        return [row[col] if col < len(row) else None for row in self.rows]

    def issue(self, i: int, fld: str, value: object, reason: str) -> None:
        layout = self.sheet.layout
        col = layout.columns.get(fld)
        header = layout.headers.get(col) if col is not None else None
        row = self.row_numbers[i]
        self.sheet.issues.append(Issue(self.file, reason, self.sheet.name, row, header, col, to_text(value)))
        self.sheet.invalid_rows.add(row)

    def convert(self, fld: str, fn: Callable[[object], object], values: list | None = None) -> list:
        """Apply fn to each distinct value of a column once; a ValueError becomes an issue on each row holding it."""
        values = self.raw(fld) if values is None else values
        cache: dict = {}
        out = []
        for i, v in enumerate(values):
            k = (type(v), v) if not isinstance(v, list) else None
            if k not in cache:
                try:
                    cache[k] = (True, fn(v))
                except ValueError as exc:
                    cache[k] = (False, str(exc))
            ok, result = cache[k]
            if ok:
                out.append(result)
            else:
                self.issue(i, fld, v, result)
                out.append(None)
        return out

    def text(self, fld: str) -> list[str | None]:
        out = []
        for v in self.raw(fld):
            if isinstance(v, str):
                s = v.strip()
                if "  " in s or "\n" in s or "\t" in s or "\u3000" in s or "\r" in s:
                    s = clean(s)
                out.append(s or None)
            else:
                out.append(to_text(v) or None if v is not None else None)
        return out


def _classify_rows(sheet: Sheet, layout: Layout, cfg: LedgerConfig, required: tuple[str, ...],
                   parsed: ParsedSheet, section_words: bool) -> tuple[list[list], list[int], list[str | None]]:
    """Pick the data rows; skip blanks, 合计/小计, notes, and section headings (remembering their source)."""
    note = re.compile("^(?:" + "|".join(map(re.escape, cfg.note_prefixes)) + r")\s*\d*\s*[:：]?")
    required_cols = [layout.columns[f] for f in required if f in layout.columns]
    rows, numbers, sections = [], [], []
    section: str | None = None
    for r in range(layout.data_start, len(sheet.rows)):
        row = sheet.rows[r]
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
        if required_cols and all(c >= len(row) or _blank(row[c]) for c in required_cols):
            parsed.skipped["无问题内容的行"] += 1
            continue
        rows.append(row)
        numbers.append(r + 1)
        sections.append(section)
    parsed.rows_read = len(rows)
    return rows, numbers, sections


def _parse_sheet(file: str, sheet: Sheet, layout: Layout, cfg: LedgerConfig, scoring: ScoringConfig) -> ParsedSheet:
    parsed = ParsedSheet(sheet.name, layout, pd.DataFrame())
    missing = [f for f in cfg.required[layout.kind] if f not in layout.columns and not (f == "source" and layout.kind == "problems")]
    if layout.kind == "scores" and "score" not in layout.columns and layout.dimension_columns:
        missing = [f for f in missing if f != "score"]
    if missing:
        from analytics.config import FIELD_LABELS

        names = "、".join(f"「{FIELD_LABELS[f]}」" for f in missing)
        parsed.issues.append(Issue(file, f"缺少必填列 {names}（{KIND_LABELS[layout.kind]}），"
                                         f"表头在第 {layout.header_row + 1} 行", sheet.name, layout.header_row + 1))
        return parsed
    required = cfg.required[layout.kind]
    rows, numbers, sections = _classify_rows(sheet, layout, cfg, required, parsed,
                                             section_words=layout.kind == "problems")
    cells = _Cells(file, parsed, rows, numbers)
    builder = {"problems": _problem_rows, "tasks": _task_rows, "scores": _score_rows}[layout.kind]
    frame = builder(file, sheet, cells, cfg, scoring, sections)
    if "excel_row" not in frame:
        frame.insert(0, "excel_row", numbers)
    frame.insert(0, "sheet", sheet.name)
    if parsed.invalid_rows or parsed.dropped_rows:
        frame = frame[~frame["excel_row"].isin(parsed.invalid_rows | parsed.dropped_rows)].reset_index(drop=True)
    parsed.rows = frame
    return parsed


def _require(cells: _Cells, fld: str, values: list, label: str) -> None:
    for i, v in enumerate(values):
        if v is None or v == "":
            cells.issue(i, fld, None, f"必填项「{label}」为空")


def _default_source(file: str, sheet: Sheet, cfg: LedgerConfig) -> str | None:
    """A source named by the sheet or the file name (一个来源一张表), for rows that leave it blank."""
    for text in (sheet.name, PurePath(file).stem):
        found = normalise_source(text, cfg)
        if found in cfg.source_names and found != "其他":
            return found
    return None


def _problem_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
                  sections: list[str | None]) -> pd.DataFrame:
    cols = {f: cells.text(f) for f in PROBLEM_TEXT_FIELDS}
    default = _default_source(file, sheet, cfg)
    raw_source = cells.raw("source")
    source = [
        sec or default if _blank(v) else v for v, sec in zip(raw_source, sections, strict=True)
    ]
    cols["source"] = cells.convert("source", lambda v: normalise_source(v, cfg) if not _blank(v) else None, source)
    status_col = cells.sheet.layout.columns.get("status")
    status_header = header_key(cells.sheet.layout.headers[status_col]) if status_col is not None else ""
    cols["status"] = cells.convert("status", lambda v: normalise_status(v, status_header, cfg))
    cols["severity"] = cells.convert("severity", lambda v: normalise_severity(v, cfg))
    cols["recurred_mark"] = cells.convert("recurred", lambda v: is_recurred(v, cfg))
    deadline = cells.convert("deadline", lambda v: parse_date(v, cfg.no_deadline))
    cols["deadline"] = [d[0] if d else None for d in deadline]
    cols["no_deadline"] = [bool(d and d[1]) for d in deadline]
    for fld in ("found_date", "closed_date"):
        cols[fld] = [d[0] if d else None for d in cells.convert(fld, lambda v: _plain_date(v, cfg))]
    for fld in ("description", "unit"):
        _require(cells, fld, cols[fld], {"description": "问题描述", "unit": "责任单位"}[fld])
    _require(cells, "source", cols["source"], "问题来源")
    cols["unit"] = [key(u) if u else u for u in cols["unit"]]
    cols["problem_code"] = [key(c).upper() if c else None for c in cols["problem_code"]]
    cols["fingerprint"] = [
        _fingerprint(u, s, d) for u, s, d in zip(cols["unit"], cols["source"], cols["description"], strict=True)
    ]
    _check_duplicates(cells, cols)
    return pd.DataFrame(cols)


def _plain_date(value: object, cfg: LedgerConfig) -> tuple:
    day, no_deadline = parse_date(value, cfg.no_deadline)
    if no_deadline:
        raise ValueError("这里应填写日期，不能填写“长期”")
    return day, False


def _fingerprint(unit: str | None, source: str | None, description: str | None) -> str | None:
    """Identity of a problem with no code: unit + source + description, folded."""
    if not (unit and source and description):
        return None
    text = f"{unit}|{source}|{fingerprint_text(description)}"
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


_IDENTITY_FIELDS = ("description", "unit", "source", "status", "deadline", "closed_date", "category")


def _check_duplicates(cells: _Cells, cols: dict[str, list]) -> None:
    """The same problem twice in one file: identical rows are dropped, differing ones are errors."""
    seen: dict[str, tuple[int, tuple]] = {}
    for i, (code, fp) in enumerate(zip(cols["problem_code"], cols["fingerprint"], strict=True)):
        ident = f"code:{code}" if code else (f"fp:{fp}" if fp else None)
        if ident is None:
            continue
        content = tuple(cols[f][i] for f in _IDENTITY_FIELDS)
        if ident not in seen:
            seen[ident] = (i, content)
            continue
        first, first_content = seen[ident]
        where = f"第 {cells.row_numbers[first]} 行"
        if content == first_content:
            cells.sheet.dropped_rows.add(cells.row_numbers[i])
            cells.sheet.skipped["重复行（与前一行完全相同）"] += 1
        elif code:
            cells.issue(i, "problem_code", code, f"问题编号与{where}重复，但内容不同；同一编号只能对应一个问题")
        else:
            cells.issue(i, "description", cols["description"][i],
                        f"与{where}是同一问题（同单位、同来源、同描述），但内容不同，请合并为一行")


def _task_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
               sections: list[str | None]) -> pd.DataFrame:
    cols: dict[str, list] = {f: cells.text(f) for f in TASK_TEXT_FIELDS}
    cols["unit"] = [key(u) if u else u for u in cols["unit"]]
    freq_raw = cells.raw("frequency") if "frequency" in cells.sheet.layout.columns else cells.raw("deadline")
    frequency, deadline_raw = [], []
    for v in freq_raw:
        text = key(v)
        hit = next((f for f in _FREQUENCIES if text.startswith(f)), None)
        frequency.append(hit)
        deadline_raw.append(None if hit else v)
    if "frequency" in cells.sheet.layout.columns:
        deadline_raw = cells.raw("deadline")
    deadline = cells.convert("deadline", lambda v: parse_date(v, cfg.no_deadline), deadline_raw)
    cols["frequency"] = frequency
    cols["deadline"] = [d[0] if d else None for d in deadline]
    cols["status"] = cells.text("status")
    cols["done"] = cells.convert("status", lambda v: is_task_done(v, cfg))
    _require(cells, "measure", cols["measure"], "监督措施")
    cols["task_key"] = [
        hashlib.blake2b(f"{fingerprint_text(a)}|{fingerprint_text(m)}|{u}".encode(), digest_size=10).hexdigest()
        for a, m, u in zip(cols["aspect"], cols["measure"], cols["unit"], strict=True)
    ]
    return pd.DataFrame(cols)


def _score_value(value: object) -> float:
    try:
        number = float(key(value)) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("得分应为 0–100 的数字") from None
    if not 0 <= number <= 100:
        raise ValueError("得分应在 0–100 之间")
    return number


def _score_rows(file: str, sheet: Sheet, cells: _Cells, cfg: LedgerConfig, scoring: ScoringConfig,
                sections: list[str | None]) -> pd.DataFrame:
    layout = cells.sheet.layout
    units = [key(u) if u else None for u in cells.text("unit")]
    _require(cells, "unit", units, "单位")
    methods = cells.text("method")
    out: dict[str, list] = {"excel_row": [], "unit": [], "dimension": [], "score": [], "method": []}
    if layout.dimension_columns:  # wide: one column per dimension
        for col, dim in layout.dimension_columns.items():
            layout.columns[f"_dim{col}"] = col
            values = cells.convert(f"_dim{col}", lambda v: None if _blank(v) else _score_value(v))
            for i, v in enumerate(values):
                if v is not None:
                    out["excel_row"].append(cells.row_numbers[i])
                    out["unit"].append(units[i])
                    out["dimension"].append(dim)
                    out["score"].append(v)
                    out["method"].append(methods[i])
    else:  # long: 单位, 维度, 得分
        dims_raw = cells.text("dimension")
        dims = []
        for i, d in enumerate(dims_raw):
            dim = scoring.classify(d or "")
            if dim == scoring.unclassified:
                cells.issue(i, "dimension", d, "无法对应到八个维度之一（维度名称见 data/scoring.toml）")
            dims.append(dim)
        scores = cells.convert("score", _score_value)
        for i in range(len(units)):
            out["excel_row"].append(cells.row_numbers[i])
            out["unit"].append(units[i])
            out["dimension"].append(dims[i])
            out["score"].append(scores[i])
            out["method"].append(methods[i])
    seen: dict[tuple, int] = {}
    for i, (u, d, s) in enumerate(zip(out["unit"], out["dimension"], out["score"], strict=True)):
        prev = seen.setdefault((u, d, out["method"][i]), i)
        if prev != i and out["score"][prev] != s:
            row = out["excel_row"][i]
            cells.sheet.issues.append(Issue(file, f"单位「{u}」维度「{d}」的得分与第 {out['excel_row'][prev]} 行重复且不同",
                                            sheet.name, row))
            cells.sheet.invalid_rows.add(row)
    return pd.DataFrame(out)
