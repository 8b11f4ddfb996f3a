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


@dataclass(frozen=True)
class Grade:
    name: str
    min: float
    color: str


# [rollup] rule: how a company's or a 分公司's score comes from those of the units under it (analytics.rollup)
ROLLUP_RULES = {"mean": "mean：各下级单位得分的平均", "problems": "problems：按下级单位的问题数加权",
                "head_count": "head_count：按组织架构中登记的人数加权"}


@dataclass(frozen=True)
class ScoringConfig:
    """The assessment model of scoring.toml: dimensions, deductions, grades, warnings, agenda, 回头看, repeats."""

    dimensions: tuple[Dimension, ...]
    unclassified: str
    start: float
    floor: float
    default_severity: str
    severity_points: dict[str, float]
    overdue_points: float
    recurred_points: float
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

    @classmethod
    def from_dict(cls, raw: dict, where: str = "scoring.toml") -> ScoringConfig:
        try:
            dims = tuple(Dimension(str(d["name"]), tuple(map(str, d.get("keywords", ())))) for d in raw["dimensions"])
            sc, warn = raw["scoring"], raw["warnings"]
            grades = tuple(Grade(str(g["name"]), float(g["min"]), str(g["color"])) for g in raw["grades"])
            cfg = cls(
                dimensions=dims,
                unclassified=str(raw["classification"]["unclassified"]),
                start=float(sc["start"]), floor=float(sc["floor"]),
                default_severity=str(sc["default_severity"]),
                severity_points={str(k): float(v) for k, v in sc["severity_points"].items()},
                overdue_points=float(sc["overdue_points"]), recurred_points=float(sc["recurred_points"]),
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
        if not self.floor <= self.start:
            problems.append("floor 不能大于 start")
        if self.default_severity not in self.severity_points:
            problems.append(f"default_severity「{self.default_severity}」不在 severity_points 中")
        if any(v < 0 for v in (*self.severity_points.values(), self.overdue_points, self.recurred_points)):
            problems.append("扣分值不能为负数")
        if not 0 <= self.assessment_weight <= 1:
            problems.append("assessment_weight 应在 0 到 1 之间")
        mins = [g.min for g in self.grades]
        if not self.grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            problems.append("grades 应按 min 从高到低排列且不重复")
        elif mins[-1] > self.floor:
            problems.append(f"最低一档的 min 应不高于 floor（{self.floor:g}），否则有分数没有等级")
        if any(not re.fullmatch(r"#[0-9A-Fa-f]{6}", g.color) for g in self.grades):
            problems.append("grades 的 color 应写成 #RRGGBB")
        if self.proposal_grade not in [g.name for g in self.grades]:
            problems.append(f"proposal_grade「{self.proposal_grade}」不是已配置的等级")
        if not 0 <= self.urgent_days <= self.notice_days:
            problems.append("urgent_days 应不大于 notice_days")
        if min(self.reminder_max_overdue, self.supervision_overdue, self.proposal_overdue,
               self.concentration_open, self.agenda_max_items, self.lookback_size, self.repeat_ngram) < 0:
            problems.append("天数、个数不能为负数")
        if self.repeat_ngram < 1 or not 0 < self.repeat_threshold <= 1:
            problems.append("repeats 的 ngram 应 ≥ 1，threshold 应在 (0, 1] 之间")
        if problems:
            raise ConfigError(f"{where} 配置有误：" + "；".join(problems))

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
