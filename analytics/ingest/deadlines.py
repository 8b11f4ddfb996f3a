"""整改时限 cells → Deadline: when a measure is due, and whether it is long-term (长期坚持) or immediate (立行立改).

Plain dates are ``normalise.parse_date``'s; this module adds what ledgers write in a 时限 column beside them:
year-less dates (``6月底前``, ``三季度末``, ``年内``), ranges (``2025.4-2025.9``, ``2025年4月至9月``), staged
deadlines (``分阶段完成：2025年6月底前完成排查，12月底前全面整改到位``) and the words 立行立改 / 长期坚持.

Rules the callers rely on:

- Several dates in one cell (a range, stages) → the latest: a measure is due when its last part is.
- A year-less date takes the year of the date before it in the same cell, else the ledger's year (its period's);
  ``次年`` / ``明年`` is the year after. A year-less date with neither raises ``ValueError``.
- A month without a day is the month's end (``上旬`` / ``中旬`` the 10th / 20th), a quarter or half-year its last day.
- A dated deadline wins: ``立行立改，2025年6月底前完成`` → 2025-06-30 with ``immediate=False``; ``immediate`` is
  True only when the cell has no date (the storage then resolves the due day).
- ``long_term`` is True when a long-term word (built in or configured) appears anywhere in the cell, with or
  without a date: ``2025年底前，并长期坚持`` → 2025-12-31 and long-term.
- A date followed by 起 / 开始 is when the work starts, not a deadline (its year still counts for the dates after).
- Text around the dates is ignored (stages describe their work); a cell is refused when it has neither a date nor
  a 立行立改 / 长期坚持 word, or when a date in it is not a real day (``2025年2月30日``).
- A recurring duty (每季度, 每月, 每半年, 每年, 逐月; 常态化, 长效, 定期) is long-term like 长期坚持.
- 立即 / 即时 / 及时 / 马上 / 立刻 / 当场 (即时整改, 马上整改) are immediate like 立行立改.
- A blank mark (/, -, —, 无, N/A: ``normalise.is_blank_marker``) and a done word written where the deadline goes
  (已完成, 完成, 已整改, 整改完成) state no deadline: blank, not an error.
- 本季度 / 本季度内 / 本季度末 is the end of the ledger's quarter (``quarter``); without it (or without the year)
  it raises like a year-less date without a year.
- A year alone (本年度, 今年, 2025年度, 2025年完成) is that year's end when the cell has nothing else: no date,
  no 立行立改 / 长期坚持 word (beside dates it only gives their year, as above). 明年 / 次年 alone stay refused.
- A year-less month.day with a dot (6.30前, 12.31, 6.30) is a day like 6月30日. A whole cell 6.3 is refused: a
  number typed as 6.30 shows as 6.3 in Excel (and a large sheet reads it so), and the day cannot be told. Typed
  numbers are read as their text (``text.to_text``): 12.31 typed is the text "12.31"; 2025.6 typed is year.month
  (``parse_date``).
- Relative limits (三个月内, 30个工作日内, 下个月) are refused with a reason asking for a date: the day they count
  from is not in the ledger.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from analytics.ingest.normalise import AMBIGUOUS_MONTH_DAY, is_placeholder, parse_date
from analytics.periods import Period
from analytics.text import clean, key

IMMEDIATE_WORDS = ("立行立改", "立即", "即知即改", "立知立改", "立查立改", "即查即改", "边查边改", "即时", "及时",
                   "马上", "立刻", "即刻", "当即", "当场")
LONG_TERM_WORDS = frozenset({"长期坚持", "长期", "持续推进", "常态化", "长效", "定期"})
# a recurring duty: 每季度, 每月, 每半年, 每年, 每周, 逐月 (a date in the same cell is its first due day)
_RECURRING = re.compile(r"[每逐]个?(?:年度?|半年|季度?|月度?|旬|周|星期|日|天)")
# the deadline column filled with the measure's state: no deadline stated
_DONE = re.compile(r"(?:已经?|均已|已全部|全部)?(?:整改)?(?:完成|完毕|办结|销号)(?:整改)?(?:到位)?"
                   r"|已经?(?:整改|落实|办结|销号)(?:完成|完毕|到位)?|整改到位")
_END_PUNCTUATION = "。.!！;；,，、"
# a limit counted from a day the ledger does not hold: 三个月内, 30个工作日内, 15日内, 下个月
_RELATIVE = re.compile(r"(?:\d+|[一二三四五六七八九十两半几数]+)(?:个?(?:工作日|自然日|日|天|周|星期|月|季度|年)"
                       r"(?:内|以内|之内)|个(?:工作日|自然日|月|季度|星期))|下个?(?:月|季度|周|星期)")

ACCEPTED_FORMS = ("2024-09-30、2024.9.30、2024年9月30日、2024年9月底前、2025年第三季度、6月底前、"
                  "2025.4-2025.9、立行立改 或 长期坚持")
_UNKNOWN = f"无法识别的整改时限，请写成 {ACCEPTED_FORMS}"
_RELATIVE_REASON = "无法识别的整改时限「{}」：相对期限不知从哪天起算，请写明到期日期，写成 " + ACCEPTED_FORMS
_AMBIGUOUS_REASON = ("无法识别的整改时限「{}」：以数字输入的 6.30 在 Excel 中显示为 6.3，分不清是几日，"
                     "请写明到期日期（如 6月30日），写成 " + ACCEPTED_FORMS)


@dataclass(frozen=True)
class Deadline:
    """A parsed 时限: the due date (None for 长期坚持 and a bare 立行立改), and the two flags."""

    date: dt.date | None
    long_term: bool
    immediate: bool


_BLANK = Deadline(None, False, False)

# Patterns over ``key`` text (NFKC, no white space). Order matters: at one position the first alternative wins, so
# the longer forms come first (2025年6月30日 before 2025年6月, 2025年第三季度 before 2025年).
_Y = r"(?<!\d)(?:19|20)\d{2}"
_MON = r"\d{1,2}|十[一二]?|[一二三四五六七八九]"
_XUN = r"[上中下]旬"
_NOT_COUNT = r"(?!\d|个|天|周)"  # 6月3个工作日 is a count of days, not 6月3日
_NOT_WORD = r"(?<![\d统同逐每])"  # 统一季度, 每月: the numeral belongs to another word
_POINT = re.compile("|".join([
    rf"(?P<full>(?P<full_y>{_Y})(?P<full_s>[-/.])(?P<full_m>\d{{1,2}})(?P=full_s)(?P<full_d>\d{{1,2}})(?!\d))",
    rf"(?P<cnfull>(?P<cnfull_y>{_Y})年(?P<cnfull_m>{_MON})月(?P<cnfull_d>\d{{1,2}})(?:日|号)?{_NOT_COUNT})",
    rf"(?P<compact>(?P<compact_y>{_Y})(?P<compact_m>\d{{2}})(?P<compact_d>\d{{2}})(?!\d))",
    rf"(?P<month>(?P<month_y>{_Y})(?:[-/.](?P<month_m>\d{{1,2}})(?!\d)月?|年(?P<month_c>{_MON})月(?!度))份?"
    rf"(?P<month_x>{_XUN})?)",
    rf"(?P<quarter>(?P<quarter_y>{_Y})(?:年度?)?(?:第?(?P<quarter_c>[一二三四1-4])季|-?[Qq](?P<quarter_q>[1-4])(?!\d)))",
    rf"(?P<half>(?P<half_y>{_Y})(?:年度?)?(?P<half_h>[上下])半年)",
    rf"(?P<year>(?P<year_y>{_Y})(?:年度?(?P<year_e>[底末内])?|(?P<year_e2>[底末])))",
    r"(?P<rel>(?P<rel_w>今|本|当|次|明|来)年度?(?P<rel_e>[底末内])?)",
    r"(?P<cq>(?:本|当)季度?(?:[末底内])?)",
    # 6.30, 12.31: not 1.6月 (a numbered stage, then 6月), 3.5%, 2.5个工作日, nor inside 2025.6.30
    r"(?P<dot>(?<![\d.])(?P<dot_m>1[0-2]|0?[1-9])\.(?P<dot_d>\d{1,2})(?![\d.%月季年个天周]))",
    rf"(?P<md>{_NOT_WORD}(?P<md_m>{_MON})月(?P<md_d>\d{{1,2}})(?:日|号)?{_NOT_COUNT})",
    rf"(?P<mo>{_NOT_WORD}(?P<mo_m>{_MON})月(?!度)份?(?P<mo_x>{_XUN})?)",
    rf"(?P<qt>{_NOT_WORD}(?:第?(?P<qt_c>[一二三四1-4])季|(?<![A-Za-z])[Qq](?P<qt_q>[1-4])(?!\d)))",
    r"(?P<hy>(?P<hy_h>[上下])半年)",
    r"(?P<ye>(?<![半每\d一二三四五六七八九十两几多])年度?[底末内])",
]))
_START = ("起", "开始")
_KINDS = ("full", "cnfull", "compact", "month", "quarter", "half", "year", "rel", "cq", "dot", "md", "mo", "qt",
          "hy", "ye")
_YEARLESS = frozenset({"dot", "md", "mo", "qt", "hy", "ye"})
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month (2024, 2 → 2024-02-29)."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _CN_NUM[text]


def _day(year: int, month: str, day: str | None, xun: str | None, written: str) -> dt.date:
    """A day of a month; without a day (2025年6月, 6月底) the month's end, or the 10th / 20th for 上旬 / 中旬."""
    try:
        m = _number(month)
        if day is not None:
            return dt.date(year, m, int(day))
        if xun in ("上旬", "中旬"):
            return dt.date(year, m, 10 if xun == "上旬" else 20)
        return month_end(year, m)
    except ValueError:
        raise ValueError(f"整改时限中的「{written}」不是有效日期，请写成 {ACCEPTED_FORMS}") from None


def _missing_year(text: str) -> ValueError:
    return ValueError(f"整改时限「{text}」没有写年份，且台账期间未知，无法确定年份；请写明年份，如 2025年6月底前")


def _missing_quarter(text: str) -> ValueError:
    return ValueError(f"整改时限「{text}」没有写明哪个季度，且台账期间（季度）未知，无法确定季度；"
                      "请写明年份和季度，如 2025年第三季度末")


def _scan(text: str, year: int | None, quarter: int | None) -> tuple[list[dt.date], list[int]]:
    """``stage_dates``, and the years written alone (2025年, 2025年度, 本年度: not a start), in order."""
    dates: list[dt.date] = []
    years: list[int] = []
    context: int | None = None  # the year of the previous dated part of the cell
    for match in _POINT.finditer(text):
        kind = next(k for k in _KINDS if match[k] is not None)
        g = match.groupdict()
        starts = text.startswith(_START, match.end())
        if kind == "rel":
            base = year if g["rel_w"] in "今本当" else (context if context is not None else year)
            if base is None:
                raise _missing_year(text)
            context = base if g["rel_w"] in "今本当" else base + 1
            if g["rel_e"]:
                dates.append(dt.date(context, 12, 31))
            elif not starts and g["rel_w"] in "今本当":  # 明年 alone stays refused: no date in it
                years.append(context)
            continue
        if kind == "cq":  # 本季度末: the ledger's quarter
            if starts:
                continue
            if year is None or quarter is None:
                raise _missing_quarter(text)
            dates.append(Period(year, quarter).end)
            continue
        if kind in _YEARLESS:
            y = context if context is not None else year
            if y is None:
                raise _missing_year(text)
        else:
            y = context = int(g[f"{kind}_y"])
        written = match[0]
        if starts:
            continue  # 2025年4月起长期坚持: when the work starts, not when it is due
        if kind in ("full", "cnfull", "compact", "md", "dot"):
            dates.append(_day(y, g[f"{kind}_m"], g[f"{kind}_d"], None, written))
        elif kind == "month":
            dates.append(_day(y, g["month_m"] or g["month_c"], None, g["month_x"], written))
        elif kind == "mo":
            dates.append(_day(y, g["mo_m"], None, g["mo_x"], written))
        elif kind in ("quarter", "qt"):
            q = g[f"{kind}_c"] or g[f"{kind}_q"]
            dates.append(Period(y, _number(q)).end)
        elif kind in ("half", "hy"):
            dates.append(dt.date(y, 6, 30) if g[f"{kind}_h"] == "上" else dt.date(y, 12, 31))
        elif kind == "ye" or g["year_e"] or g["year_e2"]:
            dates.append(dt.date(y, 12, 31))
        else:  # a bare 2025年: the year of the year-less dates after it (2025年：6月底前…，12月底前…)
            years.append(y)
    return dates, years


def stage_dates(text: str, year: int | None, *, quarter: int | None = None) -> list[dt.date]:
    """Every date written in a piece of ``key`` text, in order; year-less ones completed as the module says."""
    return _scan(text, year, quarter)[0]


def parse_deadline(value: object, year: int | None, no_deadline_words: frozenset[str], *,
                   quarter: int | None = None) -> Deadline:
    """A 整改时限 cell → Deadline; ``year`` is the ledger's (for year-less forms), ``quarter`` its quarter (for
    本季度), ``no_deadline_words`` the configured long-term words (as ``key`` text). Blank (or a blank mark, or a
    done word) → Deadline(None, False, False); raises ``ValueError`` with a Chinese reason for anything else it does
    not recognise. See the module docstring for the rules."""
    if value is None or (isinstance(value, str) and not key(value)):
        return _BLANK
    words = LONG_TERM_WORDS | {w for w in no_deadline_words if w}
    try:
        day, long_term = parse_date(value, words)
    except ValueError:
        # text, and typed numbers as their text (12.31 typed is "12.31", as a large sheet gives it)
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValueError(_UNKNOWN) from None
    else:
        return Deadline(day, long_term, False)
    text = key(value)
    if is_placeholder(text):
        raise ValueError(f"整改时限「{clean(value)}」未填写完整，请写明日期（如 2025年9月30日）")
    if _DONE.fullmatch(text.rstrip(_END_PUNCTUATION)):
        return _BLANK
    if AMBIGUOUS_MONTH_DAY.match(text):
        raise ValueError(_AMBIGUOUS_REASON.format(text))
    long_term = any(w in text for w in words) or _RECURRING.search(text) is not None
    dates, years = _scan(text, year, quarter)
    if dates:
        return Deadline(max(dates), long_term, False)
    immediate = any(w in text for w in IMMEDIATE_WORDS)
    if immediate or long_term:
        return Deadline(None, long_term, immediate)
    if years:  # 本年度, 2025年度: the year's end
        return Deadline(dt.date(max(years), 12, 31), False, False)
    if _RELATIVE.search(text):
        raise ValueError(_RELATIVE_REASON.format(text))
    raise ValueError(_UNKNOWN)
