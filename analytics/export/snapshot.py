"""快照: one period's picture for a committee meeting, computed once and handed to every writer (xlsx, html, pdf, docx).

The figures come from the same analytics functions the pages call; the writers only lay them out. ``tables``
gives each part as typed tables with Chinese headers, so every format shows the same columns in the same order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics import alerts, metrics, org, scoring
from analytics.config import ScoringConfig
from analytics.db import table_exists
from analytics.errors import DashboardError
from analytics.metrics import ALL, Scope
from analytics.periods import Period

TITLE = "政治生态分析研判快照"
COVER, HEADLINE, TRENDS, RATES, SCORES, OVERDUE, WARNINGS, AGENDA = (
    "封面", "主要指标", "问题趋势", "单位整改销号", "八维评分", "逾期问题清单", "预警情况", "会商议题建议清单")
SECTIONS: tuple[str, ...] = (COVER, HEADLINE, TRENDS, RATES, SCORES, OVERDUE, WARNINGS, AGENDA)
# each part after the cover → the parts of the analysis (analytics.access.PARTS) of which the reader must see one
SECTION_PARTS: dict[str, tuple[str, ...]] = {
    HEADLINE: ("figures",), TRENDS: ("figures",), RATES: ("figures",), SCORES: ("scores",), OVERDUE: ("problems",),
    WARNINGS: ("warnings", "reminders"), AGENDA: ("agenda",)}
EVERY_PART = frozenset(p for parts in SECTION_PARTS.values() for p in parts)
SCORE_FIELDS = ("company_score", "company_grade")


def sections_for(parts: frozenset[str]) -> tuple[str, ...]:
    """The parts after the cover that a reader who sees these parts of the analysis gets, in order."""
    return tuple(s for s in SECTIONS[1:] if any(p in parts for p in SECTION_PARTS[s]))
PERSONAL_COLUMNS = ("owner", "leader")  # people are masked; units are organisations and are not
# long text wraps; the other text columns stay on one line
LONG_TEXT_COLUMNS = frozenset({"问题描述", "议题", "提出理由", "相关数据", "触发规则"})
TIER_COLORS = dict(zip(alerts.TIERS, ("#F9A825", "#EF6C00", "#C62828"), strict=True))  # 提醒函, 督办单, 建议书

# headline key → (label, kind); kinds: int, rate, score, text
HEADLINE_FIELDS: dict[str, tuple[str, str]] = {
    "total": ("问题总数", "int"), "new": ("本期新增", "int"), "carried_over": ("上期结转未完成", "int"),
    "closed_this_period": ("本期销号", "int"), "closed": ("累计已销号", "int"), "completed": ("已完成整改", "int"),
    "open": ("未完成整改", "int"), "overdue": ("逾期未整改", "int"), "recurred": ("改而复发", "int"),
    "closure_rate": ("销号率", "rate"), "completion_rate": ("整改完成率", "rate"),
    "on_time_rate": ("按期整改率", "rate"), "company_score": ("综合得分", "score"), "company_grade": ("等级", "text"),
}
_NAME_PARTS = re.compile(r"([、，,；;/／\s]+)")  # 张三、李四: each name is masked on its own


def mask_name(name: str | None) -> str | None:
    """姓名脱敏: keep the first character, star the rest (张三 → 张*, 欧阳娜娜 → 欧***); None and '' unchanged."""
    if not isinstance(name, str) or not name.strip():
        return name
    # split() with a group keeps the separators, at the odd positions
    return "".join(part if i % 2 or not part else _mask_one(part) for i, part in enumerate(_NAME_PARTS.split(name)))


def _mask_one(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"  # a one-character name shows nothing


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """数据版本: sha256 over the sorted sha256 of every import not undone, so equal data gives an equal version."""
    digests = []
    if table_exists(con, "imports"):
        digests = [r[0] for r in con.execute("SELECT sha256 FROM imports WHERE undone_at IS NULL ORDER BY sha256")
                   .fetchall()]
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def scope_label(scope: Scope) -> str:
    """The scope in Chinese: 全公司, or 单位：A、B, with 来源 / 维度 when those are filtered."""
    parts = [f"单位：{'、'.join(scope.units)}" if scope.units else "全公司"]
    for label, values in (("来源", scope.sources), ("维度", scope.dimensions)):
        if values:
            parts.append(f"{label}：{'、'.join(values)}")
    return "；".join(parts)


@dataclass(frozen=True, eq=False)  # eq=False: frames cannot be compared or hashed as a whole
class Snapshot:
    """Everything a snapshot shows, as of the period end, for one scope."""

    period: Period
    scope: Scope
    generated_at: dt.datetime
    data_version: str
    masked: bool
    headline: dict  # metrics.headline + company_score, company_grade
    previous: dict  # the same for period.previous()
    trend: pd.DataFrame  # metrics.trend up to and including the period
    rates_by_unit: pd.DataFrame  # metrics.breakdown by unit
    dimension_scores: pd.DataFrame
    unit_scores: pd.DataFrame
    company: dict
    overdue: pd.DataFrame  # metrics.problems(only_overdue=True), names masked when masked
    warnings: pd.DataFrame  # or, for a reader who sees only the reminders, alerts.reminders()
    warning_counts: dict
    agenda: pd.DataFrame
    cfg: ScoringConfig  # the configuration the figures were computed with: the writers draw with it too
    parts: frozenset[str] = EVERY_PART  # what the reader may see: parts they may not are neither computed nor shown

    @property
    def scope_label(self) -> str:
        return scope_label(self.scope)

    def shows(self, part: str) -> bool:
        return part in self.parts

    @property
    def sections(self) -> tuple[str, ...]:
        """The parts after the cover this snapshot shows, in order."""
        return sections_for(self.parts)

    @property
    def headline_fields(self) -> dict[str, tuple[str, str]]:
        """HEADLINE_FIELDS, without the score and grade for a reader who may not see scores."""
        return {k: v for k, v in HEADLINE_FIELDS.items() if self.shows("scores") or k not in SCORE_FIELDS}

    @property
    def title(self) -> str:
        return f"{TITLE}（{self.period.label}）"

    def changes(self) -> dict:
        """环比: each headline figure minus the previous quarter's; None where either is unknown (no ledger then)."""
        known = self.previous.get("total", 0) > 0 or self.previous.get("company_score") is not None
        out = {}
        for key, (_, kind) in HEADLINE_FIELDS.items():
            now, before = self.headline.get(key), self.previous.get(key)
            if kind == "text" or not known or _missing(now) or _missing(before):
                out[key] = None
            else:
                out[key] = int(now - before) if kind == "int" else round(now - before, 4 if kind == "rate" else 1)
        return out

    def radar_series(self) -> dict[str, dict[str, float]]:
        """For the radar chart: when several units are scored, the lowest, then the scope's average per dimension
        (the unit looked at first, as on the pages: charts.RADAR_COLORS)."""
        series = {}
        units = self.scope.units
        if len(self.unit_scores) > 1:
            worst = self.unit_scores.iloc[-1]["unit"]  # ranked best first
            mine = self.dimension_scores[self.dimension_scores["unit"] == worst]
            series[f"{worst}（得分最低）"] = {str(d): float(s) for d, s in zip(mine["dimension"], mine["score"],
                                                                           strict=True)}
        if self.company["dimensions"]:
            mean = "公司平均" if units is None else (units[0] if len(units) == 1 else "所选单位平均")
            series[mean] = self.company["dimensions"]
        return series

    def cover(self) -> list[tuple[str, str]]:
        """封面: label → text."""
        return [
            ("标题", self.title),
            ("期间", f"{self.period.label}（{self.period}，数据截至 {self.period.end:%Y-%m-%d}）"),
            ("范围", self.scope_label),
            ("生成时间", f"{self.generated_at:%Y-%m-%d %H:%M:%S}"),
            ("数据版本", self.data_version),
            ("姓名脱敏", "是（责任人姓名只显示首字）" if self.masked else "否"),
            ("说明", "数据版本为所依据的全部已导入台账文件 SHA-256 的汇总值，数据版本相同即所依据的数据相同。"),
        ]


def _missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA: the empty values a frame can hold."""
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _known_units(con: duckdb.DuckDBPyConnection, period: Period, within: tuple[str, ...] | None) -> set[str]:
    """Units with ledger rows by the period's end, of those the user may see (``within``: all when None)."""
    units = set()
    for table in ("problem_state", "assessments"):
        if table_exists(con, table):
            units |= {r[0] for r in con.execute(
                f"SELECT DISTINCT unit FROM {table} WHERE period_no <= ? AND unit IS NOT NULL", [period.index])
                .fetchall()}
    return units if within is None else units & set(within)


def _check(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> None:
    """Refuse a period without ledgers and units the database does not know, naming what is available."""
    periods = metrics.available_periods(con)
    if not periods:
        raise DashboardError("数据库中还没有问题台账，请先导入")
    if period not in periods:
        raise DashboardError(f"数据库中没有 {period}（{period.label}）的问题台账，可选期间："
                             f"{'、'.join(map(str, periods))}")
    if scope.units is not None:
        known = _known_units(con, period, scope.within)
        # a node of the 组织架构 without problems of its own (a 分公司 in a subtree asked for) is known too
        registered = set(org.known_units(con))
        unknown = [u for u in scope.units if u not in known and u not in registered]
        if unknown:
            raise DashboardError(f"截至 {period} 的台账中没有单位「{'、'.join(unknown)}」，可选单位："
                                 f"{'、'.join(sorted(known))}")


def _with_score(head: dict, company: dict, scored: bool) -> dict:
    return head | {"company_score": company["score"], "company_grade": company["grade"]} if scored else head


NO_SCORES = {"score": None, "grade": None, "color": None, "dimensions": {}}


def build_snapshot(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                   mask_names: bool = False, now: dt.datetime | None = None,
                   parts: frozenset[str] = EVERY_PART) -> Snapshot:
    """Compute a snapshot of the parts given (analytics.access.PARTS: what the reader may see) with this
    configuration, which it carries; raises DashboardError for a period without ledgers, an unknown unit, or
    nothing the reader may see."""
    parts = frozenset(parts) & EVERY_PART
    if not parts:
        raise DashboardError("没有可导出的内容：当前角色不能查看快照中的任何部分")
    _check(con, period, scope)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    scored = "scores" in parts
    company = scoring.company_score(con, period, scope, cfg=cfg) if scored else NO_SCORES
    before = scoring.company_score(con, period.previous(), scope, cfg=cfg) if scored else NO_SCORES
    trend = metrics.trend(con, scope)
    overdue = metrics.problems(con, period, scope, only_overdue=True) if "problems" in parts else _empty()
    if mask_names:
        for column in PERSONAL_COLUMNS:
            if column in overdue.columns:
                overdue[column] = [mask_name(v) for v in overdue[column]]
    if "warnings" in parts:
        warned = alerts.warnings(con, period, scope, cfg=cfg)
        counts = alerts.warning_counts(con, period, scope, cfg=cfg)
    elif "reminders" in parts:
        warned = alerts.reminders(con, period, alerts.warnings(con, period, scope, cfg=cfg, tier=alerts.TIERS[0]))
        counts = {alerts.TIERS[0]: len(warned)}
    else:
        warned, counts = _empty(), {}
    return Snapshot(
        period=period, scope=scope, generated_at=now, data_version=data_version(con), masked=mask_names,
        headline=_with_score(metrics.headline(con, period, scope), company, scored),
        previous=_with_score(metrics.headline(con, period.previous(), scope), before, scored),
        trend=trend[trend["period_no"] <= period.index].reset_index(drop=True),
        rates_by_unit=metrics.breakdown(con, period, "unit", scope),
        dimension_scores=scoring.dimension_scores(con, period, scope, cfg=cfg) if scored else _empty(),
        unit_scores=scoring.unit_scores(con, period, scope, cfg=cfg) if scored else _empty(),
        company=company,
        overdue=overdue,
        warnings=warned,
        warning_counts=counts,
        agenda=alerts.meeting_agenda(con, period, scope, cfg=cfg) if "agenda" in parts else _empty(),
        cfg=cfg,
        parts=parts,
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


# ---- tables: what each part shows, shared by the writers ----

@dataclass(frozen=True, eq=False)
class Table:
    """One table of a part: Chinese headers, typed values (None where empty) and how to show each column.

    kinds: text, int, rate (0.1234 → 12.3%), score (one decimal), date, and for the 主要指标 table "row" /
    "row_change", meaning the row's own kind from row_kinds (its change: int_change, rate_change, score_change).
    """

    title: str
    frame: pd.DataFrame
    kinds: dict[str, str]
    row_kinds: tuple[str, ...] = ()
    note: str = ""

    def kind(self, row: int, column: str) -> str:
        kind = self.kinds.get(column, "text")
        if kind == "row":
            return self.row_kinds[row]
        if kind == "row_change":
            return "text" if self.row_kinds[row] == "text" else self.row_kinds[row] + "_change"
        return kind


def format_value(value: object, kind: str) -> str:
    """A cell as text, the way every format shows it: 12.3%, 95.5, 2025-06-30, +3, +1.2个百分点; '—' if unknown."""
    if _missing(value):
        return "" if kind == "text" else "—"
    match kind:
        case "int":
            return f"{int(value)}"
        case "rate":
            return f"{value:.1%}"
        case "score":
            return f"{value:.1f}"
        case "date":
            return f"{value:%Y-%m-%d}"
        case "int_change":
            return f"{int(value):+d}"
        case "rate_change":
            return f"{value * 100:+.1f}个百分点"
        case "score_change":
            return f"{value:+.1f}"
    return str(value)


def _cell(value: object) -> object:
    """Frames hold NaN, NaT, pd.NA and numpy scalars; tables hold None, Python numbers, dates and str."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _table(title: str, frame: pd.DataFrame, columns: dict[str, tuple[str, str]], note: str = "") -> Table:
    """Select and rename frame columns (key → (header, kind)); booleans become 是/否."""
    data = {}
    for key, (header, kind) in columns.items():
        values = frame[key] if key in frame.columns else pd.Series([None] * len(frame), dtype=object)
        if kind == "bool":
            data[header] = ["是" if v is True or v == 1 else "否" for v in values.fillna(False)]
        else:
            data[header] = [_cell(v) for v in values]
    kinds = {header: ("text" if kind == "bool" else kind) for header, kind in columns.values()}
    return Table(title, pd.DataFrame(data, columns=[h for h, _ in columns.values()], dtype=object), kinds, note=note)


TREND_COLUMNS = {"period": ("季度", "text"), "total": ("问题总数", "int"), "new": ("新增", "int"),
                 "carried_over": ("上期结转", "int"), "closed_this_period": ("本期销号", "int"),
                 "closed": ("累计销号", "int"), "open": ("未完成", "int"), "overdue": ("逾期", "int"),
                 "recurred": ("复发", "int"), "closure_rate": ("销号率", "rate"),
                 "completion_rate": ("整改完成率", "rate"), "on_time_rate": ("按期整改率", "rate")}
RATE_COLUMNS = {"unit": ("单位", "text"), "total": ("问题总数", "int"), "new": ("本期新增", "int"),
                "closed": ("已销号", "int"), "completed": ("已完成整改", "int"), "open": ("未完成", "int"),
                "overdue": ("逾期", "int"), "recurred": ("复发", "int"), "closure_rate": ("销号率", "rate"),
                "completion_rate": ("整改完成率", "rate"), "on_time_rate": ("按期整改率", "rate")}
OVERDUE_COLUMNS = {"problem_code": ("问题编号", "text"), "unit": ("责任单位", "text"), "source": ("问题来源", "text"),
                   "dimension": ("维度", "text"), "description": ("问题描述", "text"), "owner": ("责任人", "text"),
                   "severity": ("问题性质", "text"), "status": ("整改状态", "text"), "found_date": ("发现时间", "date"),
                   "deadline": ("整改时限", "date"), "days_overdue": ("逾期天数", "int"),
                   "recurred": ("是否复发", "bool")}
WARNING_COLUMNS = {"tier": ("预警类型", "text"), "target": ("对象", "text"), "unit": ("单位", "text"),
                   "dimension": ("维度", "text"), "problem_code": ("问题编号", "text"),
                   "description": ("问题描述", "text"), "rule": ("触发规则", "text")}
REMINDER_COLUMNS = {"tier": ("预警类型", "text"), "unit": ("单位", "text"), "dimension": ("维度", "text"),
                    "problem_code": ("问题编号", "text"), "description": ("问题描述", "text"),
                    "deadline": ("整改时限", "date"), "days_left": ("剩余天数", "int")}
AGENDA_COLUMNS = {"rank": ("序号", "int"), "kind": ("议题类别", "text"), "topic": ("议题", "text"),
                  "reason": ("提出理由", "text"), "figures": ("相关数据", "text"), "unit": ("涉及单位", "text"),
                  "dimension": ("涉及维度", "text")}


def _headline_table(s: Snapshot) -> Table:
    changes = s.changes()
    fields = s.headline_fields
    rows = [[label, _cell(s.headline.get(key)), _cell(s.previous.get(key)), changes[key]]
            for key, (label, _) in fields.items()]
    frame = pd.DataFrame(rows, columns=["指标", "本期", "上期", "环比变化"], dtype=object)
    return Table(f"{s.period.label}主要指标（上期：{s.period.previous().label}）", frame,
                 {"指标": "text", "本期": "row", "上期": "row", "环比变化": "row_change"},
                 tuple(kind for _, kind in fields.values()),
                 note="环比变化 = 本期 − 上期；比率的变化以百分点计；上期无台账时不计算。")


def _score_tables(s: Snapshot) -> list[Table]:
    dims = [c for c in s.unit_scores.columns
            if c not in ("unit", "score", "grade", "color", "rank", *scoring.UNIT_EXTRA_COLUMNS)]
    ranking = _table("单位综合得分排名", s.unit_scores,
                     {"rank": ("排名", "int"), "unit": ("单位", "text"), "score": ("综合得分", "score"),
                      "grade": ("等级", "text")} | {d: (d, "score") for d in dims},
                     note="单位综合得分为各维度得分的平均；排名相同者得分相同。")
    series = s.radar_series()
    order = list(s.company["dimensions"]) or dims
    radar = pd.DataFrame({"维度": order} | {name: [values.get(d) for d in order] for name, values in series.items()},
                         dtype=object)
    score = "—" if s.company["score"] is None else f"{s.company['score']:.1f}（{s.company['grade']}）"
    return [ranking, Table(f"各维度得分对比（综合得分 {score}）", radar,
                           {"维度": "text"} | dict.fromkeys(series, "score"))]


def tables(s: Snapshot) -> dict[str, list[Table]]:
    """Each part the snapshot shows (s.sections) as its tables, in order."""
    counts = pd.DataFrame({"预警类型": list(s.warning_counts), "数量": list(s.warning_counts.values())}, dtype=object)
    made = {
        HEADLINE: lambda: [_headline_table(s)],
        TRENDS: lambda: [_table("各季度问题数量与整改比率", s.trend, TREND_COLUMNS,
                                note=f"截至{s.period.label}的各季度；每季数字均为截至该季度末的累计口径。")],
        RATES: lambda: [_table(f"{s.period.label}各单位整改销号情况", s.rates_by_unit, RATE_COLUMNS,
                               note="销号率 = 已销号 ÷ 问题总数；整改完成率 = (已整改 + 已销号) ÷ 问题总数；"
                                    "按期整改率 = 期末前到期问题中按期完成的比例。")],
        SCORES: lambda: _score_tables(s),
        OVERDUE: lambda: [_table(f"截至 {s.period.end:%Y-%m-%d} 逾期未整改问题（{len(s.overdue)} 个）", s.overdue,
                                 OVERDUE_COLUMNS,
                                 note="按逾期天数从多到少排列。" + ("责任人已脱敏。" if s.masked else ""))],
        WARNINGS: lambda: [Table("预警数量", counts, {"预警类型": "text", "数量": "int"}),
                           _table("预警明细", s.warnings, WARNING_COLUMNS) if s.shows("warnings") else
                           _table("工作提醒函明细", s.warnings, REMINDER_COLUMNS,
                                  note="剩余天数为负数即已逾期的天数。")],
        AGENDA: lambda: [_table("会商议题建议清单", s.agenda, AGENDA_COLUMNS)],
    }
    return {section: made[section]() for section in s.sections}
