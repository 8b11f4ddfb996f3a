"""One table as a page shows it, as an Excel file: the pages' own downloads, in place of the table toolbar's CSV.

Headers are the page's Chinese ones; numbers stay numbers (rates as percentages, scores with one decimal), dates
dates, and text is written as text, so a ledger's "=cmd|..." stays a string (strings_to_formulas off). The page
records the download (analytics.actions.downloaded) when the file is made.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd
import xlsxwriter

# a column's kind → its Excel number format
FORMATS = {"int": "0", "score": "0.0", "percent": "0.0%", "date": "yyyy-mm-dd", "number": "General"}
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _empty(value: object) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _width(value: object) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # a CJK character is two columns wide


def to_xlsx(frame: pd.DataFrame, title: str, kinds: dict[str, str] | None = None) -> bytes:
    """The frame (its columns are the headers) as one sheet named after ``title``; ``kinds``: header → int, score,
    percent, date, number or text (numbers and dates unnamed keep their type, everything else is text)."""
    kinds = kinds or {}
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "in_memory": True}) as wb:
        ws = wb.add_worksheet(_SHEET_UNSAFE.sub("_", title)[:31] or "Sheet1")
        head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
        formats = {kind: wb.add_format({"num_format": f}) for kind, f in FORMATS.items()}
        ws.write_row(0, 0, [str(c) for c in frame.columns], head)
        widths = [_width(c) for c in frame.columns]
        for c, header in enumerate(frame.columns):
            kind = kinds.get(str(header))
            for r, value in enumerate(frame.iloc[:, c].tolist(), 1):
                if _empty(value):
                    continue
                if isinstance(value, bool):
                    ws.write_string(r, c, "是" if value else "否")
                elif kind != "text" and isinstance(value, int | float) and math.isfinite(value):
                    ws.write_number(r, c, value, formats[kind or "number"] if kind != "date" else None)
                elif kind != "text" and isinstance(value, dt.date):
                    day = value.date() if isinstance(value, dt.datetime) else value
                    ws.write_datetime(r, c, dt.datetime(day.year, day.month, day.day), formats["date"])
                    value = "yyyy-mm-dd"
                else:
                    ws.write_string(r, c, str(value))
                widths[c] = max(widths[c], _width(value))
        for c, width in enumerate(widths):
            ws.set_column(c, c, min(max(width + 2, 6), 60))
        ws.freeze_panes(1, 0)
        if len(frame.columns):
            ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    return buffer.getvalue()
