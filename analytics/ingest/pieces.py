"""A large worksheet read in pieces, side by side, into Arrow text columns.

calamine reads a sheet in one thread, and python-calamine then makes a Python
object of every cell: a 100,000-row sheet keeps one core busy for over a second
while the others wait, and its 1.3 million cells must then be turned into
columns. The reader inflates each worksheet's XML anyway, to hold it against the
limits; for a large, plain sheet it keeps that XML, and this module cuts it at
row boundaries, wraps each piece in a workbook of its own (the piece stored, the
file's other XML parts copied as they are), has fastexcel (calamine to Arrow, no
Python objects, the GIL released) read the pieces as text in two threads, this
one and a helper, and puts their columns together as the sheet read whole would
be, cell by cell as text (reader.Sheet says how each kind of cell reads).

Only a sheet that cannot fool the cut is split: every <row> and <c> carries
its position (the reader's fast check), nothing but the XML declaration starts
with "<!" or "<?" (a comment or CDATA is the only place a "<row " can hide), and
its rows come in ascending order. Otherwise, or if a piece cannot be read, the
sheet is read whole by python-calamine, which names any fault.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineError, CalamineWorkbook

MB = 1024 * 1024
SPLIT_FROM = 1 * MB  # a worksheet's XML worth cutting (parse_file, 2,000 rows: 53 → 39 ms; 700 rows: 30 ms both ways)
PIECE = 4 * MB  # XML per piece, about: many per thread even out their shares (100,000 rows: 16 MB 585 ms, 4 MB 550)
# Threads reading pieces (this one included). Each holds a piece's XML twice and calamine's cells: on a 100,000-row
# sheet, four threads peaked 40–60 MB above two (python-calamine), so two it is, wherever there is a second core.
WORKERS = min(os.cpu_count() or 1, 2)
# Each piece's workbook parses the shared strings again (calamine reads them on opening): a piece is at least this many
# times their size. The benchmark's 100,000-row ledger as Excel writes it (42 MB of sheet, 18 MB of shared strings):
# 2.58 s read whole, 2.12 s in ten 4 MB pieces, 1.92 s in two (peak 413, 400 and 411 MB).
SHARED_PIECE = 4
KEPT_AT_MOST = 256 * MB  # the XML kept from the scan for all of a file's sheets, until they are read


@dataclass
class PlainSheet:
    """A large worksheet's XML as the reader's scan inflated it, kept to be read in pieces."""

    own: zipfile.ZipInfo  # its entry in the zip
    others: list[tuple[zipfile.ZipInfo, memoryview]]  # the XML parts each piece's workbook copies, as stored
    xml: list[bytes]  # the XML in the scan's inflated chunks (_Rope): joined, it would be copied again


def worth_splitting(info: zipfile.ZipInfo, kept: int = 0) -> bool:
    """Whether a worksheet part is large enough to read it in pieces, with kept bytes of XML already kept for other
    sheets (by the sizes the zip declares: only a guess, which the scan's true sizes then bound)."""
    return WORKERS > 1 and info.file_size >= SPLIT_FROM and kept + info.file_size <= KEPT_AT_MOST


@dataclass
class _Piece:
    start: int  # where its rows begin (from 0): at its first row with a value
    stop: int  # where they end: at its end mark (_end_row)
    columns: list[pa.Array]  # by column from A; blank cells ""
    width: int  # columns to the last holding a value
    filled_to: int  # the row after its last holding a value (start if none)


def read(plain: PlainSheet, sheet: str,
         check_end: Callable[[tuple[int, int]], None]) -> tuple[list[pa.Array], list] | None:
    """The sheet's cells as text columns from A1 (blank: ""), as long as the sheet to its last cell with a value and
    as many as its widest row, and its merged ranges; None if the sheet is not fit to be cut, or a piece cannot be
    read (the caller then reads it whole). check_end sees the last cell with a value, and may raise."""
    xml = _Rope(plain.xml)
    shared = sum(info.file_size for info, _ in plain.others if _is_shared(info))
    bounds = _cuts(xml, max(PIECE, SHARED_PIECE * shared))
    if bounds is None:
        return None
    # copied, so that the first and last runs need not be kept for them (the tail is the sheet's end: merged cells…)
    head, tail = (b"".join(xml.slices(a, b)) for a, b in ((0, bounds[0]), (bounds[-1], len(xml))))
    taking = threading.Lock()
    order = iter(range(len(bounds) - 1))

    def take() -> tuple[int, list[memoryview], int] | None:
        """The next piece, its XML and its last row's number, to the thread that reads it, once that is free: few
        pieces are held."""
        with taking:
            k = next(order, None)
            if k is None:
                return None
            views = xml.slices(bounds[k], bounds[k + 1])
            last = _last_row(xml, bounds[k], bounds[k + 1])
            xml.drop_before(bounds[k + 1])  # the views keep what this piece needs
            return k, views, last

    def work() -> list[tuple[int, _Piece | None]]:
        done = []
        while (taken := take()) is not None:
            k, views, last = taken
            blob = _workbook(plain.others, plain.own, [head, *views, _end_row(last), tail])
            del taken, views
            done.append((k, _piece(blob, sheet, last)))
            del blob
        return done

    # This thread reads pieces too: each thread's allocations take an arena of the C library's heap of their own,
    # which keeps what it frees: a thread fewer was about 50 MB less at the peak (python-calamine, 472 → 424 MB).
    with ThreadPoolExecutor(max_workers=max(WORKERS - 1, 1)) as pool:
        helpers = [pool.submit(work) for _ in range(WORKERS - 1)]
        try:
            done = work() + [p for helper in helpers for p in helper.result()]
        except Exception:  # whatever a piece's reader raises: the whole read names the fault (tests see none is cut)
            return None
        finally:
            order = iter(())  # after an error, no thread takes a further piece
    found = [p for _, p in sorted(done, key=lambda d: d[0])]
    columns = _assemble(found)
    if columns is None:
        return None
    if columns:
        check_end((len(columns[0]) - 1, len(columns) - 1))
    return columns, _merged(plain, head, tail, sheet)


def _last_row(xml: _Rope, a: int, b: int) -> int:
    """The number of the last row in bytes a to b: after a cut, each piece starts at a row (r its first attribute)."""
    at = xml.rfind(b"<row r=\"", a, b)
    found = _ROW_NUMBER.match(b"".join(xml.slices(at, min(at + 32, b)))) if at >= 0 else None
    if found is None:
        raise ValueError("no row in a piece")
    return int(found[1])


_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')
_END_TEXT = "\ue000\u2063"  # the mark of a piece's end row: private-use and invisible, in no ledger


def _end_row(last: int) -> bytes:
    """A row after the piece's last, with one cell in column A: the piece's range then ends there and starts at
    column A, so where its rows lie is known (fastexcel does not say where a sheet's range starts)."""
    r = last + 1
    return f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{_END_TEXT}</t></is></c></row>'.encode()


def _piece(blob: bytes, sheet: str, last: int) -> _Piece | None:
    """A piece's cells as text columns, rows from its first with a value; None if its end row is not its last
    (a row of it out of order)."""
    found = fastexcel.read_excel(blob).load_sheet_by_name(sheet, header_row=None, dtypes="string")
    batch = found.to_arrow()
    height = batch.num_rows
    if [c.absolute_index for c in found.available_columns()] != list(range(batch.num_columns)):
        return None  # not every column from A, in order: not a layout this module knows
    if not height or batch.column(0)[height - 1].as_py() != _END_TEXT or any(
            batch.column(j)[height - 1].is_valid for j in range(1, batch.num_columns)):
        return None
    columns = [c.slice(0, height - 1) for c in batch.columns]
    filled = [j for j, c in enumerate(columns) if c.null_count < len(c)]
    start = last - height + 1
    filled_to = start + 1 + max(pc.indices_nonzero(pc.is_valid(columns[j]))[-1].as_py() for j in filled) if filled \
        else start
    return _Piece(start, last, [_as_typed_text(pc.fill_null(c, "")) for c in columns], filled[-1] + 1 if filled else 0,
                  filled_to)


def _as_typed_text(column: pa.Array) -> pa.Array:
    """A date at midnight and a time of day as a typed cell reads as text (text.to_text): 2024-03-31 rather than
    fastexcel's 2024-03-31 00:00:00, 12:00:00 rather than 1899-12-31 12:00:00 (Excel's day 0)."""
    if pc.any(pc.starts_with(column, "1899-12-31 ")).as_py():
        column = pc.replace_substring_regex(column, r"^1899-12-31 (\d\d:\d\d:\d\d(?:\.\d+)?)$", r"\1")
    if pc.any(pc.ends_with(column, " 00:00:00")).as_py():
        column = pc.replace_substring_regex(column, r"^(\d{4}-\d\d-\d\d) 00:00:00$", r"\1")
    return column


def outline(plain: PlainSheet) -> bytes:
    """A workbook of the file's XML parts but its worksheets and shared strings: its list of sheets, read without
    parsing the shared strings (0.1 s for the benchmark's ledger as Excel writes it)."""
    return _workbook(_without_shared(plain.others), None, [])


def _without_shared(others: list[tuple[zipfile.ZipInfo, memoryview]]) -> list[tuple[zipfile.ZipInfo, memoryview]]:
    return [(info, stored) for info, stored in others if not _is_shared(info)]


def _is_shared(info: zipfile.ZipInfo) -> bool:
    """Whether a part is the shared-string table."""
    return info.filename.lower().endswith("sharedstrings.xml")


def _merged(plain: PlainSheet, head: bytes, tail: bytes, sheet: str) -> list:
    """The sheet's merged ranges, as calamine gives them: from a workbook of the sheet without its rows (and so
    without the shared strings)."""
    blob = _workbook(_without_shared(plain.others), plain.own, [head, tail])
    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(blob)).get_sheet_by_name(sheet).merged_cell_ranges
                    or [])
    except CalamineError:
        return []


class _Rope:
    """The scan's runs of XML read as one text, found in and sliced across without joining them."""

    def __init__(self, runs: list[bytes]):
        self.runs = runs
        self.starts = list(itertools.accumulate(map(len, runs), initial=0))

    def __len__(self) -> int:
        return self.starts[-1]

    def slices(self, a: int, b: int) -> list[memoryview]:
        """Bytes a to b (excluded), as views of the runs."""
        out = []
        for k in range(self._run(a), len(self.runs)):
            start = self.starts[k]
            if start >= b:
                break
            lo, hi = max(a - start, 0), min(b, self.starts[k + 1]) - start
            if hi > lo:
                out.append(memoryview(self.runs[k])[lo:hi])
        return out

    def find(self, needle: bytes, a: int, b: int) -> int:
        """Where needle first lies wholly within bytes a to b, or -1."""
        k, n = self._run(a), len(needle)
        while k < len(self.runs) and self.starts[k] < b:
            text, start = self.runs[k], self.starts[k]
            end = min(self.starts[k + 1], b)
            at = text.find(needle, max(a - start, 0), end - start)
            if at >= 0:
                return start + at
            edge = max(a, end - n + 1)  # one across the end of this run
            at = b"".join(self.slices(edge, min(end + n - 1, b))).find(needle)
            if at >= 0:
                return edge + at
            k += 1
        return -1

    def rfind(self, needle: bytes, a: int = 0, b: int | None = None) -> int:
        """Where needle last lies wholly within bytes a to b (default: to the end), looked for from b (where it is
        expected), or -1."""
        b = len(self) if b is None else b
        window = 1 << 16
        while True:
            lo = max(b - window, a)
            at = b"".join(self.slices(lo, b)).rfind(needle)
            if at >= 0 or lo == a:
                return lo + at if at >= 0 else -1
            window *= 16

    def drop_before(self, at: int) -> None:
        """Let go of the runs wholly before byte at (they are not asked for again)."""
        for k in range(self._run(at)):
            self.runs[k] = b""

    def _run(self, a: int) -> int:
        return max(bisect.bisect_right(self.starts, a) - 1, 0)


def _cuts(xml: _Rope, piece: int | None = None) -> list[int] | None:
    """Where the pieces' rows start, then where the sheet data ends: the first piece starts after <sheetData>,
    each other before a "<row ", about piece (default: PIECE) bytes apart, in at least WORKERS pieces. None if the
    sheet has no plain <sheetData>."""
    start, end = xml.find(b"<sheetData>", 0, len(xml)), xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return None
    start += len(b"<sheetData>")
    count = WORKERS * max(1, round((end - start) / (piece or PIECE) / WORKERS))  # as many for each thread
    cuts = [start]
    for k in range(1, count):
        at = xml.find(b"<row ", max(cuts[-1] + 1, start + (end - start) * k // count), end)
        if at < 0:
            break
        cuts.append(at)
    return [*cuts, end] if len(cuts) > 1 else None


def _workbook(others: list[tuple[zipfile.ZipInfo, memoryview]], own: zipfile.ZipInfo | None, sheet: list) -> bytes:
    """A zip of the file's other parts, copied compressed as they are, and the piece's sheet XML stored (if own)."""
    out, directory = [], []
    offset = 0

    def add(info: zipfile.ZipInfo, method: int, crc: int, size: int, body: list) -> None:
        nonlocal offset
        name = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        flags = info.flag_bits & 0x800  # only "UTF-8 name": the sizes are in the header, no descriptor follows
        packed = sum(len(b) for b in body)
        fields = (20, flags, method, 0, 0x21, crc, packed, size, len(name))
        out.extend([struct.pack("<4s5HLLLHH", b"PK\x03\x04", *fields[:5], *fields[5:], 0), name, *body])
        directory.append(struct.pack("<4s6HLLLHHHHHLL", b"PK\x01\x02", 20, *fields[:5], *fields[5:], 0, 0, 0, 0, 0,
                                     offset) + name)
        offset += 30 + len(name) + packed

    for info, stored in others:
        add(info, info.compress_type, info.CRC, info.file_size, [stored])
    if own is not None:
        crc = 0
        for chunk in sheet:
            crc = zlib.crc32(chunk, crc)
        add(own, zipfile.ZIP_STORED, crc, sum(len(c) for c in sheet), list(sheet))
    table = b"".join(directory)
    out.extend([table, struct.pack("<4s4HLLH", b"PK\x05\x06", 0, 0, len(directory), len(directory), len(table),
                                   offset, 0)])
    return b"".join(out)


def _assemble(pieces: list[_Piece | None]) -> list[pa.Array] | None:
    """The pieces' columns as one sheet from A1: as many columns as the widest row, each as long as the sheet to its
    last row with a value, blank cells "" (as calamine gives a sheet read whole). None if a piece's rows do not all
    come after the previous piece's (rows out of order)."""
    if any(p is None for p in pieces):
        return None
    for before, after in itertools.pairwise(pieces):
        if after.start < before.stop:
            return None
    filled = [p for p in pieces if p.width]
    if not filled:
        return []
    width = max(p.width for p in filled)
    stop = filled[-1].filled_to
    columns = []
    for j in range(width):
        parts, at = [], 0
        for p in filled:
            if p.start > at:
                parts.append(_blank(p.start - at))
            rows = min(p.stop, stop) - p.start
            parts.append(p.columns[j].slice(0, rows) if j < len(p.columns) else _blank(rows))
            at = p.start + rows
        columns.append(pa.concat_arrays(parts))
    return columns


def _blank(rows: int) -> pa.Array:
    return pa.repeat(pa.scalar("", pa.string()), rows)
