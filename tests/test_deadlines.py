"""整改时限 cells → Deadline: every form a 时限 column holds, and the ones that must be refused."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest import param

from analytics.config import ledger_config
from analytics.ingest.deadlines import Deadline, parse_deadline
from analytics.text import to_text

WORDS = ledger_config().no_deadline
YEAR = 2025  # the ledger's year, for the year-less forms


def due(y: int, m: int, d: int, long_term: bool = False) -> Deadline:
    return Deadline(dt.date(y, m, d), long_term, False)


IMMEDIATE = Deadline(None, False, True)
LONG_TERM = Deadline(None, True, False)
BOTH = Deadline(None, True, True)


@pytest.mark.parametrize(("raw", "expected"), [
    # blank
    param(None, Deadline(None, False, False), id="none"),
    param("", Deadline(None, False, False), id="empty"),
    param("  \u3000", Deadline(None, False, False), id="white-space"),
    # plain dates, as parse_date reads them
    param(dt.date(2024, 9, 30), due(2024, 9, 30), id="excel-date"),
    param(dt.datetime(2024, 9, 30, 15, 0), due(2024, 9, 30), id="excel-datetime"),
    param(45565.0, due(2024, 9, 30), id="excel-serial"),
    param(45565, due(2024, 9, 30), id="excel-serial-int"),
    param("45565", due(2024, 9, 30), id="excel-serial-as-text"),
    param("2024.9.30", due(2024, 9, 30), id="dots"),
    param("2024/9/30", due(2024, 9, 30), id="slashes"),
    param("2024-09-30", due(2024, 9, 30), id="iso"),
    param("2024年9月30日", due(2024, 9, 30), id="chinese"),
    param("２０２４年９月３０日", due(2024, 9, 30), id="full-width"),
    param("20240930", due(2024, 9, 30), id="compact"),
    param("2024年9月30日前", due(2024, 9, 30), id="before"),
    param("2024年2月底", due(2024, 2, 29), id="leap-month-end"),
    param("2024年上半年", due(2024, 6, 30), id="half-year"),
    param("2024年底", due(2024, 12, 31), id="year-end"),
    # 立行立改 and its synonyms
    param("立行立改", IMMEDIATE, id="immediate"),
    param("立即整改", IMMEDIATE, id="immediate-立即整改"),
    param("即知即改", IMMEDIATE, id="immediate-即知即改"),
    param("立知立改", IMMEDIATE, id="immediate-立知立改"),
    param(" 立行立改 ", IMMEDIATE, id="immediate-spaces"),
    param("立行立改，长期坚持", BOTH, id="immediate-and-long-term"),
    param("立行立改并长期坚持", BOTH, id="immediate-并长期坚持"),
    param("立即整改、持续推进", BOTH, id="immediate-持续推进"),
    param("立行立改，2025年6月底前完成", due(2025, 6, 30), id="immediate-with-a-date"),
    param("立行立改；6月底前整改到位", due(2025, 6, 30), id="immediate-with-a-year-less-date"),
    # long-term words, built in and configured
    param("长期坚持", LONG_TERM, id="long-term"),
    param("长期", LONG_TERM, id="long"),
    param("持续推进", LONG_TERM, id="持续推进"),
    param("常态化", LONG_TERM, id="configured-word"),
    param("并长期坚持", LONG_TERM, id="并长期坚持"),
    param("2025年4月起长期坚持", LONG_TERM, id="start-date-then-long-term"),
    # year-less: the ledger's year
    param("6月底前", due(2025, 6, 30), id="month-end-before"),
    param("6月底", due(2025, 6, 30), id="month-end"),
    param("６月底以前", due(2025, 6, 30), id="full-width-以前"),
    param(" 6 月 底 前 ", due(2025, 6, 30), id="spaces"),
    param("2月底前", due(2025, 2, 28), id="february"),
    param("六月底", due(2025, 6, 30), id="chinese-month"),
    param("十二月底前", due(2025, 12, 31), id="chinese-month-12"),
    param("6月份", due(2025, 6, 30), id="月份"),
    param("6月末前完成", due(2025, 6, 30), id="末前-完成"),
    param("6月中旬", due(2025, 6, 20), id="mid-month"),
    param("6月上旬前", due(2025, 6, 10), id="early-month"),
    param("9月30日前", due(2025, 9, 30), id="day-before"),
    param("9月30日", due(2025, 9, 30), id="day"),
    param("9月30号之前", due(2025, 9, 30), id="号-之前"),
    param("12月31日前完成", due(2025, 12, 31), id="day-完成"),
    param("年底前", due(2025, 12, 31), id="year-end-before"),
    param("年内", due(2025, 12, 31), id="within-the-year"),
    param("年末前整改到位", due(2025, 12, 31), id="年末-整改到位"),
    param("今年底", due(2025, 12, 31), id="this-year"),
    param("明年6月底前", due(2026, 6, 30), id="next-year"),
    param("三季度末", due(2025, 9, 30), id="quarter-end"),
    param("第三季度", due(2025, 9, 30), id="quarter"),
    param("第1季度末前", due(2025, 3, 31), id="quarter-digit"),
    param("Q2", due(2025, 6, 30), id="quarter-q"),
    param("上半年", due(2025, 6, 30), id="first-half"),
    param("下半年", due(2025, 12, 31), id="second-half"),
    # ranges: the end
    param("2025.4-2025.9", due(2025, 9, 30), id="range-dots"),
    param("2025.04—2025.09", due(2025, 9, 30), id="range-em-dash"),
    param("2025年4月至9月", due(2025, 9, 30), id="range-至"),
    param("2025年4月-2025年9月", due(2025, 9, 30), id="range-chinese"),
    param("2025年4月~9月", due(2025, 9, 30), id="range-tilde"),
    param("2025年4月～9月", due(2025, 9, 30), id="range-full-width-tilde"),
    param("4月至6月", due(2025, 6, 30), id="range-year-less"),
    param("2025.4.1-2025.9.30", due(2025, 9, 30), id="range-days"),
    param("2024年11月-2025年2月", due(2025, 2, 28), id="range-over-a-year-end"),
    param("2026年4月至6月", due(2026, 6, 30), id="range-year-not-the-ledger's"),
    param("2025年4月起至9月底", due(2025, 9, 30), id="range-起-至"),
    # quarters and halves with a year
    param("2025年第三季度", due(2025, 9, 30), id="quarter-第"),
    param("2025年三季度", due(2025, 9, 30), id="quarter-no-第"),
    param("2025Q3", due(2025, 9, 30), id="quarter-Q"),
    param("2025年第四季度末前完成", due(2025, 12, 31), id="quarter-末前-完成"),
    param("2025年度第三季度", due(2025, 9, 30), id="quarter-年度"),
    param("2025年下半年完成", due(2025, 12, 31), id="half-完成"),
    # with a long-term word
    param("2025年底前，并长期坚持", due(2025, 12, 31, long_term=True), id="year-end-and-long-term"),
    param("2025年6月底前完成，并长期坚持", due(2025, 6, 30, long_term=True), id="month-end-and-long-term"),
    param("6月底前完成；长期坚持", due(2025, 6, 30, long_term=True), id="year-less-and-long-term"),
    param("2025年9月底前，常态化开展", due(2025, 9, 30, long_term=True), id="configured-word-in-text"),
    # stages: the last dated one
    param("分阶段完成：2025年6月底前完成排查，2025年12月底前全面整改到位", due(2025, 12, 31), id="stages"),
    param("第一阶段2025年5月底前完成自查；第二阶段9月底前完成整改", due(2025, 9, 30), id="stages-year-less"),
    param("分阶段完成:2026年3月底前完成排查;6月底前整改到位", due(2026, 6, 30), id="stages-previous-year"),
    param("1.6月底前排查；2.9月底前整改到位", due(2025, 9, 30), id="stages-numbered"),
    param("2025年：6月底前完成排查，11月底前完成整改", due(2025, 11, 30), id="stages-year-first"),
    param("2025年12月底前整改到位（2025年6月底前完成排查）", due(2025, 12, 31), id="stages-latest-not-last"),
])
def test_deadlines(raw, expected):
    assert parse_deadline(raw, YEAR, WORDS) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    param("2025年6月底前", due(2025, 6, 30), id="dated"),
    param("2025.4-2025.9", due(2025, 9, 30), id="range"),
    param("分阶段完成：2025年6月底前完成排查，9月底前整改到位", due(2025, 9, 30), id="stages"),
    param("立行立改", IMMEDIATE, id="immediate"),
    param("长期坚持", LONG_TERM, id="long-term"),
])
def test_a_written_year_needs_no_ledger_year(raw, expected):
    assert parse_deadline(raw, None, WORDS) == expected


@pytest.mark.parametrize("raw", [
    param("abc", id="gibberish"),
    param("按要求完成", id="words-without-a-date"),
    param("分阶段完成", id="stages-without-dates"),
    param("30个工作日内", id="relative"),
    param("下个月", id="next-month"),
    param("9/30", id="slash-without-year"),
    param(3.5, id="small-number"),
    param(dt.time(12, 0), id="time-of-day"),
])
def test_unrecognised_deadlines_are_refused(raw):
    with pytest.raises(ValueError, match="无法识别的整改时限") as refused:
        parse_deadline(raw, YEAR, WORDS)
    assert all(form in str(refused.value) for form in ("2024年9月30日", "立行立改", "6月底前", "2025年第三季度"))


@pytest.mark.parametrize("raw", [
    param("2025年2月30日", id="no-such-day"),
    param("2025年13月底前", id="no-such-month"),
    param("2月30日前", id="no-such-day-year-less"),
    param("分阶段完成：2025年6月底前完成排查，2025年6月31日前整改到位", id="no-such-day-in-a-stage"),
])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(ValueError, match="不是有效日期"):
        parse_deadline(raw, YEAR, WORDS)


@pytest.mark.parametrize("raw", ["6月底前", "年底前", "三季度末", "上半年", "4月至6月", "今年底"])
def test_a_year_less_deadline_without_the_ledger_year_is_refused(raw):
    with pytest.raises(ValueError, match="没有写年份"):
        parse_deadline(raw, None, WORDS)


def test_configured_words_are_long_term():
    assert parse_deadline("久久为功", YEAR, frozenset({"久久为功"})) == LONG_TERM
    assert parse_deadline("2025年底前，久久为功", YEAR, frozenset({"久久为功"})) == due(2025, 12, 31, long_term=True)


# Real-world forms a tester found refused or misread. Dates computed by hand: 2025 is not a leap year.
BLANK = Deadline(None, False, False)


@pytest.mark.parametrize(("raw", "expected"), [
    # year.month typed as a NUMBER: Excel shows (and stores) 2025.6, 2025.09, 2025.12; 2025.10 is stored as 2025.1
    param(2025.6, due(2025, 6, 30), id="number-2025.6"),
    param(2025.09, due(2025, 9, 30), id="number-2025.09"),
    param(2025.12, due(2025, 12, 31), id="number-2025.12"),
    param(2025.1, due(2025, 1, 31), id="number-2025.1-is-january-even-if-typed-2025.10"),
    param(2024.2, due(2024, 2, 29), id="number-leap-february"),
    param(2025, due(2025, 12, 31), id="number-whole-year-int"),
    param(2025.0, due(2025, 12, 31), id="number-whole-year-float"),
    # the same cells as a large sheet's text
    param("2025.6", due(2025, 6, 30), id="text-2025.6"),
    param("2025.09", due(2025, 9, 30), id="text-2025.09"),
    param("2025.12", due(2025, 12, 31), id="text-2025.12"),
    param("2025.1", due(2025, 1, 31), id="text-2025.1"),
    param("2025.10", due(2025, 10, 31), id="text-2025.10-keeps-its-zero"),
    # blank marks
    param("/", BLANK, id="blank-slash"),
    param(" / ", BLANK, id="blank-slash-spaces"),
    param("／", BLANK, id="blank-full-width-slash"),
    param("\\", BLANK, id="blank-backslash"),
    param("-", BLANK, id="blank-hyphen"),
    param("－", BLANK, id="blank-full-width-hyphen"),
    param("—", BLANK, id="blank-em-dash"),
    param("——", BLANK, id="blank-double-em-dash"),
    param("--", BLANK, id="blank-double-hyphen"),
    param("无", BLANK, id="blank-无"),
    param("暂无", BLANK, id="blank-暂无"),
    param("空", BLANK, id="blank-空"),
    param("N/A", BLANK, id="blank-N/A"),
    param("n/a", BLANK, id="blank-n/a"),
    # a recurring duty: long-term, no date
    param("每季度", LONG_TERM, id="recurring-每季度"),
    param("每月", LONG_TERM, id="recurring-每月"),
    param("每半年", LONG_TERM, id="recurring-每半年"),
    param("每年", LONG_TERM, id="recurring-每年"),
    param("每季度报送整改进展", LONG_TERM, id="recurring-in-a-sentence"),
    param("长效", LONG_TERM, id="长效"),
    param("建立长效机制", LONG_TERM, id="长效机制"),
    param("2025年6月底前完成，此后每季度开展检查", due(2025, 6, 30, long_term=True), id="dated-then-recurring"),
    # a done word in the 时限 column: no deadline stated
    param("已完成", BLANK, id="done-已完成"),
    param("完成", BLANK, id="done-完成"),
    param("已整改", BLANK, id="done-已整改"),
    param("整改完成", BLANK, id="done-整改完成"),
    param("已完成整改", BLANK, id="done-已完成整改"),
    param("已完成。", BLANK, id="done-with-a-full-stop"),
    param("已完成，长期坚持", LONG_TERM, id="done-and-long-term-is-long-term"),
    # immediate
    param("即时整改", IMMEDIATE, id="immediate-即时整改"),
    param("及时整改", IMMEDIATE, id="immediate-及时整改"),
    param("马上整改", IMMEDIATE, id="immediate-马上整改"),
    param("立即", IMMEDIATE, id="immediate-立即"),
    param("立刻整改", IMMEDIATE, id="immediate-立刻整改"),
    param("马上整改，6月底前整改到位", due(2025, 6, 30), id="immediate-word-with-a-date"),
    # the year's end
    param("本年度", due(2025, 12, 31), id="本年度"),
    param("本年内", due(2025, 12, 31), id="本年内"),
    param("本年度内完成", due(2025, 12, 31), id="本年度内完成"),
    param("今年完成", due(2025, 12, 31), id="今年完成"),
    param("2025年度", due(2025, 12, 31), id="2025年度"),
    param("2026年度", due(2026, 12, 31), id="2026年度-not-the-ledger's"),
    param("2025年度：6月底前完成排查", due(2025, 6, 30), id="年度-beside-a-date-is-only-its-year"),
    # year-less month.day with a dot: the ledger's year
    param("6.30前", due(2025, 6, 30), id="dot-6.30前"),
    param("12.31", due(2025, 12, 31), id="dot-12.31"),
    param("6.30", due(2025, 6, 30), id="dot-6.30"),
    param("9.05前完成", due(2025, 9, 5), id="dot-zero-day"),
    param("6.3前", due(2025, 6, 3), id="dot-one-digit-day-with-text"),
    param(12.31, due(2025, 12, 31), id="dot-typed-as-a-number"),
    param("6.30-9.30", due(2025, 9, 30), id="dot-range"),
    param("2026年3月底前排查，6.30前整改到位", due(2026, 6, 30), id="dot-after-a-dated-stage"),
    param("1.6月底前排查；2.9月底前整改到位", due(2025, 9, 30), id="dot-numbered-stages-are-not-days"),
    # a month with 完成
    param("2025年5月完成", due(2025, 5, 31), id="month-完成"),
])
def test_real_world_deadlines(raw, expected):
    assert parse_deadline(raw, YEAR, WORDS) == expected


@pytest.mark.parametrize(("raw", "quarter", "expected"), [
    param("本季度", 1, due(2025, 3, 31), id="本季度-Q1"),
    param("本季度内", 2, due(2025, 6, 30), id="本季度内-Q2"),
    param("本季度末", 3, due(2025, 9, 30), id="本季度末-Q3"),
    param("本季度末前完成", 4, due(2025, 12, 31), id="本季度末前完成-Q4"),
    param("当季度内", 2, due(2025, 6, 30), id="当季度内"),
    param("本季度末完成排查，年底前整改到位", 1, due(2025, 12, 31), id="本季度-in-stages"),
    param("6月底前", 1, due(2025, 6, 30), id="a-quarter-changes-nothing-else"),
])
def test_this_quarter_is_the_ledger_quarter(raw, quarter, expected):
    assert parse_deadline(raw, YEAR, WORDS, quarter=quarter) == expected


@pytest.mark.parametrize(("year", "quarter"), [
    param(YEAR, None, id="no-quarter"),
    param(None, 3, id="no-year"),
    param(None, None, id="neither"),
])
def test_this_quarter_without_the_ledger_quarter_is_refused(year, quarter):
    with pytest.raises(ValueError, match="台账期间（季度）未知"):
        parse_deadline("本季度末", year, WORDS, quarter=quarter)


@pytest.mark.parametrize("raw", [
    param("常态化", id="常态化"),
    param("长效", id="长效"),
    param("每季度", id="每季度"),
])
def test_recurring_words_are_built_in(raw):
    assert parse_deadline(raw, YEAR, frozenset()) == LONG_TERM


@pytest.mark.parametrize("raw", [
    param("三个月内", id="三个月内"),
    param("30个工作日内", id="30个工作日内"),
    param("15日内", id="15日内"),
    param("一周内", id="一周内"),
    param("收到反馈意见后2个月内", id="in-a-sentence"),
    param("下个月", id="下个月"),
])
def test_relative_limits_are_refused_asking_for_a_date(raw):
    with pytest.raises(ValueError, match="无法识别的整改时限") as refused:
        parse_deadline(raw, YEAR, WORDS)
    assert "相对期限" in str(refused.value) and "请写明到期日期" in str(refused.value)


@pytest.mark.parametrize("raw", [
    param("6.3", id="text"),
    param(6.3, id="number-typed-6.30"),
    param(12.1, id="number-typed-12.10"),
])
def test_a_bare_month_dot_one_digit_is_refused(raw):
    """A number typed as 6.30 shows as 6.3: June 3rd or June 30th cannot be told."""
    with pytest.raises(ValueError, match="分不清是几日"):
        parse_deadline(raw, YEAR, WORDS)


@pytest.mark.parametrize("raw", ["6.30前", "12.31", "本年度"])
def test_year_less_new_forms_without_the_ledger_year_are_refused(raw):
    with pytest.raises(ValueError, match="没有写年份"):
        parse_deadline(raw, None, WORDS)


@pytest.mark.parametrize("raw", [
    param("完成率95.5%", id="percentage"),
    param("落实", id="落实-is-not-done"),
    param("明年", id="明年-alone"),
])
def test_near_misses_are_still_refused(raw):
    with pytest.raises(ValueError, match="无法识别的整改时限"):
        parse_deadline(raw, YEAR, WORDS)


@pytest.mark.parametrize("number", [2025.6, 2025.09, 2025.12, 2025.1, 2025.0, 2025, 12.31, 45565.0])
def test_a_typed_number_reads_as_its_large_sheet_text(number):
    assert parse_deadline(number, YEAR, WORDS) == parse_deadline(to_text(number), YEAR, WORDS)
