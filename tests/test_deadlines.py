"""整改时限 cells → Deadline: every form a 时限 column holds, and the ones that must be refused."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest import param

from analytics.config import ledger_config
from analytics.ingest.deadlines import Deadline, parse_deadline

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
