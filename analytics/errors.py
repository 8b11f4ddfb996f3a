"""Our exception types and the validation issue record, rendered in Chinese at the edges."""

from __future__ import annotations

from dataclasses import dataclass


def column_letter(index: int) -> str:
    """Excel column letter for a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file, located down to the cell where possible."""

    file: str
    reason: str
    sheet: str | None = None
    row: int | None = None  # Excel row number, 1-based
    column: str | None = None  # the column's header as written in the file
    col_index: int | None = None  # 0-based, for the column letter
    value: object = None

    def message(self) -> str:
        """The issue as one Chinese sentence naming file, sheet, row, column and value."""
        parts = [f"文件「{self.file}」"]
        if self.sheet is not None:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            letter = f"（{column_letter(self.col_index)} 列）" if self.col_index is not None else ""
            parts.append(f"「{self.column}」列{letter}")
        where = " ".join(parts)
        value = "" if self.value in (None, "") else f"：值「{self.value}」"
        return f"{where}{value}，{self.reason}"


class DashboardError(Exception):
    """Base for errors we expect and explain to the user (in Chinese)."""


class ConfigError(DashboardError):
    """A configuration file under data/ is missing, unreadable or inconsistent."""


class FileRejected(DashboardError):
    """A whole input file cannot be imported; carries the issues that explain why."""

    def __init__(self, file: str, issues: list[Issue]):
        self.file = file
        self.issues = issues
        super().__init__("\n".join(i.message() for i in issues))


class DatabaseBusy(DashboardError):
    """Another process holds the database for writing."""


class DatabaseUnreadable(DashboardError):
    """The database file exists but cannot be opened: damaged, or not a database. The message names the way back."""


class DatabaseTooNew(DashboardError):
    """The database was written by a newer release (a higher schema version): refused, never downgraded."""
