"""A large worksheet read in pieces side by side (analytics.ingest.pieces) gives what it gives read whole, as text,
and parses exactly as it does read whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from analytics.config import ledger_config
from analytics.errors import FileRejected
from analytics.ingest import pieces, reader
from analytics.ingest.parse import parse_file
from analytics.text import to_text
from tests import sample_ledgers
from tests.conftest import HEADER, problem_row

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture
def cut(monkeypatch):
    """Every worksheet is cut into pieces of about 2 KB of XML, whatever its size and shared strings; returns the
    list of what each pieces.read gave (None: it fell back to reading the sheet whole)."""
    monkeypatch.setattr(pieces, "SPLIT_FROM", 0)
    monkeypatch.setattr(pieces, "PIECE", 2048)
    monkeypatch.setattr(pieces, "SHARED_PIECE", 0)
    monkeypatch.setattr(pieces, "WORKERS", 2)
    results = []
    read = pieces.read

    def spied(*args, **kwargs):
        results.append(read(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(pieces, "read", spied)
    return results


def whole(name: str, data: bytes) -> list[reader.Sheet]:
    """The sheets as read with no cutting at all."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pieces, "SPLIT_FROM", float("inf"))
        return reader.read_sheets(name, data)


def same_sheets(name: str, data: bytes) -> list[reader.Sheet]:
    """The sheets read as configured (cut, under the fixture), checked equal to the sheets read whole, cell by cell
    as text."""
    expected = whole(name, data)
    got = reader.read_sheets(name, data)
    assert [(s.name, s.merged) for s in got] == [(s.name, s.merged) for s in expected]
    for g, e in zip(got, expected, strict=True):
        assert g.height == e.height and as_text(g) == as_text(e), g.name
    return got


def as_text(sheet: reader.Sheet) -> list[list[str]]:
    """A sheet's rows with each cell as a sheet read in pieces gives it (reader.Sheet): a typed cell as to_text
    writes it (tests/test_text.py pins what that is); text as it is."""
    if sheet.columns is not None:
        return sheet.head(sheet.height)
    return [[v if isinstance(v, str) else to_text(v) for v in row] for row in sheet.rows]


def streamed_ledger(path: Path, rows: int = 400) -> Path:
    """A ledger written the way xlsxwriter streams (strings inline), with what a cut could get wrong: a merged title,
    runs of blank rows, rows starting at column B, dates, numbers, booleans, a narrow note and a wide last row."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(HEADER) - 1, "2024年第三季度问题整改台账")
    sheet.write_row(1, 0, HEADER)
    for i in range(1, rows + 1):
        r = i + 1 + 3 * (i // 10) + (60 if i > rows // 2 else 0)  # three blank rows every ten, sixty halfway
        row = problem_row(i, f"XC-{i:04d}", description=f"问题描述{i}：" + "会议记录不完整，" * (i % 5))
        row[7] = dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 90)
        for c, value in enumerate(row):
            if c == 0 and rows // 3 < i < rows // 2:
                continue  # a stretch of rows with column A blank: those rows start at column B
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, date)
            elif value is not None:
                sheet.write(r, c, value)
        if i % 7 == 0:
            sheet.write_boolean(r, len(HEADER), True)
    last = r
    sheet.write_string(last + 1, 0, "注：整改状态按未整改、整改中、已整改、已销号填写。")
    sheet.write_string(last + 2, 25, "Z 列的一格")
    book.close()
    return path


def test_a_streamed_ledger_read_in_pieces_equals_it_read_whole(tmp_path, cut):
    path = streamed_ledger(tmp_path / "2024年第三季度问题整改台账.xlsx")
    sheets = same_sheets(path.name, path.read_bytes())
    assert len(cut) == 1 and cut[0] is not None  # it was cut, not read whole
    assert sheets[0].merged == [((0, 0), (0, len(HEADER) - 1))]
    assert len(sheets[0].columns) == 26  # as wide as its widest row (column Z)
    assert sheets[0].head(3)[2][:2] == ["1", "XC-0001"]  # a whole number without ".0"


def shared_strings_ledger(path: Path, rows: int = 300) -> Path:
    """A ledger as Excel and WPS write one: its text in the shared-string table, a merged title, a second sheet."""
    book = xlsxwriter.Workbook(str(path))
    table = [["2024年第三季度问题整改台账"], HEADER, *(problem_row(i, f"SJ-{i}", source="审计")
                                                 for i in range(1, rows))]
    for name, sheet_rows in (("台账", table), ("第二张", table[:40])):
        sheet = book.add_worksheet(name)
        for r, row in enumerate(sheet_rows):
            sheet.write_row(r, 0, row)
    book.get_worksheet_by_name("台账").merge_range("A1:L1", table[0][0])
    book.close()
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(path).namelist()
    return path


def test_a_workbook_with_shared_strings_read_in_pieces_equals_it_read_whole(tmp_path, cut):
    path = shared_strings_ledger(tmp_path / "2024年第三季度问题整改台账.xlsx")
    same_sheets(path.name, path.read_bytes())
    assert len(cut) == 2 and all(r is not None for r in cut)
    assert _parsed(path.name, path.read_bytes(), split=True) == _parsed(path.name, path.read_bytes(), split=False)


def test_pieces_are_larger_beside_shared_strings(tmp_path, cut, monkeypatch):
    """Every piece's workbook parses the shared strings again: a piece is at least SHARED_PIECE times their size."""
    monkeypatch.setattr(pieces, "SHARED_PIECE", 4)
    asked = []
    cuts = pieces._cuts
    monkeypatch.setattr(pieces, "_cuts", lambda xml, piece=None: asked.append(piece) or cuts(xml, piece))
    path = shared_strings_ledger(tmp_path / "2024年第三季度问题整改台账.xlsx")
    same_sheets(path.name, path.read_bytes())
    shared = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size
    assert asked == [4 * shared, 4 * shared] and cut[-1] is not None  # both sheets


@pytest.mark.parametrize("name", sample_ledgers.WORKBOOKS)
def test_every_sample_parses_the_same_read_in_pieces(name, cut, sample):
    data = sample(name).read_bytes()
    same_sheets(name, data)
    assert any(r is not None for r in cut)  # a sheet of a row or two (填表说明) may be too short to cut
    expected = _parsed(name, data, split=False)
    assert _parsed(name, data, split=True) == expected


def parses_the_same(path: Path, cut: list) -> tuple:
    """The file's parse (period, issues, each sheet's rows and skipped rows), checked the same read whole and read in
    pieces (which it was)."""
    data = path.read_bytes()
    expected = _parsed(path.name, data, split=False)
    assert _parsed(path.name, data, split=True) == expected
    assert cut and cut[-1] is not None
    return expected


def _parsed(name: str, data: bytes, split: bool) -> tuple:
    with pytest.MonkeyPatch.context() as m:
        if not split:
            m.setattr(pieces, "SPLIT_FROM", float("inf"))
        parsed = parse_file(name, data)
    return (parsed.period, [str(i) for i in parsed.issues],
            [(s.name, s.rows.to_pylist(), dict(s.skipped)) for s in parsed.sheets])


def test_cells_of_every_kind_parse_the_same_read_in_pieces(tmp_path, cut):
    """Read in pieces, every cell is text: numbers, dates, serial days and booleans must still parse as they do
    typed, and rows of one number or one date be skipped for the same reason."""
    path = tmp_path / "2024年第三季度问题整改台账.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, [*HEADER, "备注"])
    r = 1
    for i in range(1, 120):
        row = problem_row(i, f"XC-{i:04d}", status="已销号" if i % 3 == 0 else "整改中")
        sheet.write_row(r, 0, row[:7])
        sheet.write_number(r, 1, 2024000 + i) if i % 4 == 0 else None  # a problem code as a number
        sheet.write_datetime(r, 7, dt.datetime(2024, 1, 1) + dt.timedelta(days=i), date)
        if i % 5 == 0:
            sheet.write_number(r, 8, 45500 + i)  # a date that lost its format: a serial day
        elif i % 5 == 1:
            sheet.write_datetime(r, 8, dt.datetime(2024, 6, 30, 17, 30), stamp)
        else:
            sheet.write_string(r, 8, "长期坚持" if i % 5 == 2 else "2024.9.30")
        sheet.write_string(r, 9, row[9])
        if i % 3 == 0:
            sheet.write_datetime(r, 10, dt.datetime(2024, 7, 1), date)
        sheet.write_string(r, 11, "一般")
        sheet.write(r, 12, [True, 3.5, 0, "见附件"][i % 4])
        r += 1
        if i % 40 == 0:  # rows that are not problems
            sheet.write_number(r, 0, i)
            sheet.write_datetime(r + 1, 7, dt.datetime(2024, 3, 1), date)
            sheet.write_number(r + 2, 12, 7)
            r += 3
    book.close()
    expected = parses_the_same(path, cut)
    assert expected[2][0][1][4]["deadline"] == dt.date(2024, 8, 1)  # 45,505: a serial day
    assert expected[2][0][2] == {"无问题内容的行": 6}  # a row of one number, one date: not a heading


@pytest.mark.parametrize("seed", range(6))
def test_random_messy_ledgers_parse_the_same_read_in_pieces(tmp_path, cut, monkeypatch, seed):
    """Ledgers of random mess, cut at random piece sizes, parse to the same rows, issues and skipped rows as read
    whole: section headings, 合计 and 注 rows, blank and lone-value rows, codes as numbers, dates as dates, serial
    numbers, text and date-times, booleans and decimals in text columns, bad statuses and dates, repeated rows."""
    import random

    rng = random.Random(seed)
    monkeypatch.setattr(pieces, "PIECE", rng.randrange(300, 4000))
    path = tmp_path / "2024年第三季度问题整改台账.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": rng.random() < 0.5})
    sheet = book.add_worksheet("台账")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    headers = [*HEADER, "备注"]
    sheet.merge_range(0, 0, 0, len(headers) - 1, "2024年第三季度问题整改台账")
    sheet.write_row(1, 0, ["填报单位：纪委办公室", *[""] * 8, "填报日期：2024年10月8日"])
    sheet.write_row(2, 0, headers)
    r = 3

    def cell(c: int, value: object) -> None:
        if isinstance(value, dt.datetime):
            sheet.write_datetime(r, c, value, stamp if value.hour else date)
        elif value is not None:
            sheet.write(r, c, value)

    for i in range(1, rng.randrange(150, 400)):
        roll = rng.random()
        if roll < 0.03:
            sheet.write_string(r, 0, rng.choice(["一、巡视巡察反馈问题（5项）", "二、审计发现问题", "（三）信访举报"]))
        elif roll < 0.05:
            sheet.write_row(r, 0, [rng.choice(["合计", "小计"]), "", "", "", f"共 {i} 项"])
        elif roll < 0.07:
            sheet.write_string(r, 0, "注：整改状态按未启动、整改中、已整改、已销号填写。")
        elif roll < 0.09:
            cell(rng.randrange(len(headers)), rng.choice([i, dt.datetime(2024, 3, 1), True, "  "]))
        elif roll < 0.12:
            pass  # a blank row
        else:
            status = rng.choice(["整改中", "已销号", "已整改", "未启动", "长期整改", "完成", "整改中 "])
            row = problem_row(i, rng.choice([f"XC-{i:04d}", 2024000 + i, None]), status,
                              source=rng.choice(["巡察", "", "内部审计", "信访"]),
                              unit=rng.choice(["冶炼厂", "矿业公司", "物流中心"]))
            row[7] = rng.choice([dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 200), "2024.2.3",
                                 45300 + i % 50, dt.datetime(2024, 2, 1, 9, 30)])
            row[8] = rng.choice(["长期坚持", "2024年9月底", dt.datetime(2024, 9, 30), 45565, "2024-13-01"])
            row[10] = dt.datetime(2024, 10, 1) if status == "已销号" and rng.random() < 0.8 else None
            row.append(rng.choice([None, "已约谈", 3.5, 0, False, 1 / 3]))
            for c, value in enumerate(row):
                cell(c, value)
            if rng.random() < 0.03:  # the same row again
                r += 1
                for c, value in enumerate(row):
                    cell(c, value)
        r += 1
    book.close()
    expected = parses_the_same(path, cut)
    assert expected[1] and expected[2][0][1]  # issues and valid rows both


def with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook with its first worksheet's XML changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            target.writestr(info.filename, change(part) if info.filename == SHEET else part)
    return out.getvalue()


def test_a_piece_s_workbook_copies_the_xml_parts_only(tmp_path, cut):
    """Images, printer settings and macros are not copied into every piece: calamine reads none of them for cells."""
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "a") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("xl/media/image1.png", bytes(range(256)) * 4096)
        target.writestr("xl/vbaProject.bin", b"\0" * 1024)
    data = out.getvalue()
    plain = reader._check_xlsx("l.xlsx", data, ledger_config().limits)["台账"]
    copied = {i.filename for i, _ in plain.others}
    assert {"xl/workbook.xml", "xl/styles.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"} <= copied
    assert not copied & {"xl/media/image1.png", "xl/vbaProject.bin", SHEET}
    same_sheets("2024年第三季度问题整改台账.xlsx", data)
    assert cut and cut[-1] is not None


def test_rows_out_of_order_are_read_whole(tmp_path, cut):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()

    def move_row_5_to_the_end(xml: bytes) -> bytes:
        start = xml.index(b'<row r="5"')
        end = xml.index(b"</row>", start) + len(b"</row>")
        return xml[:start] + xml[end:].replace(b"</sheetData>", xml[start:end] + b"</sheetData>")

    changed = with_sheet_xml(data, move_row_5_to_the_end)
    same_sheets("2024年第三季度问题整改台账.xlsx", changed)
    assert cut == [None]


@pytest.mark.parametrize("odd", [
    b'<!-- <row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c></row> -->',
    b"<?generator calc?>",
], ids=["comment", "processing-instruction"])
def test_a_sheet_with_a_comment_or_instruction_is_not_cut(tmp_path, cut, odd):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    changed = with_sheet_xml(data, lambda xml: xml.replace(b'<row r="100"', odd + b'<row r="100"'))
    same_sheets("2024年第三季度问题整改台账.xlsx", changed)
    assert cut == []  # the scan found it not plain: pieces.read was never asked


def test_cdata_in_a_cell_keeps_the_sheet_whole(tmp_path, cut):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    cdata = b'<c r="P50" t="inlineStr"><is><t><![CDATA[</row><row r="999">]]></t></is></c></row>'
    changed = with_sheet_xml(data, lambda xml: xml.replace(b"</row>", cdata, 50).replace(cdata, b"</row>", 49))
    same_sheets("2024年第三季度问题整改台账.xlsx", changed)
    assert cut == []


def test_a_broken_piece_is_reported_as_the_whole_sheet_would_be(tmp_path, cut):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    broken = with_sheet_xml(data, lambda xml: xml.replace(b'<c r="B200" t="inlineStr"><is><t>',
                                                          b'<c r="B200" t="inlineStr"><is><t>&bogus;'))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pieces, "SPLIT_FROM", float("inf"))
        with pytest.raises(FileRejected) as read_whole:
            reader.read_sheets("l.xlsx", broken)
    with pytest.raises(FileRejected) as read_cut:
        reader.read_sheets("l.xlsx", broken)
    assert str(read_cut.value) == str(read_whole.value)
    assert "文件已损坏或不是有效的 Excel 文件" in str(read_cut.value)
    assert cut == [None]


def test_the_row_limit_holds_for_a_sheet_read_in_pieces(tmp_path, cut):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    limits = dataclasses.replace(ledger_config().limits, max_rows=300)
    # the quick check refuses first: the pieces see it only if it is passed by
    with pytest.raises(FileRejected, match="超过上限 300 行"):
        reader.read_sheets("l.xlsx", data, limits)
    check_end = []
    plain = reader._check_xlsx("l.xlsx", data, ledger_config().limits)["台账"]

    def refuse_past_300(end):
        check_end.append(end)
        if end[0] + 1 > 300:
            raise FileRejected("l.xlsx", [])

    with pytest.raises(FileRejected):
        pieces.read(plain, "台账", refuse_past_300)
    assert max(e[0] for e in check_end) + 1 > 300


def test_only_large_sheets_are_cut_and_into_as_many_pieces_for_each_thread(monkeypatch):
    def info(name: str, size: int) -> zipfile.ZipInfo:
        i = zipfile.ZipInfo(name)
        i.file_size = size
        return i

    big, small = info(SHEET, 20 * pieces.MB), info(SHEET, pieces.MB // 2)
    monkeypatch.setattr(pieces, "WORKERS", 2)
    assert pieces.worth_splitting(big)
    assert not pieces.worth_splitting(small)
    assert not pieces.worth_splitting(big, kept=pieces.KEPT_AT_MOST - pieces.MB)
    monkeypatch.setattr(pieces, "WORKERS", 1)
    assert not pieces.worth_splitting(big)  # one core: nothing to read side by side

    monkeypatch.setattr(pieces, "WORKERS", 2)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(1, 2001))
    rope = pieces._Rope([b"<sheetData>" + rows + b"</sheetData>"])
    assert len(pieces._cuts(rope, len(rows) // 10)) == 11  # ten pieces
    assert len(pieces._cuts(rope, len(rows) * 10)) == 3  # two: as many as threads
    assert len(pieces._cuts(rope, len(rows) // 3)) == 5  # four, not three: as many for each thread


def test_the_rope_finds_and_slices_across_its_runs():
    text = b'<sheetData><row r="1"/><row r="2"/></sheetData>'
    # the same text in three runs cut everywhere
    for a in range(1, len(text) - 2):
        for b in range(a + 1, len(text) - 1):
            rope = pieces._Rope([text[:a], text[a:b], text[b:]])
            assert len(rope) == len(text)
            assert b"".join(rope.slices(3, len(text) - 2)) == text[3:-2]
            for needle in (b"<row ", b"<sheetData>", b"</sheetData>", b"/>"):
                for start in (0, 5, 20):
                    assert rope.find(needle, start, len(text)) == text.find(needle, start), (a, b, needle, start)
                assert rope.rfind(needle) == text.rfind(needle)
                assert rope.rfind(needle, 5, len(text) - 3) == text.rfind(needle, 5, len(text) - 3)
            assert pieces._cuts(rope, 2048) == [11, 23, 35]
            rope.drop_before(35)
            assert b"".join(rope.slices(35, len(text))) == text[35:]


def test_the_scan_tells_plain_sheets_from_others():
    limits = ledger_config().limits
    plain = b'\xef\xbb\xbf<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
    kept: list = []
    assert reader._scan_sheet(iter([plain, b"</sheetData></worksheet>"]), limits, kept) == (False, True)
    rope = pieces._Rope(kept)
    assert b"".join(rope.slices(0, len(rope))) == plain + b"</sheetData></worksheet>"
    for odd in (b"<!-- x -->", b"<![CDATA[x]]>", b"<?pi?>"):
        assert reader._scan_sheet(iter([plain, odd, b"</sheetData></worksheet>"]), limits, []) == (False, False)
    assert reader._scan_sheet(iter([plain.replace(b'r="A1"', b'r="ZZZ1"')]), limits, [])[0]  # suspect
    assert reader._scan_sheet(iter([plain]), limits, None) == (False, False)  # not asked: not plain


def test_the_scan_sees_a_tag_cut_between_inflated_chunks():
    """The scan matches chunks and the seams between them: a tag cut anywhere, even over three chunks, is seen."""
    limits = ledger_config().limits
    head = b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
    for odd, verdict in ((b'<row r="2"><c r="ZZZ2"><v>1</v></c></row>', (True, True)),
                         (b"<!-- a comment -->", (False, False))):
        text = head + odd + b"</sheetData></worksheet>"
        at = len(head)
        for a in range(at, at + len(odd)):
            for b in (a + 1, a + 3):
                chunks = [text[:a], text[a:b], text[b:]]
                kept: list = []
                assert reader._scan_sheet(iter(chunks), limits, kept) == verdict, (odd, a, b)
                if not verdict[0]:
                    assert b"".join(kept) == text


def test_one_thread_alone_reads_every_piece_in_turn(tmp_path, cut, monkeypatch):
    data = streamed_ledger(tmp_path / "l.xlsx").read_bytes()
    plain = reader._check_xlsx("l.xlsx", data, ledger_config().limits)["台账"]
    monkeypatch.setattr(pieces, "WORKERS", 1)
    columns, merged = pieces.read(plain, "台账", lambda end: None)
    expected = whole("l.xlsx", data)[0]
    assert as_text(reader.Sheet("台账", [], merged, columns)) == as_text(expected) and merged == expected.merged


@pytest.mark.parametrize("seed", range(8))
def test_random_sparse_sheets_cut_anywhere_read_as_whole(tmp_path, cut, monkeypatch, seed):
    """Sheets of random gaps, widths and kinds of cell, text that looks like the XML it is cut at included, cut into
    pieces of a random size: each must equal the sheet read whole."""
    import random

    rng = random.Random(seed)
    monkeypatch.setattr(pieces, "PIECE", rng.randrange(150, 3000))
    path = tmp_path / f"2024年第三季度问题整改台账_{seed}.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    texts = ["整改中", '<row r="9"><c r="A9">', "a & b < c > d \"e\"", " 前后空格 ", "</sheetData>", "x" * 300]
    row = rng.randrange(0, 5)
    for _ in range(rng.randrange(20, 300)):
        width = rng.randrange(1, 30)
        for col in sorted(rng.sample(range(width), rng.randrange(1, min(width, 8) + 1))):
            kind = rng.randrange(5)
            if kind == 0:
                sheet.write_string(row, col, rng.choice(texts))
            elif kind == 1:
                sheet.write_number(row, col, rng.choice((0, 1, -2.5, 1e9, 45000)))
            elif kind == 2:
                sheet.write_datetime(row, col, dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(700)), date)
            elif kind == 3:
                sheet.write_boolean(row, col, rng.random() < 0.5)
            else:
                sheet.write_string(row, col, f"问题描述{row}-{col}")
        row += rng.choice((1, 1, 1, 2, 7))
    book.close()
    same_sheets(path.name, path.read_bytes())
    assert cut and cut[-1] is not None
