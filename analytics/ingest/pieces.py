"""A large worksheet read by calamine in pieces, side by side.

calamine reads a sheet in one thread: a 100,000-row sheet keeps one core busy
for about a second while the others wait. The reader inflates each worksheet's
XML anyway, to hold it against the limits; for a large, plain sheet it keeps
that XML, and this module cuts it at row boundaries, wraps each piece in a
workbook of its own (the piece stored, the file's other XML parts copied as
they are), has calamine read the pieces in two threads, this one and a helper
(it releases the GIL), and puts their rows together exactly as calamine gives
the sheet read whole.

Only a sheet that cannot fool the cut is split: every <row> and <c> carries
its position (the reader's fast check), nothing but the XML declaration starts
with "<!" or "<?" (a comment or CDATA is the only place a "<row " can hide), and
its rows come in ascending order. Otherwise, or if calamine refuses a piece,
the sheet is read whole as before.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

MB = 1024 * 1024
SPLIT_FROM = 1 * MB  # a worksheet's XML worth cutting (a 2,000-row ledger's 1.5 MB: 50 → 31 ms; 20,000 rows: 287 → 190)
PIECE = 16 * MB  # XML per piece, about: several per thread even out the threads' shares
# Threads reading pieces (this one included). Each holds a piece's XML twice and calamine's cells: on a 100,000-row
# sheet, four threads peaked 40–60 MB above two, so two it is, wherever there is a second core.
WORKERS = min(os.cpu_count() or 1, 2)
# Each piece's workbook parses and holds the shared strings again (calamine reads them on opening): a sheet is cut
# only if they are at most this share of it. The benchmark's 100,000-row ledger as Excel writes it (shared strings 40 %
# of the sheet) was 0.23 s faster in two pieces, but peaked 50–60 MB higher (486 MB), so it is read whole.
SHARED_SHARE = 1 / 16
KEPT_AT_MOST = 256 * MB  # the XML kept from the scan for all of a file's sheets, until they are read


@dataclass
class PlainSheet:
    """A large worksheet's XML as the reader's scan inflated it, kept to be read in pieces."""

    own: zipfile.ZipInfo  # its entry in the zip
    others: list[tuple[zipfile.ZipInfo, memoryview]]  # the XML parts each piece's workbook copies, as stored
    xml: list[tuple[bytes, int]]  # the XML in the scan's runs (_Rope): joined, it would be copied again


def worth_splitting(info: zipfile.ZipInfo, infos: list[zipfile.ZipInfo], kept: int = 0) -> bool:
    """Whether a worksheet part is large enough, and the shared strings small enough, to read it in pieces, with
    kept bytes of XML already kept for other sheets (by the sizes the zip declares: only a guess, which the scan's
    true sizes then bound)."""
    shared = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    return (WORKERS > 1 and info.file_size >= SPLIT_FROM and shared <= SHARED_SHARE * info.file_size
            and kept + info.file_size <= KEPT_AT_MOST)


@dataclass
class _Piece:
    start: tuple[int, int] | None  # its first and last cell with a value, as calamine reports them (absolute)
    end: tuple[int, int] | None
    rows: list[list]
    merged: list


def read(plain: PlainSheet, sheet: str,
         check_end: Callable[[tuple[int, int]], None]) -> tuple[list[list], list] | None:
    """The sheet's rows and merged ranges, as to_python(skip_empty_area=False) gives them; None if the sheet is not
    fit to be cut, or calamine refuses a piece (the caller then reads it whole). check_end sees each piece's last
    cell before its rows are built, and may raise."""
    xml = _Rope(plain.xml)
    bounds = _cuts(xml)
    if bounds is None:
        return None
    # copied, so that the first and last runs need not be kept for them (the tail is the sheet's end: merged cells…)
    head, tail = (b"".join(xml.slices(a, b)) for a, b in ((0, bounds[0]), (bounds[-1], len(xml))))
    taking = threading.Lock()
    order = iter(range(len(bounds) - 1))

    def take() -> tuple[int, list[memoryview]] | None:
        """The next piece and its XML, to the thread that reads it, once that is free: few pieces are held."""
        with taking:
            k = next(order, None)
            if k is None:
                return None
            views = xml.slices(bounds[k], bounds[k + 1])
            xml.drop_before(bounds[k + 1])  # the views keep what this piece needs
            return k, views

    def work() -> list[tuple[int, _Piece]]:
        done = []
        while (taken := take()) is not None:
            k, views = taken
            blob = _workbook(plain.others, plain.own, [head, *views, tail])
            del taken, views
            book = CalamineWorkbook.from_filelike(io.BytesIO(blob))
            del blob  # calamine holds its own copy
            done.append((k, _piece(book.get_sheet_by_name(sheet), k == 0, check_end)))
            del book
        return done

    # This thread reads pieces too: each thread's allocations take an arena of the C library's heap of their own,
    # which keeps what it frees: a thread fewer is about 50 MB less at the peak (100,000 rows: 472 → 424 MB).
    with ThreadPoolExecutor(max_workers=max(WORKERS - 1, 1)) as pool:
        helpers = [pool.submit(work) for _ in range(WORKERS - 1)]
        try:
            done = work() + [p for helper in helpers for p in helper.result()]
        except (CalamineError, ValueError, OSError):
            return None  # read whole, which names the fault
        finally:
            order = iter(())  # after an error, no thread takes a further piece
    pieces = [p for _, p in sorted(done, key=lambda d: d[0])]
    rows = _assemble(pieces)
    return None if rows is None else (rows, pieces[0].merged)


class _Rope:
    """The scan's runs of XML read as one text, found in and sliced across without joining them."""

    def __init__(self, runs: list[tuple[bytes, int]]):
        self.runs = runs  # (bytes, how many of its first bytes belong to the run before)
        self.starts = list(itertools.accumulate((len(text) - skip for text, skip in runs), initial=0))

    def __len__(self) -> int:
        return self.starts[-1]

    def slices(self, a: int, b: int) -> list[memoryview]:
        """Bytes a to b (excluded), as views of the runs."""
        out = []
        for k in range(self._run(a), len(self.runs)):
            start = self.starts[k]
            if start >= b:
                break
            text, skip = self.runs[k]
            lo, hi = skip + max(a - start, 0), skip + min(b, self.starts[k + 1]) - start
            if hi > lo:
                out.append(memoryview(text)[lo:hi])
        return out

    def find(self, needle: bytes, a: int, b: int) -> int:
        """Where needle first lies wholly within bytes a to b, or -1."""
        k, n = self._run(a), len(needle)
        while k < len(self.runs) and self.starts[k] < b:
            (text, skip), start = self.runs[k], self.starts[k]
            end = min(self.starts[k + 1], b)
            at = text.find(needle, skip + max(a - start, 0), skip + end - start)
            if at >= 0:
                return start + at - skip
            edge = max(a, end - n + 1)  # one across the end of this run
            at = b"".join(self.slices(edge, min(end + n - 1, b))).find(needle)
            if at >= 0:
                return edge + at
            k += 1
        return -1

    def rfind(self, needle: bytes) -> int:
        """Where needle last lies, looked for from the end (where it is expected), or -1."""
        window = 1 << 16
        while True:
            a = max(len(self) - window, 0)
            at = b"".join(self.slices(a, len(self))).rfind(needle)
            if at >= 0 or a == 0:
                return a + at if at >= 0 else -1
            window *= 16

    def drop_before(self, at: int) -> None:
        """Let go of the runs wholly before byte at (they are not asked for again)."""
        for k in range(self._run(at)):
            self.runs[k] = (b"", 0)

    def _run(self, a: int) -> int:
        return max(bisect.bisect_right(self.starts, a) - 1, 0)


def _piece(found: CalamineSheet, first: bool, check_end: Callable[[tuple[int, int]], None]) -> _Piece:
    """A piece's cells as rows from its first cell with a value (and the merged ranges, kept from the first)."""
    if found.end is None:
        return _Piece(None, None, [], [])
    check_end(found.end)
    try:
        merged = list(found.merged_cell_ranges or []) if first else []
    except CalamineError:
        merged = []
    return _Piece(found.start, found.end, found.to_python(skip_empty_area=True), merged)


def _cuts(xml: _Rope, piece: int | None = None) -> list[int] | None:
    """Where the pieces' rows start, then where the sheet data ends: the first piece starts after <sheetData>,
    each other before a "<row ", about piece (default: PIECE) bytes apart, in at least WORKERS pieces. None if the
    sheet has no plain <sheetData>."""
    start, end = xml.find(b"<sheetData>", 0, len(xml)), xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return None
    start += len(b"<sheetData>")
    count = max(WORKERS, round((end - start) / (piece or PIECE)))
    cuts = [start]
    for k in range(1, count):
        at = xml.find(b"<row ", max(cuts[-1] + 1, start + (end - start) * k // count), end)
        if at < 0:
            break
        cuts.append(at)
    return [*cuts, end] if len(cuts) > 1 else None


def _workbook(others: list[tuple[zipfile.ZipInfo, memoryview]], own: zipfile.ZipInfo, sheet: list) -> bytes:
    """A zip of the file's other parts, copied compressed as they are, and the piece's sheet XML stored."""
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
    crc = 0
    for chunk in sheet:
        crc = zlib.crc32(chunk, crc)
    add(own, zipfile.ZIP_STORED, crc, sum(len(c) for c in sheet), list(sheet))
    table = b"".join(directory)
    out.extend([table, struct.pack("<4s4HLLH", b"PK\x05\x06", 0, 0, len(directory), len(directory), len(table),
                                   offset, 0)])
    return b"".join(out)


def _assemble(pieces: list[_Piece]) -> list[list] | None:
    """The pieces' rows as one sheet from A1, each row as wide as the widest: what calamine gives for the sheet read
    whole. None if a piece's rows do not all come after the previous piece's (rows out of order)."""
    filled = [p for p in pieces if p.start is not None and p.end is not None]
    if not filled:
        return []
    for before, after in itertools.pairwise(filled):
        if after.start[0] <= before.end[0]:
            return None
    width = max(p.end[1] for p in filled) + 1
    rows: list[list] = []
    for p in filled:
        rows.extend([""] * width for _ in range(p.start[0] - len(rows)))
        left = p.start[1]
        if left == 0 and all(len(r) == width for r in p.rows):
            rows.extend(p.rows)
        else:
            rows.extend([*([""] * left), *r, *([""] * (width - left - len(r)))] for r in p.rows)
    return rows
