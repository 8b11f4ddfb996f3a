"""Cell values → canonical values: every written form DOMAIN.md lists, and the ones that must be refused."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest import param

from analytics.config import ledger_config, scoring_config
from analytics.ingest.normalise import (
    is_blank_marker,
    is_recurred,
    normalise_severity,
    normalise_source,
    normalise_status,
    parse_date,
)
from analytics.periods import Period, find_periods, parse_period
from analytics.text import to_text

CFG = ledger_config()
D = dt.date(2024, 9, 30)


@pytest.mark.parametrize(("raw", "expected"), [
    param(dt.date(2024, 9, 30), (D, False), id="excel-date"),
    param(dt.datetime(2024, 9, 30, 15, 0), (D, False), id="excel-datetime"),
    param(45565.0, (D, False), id="excel-serial"),
    param("45565", (D, False), id="excel-serial-as-text"),
    param("2024-09-30 15:00:00.500", (D, False), id="with-milliseconds"),
    param("2024.9.30", (D, False), id="dots"),
    param("2024/9/30", (D, False), id="slashes"),
    param("2024-09-30", (D, False), id="iso"),
    param("2024年9月30日", (D, False), id="chinese"),
    param("２０２４年９月３０日", (D, False), id="full-width"),
    param(" 2024 年 9 月 30 日 ", (D, False), id="stray-spaces"),
    param("2024-09-30 00:00:00", (D, False), id="with-time"),
    param("20240930", (D, False), id="compact"),
    param("2024年9月30日前", (D, False), id="before"),
    param("2024年9月底", (D, False), id="month-end"),
    param("2024年2月底", (dt.date(2024, 2, 29), False), id="leap-month-end"),
    param("2024年三季度末", (D, False), id="quarter-end"),
    param("2024年第三季度末", (D, False), id="quarter-end-di"),
    param("2024年上半年", (dt.date(2024, 6, 30), False), id="half-year"),
    param("2024年底", (dt.date(2024, 12, 31), False), id="year-end"),
    param("长期坚持", (None, True), id="long-term"),
    param("长期", (None, True), id="long"),
    param("", (None, False), id="blank"),
    param(None, (None, False), id="none"),
])
def test_dates(raw, expected):
    assert parse_date(raw, CFG.no_deadline) == expected


# a time of day, typed or as a large sheet's text gives it (its day is Excel's day 0); a number past the serial days
@pytest.mark.parametrize("raw", ["2024年2月30日", "下个月", "9/30", "abc", "2024.13.1", dt.time(12, 0),
                                 "1899-12-31 12:00:00", "80001", "19999"])
def test_unparseable_dates_are_refused(raw):
    with pytest.raises(ValueError, match="无法识别的日期"):
        parse_date(raw, CFG.no_deadline)


# Real-world forms a tester found refused or misread. Dates computed by hand: 2025 is not a leap year, 2024 is.
@pytest.mark.parametrize(("raw", "expected"), [
    # year.month typed as a NUMBER, as Excel shows it (2025.10 typed is stored as 2025.1: January)
    param(2025.6, dt.date(2025, 6, 30), id="number-2025.6"),
    param(2025.09, dt.date(2025, 9, 30), id="number-2025.09"),
    param(2025.12, dt.date(2025, 12, 31), id="number-2025.12"),
    param(2025.1, dt.date(2025, 1, 31), id="number-2025.1-is-january-even-if-typed-2025.10"),
    param(2024.2, dt.date(2024, 2, 29), id="number-leap-february"),
    param(1990.5, dt.date(1990, 5, 31), id="number-first-plausible-year"),
    param(2100.3, dt.date(2100, 3, 31), id="number-last-plausible-year"),
    param(2025, dt.date(2025, 12, 31), id="number-whole-year-int"),
    param(2025.0, dt.date(2025, 12, 31), id="number-whole-year-float"),
    # the same cells as a large sheet's text
    param("2025.6", dt.date(2025, 6, 30), id="text-2025.6"),
    param("2025.09", dt.date(2025, 9, 30), id="text-2025.09"),
    param("2025.12", dt.date(2025, 12, 31), id="text-2025.12"),
    param("2025.1", dt.date(2025, 1, 31), id="text-2025.1"),
    param("2025.10", dt.date(2025, 10, 31), id="text-2025.10-keeps-its-zero"),
    # 完成 after a date
    param("2025年5月完成", dt.date(2025, 5, 31), id="month-完成"),
    param("2025年5月20日完成", dt.date(2025, 5, 20), id="day-完成"),
    param("2025年底前完成", dt.date(2025, 12, 31), id="year-end-前完成"),
])
def test_real_world_dates(raw, expected):
    assert parse_date(raw, CFG.no_deadline) == (expected, False)


@pytest.mark.parametrize("raw", [
    param("/", id="slash"),
    param(" / ", id="slash-spaces"),
    param("／", id="full-width-slash"),
    param("\\", id="backslash"),
    param("＼", id="full-width-backslash"),
    param("-", id="hyphen"),
    param("－", id="full-width-hyphen"),
    param("—", id="em-dash"),
    param("——", id="double-em-dash"),
    param("---", id="hyphens"),
    param("无", id="无"),
    param("暂无", id="暂无"),
    param("空", id="空"),
    param("N/A", id="N/A"),
    param("n/a", id="n/a"),
    param("NA", id="NA"),
    param("  ", id="spaces-only"),
])
def test_blank_marks_are_blank(raw):
    assert parse_date(raw, CFG.no_deadline) == (None, False)
    assert is_blank_marker(raw) or not raw.strip()


@pytest.mark.parametrize(("raw", "year", "expected"), [
    param("5月", 2025, dt.date(2025, 5, 31), id="month"),
    param("5月份", 2025, dt.date(2025, 5, 31), id="月份"),
    param("5月底", 2025, dt.date(2025, 5, 31), id="month-end"),
    param("5月末前", 2025, dt.date(2025, 5, 31), id="month-end-前"),
    param("五月底", 2025, dt.date(2025, 5, 31), id="chinese-month"),
    param("十二月", 2025, dt.date(2025, 12, 31), id="chinese-month-12"),
    param("2月底", 2025, dt.date(2025, 2, 28), id="february"),
    param("2月底", 2024, dt.date(2024, 2, 29), id="february-leap"),
    param("5月中旬", 2025, dt.date(2025, 5, 20), id="mid-month"),
    param("5月上旬", 2025, dt.date(2025, 5, 10), id="early-month"),
    param("5月20日", 2025, dt.date(2025, 5, 20), id="day"),
    param("5月20号", 2025, dt.date(2025, 5, 20), id="day-号"),
    param("5月20日前完成", 2025, dt.date(2025, 5, 20), id="day-前完成"),
    param("5.20", 2025, dt.date(2025, 5, 20), id="dot"),
    param("12.31", 2025, dt.date(2025, 12, 31), id="dot-12.31"),
    param(12.31, 2025, dt.date(2025, 12, 31), id="dot-typed-as-a-number"),
    param("6.30前", 2025, dt.date(2025, 6, 30), id="dot-前"),
    param("2024年9月30日", 2025, dt.date(2024, 9, 30), id="a-written-year-wins"),
    param(2025.6, 2024, dt.date(2025, 6, 30), id="a-year-month-number-keeps-its-year"),
])
def test_year_less_dates_take_the_given_year(raw, year, expected):
    assert parse_date(raw, CFG.no_deadline, year=year) == (expected, False)


@pytest.mark.parametrize("raw", ["5月", "5月底", "5月20日", "5.20", "十二月"])
def test_year_less_dates_without_a_year_are_refused(raw):
    with pytest.raises(ValueError, match=r"无法识别的日期.*没有写年份"):
        parse_date(raw, CFG.no_deadline)


@pytest.mark.parametrize("raw", [
    param("6.3", id="bare-dot-one-digit"),  # a number typed as 6.30 shows as 6.3: the day cannot be told
    param(6.3, id="number-typed-6.30"),
    param("2月30日", id="no-such-day"),
    param("13月", id="no-such-month"),
    param("6.31", id="no-such-dot-day"),
    param("下个月", id="relative"),
])
def test_year_less_non_dates_are_refused_even_with_a_year(raw):
    with pytest.raises(ValueError, match="无法识别的日期"):
        parse_date(raw, CFG.no_deadline, year=2025)


@pytest.mark.parametrize("raw", [
    param(2025.13, id="year-dot-13"),
    param(2025.123, id="year-dot-three-digits"),  # was the year's end; no month is 123
    param(float("inf"), id="infinity"),
    param(float("nan"), id="nan"),
])
def test_numbers_that_are_no_date_are_refused(raw):
    with pytest.raises(ValueError, match="无法识别的日期"):
        parse_date(raw, CFG.no_deadline)


@pytest.mark.parametrize("number", [2025.6, 2025.09, 2025.12, 2025.1, 2025.0, 2025, 45565.0, 12.31])
def test_a_typed_number_reads_as_its_large_sheet_text(number):
    assert parse_date(number, CFG.no_deadline, year=2025) == parse_date(to_text(number), CFG.no_deadline, year=2025)


@pytest.mark.parametrize(("raw", "header", "expected"), [
    *[param(v, "整改状态", "未启动", id=v) for v in ("未启动", "未整改", "待整改")],
    *[param(v, "整改状态", "整改中", id=v) for v in ("整改中", "正在整改", "推进中", "未完成")],
    *[param(v, "整改状态", "已整改", id=v) for v in ("已整改", "已完成", "完成", "基本完成", "待销号", "待验收")],
    *[param(v, "整改状态", "已销号", id=v) for v in ("已销号", "销号", "已办结", "已闭环")],
    *[param(v, "整改状态", "长期整改", id=v) for v in ("长期整改", "持续整改", "长期坚持")],
    param("是", "是否销号", "已销号", id="是否销号-是"),
    param("否", "是否销号", "整改中", id="是否销号-否"),
    param("是", "是否完成整改", "已整改", id="是否完成整改-是"),
    param(" 已销号 ", "整改状态", "已销号", id="spaces"),
    param("已完成整改，待验收", "整改状态", "已整改", id="sentence"),
])
def test_statuses(raw, header, expected):
    assert normalise_status(raw, header, CFG) == expected


@pytest.mark.parametrize("raw", ["搁置", "是", "??"])
def test_unknown_status_is_an_error_not_a_guess(raw):
    with pytest.raises(ValueError, match="无法识别的整改状态"):
        normalise_status(raw, "整改状态", CFG)


@pytest.mark.parametrize(("raw", "expected"), [
    ("巡察", "巡视巡察"), ("巡视", "巡视巡察"), ("巡察反馈", "巡视巡察"),
    ("内部审计", "审计"), ("经济责任审计", "审计"),
    ("信访举报", "信访举报"), ("日常监督", "日常监督"), ("专项监督", "专项监督"), ("沟通会商", "沟通会商"),
    ("自查自纠", "自查自纠"), ("上级交办", "上级交办"),
])
def test_sources(raw, expected):
    assert normalise_source(raw, CFG) == expected


def test_severity_and_recurrence():
    severities = [normalise_severity(v, CFG) for v in ("一般", "较重", "严重", "重大问题", "")]
    assert severities == ["一般", "较重", "严重", "严重", None]
    with pytest.raises(ValueError):
        normalise_severity("很重", CFG)
    marks = [is_recurred(v, CFG) for v in ("是", "否", "", "回头看发现问题复发", "未发现复发")]
    assert marks == [True, False, False, True, False]


@pytest.mark.parametrize(("text", "expected"), [
    ("2024年第三季度问题整改台账", {Period(2024, 3)}),
    ("2024年三季度", {Period(2024, 3)}),
    ("2024Q3", {Period(2024, 3)}),
    ("2024年第3季度", {Period(2024, 3)}),
    ("问题整改台账（2024年二季度）", {Period(2024, 2)}),
    ("2024年政治监督重点任务清单", set()),
    ("填报日期：2024年4月3日", set()),
    ("2025年上半年问题整改台账", {Period(2025, 2)}),
    ("2025年下半年巡察整改情况", {Period(2025, 4)}),
    ("2025年前三季度问题整改台账", {Period(2025, 3)}),
    ("问题整改台账（截至2025年6月30日）", {Period(2025, 2)}),
    ("截止2025年9月底整改情况", {Period(2025, 3)}),
    ("2025年第二季度台账（截至2025年6月30日）", {Period(2025, 2)}),
])
def test_period_in_names_and_titles(text, expected):
    assert find_periods(text) == expected


def test_period_arithmetic():
    p = parse_period("2025Q1")
    assert (p.end, str(p.previous()), str(p.year_ago()), p.label) == (dt.date(2025, 3, 31), "2024Q4", "2024Q1",
                                                                       "2025年第一季度")


@pytest.mark.parametrize(("category", "dimension"), [
    ("政治建设", "加强党的政治建设"), ("党内政治生活", "严肃党内政治生活"), ("选人用人", "突出政治标准选人用人"),
    ("作风建设", "加强干部作风建设"), ("违反中央八项规定精神", "加强干部作风建设"),
    ("政治纪律", "严明政治纪律和政治规矩"), ("廉洁建设", "惩治腐败与廉洁建设"),
    ("一岗双责", "落实管党治党两个责任"), ("廉洁文化", "培育积极健康的党内政治文化"),
    ("安全生产", "未归类"), ("", "未归类"),
])
def test_dimension_from_category(category, dimension):
    assert scoring_config().classify(category) == dimension
