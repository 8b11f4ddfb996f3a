"""What the importer asks when it cannot decide, and the user's answers (a ledger profile's content).

A question is a fact (which sheet, which header or word, what it could be); the page and the CLI word it. The
answers for one header layout are saved as a ledger profile (analytics.profiles), so the same office's next
ledger imports without a question.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from analytics.text import header_key

IGNORE = "ignore"  # a column answer: not imported

# What a question is about
COLUMN = "column"  # an unrecognised column: map it to a field or ignore it (optional)
MISSING = "missing"  # a required field has no column: pick one (blocking)
STATUS = "status"  # a status word matches none of the five statuses (blocking)
SOURCE = "source"  # neither the file nor a column names the source (blocking)
CATEGORY = "category"  # a category matches no dimension (optional: counted as 未归类 until assigned)


@dataclass(frozen=True)
class Question:
    """One thing the importer could not decide; ``subject`` is the header, word or field it is about."""

    kind: str
    sheet: str
    subject: str
    rows: int = 0  # how many rows it concerns
    column: int | None = None  # 0-based, for a column question
    blocking: bool = True


@dataclass
class Answers:
    """The user's answers for one header layout: header key → field (or IGNORE), status word → status,
    the source for rows that name none, and category → dimension (applied to the whole database on import)."""

    columns: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    categories: dict[str, str] = field(default_factory=dict)

    def merged(self, other: Answers | None) -> Answers:
        """These answers with other's on top (the command line over a saved profile)."""
        if other is None:
            return self
        return Answers({**self.columns, **other.columns}, {**self.statuses, **other.statuses},
                       other.source or self.source, {**self.categories, **other.categories})

    def is_empty(self) -> bool:
        return not (self.columns or self.statuses or self.source or self.categories)

    def as_dict(self) -> dict:
        return {"columns": self.columns, "statuses": self.statuses, "source": self.source,
                "categories": self.categories}

    @classmethod
    def from_dict(cls, raw: dict) -> Answers:
        return cls(dict(raw.get("columns") or {}), dict(raw.get("statuses") or {}), raw.get("source") or None,
                   dict(raw.get("categories") or {}))


# a quarter or year named in a header (二季度整改进展, 2025年完成情况): next quarter's ledger names the next one
_PERIOD_WORDS = re.compile(r"(?:20\d{2}年?度?)?(?:第?[一二三四1-4]季度|[上下]半年|[Qq][1-4])|20\d{2}年度?")


def column_key(header: object) -> str:
    """A column's key in the user's answers: its header's matching key without a quarter or year it names."""
    k = header_key(header)
    return _PERIOD_WORDS.sub("", k) or k


def layout_key(headers: Iterable[object]) -> str:
    """A header layout's key: its columns' keys in column order, hashed (the same office's ledger of another
    quarter has the same)."""
    return hashlib.sha256("\x1f".join(map(column_key, headers)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SavedAnswers:
    """parse_file's answers_for, picklable: a layout's saved answers (its ledger profile) with the given ones (the
    page's or the command line's) on top."""

    saved: dict[str, Answers] = field(default_factory=dict)
    given: Answers | None = None

    def __call__(self, layout: str) -> Answers | None:
        found = self.saved.get(layout)
        if self.given is None or self.given.is_empty():
            return found
        return (found or Answers()).merged(self.given)
