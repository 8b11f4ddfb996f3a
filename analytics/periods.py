"""Quarters: parse, order, period end, and inference from file names and titles."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from analytics.errors import DashboardError

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# 2024年第三季度, 2024年三季度, 2024年第3季度, 2024 年 3 季度, 2024Q3, 2024-Q3, 2024q3
_PERIOD_PATTERNS = [
    re.compile(r"(20\d{2})\s*年?\s*(?:度\s*)?[第前]?\s*([一二三四1-4])\s*季度"),  # 前三季度: as of Q3's end
    re.compile(r"(20\d{2})\s*[-_ ]?\s*[Qq]\s*([1-4])(?!\d)"),
]


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter. Ordered; ``str()`` gives ``2024Q3``."""

    year: int
    quarter: int

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def index(self) -> int:
        """A running quarter number, so that consecutive quarters differ by one."""
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_index(cls, index: int) -> Period:
        return cls(index // 4, index % 4 + 1)

    @property
    def end(self) -> dt.date:
        """The period end: figures are computed as of this day (2024Q3 → 2024-09-30)."""
        month = self.quarter * 3
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> Period:
        return Period.from_index(self.index - 1)

    def year_ago(self) -> Period:
        return Period(self.year - 1, self.quarter)

    @property
    def label(self) -> str:
        """Chinese label, e.g. 2024年第三季度."""
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"


def parse_period(text: str) -> Period:
    """Parse ``2024Q3`` or any Chinese quarter form; raise if it is not one."""
    found = find_periods(text)
    if len(found) != 1:
        raise DashboardError(f"无法识别期间「{text}」，请写成 2024Q3 或 2024年第三季度")
    return found.pop()


# Where no quarter is named: a half year (2025年上半年 → Q2), or a reporting cut-off date (截至2025年6月30日 → the
# quarter of that day; a filing date such as 填报日期 is not one)
_HALF_YEAR = re.compile(r"(20\d{2})\s*年?\s*([上下])半年")
_CUT_OFF = re.compile(r"截[至止]\s*(20\d{2})\s*[年.\-/]\s*(\d{1,2})\s*月?")


def find_periods(text: str) -> set[Period]:
    """Every quarter named in a piece of text (a file name, a title, a sheet name)."""
    found: set[Period] = set()
    text = unicodedata.normalize("NFKC", text or "")
    for pattern in _PERIOD_PATTERNS:
        for match in pattern.finditer(text):
            found.add(Period(int(match.group(1)), _CN_DIGITS[match.group(2)]))
    if not found:
        found |= {Period(int(m[1]), 2 if m[2] == "上" else 4) for m in _HALF_YEAR.finditer(text)}
    if not found:
        found |= {quarter_of(dt.date(int(m[1]), int(m[2]), 1)) for m in _CUT_OFF.finditer(text) if 1 <= int(m[2]) <= 12}
    return found


def quarter_of(day: dt.date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


# where a file's quarter came from (PeriodOrigin.how): given by the user, read from the file name or the title rows;
# or none: several quarters named, or none
GIVEN, FILE_NAME, TITLE, SEVERAL, NONE = "given", "file_name", "title", "several", "none"


@dataclass(frozen=True)
class PeriodOrigin:
    """How a file's quarter was found (how: one of GIVEN … NONE), with the quarters seen when several were; the
    page and the command line say it in their own words (what to do next differs)."""

    how: str
    seen: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.how in (GIVEN, FILE_NAME, TITLE)

    def problem(self) -> str:
        """Why the quarter is unknown, for the validation report (empty when it was found)."""
        if self.how == SEVERAL:
            return f"文件名和标题中出现多个期间（{'、'.join(self.seen)}），请指定所属期间"
        return "无法从文件名或标题识别季度，请指定所属期间" if self.how == NONE else ""
