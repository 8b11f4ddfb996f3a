"""Configuration under data/: loaded once, validated, turned into lookup tables.

``ledger.toml`` says how headers and values map to canonical fields;
``scoring.toml`` holds the dimensions and the scoring model.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from analytics.errors import ConfigError
from analytics.text import header_key, key

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB = DATA_DIR / "dashboard.duckdb"

STATUSES = ("未启动", "整改中", "已整改", "已销号", "长期整改")
OPEN_STATUSES = ("未启动", "整改中", "长期整改")
COMPLETED_STATUSES = ("已整改", "已销号")
CLOSED_STATUS = "已销号"
KINDS = ("problems", "tasks", "scores")
KIND_LABELS = {"problems": "问题整改台账", "tasks": "监督清单", "scores": "评分表"}
# the section of ledger.toml that lists each kind's header aliases
_KIND_SECTION = {"problems": "problem", "tasks": "task", "scores": "score"}

FIELD_LABELS = {
    "problem_code": "问题编号", "seq": "序号", "source": "问题来源", "category": "问题类别",
    "description": "问题描述", "unit": "责任单位", "owner": "责任人", "leader": "分管领导",
    "measures": "整改措施", "found_date": "发现时间", "deadline": "整改时限", "progress": "整改进展",
    "status": "整改状态", "closed_date": "销号时间", "severity": "问题性质", "recurred": "是否复发",
    "remarks": "备注", "aspect": "监督方面", "measure": "监督措施", "requirement": "工作要求",
    "frequency": "频次", "dimension": "维度", "score": "得分", "method": "评价方式",
    "parent": "反馈问题", "co_units": "配合单位",
}


PRIVATE_UMASK = 0o077  # files the product creates (database, backups, audit trail, exports): the owner's only


def keep_files_private() -> None:
    """At a program's start (CLI, dashboard): every file it creates from now on is readable by its owner only —
    the database, its backups, the audit trail, exported snapshots hold discipline-inspection data."""
    os.umask(PRIVATE_UMASK)


def is_demo_database(db: Path | str) -> bool:
    """Whether a database is the bundled demo (data/dashboard.duckdb): the only one the demo accounts may open."""
    return Path(db).resolve() == DEFAULT_DB.resolve()


def database_path() -> Path:
    """The database the CLI and the app use: $DASHBOARD_DB, else the bundled one under data/."""
    return Path(os.environ.get("DASHBOARD_DB") or DEFAULT_DB)


def users_path() -> Path:
    """The accounts file: $DASHBOARD_USERS, else one in the user's config folder (never in the repository)."""
    if os.environ.get("DASHBOARD_USERS"):
        return Path(os.environ["DASHBOARD_USERS"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "political-ecology-dashboard" / "users.json"


def audit_path(db: Path | str) -> Path:
    """The audit trail: $DASHBOARD_AUDIT, else beside the database (outside it, so a restore cannot roll it back)."""
    if os.environ.get("DASHBOARD_AUDIT"):
        return Path(os.environ["DASHBOARD_AUDIT"])
    db = Path(db)
    return db.with_name(f"{db.stem}.audit.jsonl")


# Files whose changes the audit trail records (users are recorded by the actions that change them).
CONFIG_FILES = ("ledger.toml", "scoring.toml", "access.toml", "notices.toml")


def load_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc


def _pairs(table: object, where: str) -> list[tuple[str, str]]:
    if not isinstance(table, list) or not all(isinstance(p, list) and len(p) == 2 for p in table):
        raise ConfigError(f"配置项 {where} 应为 [关键词, 值] 的列表")
    return [(key(a), str(b)) for a, b in table]


@dataclass(frozen=True)
class Limits:
    """[limits]: what a file may hold before it is read in full (a hostile or runaway file is refused early)."""

    max_file_mb: float = 100.0
    max_rows: int = 200_000  # per file, counting to the last row with a value
    max_columns: int = 200
    max_unzipped_mb: float = 300.0  # an xlsx's parts once decompressed (zip bombs)
    max_compression_ratio: float = 200.0  # of any part over 10 MB; ledgers compress 5–20×, bombs ~1000×
    max_parse_mb: float = 0.0  # a file's parse (its worker process's address space); 0: derived, see parse_mb
    max_parse_seconds: float = 300.0

    @classmethod
    def from_dict(cls, raw: object, where: str) -> Limits:
        limits = cls(**_known_numbers(_table(raw, "limits", where), cls, "limits", where))
        positive = dataclasses.replace(limits, max_parse_mb=limits.max_parse_mb or 1.0)  # 0: derived
        values = dataclasses.astuple(positive)
        if any(math.isnan(v) or v <= 0 for v in values) or limits.max_compression_ratio < 1:
            raise ConfigError(f"{where}：[limits] 的上限应为正数（max_compression_ratio 不小于 1，"
                              "max_parse_mb 为 0 表示按文件上限推算）")
        return limits

    @property
    def parse_mb(self) -> float:
        """The memory a file's parse may take, in MB of its process's address space: max_parse_mb, else enough
        for a CSV at max_file_mb (its parse takes up to ~9× its size) and an xlsx at max_unzipped_mb (up to ~6× its
        XML, with a shared-string table) over the ~400 MB of the interpreter and its libraries, with a margin
        (measured: benchmarks/bench_import_memory.py)."""
        return self.max_parse_mb or 500 + max(10 * self.max_file_mb, 7 * self.max_unzipped_mb)


@dataclass(frozen=True)
class Backups:
    """[backups]: how many copies of the database to keep and where, relative to the database file."""

    keep: int = 10  # 0 turns backups off
    folder: str = "{name}.backups"  # {name}: the database file's name

    @classmethod
    def from_dict(cls, raw: object, where: str) -> Backups:
        raw = _table(raw, "backups", where)
        unknown = set(raw) - {"keep", "folder"}
        if unknown:
            raise ConfigError(f"{where}：[backups] 中有未知的配置项 {sorted(unknown)}")
        keep, folder = raw.get("keep", cls.keep), raw.get("folder", cls.folder)
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ConfigError(f"{where}：[backups] 的 keep 应为不小于 0 的整数（0 表示不备份）")
        try:
            ok = isinstance(folder, str) and bool(folder.format(name="x").strip())
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"{where}：[backups] 的 folder 应为文件夹名，可含 {{name}}（数据库文件名）")
        return cls(keep, folder)

    def folder_for(self, db: Path) -> Path:
        return db.parent / self.folder.format(name=db.name)


def _table(raw: object, section: str, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}：[{section}] 应为一个配置节")
    return raw


def _known_numbers(raw: dict, cls: type, section: str, where: str) -> dict:
    """A section's numbers, checked against the dataclass's fields and their types (int stays int)."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    unknown = set(raw) - set(defaults)
    if unknown:
        raise ConfigError(f"{where}：[{section}] 中有未知的配置项 {sorted(unknown)}")
    out = {}
    for name, value in raw.items():
        whole = isinstance(defaults[name], int)
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            raise ConfigError(f"{where}：[{section}] 的 {name} 应为{'整数' if whole else '数字'}")
        out[name] = value
    return out


@dataclass(frozen=True)
class LedgerConfig:
    """Header aliases and value vocabularies, keyed by normalised text; file limits and backups."""

    aliases: dict[str, dict[str, str]]  # kind → header key → field
    required: dict[str, tuple[str, ...]]  # kind → required fields
    status_values: dict[str, str]
    status_rules: list[tuple[str, str]]
    yes_no: dict[str, tuple[str, str]]  # header key → (yes status, no status)
    source_names: tuple[str, ...]
    source_keywords: list[tuple[str, str]]
    severity_names: tuple[str, ...]
    severity_keywords: list[tuple[str, str]]
    recurred_yes: frozenset[str]
    recurred_no: frozenset[str]
    task_done: frozenset[str]
    task_not_done: frozenset[str]
    no_deadline: frozenset[str]
    total_prefixes: tuple[str, ...]
    note_prefixes: tuple[str, ...]
    footer_words: tuple[str, ...]
    skip_sheets: frozenset[str]
    limits: Limits = Limits()
    backups: Backups = Backups()

    @classmethod
    def from_dict(cls, raw: dict, where: str = "ledger.toml") -> LedgerConfig:
        try:
            aliases: dict[str, dict[str, str]] = {}
            required: dict[str, tuple[str, ...]] = {}
            for kind, section in _KIND_SECTION.items():
                table = raw[section]
                fields = table["fields"]
                aliases[kind] = {header_key(a): field for field, names in fields.items() for a in names}
                required[kind] = tuple(table["required"])
                unknown = set(required[kind]) - set(fields)
                if unknown:
                    raise ConfigError(f"{where}：[{section}] 的必填字段 {sorted(unknown)} 没有列名别名")
            status_values = {}
            for status, values in raw["status"]["values"].items():
                if status not in STATUSES:
                    raise ConfigError(f"{where}：未知的整改状态「{status}」，只能是 {'、'.join(STATUSES)}")
                status_values.update({key(v): status for v in values})
            rules = _pairs(raw["status"]["keyword_rules"], "status.keyword_rules")
            yes_no = {header_key(h): (v[0], v[1]) for h, v in raw["status"]["yes_no"].items()}
            for status in [s for _, s in rules] + [s for v in yes_no.values() for s in v]:
                if status not in STATUSES:
                    raise ConfigError(f"{where}：未知的整改状态「{status}」")
            return cls(
                aliases=aliases,
                required=required,
                status_values=status_values,
                status_rules=rules,
                yes_no=yes_no,
                source_names=tuple(raw["source"]["names"]),
                source_keywords=_pairs(raw["source"]["keywords"], "source.keywords"),
                severity_names=tuple(raw["severity"]["names"]),
                severity_keywords=_pairs(raw["severity"]["keywords"], "severity.keywords"),
                recurred_yes=frozenset(key(v) for v in raw["recurred"]["yes"]),
                recurred_no=frozenset(key(v) for v in raw["recurred"]["no"]),
                task_done=frozenset(key(v) for v in raw["task_status"]["done"]),
                task_not_done=frozenset(key(v) for v in raw["task_status"]["not_done"]),
                no_deadline=frozenset(key(v) for v in raw["dates"]["no_deadline"]),
                total_prefixes=tuple(raw["rows"]["total_prefixes"]),
                note_prefixes=tuple(key(v) for v in raw["rows"]["note_prefixes"]),
                footer_words=tuple(key(v) for v in raw["rows"].get("footer_words", [])),
                skip_sheets=frozenset(key(v) for v in raw["rows"]["skip_sheets"]),
                limits=Limits.from_dict(raw.get("limits", {}), where),
                backups=Backups.from_dict(raw.get("backups", {}), where),
            )
        except KeyError as exc:
            raise ConfigError(f"{where} 缺少配置项 {exc}") from exc


@dataclass(frozen=True)
class Dimension:
    name: str
    keywords: tuple[str, ...]
    weight: float = 1.0  # its share of a unit's total, relative to the other dimensions' weights


@dataclass(frozen=True)
class Grade:
    name: str
    min: float
    color: str
    code: str = ""  # its colour code (绿/黄/红); blank: derived from its place (see _codes_of)


@dataclass(frozen=True)
class ColorCode:
    """A colour code (绿/黄/红): the first one is the all-clear; a unit at any other is flagged (see 复绿)."""

    name: str
    color: str


# The rules an indicator can be (DOMAIN.md "Scores and grades", the published 政治生态 evaluation schemes).
PROBLEM_RULES = ("severity", "overdue", "recurred")  # points per open problem
RATE_RULES = ("on_time_rate", "closure_rate")  # points when a rate is below a threshold
BONUS_RULE = "bonus"  # points gained per problem counted
INDICATOR_RULES = (*PROBLEM_RULES, *RATE_RULES, BONUS_RULE)
BONUS_COUNTS = ("new", "closed_this_period", "total")  # what a bonus counts among its problems
LIMIT_RULES = ("proposal_problems", "concentrations")  # the facts a grade limit looks at


@dataclass(frozen=True)
class Indicator:
    """An indicator (指标) of a dimension: a rule over the data, giving points lost (or, for a bonus, gained) per
    unit × dimension × quarter, never more than ``cap``."""

    name: str
    rule: str
    points: float = 0.0  # per problem (overdue, recurred, bonus), or fixed points for a rate below the threshold
    severity_points: tuple[tuple[str, float], ...] = ()  # rule severity: points per 问题性质
    cap: float | None = None  # most points per unit × dimension × quarter; None: no cap
    dimensions: tuple[str, ...] | None = None  # the dimensions it applies to; None: every one
    below: float | None = None  # rate rules: the threshold (0–1)
    per_point: float | None = None  # rate rules: points per percentage point below (else ``points`` fixed)
    over: str = "dimension"  # rate rules: the dimension's problems, or the whole unit's ("unit")
    count: str = "new"  # bonus: which of its problems it counts (BONUS_COUNTS)
    sources: tuple[str, ...] = ()  # bonus: only problems of these sources (none: any)
    severities: tuple[str, ...] = ()  # bonus: only problems of these 问题性质 (none: any)

    @property
    def is_bonus(self) -> bool:
        return self.rule == BONUS_RULE

    def applies_to(self, dimension: str) -> bool:
        return self.dimensions is None or dimension in self.dimensions


@dataclass(frozen=True)
class Rater:
    """A 评价方式 of the 评分表 (自评, 纪委评价, 群众满意度测评, 领导评价) and its weight among them."""

    method: str
    weight: float


@dataclass(frozen=True)
class GradeLimit:
    """等次封顶: a unit with at least ``at_least`` of these (纪检建议书-tier problems, or dimensions where its open
    problems are concentrated) is graded no better than ``max_grade``, whatever its score."""

    name: str
    when: str
    at_least: int
    max_grade: str


_INDICATOR_KEYS = {"name", "rule", "points", "cap", "dimensions", "below", "per_point", "over", "count", "sources",
                   "severities"}


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(f"{where} 应为数字")
    return float(value)


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} 应为文字的列表")
    return tuple(value)


def _indicator(raw: object, k: int, where: str) -> Indicator:
    """One [[indicators]] entry, checked key by key (the message names the entry and the key)."""
    at = f"{where}：[[indicators]] 第 {k} 项"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at} 应为一个配置节")
    unknown = set(raw) - _INDICATOR_KEYS
    if unknown:
        raise ConfigError(f"{at} 中有未知的配置项 {sorted(unknown)}")
    name, rule = raw.get("name"), raw.get("rule")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{at} 缺少 name（指标名称）")
    at = f"{where}：指标「{name}」"
    if rule not in INDICATOR_RULES:
        raise ConfigError(f"{at}的 rule「{rule}」应为 {'、'.join(INDICATOR_RULES)} 之一")
    fields: dict = {"name": name, "rule": rule}
    points = raw.get("points")
    if rule == "severity":
        if not isinstance(points, dict) or not points:
            raise ConfigError(f"{at}的 points 应为每种问题性质的扣分，如 {{ 一般 = 2, 较重 = 4, 严重 = 8 }}")
        fields["severity_points"] = tuple((str(s), _number(v, f"{at}的 points.{s}")) for s, v in points.items())
    elif points is not None:
        fields["points"] = _number(points, f"{at}的 points")
    elif rule in (*PROBLEM_RULES, BONUS_RULE) or raw.get("per_point") is None:
        raise ConfigError(f"{at} 缺少 points（每个问题的分值）" if rule != "severity" and rule not in RATE_RULES
                          else f"{at} 缺少 points（固定扣分）或 per_point（每低 1 个百分点扣分）")
    if "cap" in raw:
        fields["cap"] = _number(raw["cap"], f"{at}的 cap")
    if "dimensions" in raw:
        fields["dimensions"] = _texts(raw["dimensions"], f"{at}的 dimensions")
    if rule in RATE_RULES:
        if "below" not in raw:
            raise ConfigError(f"{at} 缺少 below（比率低于多少开始扣分，0 到 1 之间）")
        fields["below"] = _number(raw["below"], f"{at}的 below")
        if "per_point" in raw:
            fields["per_point"] = _number(raw["per_point"], f"{at}的 per_point")
        over = raw.get("over", "dimension")
        if over not in ("dimension", "unit"):
            raise ConfigError(f"{at}的 over 应为 dimension（本维度的问题）或 unit（单位全部问题）")
        fields["over"] = over
    elif {"below", "per_point", "over"} & set(raw):
        raise ConfigError(f"{at}：below、per_point、over 只用于比率指标（{'、'.join(RATE_RULES)}）")
    if rule == BONUS_RULE:
        count = raw.get("count", "new")
        if count not in BONUS_COUNTS:
            raise ConfigError(f"{at}的 count 应为 {'、'.join(BONUS_COUNTS)} 之一")
        fields["count"] = count
        for name_ in ("sources", "severities"):
            if name_ in raw:
                fields[name_] = _texts(raw[name_], f"{at}的 {name_}")
    elif {"count", "sources", "severities"} & set(raw):
        raise ConfigError(f"{at}：count、sources、severities 只用于加分指标（rule = \"bonus\"）")
    return Indicator(**fields)


def _legacy_indicators(sc: dict) -> tuple[Indicator, ...]:
    """The three uncapped deductions of a scoring.toml written before [[indicators]] (severity_points,
    overdue_points, recurred_points under [scoring]): an old file scores as it did."""
    return (
        Indicator("问题扣分", "severity",
                  severity_points=tuple((str(k), float(v)) for k, v in sc["severity_points"].items())),
        Indicator("逾期扣分", "overdue", points=float(sc["overdue_points"])),
        Indicator("复发扣分", "recurred", points=float(sc["recurred_points"])),
    )


_DEFAULT_CODES = (ColorCode("绿", "#2E7D32"), ColorCode("黄", "#F9A825"), ColorCode("红", "#C62828"))


def _codes_of(grades: tuple[Grade, ...], codes: tuple[ColorCode, ...]) -> tuple[Grade, ...]:
    """Grades without a code get one by their place: the lowest 红, the one above it 黄, the others 绿 (the
    colour codes of a scoring.toml written before [[codes]])."""
    if all(g.code for g in grades):
        return grades
    last = len(grades) - 1
    by_place = [codes[0].name if k < last - 1 else codes[min(len(codes) - 1, k - last + 2)].name
                for k in range(len(grades))]
    return tuple(g if g.code else dataclasses.replace(g, code=c) for g, c in zip(grades, by_place, strict=True))


# [rollup] rule: how a company's or a 分公司's score comes from those of the units under it (analytics.rollup)
ROLLUP_RULES = {"mean": "mean：各下级单位得分的平均", "problems": "problems：按下级单位的问题数加权",
                "head_count": "head_count：按组织架构中登记的人数加权"}


@dataclass(frozen=True)
class ScoringConfig:
    """The assessment model of scoring.toml: dimensions, indicators, raters, grades and colour codes, warnings,
    agenda, 回头看, repeats."""

    dimensions: tuple[Dimension, ...]
    unclassified: str
    start: float
    floor: float
    default_severity: str
    indicators: tuple[Indicator, ...]
    assessment_weight: float
    grades: tuple[Grade, ...]  # highest first
    notice_days: int
    urgent_days: int
    reminder_max_overdue: int
    supervision_overdue: int
    concentration_open: int
    proposal_overdue: int
    proposal_grade: str
    agenda_max_items: int
    agenda_top_overdue: int
    lookback_size: int
    lookback_seed: int
    repeat_ngram: int
    repeat_threshold: float
    rollup: str = "mean"  # how a node's score comes from its children's (analytics.rollup.RULES)
    raters: tuple[Rater, ...] = ()  # none: every 评价方式 weighs the same
    other_rater_weight: float = 0.0  # a 评价方式 not among raters (or blank), when raters are given
    codes: tuple[ColorCode, ...] = _DEFAULT_CODES
    grade_limits: tuple[GradeLimit, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict, where: str = "scoring.toml") -> ScoringConfig:
        try:
            dims = tuple(Dimension(str(d["name"]), tuple(map(str, d.get("keywords", ()))),
                                   _number(d.get("weight", 1.0), f"{where}：维度「{d['name']}」的 weight"))
                         for d in raw["dimensions"])
            sc, warn = raw["scoring"], raw["warnings"]
            if "indicators" in raw:
                if not isinstance(raw["indicators"], list) or not raw["indicators"]:
                    raise ConfigError(f"{where}：[[indicators]] 应至少有一项")
                indicators = tuple(_indicator(r, k, where) for k, r in enumerate(raw["indicators"], 1))
            else:
                indicators = _legacy_indicators(sc)
            codes = tuple(ColorCode(str(c["name"]), str(c["color"])) for c in raw.get("codes", ())) or _DEFAULT_CODES
            grades = _codes_of(tuple(Grade(str(g["name"]), float(g["min"]), str(g["color"]), str(g.get("code", "")))
                                     for g in raw["grades"]), codes)
            raters = tuple(Rater(str(r["method"]), _number(r["weight"], f"{where}：评价方式「{r['method']}」的 weight"))
                           for r in raw.get("raters", ()))
            limits = tuple(GradeLimit(str(g["name"]), str(g["when"]), int(g.get("at_least", 1)), str(g["max_grade"]))
                           for g in raw.get("grade_limits", ()))
            cfg = cls(
                dimensions=dims,
                unclassified=str(raw["classification"]["unclassified"]),
                start=float(sc["start"]), floor=float(sc["floor"]),
                default_severity=str(sc["default_severity"]),
                indicators=indicators,
                assessment_weight=float(sc["assessment_weight"]),
                grades=grades,
                notice_days=int(warn["notice_days"]), urgent_days=int(warn["urgent_days"]),
                reminder_max_overdue=int(warn["reminder_max_overdue"]),
                supervision_overdue=int(warn["supervision_overdue"]),
                concentration_open=int(warn["concentration_open"]),
                proposal_overdue=int(warn["proposal_overdue"]), proposal_grade=str(warn["proposal_grade"]),
                agenda_max_items=int(raw["agenda"]["max_items"]), agenda_top_overdue=int(raw["agenda"]["top_overdue"]),
                lookback_size=int(raw["lookback"]["sample_size"]), lookback_seed=int(raw["lookback"]["seed"]),
                repeat_ngram=int(raw["repeats"]["ngram"]), repeat_threshold=float(raw["repeats"]["threshold"]),
                rollup=str(raw.get("rollup", {}).get("rule", "mean")),
                raters=raters, other_rater_weight=float(sc.get("other_rater_weight", 0.0)),
                codes=codes, grade_limits=limits,
            )
        except KeyError as exc:
            raise ConfigError(f"{where} 缺少配置项 {exc}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{where} 中有格式不对的配置值（{exc}）") from exc
        cfg._validate(where)
        return cfg

    def _validate(self, where: str) -> None:
        names = [d.name for d in self.dimensions]
        problems = []
        if self.rollup not in ROLLUP_RULES:
            problems.append(f"[rollup] rule 应为 {'、'.join(ROLLUP_RULES)} 之一（{'；'.join(ROLLUP_RULES.values())}）")
        if not names or len(set(names)) != len(names):
            problems.append("维度名称不能为空或重复")
        if self.unclassified in names:
            problems.append(f"「{self.unclassified}」不能同时是维度名称")
        if any(d.weight < 0 for d in self.dimensions) or not sum(d.weight for d in self.dimensions) > 0:
            problems.append("维度的 weight 不能为负数，且不能全为 0")
        if not self.floor <= self.start:
            problems.append("floor 不能大于 start")
        severity = [i for i in self.indicators if i.rule == "severity"]
        if severity and self.default_severity not in dict(severity[0].severity_points):
            problems.append(f"default_severity「{self.default_severity}」不在指标「{severity[0].name}」的 points 中")
        problems += self._indicator_problems(names)
        if not 0 <= self.assessment_weight <= 1:
            problems.append("assessment_weight 应在 0 到 1 之间")
        if any(r.weight < 0 for r in self.raters) or self.other_rater_weight < 0:
            problems.append("[[raters]] 的 weight 和 other_rater_weight 不能为负数")
        if len({r.method for r in self.raters}) != len(self.raters):
            problems.append("[[raters]] 的评价方式 method 不能重复")
        mins = [g.min for g in self.grades]
        if not self.grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            problems.append("grades 应按 min 从高到低排列且不重复")
        elif mins[-1] > self.floor:
            problems.append(f"最低一档的 min 应不高于 floor（{self.floor:g}），否则有分数没有等级")
        if any(not re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in [g.color for g in self.grades] +
               [c.color for c in self.codes]):
            problems.append("grades 和 codes 的 color 应写成 #RRGGBB")
        code_names = [c.name for c in self.codes]
        if len(set(code_names)) != len(code_names):
            problems.append("[[codes]] 的 name 不能重复")
        for g in self.grades:
            if g.code not in code_names:
                problems.append(f"等级「{g.name}」的 code「{g.code}」不是 [[codes]] 中的颜色"
                                f"（{'、'.join(code_names)}）")
        grade_names = [g.name for g in self.grades]
        if self.proposal_grade not in grade_names:
            problems.append(f"proposal_grade「{self.proposal_grade}」不是已配置的等级")
        for lim in self.grade_limits:
            if lim.when not in LIMIT_RULES:
                problems.append(f"grade_limits「{lim.name}」的 when「{lim.when}」应为 {'、'.join(LIMIT_RULES)} 之一")
            if lim.max_grade not in grade_names:
                problems.append(f"grade_limits「{lim.name}」的 max_grade「{lim.max_grade}」不是已配置的等级")
            if lim.at_least < 1:
                problems.append(f"grade_limits「{lim.name}」的 at_least 应为正整数")
        if not 0 <= self.urgent_days <= self.notice_days:
            problems.append("urgent_days 应不大于 notice_days")
        if min(self.reminder_max_overdue, self.supervision_overdue, self.proposal_overdue,
               self.concentration_open, self.agenda_max_items, self.lookback_size, self.repeat_ngram) < 0:
            problems.append("天数、个数不能为负数")
        if self.repeat_ngram < 1 or not 0 < self.repeat_threshold <= 1:
            problems.append("repeats 的 ngram 应 ≥ 1，threshold 应在 (0, 1] 之间")
        if problems:
            raise ConfigError(f"{where} 配置有误：" + "；".join(problems))

    def _indicator_problems(self, names: list[str]) -> list[str]:
        """What is wrong with the indicators, each naming the indicator and its key."""
        problems = []
        seen = [i.name for i in self.indicators]
        if len(set(seen)) != len(seen):
            problems.append("指标名称 name 不能重复")
        for rule in PROBLEM_RULES:
            if sum(i.rule == rule for i in self.indicators) > 1:
                problems.append(f"rule = \"{rule}\" 的指标只能有一个")
        for i in self.indicators:
            values = [v for _, v in i.severity_points] + [i.points] + [x for x in (i.cap, i.per_point) if x is not None]
            if any(v < 0 for v in values):
                problems.append(f"指标「{i.name}」的 points、cap、per_point 不能为负数")
            if i.below is not None and not 0 < i.below <= 1:
                problems.append(f"指标「{i.name}」的 below 应在 0 到 1 之间（如 0.9 表示 90%）")
            unknown = [d for d in i.dimensions or () if d not in names]
            if unknown:
                problems.append(f"指标「{i.name}」的 dimensions 中「{'、'.join(unknown)}」不是已配置的维度")
        return problems

    def indicator(self, rule: str) -> Indicator | None:
        """The indicator of a per-problem rule (severity, overdue, recurred), if configured."""
        return next((i for i in self.indicators if i.rule == rule), None)

    @property
    def severity_points(self) -> dict[str, float]:
        """Points per 问题性质 of the severity indicator (a problem's 扣分明细)."""
        found = self.indicator("severity")
        return dict(found.severity_points) if found else {self.default_severity: 0.0}

    @property
    def overdue_points(self) -> float:
        found = self.indicator("overdue")
        return found.points if found else 0.0

    @property
    def recurred_points(self) -> float:
        found = self.indicator("recurred")
        return found.points if found else 0.0

    def rater_weight(self, method: str | None) -> float:
        """A 评价方式's weight: its rater's, else other_rater_weight; every method 1 when no raters are given."""
        if not self.raters:
            return 1.0
        return next((r.weight for r in self.raters if r.method == method), self.other_rater_weight)

    def code_color(self, code: str) -> str:
        return next(c.color for c in self.codes if c.name == code)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def grade_of(self, score: float | None) -> Grade | None:
        """等级: the first grade whose minimum the score reaches."""
        if score is None:
            return None
        return next((g for g in self.grades if score >= g.min), self.grades[-1])

    @functools.cached_property
    def _words(self) -> tuple[tuple[str, str], ...]:
        """(dimension, its name or a keyword as a matching key), in the config's order: keyed once, not per call."""
        return tuple((dim.name, w) for dim in self.dimensions for w in map(key, (dim.name, *dim.keywords)) if w)

    def classify(self, category: str) -> str:
        """维度: the dimension named by a category text, by the longest name or keyword it contains; else the one
        dimension whose name or keyword contains it (政治生活 → 严肃党内政治生活)."""
        text = key(category)
        if not text:
            return self.unclassified
        best, best_len = self.unclassified, 0
        for name, w in self._words:
            if w in text and len(w) > best_len:
                best, best_len = name, len(w)
        if best_len or len(text) < 2:
            return best
        within = {name for name, w in self._words if text in w}
        return within.pop() if len(within) == 1 else self.unclassified


@dataclass(frozen=True)
class AccessSettings:
    """access.toml: how long a session lasts, how failed logins slow down and how many password checks run."""

    idle_minutes: int = 30  # a session with no activity for this long must log in again
    session_hours: int = 12  # and every session after this long, active or not
    free_failures: int = 3  # wrong passwords for one account (from one address, where known) before waiting starts
    first_wait_seconds: int = 5  # then the wait doubles with each further failure …
    max_wait_seconds: int = 900  # … up to this
    address_free_failures: int = 10  # wrong passwords from one client address, whatever the accounts, before …
    address_memory_hours: int = 24  # … and an address's failures are forgotten after this long without one
    max_password_checks: int = 2  # argon2 checks running at once in the server (64 MiB each)
    check_queue_seconds: int = 3  # an attempt waits this long for a free check, then is refused as busy
    expiry_check_seconds: int = 30  # an open page checks this often whether its session is over

    @classmethod
    def from_dict(cls, raw: object, where: str) -> AccessSettings:
        raw = _table(raw, "access", where)
        settings = cls(**_known_numbers(_table(raw.get("access", {}), "access", where), cls, "access", where))
        positive = (settings.idle_minutes, settings.session_hours, settings.max_password_checks,
                    settings.expiry_check_seconds)
        if any(v < 0 for v in dataclasses.astuple(settings)) or not all(positive):
            raise ConfigError(f"{where}：[access] 的各项应为不小于 0 的整数（会话时长、max_password_checks 和 "
                              "expiry_check_seconds 须大于 0）")
        return settings


@functools.cache
def access_settings(path: Path = DATA_DIR / "access.toml") -> AccessSettings:
    return AccessSettings.from_dict(load_toml(path), path.name)


def ledger_config(path: Path = DATA_DIR / "ledger.toml") -> LedgerConfig:
    """ledger.toml as it is now: parsed again only when its content changed."""
    return _parsed(LedgerConfig, path, _content(path))


def scoring_config(path: Path = DATA_DIR / "scoring.toml") -> ScoringConfig:
    """scoring.toml as it is now: parsed again only when its content changed, so that a dashboard left running
    figures with an edit from its next page run on (the derived tables follow: analytics.derived)."""
    return _parsed(ScoringConfig, path, _content(path))


def _content(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}") from exc


@functools.lru_cache(maxsize=8)
def _parsed(kind: type, path: Path, content: bytes) -> LedgerConfig | ScoringConfig:
    """A configuration file's content, parsed and validated once (the same content gives the same object)."""
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    return kind.from_dict(raw, path.name)
