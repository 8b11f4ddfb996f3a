"""Files → sheets of raw cell rows (python-calamine for workbooks, csv for text).

Nothing here knows about ledgers; it only turns bytes into rows, or refuses
with a Chinese reason (empty, encrypted, corrupt, not a spreadsheet, too big).

Limits ([limits] in data/ledger.toml) are checked before the file is read in
full: its size first; for an xlsx, the parts' sizes once decompressed and
where each worksheet's cells lie, from a streamed scan of the XML. The scan
matters because calamine holds a sheet as a dense rectangle: two cells at A1
and XFD1048576 ask it for 17 billion cells and abort the whole process, which
no ``except`` can catch.

The scan also keeps a large worksheet's XML when it is plain enough to be cut
at its rows, so that calamine reads it in pieces side by side (pieces.py).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import posixpath
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.parsers import expat

import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from analytics.config import Limits, ledger_config
from analytics.errors import FileRejected, Issue, column_letter
from analytics.ingest import pieces
from analytics.text import is_blank

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
TEXT_SUFFIXES = (".csv", ".txt")
SUFFIXES = WORKBOOK_SUFFIXES + TEXT_SUFFIXES


@dataclass
class Sheet:
    """One sheet's cells, row 0 being Excel row 1 and column 0 being column A: as rows of typed cells (blank: ""),
    or, for a large sheet read in pieces (pieces.py), as columns of text (blank: ""), each cell as text.to_text
    gives a typed one: a date 2024-03-31, with a time 2024-03-31 10:05:00, a time of day 12:00:00, a boolean true
    or false, a number 1, 2.5 or 0.333333333 (at most nine decimals). The parse reads both alike (tests/test_pieces)."""

    name: str
    rows: list[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    columns: list[pa.Array] | None = None  # when set, the cells; rows is then empty

    @property
    def height(self) -> int:
        if self.columns is None:
            return len(self.rows)
        return len(self.columns[0]) if self.columns else 0

    def head(self, n: int) -> list[list]:
        """The first n rows (fewer if the sheet has fewer)."""
        if self.columns is None:
            return self.rows[:n]
        return [list(row) for row in zip(*(c.slice(0, n).to_pylist() for c in self.columns), strict=True)]

    def body(self, start: int) -> list[Sequence]:
        """The columns from row start down."""
        if self.columns is None:
            return list(zip(*self.rows[start:], strict=True))  # transposed once; rows are rectangular
        return [c.slice(start) for c in self.columns]

    def has_cells(self) -> bool:
        """Whether any cell holds more than blanks."""
        if self.columns is None:
            return not all(is_blank(v) for row in self.rows for v in row)
        return any(pc.any(pc.not_equal(pc.utf8_trim_whitespace(c), "")).as_py() for c in self.columns)

    def keep_head(self, n: int) -> None:
        """Let go of every row from n on (the parse keeps the title rows, for the period)."""
        if self.columns is None:
            self.rows = self.rows[:n]
        else:
            self.rows, self.columns = self.head(n), None


def read_sheets(name: str, data: bytes, limits: Limits | None = None) -> list[Sheet]:
    """Every visible worksheet of a file given by its name and bytes, within the limits (default: ledger.toml)."""
    limits = limits or ledger_config().limits
    if not data:
        raise FileRejected(name, [Issue(name, "文件为空（0 字节）")])
    check_file_size(name, len(data), limits)
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_MARK in data:
        raise FileRejected(name, [Issue(name, "文件设置了打开密码，请在 Excel/WPS 中取消密码后再导入")])
    plain: dict[str, pieces.PlainSheet] = {}
    if data.startswith(_ZIP_MAGIC):
        plain = _check_xlsx(name, data, limits)
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        sheets = _read_workbook(name, data, limits, plain)
        if any(s.columns is None for s in sheets):
            _release_freed_heap()  # calamine's own copy of the cells went with its workbook (sheets in pieces: none)
        return sheets
    if suffix in TEXT_SUFFIXES:
        return [Sheet(name.rsplit(".", 1)[0], _read_csv(name, data, limits))]
    raise FileRejected(name, [Issue(name, "不是 Excel（.xlsx/.xlsm/.xls）或 CSV 文件，无法导入")])


def _read_workbook(name: str, data: bytes, limits: Limits, plain: dict[str, pieces.PlainSheet]) -> list[Sheet]:
    """Every visible worksheet's cells; the large plain ones (by sheet name) in pieces, side by side."""
    try:
        # the list of sheets from the file's outline when some are cut: the whole file is opened (its shared strings
        # parsed) only for a sheet read whole
        outline = pieces.outline(next(iter(plain.values()))) if plain else None
        book = CalamineWorkbook.from_filelike(io.BytesIO(outline or data))
        whole = None if outline else book
        sheets = []
        rows_so_far = 0
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue  # chart sheets and hidden helper sheets (drop-down lists) hold no rows

            def check_end(end: tuple[int, int], sheet: str = meta.name, before: int = rows_so_far) -> None:
                _check_extent(name, sheet, end[0] + 1, end[1] + 1, limits, before)

            cut = plain.pop(meta.name, None)
            read = pieces.read(cut, meta.name, check_end) if cut else None
            del cut  # its XML goes as soon as it is read
            if read is None:
                whole = whole or CalamineWorkbook.from_filelike(io.BytesIO(data))
                sheets.append(Sheet(meta.name, *_read_whole(whole.get_sheet_by_name(meta.name), check_end)))
            else:
                sheets.append(Sheet(meta.name, [], read[1], read[0]))
            rows_so_far += sheets[-1].height
        return sheets
    except PasswordError:
        raise FileRejected(name, [Issue(name, "文件设置了打开密码，请在 Excel/WPS 中取消密码后再导入")]) from None
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected(name, [Issue(name, f"文件已损坏或不是有效的 Excel 文件，无法读取（{exc}）")]) from None


def _read_whole(sheet: CalamineSheet, check_end: Callable[[tuple[int, int]], None]) -> tuple[list[list], list]:
    """A sheet's rows from A1 and its merged ranges; check_end sees its last cell before the rows are built."""
    check_end(sheet.end or (-1, -1))  # calamine holds the cells; Python rows (the costly part) are not built yet
    rows = sheet.to_python(skip_empty_area=False)
    try:
        merged = list(sheet.merged_cell_ranges or [])
    except CalamineError:
        merged = []
    return rows, merged


def _release_freed_heap() -> None:
    """Hand the C heap that calamine's cells took back to the system: glibc keeps it, scattered, and the importer's
    peak memory comes next (25 MB less at 100,000 rows)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # another C library, or none of that name
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected(name, [Issue(name, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")])


def _read_csv(name: str, data: bytes, limits: Limits) -> list[list]:
    if b"\x00" in data[:4096]:
        raise FileRejected(name, [Issue(name, "不是文本格式的 CSV 文件（可能是改了扩展名的其他文件）")])
    text = _decode(name, data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    rows: list[list] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        for row in reader:
            rows.append(row)
            if len(rows) > limits.max_rows or len(row) > limits.max_columns:  # counted while reading
                count, width = len(rows), max(map(len, rows))
                for more in reader:  # on to the end, only counting, so that the message gives the true size
                    count, width = count + 1, max(width, len(more))
                _check_extent(name, None, count, width, limits)
    except csv.Error as exc:
        raise FileRejected(name, [Issue(name, f"CSV 格式错误：{exc}")]) from None
    width = max(map(len, rows), default=0)
    return [row + [""] * (width - len(row)) for row in rows]  # rectangular, like a worksheet


# ---- limits ----------------------------------------------------------------------------------------------------

MB = 1024 * 1024
_RATIO_FROM = 10 * MB  # small parts compress extremely well for good reasons; bombs are large
_CHUNK = 16 * MB  # decompressed bytes scanned at a time
_TUNE = "（可在 data/ledger.toml 的 [limits] 中调整 {key}）"


def _refuse(name: str, reason: str, sheet: str | None = None) -> FileRejected:
    return FileRejected(name, [Issue(name, reason, sheet)])


def _size(size: float) -> str:
    """A size for people: '2,300 MB', '8.5 MB', '7.6 KB'."""
    if size >= 100 * MB:
        return f"{size / MB:,.0f} MB"
    if size >= MB:
        return f"{size / MB:,.1f}".removesuffix(".0") + " MB"
    return f"{size / 1024:,.1f}".removesuffix(".0") + " KB"


def check_file_size(name: str, size: int, limits: Limits) -> None:
    """Refuse a file over max_file_mb; callers holding only a path check it before reading the bytes."""
    if size > limits.max_file_mb * MB:
        raise _refuse(name, f"文件大小 {_size(size)}，超过上限 {_size(limits.max_file_mb * MB)}"
                            + _TUNE.format(key="max_file_mb"))


def _check_extent(name: str, sheet: str | None, rows: int, columns: int, limits: Limits, rows_before: int = 0) -> None:
    """Rows (to the last cell with a value, over the whole file) and columns against the limits."""
    if columns > limits.max_columns:
        raise _refuse(name, f"有数据到第 {columns:,} 列（{column_letter(columns - 1)} 列），超过上限 "
                            f"{limits.max_columns:,} 列" + _TUNE.format(key="max_columns"), sheet)
    if rows > limits.max_rows:
        raise _refuse(name, f"有数据到第 {rows:,} 行，超过上限 {limits.max_rows:,} 行" + _TUNE.format(key="max_rows"),
                      sheet)
    if rows_before + rows > limits.max_rows:
        raise _refuse(name, f"各工作表共有 {rows_before + rows:,} 行，超过上限 {limits.max_rows:,} 行"
                            + _TUNE.format(key="max_rows"))


def _corrupt(name: str, why: str) -> FileRejected:
    return _refuse(name, f"文件已损坏或不是有效的 Excel 文件，无法读取（{why}）")


def _check_xlsx(name: str, data: bytes, limits: Limits) -> dict[str, pieces.PlainSheet]:
    """Sizes from the zip directory, then every part decompressed as a stream: true sizes, ratios, cell extents.

    Returns the large worksheets fit to be read in pieces (pieces.py), by sheet name, with their XML.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
            NotImplementedError) as exc:  # the last: a "version needed to extract" zipfile does not know
        raise _corrupt(name, f"压缩包结构错误：{exc}") from None
    budget = limits.max_unzipped_mb * MB
    declared = sum(i.file_size for i in infos)
    if declared > budget:
        raise _refuse(name, f"解压后大小 {_size(declared)}，超过上限 {_size(budget)}"
                            + _TUNE.format(key="max_unzipped_mb"))
    for info in infos:
        _check_ratio(name, info, info.file_size, limits)
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise _corrupt(name, "压缩包中没有 Excel 工作簿；.ods、.xlsb 等格式请在 Excel/WPS 中另存为 .xlsx")
    parts = _Parts(name, data, infos, budget, limits)
    sheets, resolved = parts.worksheets()
    kept: dict[str, tuple[zipfile.ZipInfo, list[bytes]]] = {}  # sheet → its part and XML
    for info in infos:
        sheet = sheets.get(info.filename)
        if sheet is None:
            for _ in parts.chunks(info):  # only its true size matters (nothing for parts read already)
                pass
            continue
        held = sum(own.file_size for own, _ in kept.values())
        xml: list[bytes] | None = [] if resolved and pieces.worth_splitting(info, held) else None
        suspect, fit = _scan_sheet(parts.chunks(info), limits, xml)
        if suspect:
            _ExactExtent(name, sheet, limits).scan(parts.chunks(info, count=False))
        elif xml is not None and fit:
            kept[sheet] = (info, xml)
    # what a piece's workbook copies, as stored: the XML parts but the worksheets (not images, printer settings, macros)
    others = [(i, parts.stored(i)) for i in infos
              if kept and i.filename not in sheets and i.filename.lower().endswith((".xml", ".rels"))]
    return {sheet: pieces.PlainSheet(own, others, xml) for sheet, (own, xml) in kept.items()}


def _check_ratio(name: str, info: zipfile.ZipInfo, size: int, limits: Limits) -> None:
    if size > _RATIO_FROM and size > limits.max_compression_ratio * max(info.compress_size, 1):
        raise _refuse(name, f"其中「{info.filename}」压缩比 {size / max(info.compress_size, 1):,.0f} 倍"
                            f"（{_size(info.compress_size)} 解压为 {_size(size)}），超过上限 "
                            f"{limits.max_compression_ratio:,.0f} 倍，疑似压缩炸弹"
                            + _TUNE.format(key="max_compression_ratio"))


class _Parts:
    """The parts of one xlsx, decompressed as streams under a shared budget of decompressed bytes."""

    def __init__(self, name: str, data: bytes, infos: list[zipfile.ZipInfo], budget: float, limits: Limits):
        self.name, self.data, self.infos, self.budget, self.limits = name, data, infos, budget, limits
        self.used = 0
        self.counted: set[int] = set()  # parts whose size is in self.used (by id of their ZipInfo)

    def stored(self, info: zipfile.ZipInfo) -> memoryview:
        """The part's bytes as the file stores them (compressed or not), found by its local header."""
        head = self.data[info.header_offset:info.header_offset + 30]
        if len(head) < 30 or not head.startswith(_ZIP_MAGIC):
            raise _corrupt(self.name, f"「{info.filename}」的位置不对")
        start = info.header_offset + 30 + sum(struct.unpack("<HH", head[26:30]))
        return memoryview(self.data)[start:start + info.compress_size]

    def chunks(self, info: zipfile.ZipInfo, count: bool = True) -> Iterator[bytes]:
        """The part's bytes, decompressed piece by piece; refuses past the budget or the compression ratio."""
        if info.flag_bits & 0x1:
            raise _corrupt(self.name, f"「{info.filename}」被加密")
        stored = self.stored(info)
        if info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (bytes(stored[i:i + _CHUNK]) for i in range(0, len(stored), _CHUNK))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            pieces = _inflate(stored)
        else:
            raise _corrupt(self.name, f"「{info.filename}」使用了不支持的压缩方式 {info.compress_type}")
        size = 0
        if count:
            if id(info) in self.counted:
                count = False
            self.counted.add(id(info))
        try:
            for piece in pieces:
                size += len(piece)
                if count:
                    self.used += len(piece)
                    if self.used > self.budget:
                        raise _refuse(self.name, f"解压后大小超过 {_size(self.used)}，超过上限 {_size(self.budget)}"
                                                 + _TUNE.format(key="max_unzipped_mb"))
                    _check_ratio(self.name, info, size, self.limits)
                yield piece
        except zlib.error as exc:
            raise _corrupt(self.name, f"「{info.filename}」解压失败：{exc}") from None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        return b"".join(self.chunks(info))  # counted: its declared size may lie

    def worksheets(self) -> tuple[dict[str, str], bool]:
        """Part name → sheet name, for the visible worksheets, resolved the way the workbook's relationships say;
        and whether every one resolved.

        A target that does not resolve to a part (calamine may resolve it otherwise) makes every XML part suspect.
        """
        by_name = {i.filename: i for i in self.infos}
        try:
            book = ET.fromstring(self.read(by_name["xl/workbook.xml"]))
            rels_info = by_name.get("xl/_rels/workbook.xml.rels")
            rels = ET.fromstring(self.read(rels_info)) if rels_info else None
        except ET.ParseError as exc:
            raise _corrupt(self.name, f"工作簿目录格式错误：{exc}") from None
        targets = {r.get("Id"): r.get("Target") or "" for r in (rels.iter() if rels is not None else ())
                   if _local(r.tag) == "Relationship"}
        found: dict[str, str] = {}
        unresolved = False
        for sheet in book.iter():
            if _local(sheet.tag) != "sheet" or sheet.get("state") in ("hidden", "veryHidden"):
                continue
            rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
            target = targets.get(rel_id, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part in by_name:
                found[part] = sheet.get("name") or part
            else:
                unresolved = True
        if unresolved:
            for info in self.infos:
                if info.filename not in found and info.filename.endswith(".xml"):
                    found[info.filename] = info.filename
        return found, not unresolved


def _inflate(stored: memoryview) -> Iterator[bytes]:
    """Raw deflate, never more than _CHUNK decompressed bytes in hand: a bomb is stopped as it grows."""
    d = zlib.decompressobj(-15)
    for i in range(0, len(stored), 1 << 16):
        pending = bytes(stored[i:i + (1 << 16)])
        while pending and not d.eof:
            out = d.decompress(pending, _CHUNK)
            pending = d.unconsumed_tail
            if out:
                yield out
        if d.eof:
            return
    rest = d.flush()
    if rest:
        yield rest


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _number_above(n: int) -> str:
    """RE2 for a decimal number greater than n (its digits from the start; no leading zero)."""
    s, d = str(n), "[0-9]"
    alts = [f"[1-9]{d}{{{len(s)}}}"]
    alts += [f"{s[:i]}[{int(c) + 1}-9]{d}{{{len(s) - i - 1}}}" for i, c in enumerate(s) if c != "9"]
    return "(?:" + "|".join(alts) + ")"


def _column_above(n: int) -> str:
    """RE2 for column letters (either case) after column n, followed by the row's first digit."""
    s, letter = column_letter(n - 1), "[A-Za-z]"
    alts = [f"{letter}{{{len(s) + 1}}}"]
    for i, c in enumerate(s):
        if c != "Z":
            prefix = "".join(f"[{p}{p.lower()}]" for p in s[:i])
            nxt = chr(ord(c) + 1)
            alts.append(f"{prefix}[{nxt}-Z{nxt.lower()}-z]{letter}{{{len(s) - i - 1}}}[0-9]")
    return "(?:" + "|".join(alts) + ")"


_PATTERNS: dict[tuple[int, int], str] = {}


def _suspect_pattern(limits: Limits) -> str:
    """RE2 matching anything in a worksheet that could put a cell past the limits, or that the fast check does not
    understand (then the exact scan decides): a reference past the limits, a leading zero, a <c>/<row> without r as
    its first attribute or with a second r, a namespace prefix. Well-formed sheets from Excel, WPS, openpyxl and
    xlsxwriter never match unless they are too big."""
    key = (limits.max_rows, limits.max_columns)
    if key not in _PATTERNS:
        ws, letters = "[\\t\\n\\r ]", "[A-Za-z]*"
        rows = _number_above(limits.max_rows)
        second_r = f'[^"]*"[^<]*{ws}r{ws}*='  # not [^>]: an attribute value may hold '>', never '<'
        odd = '(?:[/>\\t\\n\\r]| (?:[^r]|r[^=]|r=[^"]))'
        columns = _column_above(limits.max_columns)
        cell = f'c(?: r="(?:{columns}|{letters}0|{letters}{rows}|{letters}"|{second_r})|{odd})'
        row = f'row(?: r="(?:0|[A-Za-z]|{rows}|{second_r})|{odd})'
        _PATTERNS[key] = f"<(?:[A-Za-z0-9_.-]+:)?(?:{cell}|{row})"
    return _PATTERNS[key]


def _scan_sheet(chunks: Iterator[bytes], limits: Limits, keep: list[bytes] | None) -> tuple[bool, bool]:
    """Whether any piece of a worksheet matches the suspect pattern; and, with keep (which then gets the XML),
    whether the sheet is plain enough to cut (pieces.py: nothing after the XML declaration starts with "<!" or "<?").
    Reads the whole part either way (its size).

    Each inflated chunk is matched as it is, and so is each seam between two: the end of the one from its last "<"
    (the carry) and the next up to its first, so that every tag is seen whole once without joining the chunks (a
    copy of the sheet). About _CHUNK bytes are matched at a time, in a second thread while the next are inflated
    (both release the GIL), one batch at a time so that little is held.
    """
    suspect = _suspect_pattern(limits)
    carry, first = b"", True
    hits = [False, keep is None]  # suspect; not plain
    with ThreadPoolExecutor(max_workers=1) as pool:
        matching: Future[tuple[bool, bool]] | None = None
        for batch in _batched(chunks):
            if matching is not None:
                hits, matching = _either(hits, matching.result()), None
            if hits[0]:
                continue  # suspect: the exact scan decides, on a sheet that is not cut
            if keep is not None:
                keep.extend(batch)
            texts = []
            for chunk in batch:
                if first:
                    chunk, first = _after_declaration(chunk), False
                start, end = chunk.find(b"<"), chunk.rfind(b"<")
                if start < 0:  # inside one tag or text throughout: the seam goes on
                    carry += chunk
                else:
                    texts += [carry + chunk[:start], chunk]
                    carry = chunk[end:]
                if len(carry) > MB:
                    hits[0] = True  # a single tag longer than a megabyte: let the exact scan judge it
            matching = pool.submit(_verdict, texts, suspect, not hits[1])
        if matching is not None:
            hits = _either(hits, matching.result())
        if carry and not hits[0]:
            hits = _either(hits, _verdict([carry], suspect, not hits[1]))
    return hits[0], not hits[1]


def _either(hits: list[bool], verdict: tuple[bool, bool]) -> list[bool]:
    """What the scan has found so far, with a batch's verdict added."""
    return [a or b for a, b in zip(hits, verdict, strict=True)]


def _after_declaration(text: bytes) -> bytes:
    """The XML after its declaration (<?xml …?>, perhaps after a byte-order mark), or all of it."""
    if text.removeprefix(b"\xef\xbb\xbf").startswith(b"<?xml"):
        end = text.find(b"?>")
        return text[end + 2:] if end >= 0 else text
    return text


def _verdict(texts: list[bytes], suspect: str, check_plain: bool) -> tuple[bool, bool]:
    """(any text matches the suspect pattern, any has "<!" or "<?"), with one pass in the usual case: neither."""
    column = pa.chunked_array([_binary(t) for t in texts], pa.large_binary())
    if not check_plain:
        return _matches(column, suspect), False
    if not _matches(column, f"{suspect}|<[!?]"):
        return False, False
    return _matches(column, suspect), _matches(column, "<[!?]")


def _batched(chunks: Iterator[bytes]) -> Iterator[list[bytes]]:
    """The pieces in runs of about _CHUNK bytes."""
    batch: list[bytes] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= _CHUNK:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _binary(text: bytes) -> pa.Array:
    """The text as an Arrow array of one value, without copying it."""
    offsets = pa.py_buffer(struct.pack("<qq", 0, len(text)))
    return pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(text)])


def _matches(texts: pa.ChunkedArray, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(texts, pattern)).as_py())


class _ExactExtent:
    """Where calamine would put each cell with a value, element by element (slow; only for suspect sheets)."""

    _REF = re.compile(r"([A-Za-z]*)([0-9]+)")

    def __init__(self, name: str, sheet: str, limits: Limits):
        self.name, self.sheet, self.limits = name, sheet, limits
        self.row, self.col, self.cell, self.filled = 0, 0, None, False
        self.rows = self.columns = 0  # the extent so far, as counts

    def scan(self, chunks: Iterator[bytes]) -> None:
        """Read the whole part (nothing is kept but the extent), then hold the extent against the limits."""
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            for chunk in chunks:
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _corrupt(self.name, f"工作表「{self.sheet}」XML 格式错误：{exc}") from None
        _check_extent(self.name, self.sheet, self.rows, self.columns, self.limits)

    def _position(self, ref: str, row_only: bool) -> tuple[int, int]:
        found = self._REF.fullmatch(ref)
        if not found or (not row_only and not found.group(1)):
            raise _corrupt(self.name, f"工作表「{self.sheet}」中的单元格位置「{ref[:40]}」无效")
        col = 0
        for ch in found.group(1).upper():
            col = col * 26 + ord(ch) - 64
        return int(found.group(2)) - 1, col - 1

    def _start(self, tag: str, attrs: dict) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local == "row" and "r" in attrs:
            self.row = self._position(attrs["r"], row_only=True)[0]
        elif local == "c" and self.cell is None:
            if "r" in attrs:
                self.cell = self._position(attrs["r"], row_only=False)
                self.col = self.cell[1]
            else:
                self.cell = (self.row, self.col)
            self.filled = False

    def _text(self, text: str) -> None:
        if self.cell is not None and text.strip():
            self.filled = True

    def _end(self, tag: str) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local == "c" and self.cell is not None:
            if self.filled:
                self.rows, self.columns = max(self.rows, self.cell[0] + 1), max(self.columns, self.cell[1] + 1)
            self.cell = None
            self.col += 1
        elif local == "row":
            self.row, self.col = self.row + 1, 0

    def _doctype(self, *args: object) -> None:
        raise _corrupt(self.name, f"工作表「{self.sheet}」含有 DTD 声明")
