"""CSV that a spreadsheet opens as text: the one writer of every CSV the product hands out.

Excel, WPS and LibreOffice read a CSV cell that starts with = + - @ (or a tab or carriage return before one) as a
formula, so text chosen by someone else — a failed login's name, a ledger's description — could run as one when
the file is opened (=HYPERLINK(...), =cmd|'/C calc'!A0). The xlsx writers keep such text as text with
write_string and strings_to_formulas off; a CSV has no cell types, so here a leading apostrophe marks the cell as
text, the usual defence (OWASP "CSV injection"). The apostrophe is visible in the opened sheet, and is the only
change: numbers and text starting otherwise are written as they are.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """The value for a CSV cell: text that starts like a formula gets a leading apostrophe; anything else as is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def to_csv(frame: pd.DataFrame) -> bytes:
    """The table as CSV, headers and cells through ``cell``, UTF-8 with BOM so that Excel reads the Chinese text.

    Lines end in CRLF (RFC 4180, as Excel writes them): the csv module then quotes every cell holding a CR or LF,
    which it does not for a lone CR under pandas' default "\\n" — there a CR inside a cell ended the row early and
    the rest of the cell (say "=1+1") began a new row, unescaped.
    """
    safe = frame.map(cell)
    safe.columns = [cell(str(c)) for c in frame.columns]
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
