"""Cell values → canonical values: dates, statuses, sources, severities, flags.

Each function takes one raw cell and returns the canonical value or raises
``ValueError`` with a Chinese reason; callers cache them per distinct value,
since a ledger repeats the same few statuses and dates on every row.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

from analytics.config import LedgerConfig
from analytics.periods import Period
from analytics.text import clean, key, to_text

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}
# 前 / 以前 / 之前 / 止, then 完成 / 办结 / 销号 (2025年5月完成: the month's end)
_SUFFIX = r"(?:前|以前|之前|止)?(?:完成|办结|销号)?"
_TIME = r"(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_FULL = re.compile(rf"^(\d{{4}})[-/.年](\d{{1,2}})[-/.月](\d{{1,2}})日?{_TIME}{_SUFFIX}$")
_COMPACT = re.compile(rf"^(\d{{4}})(\d{{2}})(\d{{2}}){_SUFFIX}$")
_MONTH = re.compile(
    rf"^(\d{{4}})[-/.年](\d{{1,2}}|[一二三四五六七八九十]{{1,3}})月?(?:份)?(?:底|末|末前|底前)?{_SUFFIX}$")
_QUARTER = re.compile(rf"^(\d{{4}})年?第?([一二三四1-4])季度?(?:末|底)?{_SUFFIX}$")
_QUARTER_Q = re.compile(rf"^(\d{{4}})[-]?[Qq]([1-4])(?:末|底)?{_SUFFIX}$")
_HALF = re.compile(rf"^(\d{{4}})年?(上|下)半年(?:末|底)?{_SUFFIX}$")
_YEAR_END = re.compile(rf"^(\d{{4}})年?(?:年)?(?:底|末|年底|年末|全年)?{_SUFFIX}$")
# year-less (5月20日, 5.20, 5月底, 5月中旬): read only with the ledger's year
_MON = r"\d{1,2}|十[一二]?|[一二三四五六七八九]"
_YEARLESS_DAY = re.compile(rf"^({_MON})月(\d{{1,2}})[日号]?{_SUFFIX}$|^(\d{{1,2}})\.(\d{{1,2}})[日号]?{_SUFFIX}$")
_YEARLESS_MONTH = re.compile(rf"^({_MON})月份?(?:底|末|([上中下])旬)?{_SUFFIX}$")
# a whole cell 6.3: a number typed as 6.30 shows (and a large sheet reads) as 6.3 — June 3rd or June 30th?
AMBIGUOUS_MONTH_DAY = re.compile(r"^\d{1,2}\.\d$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL = re.compile(r"^(?:[2-7]\d{4}|80000)(?:\.\d+)?$")  # 20000 to 80000, as the typed rule below
# "nothing here" in a date cell: dashes, slashes and backslashes (any width, any number of them), 无 / 暂无 / 空 / N/A
_BLANK_MARK = re.compile(r"^(?:[-/\\_~\u2010-\u2015\u2212\u2500\u2501]+|无|暂无|空|空白|[Nn]/?[Aa])$")


# a template's date left unfilled: 2025年  月  日, 2025年X月X日, 第X季度 (the spaces are gone once keyed)
_PLACEHOLDER = re.compile(r"年月|月日|[XxＸｘ×○〇□_＿?？]+\s*[年月日号季]|第[XxＸｘ×○〇□_＿?？]")


def is_placeholder(text: str) -> bool:
    """Whether a (keyed) date text is a template's blank to fill in, not a date."""
    return bool(_PLACEHOLDER.search(text))


def is_blank_marker(value: object) -> bool:
    """Whether a cell holds a mark meaning "nothing here" (/, \\, -, －, —, ——, 无, 暂无, 空, N/A, / with spaces)."""
    return bool(_BLANK_MARK.match(key(value)))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else _CN_NUM[text]


def _number_text(value: float) -> str:
    """A typed number as a date's text: a fraction after a year (2025.6) or a month (12.31) is kept as Excel shows
    it (to_text, as a large sheet's text gives it), so 2025.6 → "2025.6"; anything else its whole part (2025.0 →
    "2025"), as before."""
    whole = int(value)
    if isinstance(value, float) and not value.is_integer() and (1990 <= whole <= 2100 or 1 <= whole <= 12):
        return to_text(value)
    return str(whole)


def _year_less(text: str, year: int | None) -> dt.date | None:
    """5月20日, 5.20, 5月, 5月底, 5月中旬 in ``year``; None when the text is none of them or not a real day
    (2月30日); raises ``ValueError`` with a reason when it is one but has no year, or is a bare 6.3."""
    day, month = _YEARLESS_DAY.match(text), _YEARLESS_MONTH.match(text)
    if not (day or month):
        return None
    if year is None:
        raise ValueError(f"无法识别的日期「{text}」：没有写年份，请写成 2024-09-30、2024.9.30、2024年9月30日")
    if AMBIGUOUS_MONTH_DAY.match(text):
        raise ValueError(f"无法识别的日期「{text}」：以数字输入的 6.30 在 Excel 中显示为 6.3，分不清是几日，"
                         "请写成 2024-09-30、2024.9.30、2024年9月30日")
    try:
        if day:
            return dt.date(year, _month_number(day[1] or day[3]), int(day[2] or day[4]))
        assert month is not None
        if month[2] in ("上", "中"):
            return dt.date(year, _month_number(month[1]), 10 if month[2] == "上" else 20)
        return _month_end(year, _month_number(month[1]))
    except (ValueError, KeyError):
        return None


def parse_date(value: object, no_deadline_words: frozenset[str], *,
               year: int | None = None) -> tuple[dt.date | None, bool]:
    """A date cell → (date, no_deadline). Blank → (None, False); 长期坚持 → (None, True).

    Accepts real Excel dates, Excel serial numbers (typed or as text), 2024.9.30, 2024/9/30, 2024-09-30,
    2024年9月30日, 20240930, 2024年9月底 (month end), 2024年三季度末 (quarter end),
    2024年上半年, 2024年底; any of them followed by 前 / 完成 (2024年9月完成).

    A blank mark (/, \\, -, —, 无, 暂无, 空, N/A: ``is_blank_marker``) is blank.

    A number typed with a fraction after a year (1990–2100) is year.month as Excel shows it: 2025.6 → 2025-06-30,
    2025.09 → 2025-09-30, 2025.12 → 2025-12-31, the same as the text "2025.6" a large sheet gives. Excel keeps no
    trailing zero, so 2025.10 typed as a number IS 2025.1 and reads as January (2025-01-31); as text "2025.10"
    it is October. A whole number 2025 is the year's end.

    ``year`` (the ledger's) is for year-less forms only: 5月20日, 5.20, 5月, 5月底 (month end), 5月中旬 (the
    20th). Without it they are refused. A bare 6.3 (text or number) is refused even with a year: a number
    typed as 6.30 shows as 6.3, so the day cannot be told.
    """
    if value is None or value == "":
        return None, False
    if isinstance(value, dt.datetime):
        return value.date(), False
    if isinstance(value, dt.date):
        return value, False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):  # inf, nan: no date (and int() of them fails)
            raise ValueError("无法识别的日期，请写成 2024-09-30、2024.9.30、2024年9月30日 或 长期坚持")
        if 20_000 <= value <= 80_000:  # an Excel serial day number that lost its format
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), False
        text = _number_text(value)
    else:
        text = key(value)
        if _SERIAL.match(text):  # the same as text: a large sheet's cells and CSV exports are text
            return _EXCEL_EPOCH + dt.timedelta(days=int(text[:5])), False
    if not text or _BLANK_MARK.match(text):
        return None, False
    if text in no_deadline_words:
        return None, True
    try:
        # not before 1900: 1899-12-31 12:00:00 is a time of day as a large sheet's text gives it (day 0)
        if (m := _FULL.match(text) or _COMPACT.match(text)) and int(m[1]) >= 1900:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), False
        if m := _MONTH.match(text):
            return _month_end(int(m[1]), _month_number(m[2])), False
        if m := _QUARTER.match(text) or _QUARTER_Q.match(text):
            return Period(int(m[1]), {"一": 1, "二": 2, "三": 3, "四": 4}.get(m[2]) or int(m[2])).end, False
        if m := _HALF.match(text):
            return dt.date(int(m[1]), 6 if m[2] == "上" else 12, 30 if m[2] == "上" else 31), False
        if m := _YEAR_END.match(text):
            return dt.date(int(m[1]), 12, 31), False
    except (ValueError, KeyError):
        pass  # e.g. 2024年2月30日: a date-shaped text that is not a real day
    if (day := _year_less(text, year)) is not None:
        return day, False
    raise ValueError("无法识别的日期，请写成 2024-09-30、2024.9.30、2024年9月30日 或 长期坚持")


def normalise_status(value: object, header: str, cfg: LedgerConfig) -> str:
    """整改状态 → one of the five statuses; 是/否 read by the column they are in."""
    text = key(value)
    if not text:
        raise ValueError("整改状态为空")
    if header in cfg.yes_no and text in ("是", "否", "Y", "N", "y", "n", "√", "×"):
        yes, no = cfg.yes_no[header]
        return yes if text in ("是", "Y", "y", "√") else no
    if text in cfg.status_values:
        return cfg.status_values[text]
    for word, status in cfg.status_rules:
        if word in text:
            return status
    raise ValueError("无法识别的整改状态，应为 未启动/整改中/已整改/已销号/长期整改 之一"
                     "（或在 data/ledger.toml 中补充写法）")


def _longest_keyword(text: str, keywords: list[tuple[str, str]]) -> str | None:
    best, best_len = None, 0
    for word, name in keywords:
        if word in text and len(word) > best_len:
            best, best_len = name, len(word)
    return best


def normalise_source(value: object, cfg: LedgerConfig) -> str:
    """问题来源 → a canonical source; an unknown source keeps its own text."""
    text = key(value)
    if text in cfg.source_names:
        return text
    return _longest_keyword(text, cfg.source_keywords) or clean(value)


def normalise_severity(value: object, cfg: LedgerConfig) -> str | None:
    """问题性质 → 一般/较重/严重; blank → None (scored as 一般)."""
    text = key(value)
    if not text:
        return None
    found = _longest_keyword(text, cfg.severity_keywords)
    if found is None:
        raise ValueError(f"无法识别的问题性质，应为 {'/'.join(cfg.severity_names)} 之一")
    return found


_NEGATED = re.compile(r"(未|无|没有|不存在)[^，,。；;]*复发")


def is_recurred(value: object, cfg: LedgerConfig) -> bool:
    """是否复发 / 回头看情况 → True when the ledger marks the problem as recurred."""
    text = key(value)
    if not text or text in cfg.recurred_no:
        return False
    if text in cfg.recurred_yes:
        return True
    return "复发" in text and not _NEGATED.search(text)


def is_task_done(value: object, cfg: LedgerConfig) -> bool:
    """监督清单 完成情况 → done or not; unknown wording raises."""
    text = key(value)
    if not text:
        raise ValueError("必填项「完成情况」为空")
    if text in cfg.task_done:
        return True
    if text in cfg.task_not_done:
        return False
    raise ValueError("无法识别的完成情况，应为 已完成/进行中/未开始 等（或在 data/ledger.toml 中补充写法）")
