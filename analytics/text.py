"""Text normalisation shared by the importer and the analytics: one definition of 'the same'.

Each rule exists twice, once vectorised over a column (Arrow, for 100,000-row
ledgers) and once for a single value (plain Python, for headers and distinct
values); tests/test_text.py checks that the two agree on every kind of input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

# White space, named character by character (Python's \s and RE2's \s disagree beyond ASCII);
# the same set in Python's and in RE2's syntax.
_PY_SPACES = re.compile("[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+")
_SPACES = (r"[\t\n\x{0B}\f\r \x{1C}-\x{1F}\x{85}\x{A0}\x{1680}\x{2000}-\x{200B}\x{2028}\x{2029}\x{202F}"
           r"\x{205F}\x{3000}\x{FEFF}]+")
_PY_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
# ASCII and the basic CJK block are unchanged by NFKC: only other strings need the (slow) normalisation
_MAY_CHANGE_UNDER_NFKC = r"[^\x{0000}-\x{007F}\x{4E00}-\x{9FFF}]"
_NOT_LETTER_OR_DIGIT = r"[^\p{L}\p{N}]+"
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]$")
# a header numbered as a list item: 一、问题描述, (二)责任单位, 3.整改时限
_LEADING_NUMBER = re.compile(r"^(?:[（(]?[一二三四五六七八九十]+[)）、.．]|[（(]\d{1,2}[)）]|\d{1,2}[、.．](?!\d))")


def to_text(value: object) -> str:
    """A cell as text: None as '', and numbers and booleans as a large sheet's cells read (reader.Sheet): a whole
    number without '.0', others to at most nine decimals (1/3: 0.333333333), 'true' and 'false'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if math.isfinite(value):
            return f"{value:.9f}".rstrip("0").rstrip(".")
    return str(value)


def is_blank(value: object) -> bool:
    """Whether a cell holds nothing but white space (None, '', '  ')."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_strings(values: Sequence | pa.Array) -> pa.Array:
    """A column of cells as an Arrow string array (None stays null; whole numbers without '.0')."""
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    types = set(map(type, values))
    if types <= {float, type(None)} and float in types:  # a numeric column such as 序号: convert it whole
        numbers = pa.array(values, pa.float64())
        # whole and within int64 (a 20-digit account number, inf): else each value as text on its own
        whole = pc.all(pc.and_(pc.equal(pc.round(numbers), numbers), pc.less(pc.abs(numbers), 2.0**63))).as_py()
        if whole:
            return numbers.cast(pa.int64()).cast(pa.string())
    if types <= {str, type(None)}:
        return pa.array(values, pa.string())
    return pa.array([v if type(v) is str else (None if v is None else to_text(v)) for v in values], pa.string())


def _nfkc(arr: pa.Array) -> tuple[pa.Array, bool]:
    """NFKC of each string, and whether any string needed it."""
    mask = pc.fill_null(pc.match_substring_regex(arr, _MAY_CHANGE_UNDER_NFKC), False)
    if not pc.any(mask).as_py():
        return arr, False
    changed = pc.utf8_normalize(pc.filter(arr, mask), form="NFKC")
    return pc.replace_with_mask(arr, mask, changed), True


def _blank_to_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def clean_many(values: Sequence) -> pa.Array:
    """Display text: stripped, inner runs of white space folded to one space, blank → null."""
    arr = pc.utf8_trim(pc.replace_substring_regex(as_strings(values), _SPACES, " "), " ")
    return _blank_to_null(arr)


def key_many(values: Sequence) -> pa.Array:
    """Matching keys: full-width folded (NFKC), no white space at all, blank → null."""
    return _blank_to_null(pc.replace_substring_regex(_nfkc(as_strings(values))[0], _SPACES, ""))


def fold_many(values: Sequence) -> pa.Array:
    """Identity text: width, case, white space and punctuation ignored (letters and digits only)."""
    kept, changed = _nfkc(pc.replace_substring_regex(as_strings(values), _NOT_LETTER_OR_DIGIT, ""))
    if changed:  # NFKC can turn a letter into punctuation (㈠ → (一))
        kept = pc.replace_substring_regex(kept, _NOT_LETTER_OR_DIGIT, "")
    return pc.replace_substring(pc.utf8_lower(kept), "ς", "σ")  # final sigma: no context-dependent lower case


def clean(value: object) -> str:
    """Display text of one value ('' for blank); the same rule as clean_many."""
    return _PY_SPACES.sub(" ", to_text(value)).strip(" ")


def key(value: object) -> str:
    """Matching key of one value ('' for blank); the same rule as key_many."""
    return _PY_SPACES.sub("", unicodedata.normalize("NFKC", to_text(value)))


def header_key(value: object) -> str:
    """A header's matching key: as ``key`` and also without a leading '*' or a trailing note in brackets."""
    k = key(value).lstrip("*★")
    stripped = _LEADING_NUMBER.sub("", _TRAILING_NOTE.sub("", k))
    return stripped or k


def fingerprint_text(value: object) -> str:
    """Identity text of one value; the same rule as fold_many."""
    kept = _PY_NOT_LETTER_OR_DIGIT.sub("", to_text(value))
    return _PY_NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", kept)).lower().replace("ς", "σ")
