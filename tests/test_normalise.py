"""Cell values → canonical values: every written form DOMAIN.md lists, and the ones that must be refused."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest import param

from analytics.config import ledger_config, scoring_config
from analytics.ingest.normalise import is_recurred, normalise_severity, normalise_source, normalise_status, parse_date
from analytics.periods import Period, find_periods, parse_period

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
