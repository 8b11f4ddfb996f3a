"""Text normalisation shared by the importer and the analytics: one definition of 'the same'."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]$")
_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)


def to_text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0', None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean(value: object) -> str:
    """Display text: stripped, inner runs of white space folded to one space."""
    return _SPACE.sub(" ", to_text(value)).strip()


def key(value: object) -> str:
    """A matching key: full-width folded (NFKC), no white space at all."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", to_text(value)))


def header_key(value: object) -> str:
    """A header's matching key: as ``key`` and also without a leading '*' or a trailing note in brackets."""
    k = key(value).lstrip("*★")
    stripped = _TRAILING_NOTE.sub("", k)
    return stripped or k


def fingerprint_text(value: object) -> str:
    """Description folded for identity: width, case, white space and punctuation ignored."""
    return _PUNCT_OR_SPACE.sub("", unicodedata.normalize("NFKC", to_text(value))).casefold()
