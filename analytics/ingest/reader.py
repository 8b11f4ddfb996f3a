"""Files → sheets of raw cell rows (python-calamine for workbooks, csv for text).

Nothing here knows about ledgers; it only turns bytes into rows, or refuses
with a Chinese reason (empty, encrypted, corrupt, not a spreadsheet).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from analytics.errors import FileRejected, Issue

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
TEXT_SUFFIXES = (".csv", ".txt")
SUFFIXES = WORKBOOK_SUFFIXES + TEXT_SUFFIXES


@dataclass
class Sheet:
    """One sheet's cells, row 0 being Excel row 1 and column 0 being column A."""

    name: str
    rows: list[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def read_sheets(name: str, data: bytes) -> list[Sheet]:
    """Every visible worksheet of a file given by its name and bytes."""
    if not data:
        raise FileRejected(name, [Issue(name, "文件为空（0 字节）")])
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_MARK in data:
        raise FileRejected(name, [Issue(name, "文件设置了打开密码，请在 Excel/WPS 中取消密码后再导入")])
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return _read_workbook(name, data)
    if suffix in TEXT_SUFFIXES:
        return [Sheet(name.rsplit(".", 1)[0], _read_csv(name, data))]
    raise FileRejected(name, [Issue(name, "不是 Excel（.xlsx/.xlsm/.xls）或 CSV 文件，无法导入")])


def _read_workbook(name: str, data: bytes) -> list[Sheet]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue  # chart sheets and hidden helper sheets (drop-down lists) hold no rows
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            try:
                merged = list(sheet.merged_cell_ranges or [])
            except CalamineError:
                merged = []
            sheets.append(Sheet(meta.name, rows, merged))
        return sheets
    except PasswordError:
        raise FileRejected(name, [Issue(name, "文件设置了打开密码，请在 Excel/WPS 中取消密码后再导入")]) from None
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected(name, [Issue(name, f"文件已损坏或不是有效的 Excel 文件，无法读取（{exc}）")]) from None


def _decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected(name, [Issue(name, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")])


def _read_csv(name: str, data: bytes) -> list[list]:
    if b"\x00" in data[:4096]:
        raise FileRejected(name, [Issue(name, "不是文本格式的 CSV 文件（可能是改了扩展名的其他文件）")])
    text = _decode(name, data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise FileRejected(name, [Issue(name, f"CSV 格式错误：{exc}")]) from None
    width = max(map(len, rows), default=0)
    return [row + [""] * (width - len(row)) for row in rows]  # rectangular, like a worksheet
