"""A 研判报告's figures, computed once from the analytics (metrics, alerts, and report.scores for the scores) and
handed to the text templates and the Word writer.

Only the parts the reader may see (analytics.access.PARTS) are computed: without "scores" no score, grade, rank
or lost points; without "problems" no problem text (typical cases, the overdue list); without "agenda" no
会商议题.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from analytics import alerts, lookback, metrics, notices
from analytics.config import ScoringConfig
from analytics.db import has_table
from analytics.errors import DashboardError
from analytics.export.snapshot import _check, data_version, scope_label
from analytics.metrics import ALL, OPEN_SQL, OVERDUE_SQL, Scope
from analytics.periods import Period
from analytics.report.scores import Scores, scores

QUARTER, UNIT, MONTH = "quarter", "unit", "month"
TITLES = {QUARTER: "政治生态分析研判报告", UNIT: "政治生态画像报告", MONTH: "问题整改情况月通报"}
NEEDED = "figures"  # a report is written from the figures: a role without them gets none
TYPICAL_WIDTH = 40  # characters of a typical case's description


@dataclass(frozen=True)
class Aspect:
    """三、八个方面: one dimension's problems (the score side is in Scores)."""

    name: str
    problems: int
    open: int
    overdue: int
    groups: list[tuple[str, int, str | None]]  # (category, problems, a typical case): the three largest


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything a report shows; attributes named as analytics.export.records expects of what it records."""

    kind: str
    period: Period
    scope: Scope
    parts: frozenset[str]
    generated_at: dt.datetime
    data_version: str
    head: dict  # metrics.headline
    previous: dict | None  # the same a quarter before (None: no ledger then)
    year_ago: dict | None
    by_source: dict[str, int]
    aspects: list[Aspect]
    scores: Scores | None  # None: the reader may not see scores
    rates_by_unit: pd.DataFrame  # metrics.breakdown by unit
    overdue: pd.DataFrame  # metrics.problems(only_overdue) (empty without "problems")
    agenda: pd.DataFrame | None  # alerts.meeting_agenda (None without "agenda")
    lookback: tuple[int, int]  # (closed problems, the 回头看 sample size)
    documents: dict[str, int] = field(default_factory=dict)  # 督办文书 by kind, where the follow-up loop exists
    # the 回头看 re-checks recorded for the quarter (checked, 整改到位, 改而复发, 需再了解), where any were
    rechecked: tuple[int, int, int, int] | None = None
    unit: str | None = None  # a 画像报告's unit
    masked: bool = False

    @property
    def scope_label(self) -> str:
        return self.unit or scope_label(self.scope)

    @property
    def who(self) -> str:
        """The subject of a sentence: 公司, 所选单位, or the unit."""
        if self.unit:
            return self.unit
        return "公司" if self.scope.units is None else "、".join(self.scope.units)

    @property
    def title(self) -> str:
        prefix = f"{self.unit}" if self.unit else ""
        return f"{prefix}{TITLES[self.kind]}（{self.period.label}）"

    def shows(self, part: str) -> bool:
        return part in self.parts


def _known(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> dict | None:
    head = metrics.headline(con, period, scope)
    return head if head["total"] else None


def aspects(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, dims: list[str],
            with_cases: bool) -> list[Aspect]:
    """Each dimension's problem counts and its three largest categories, each with its most overdue open problem
    (else its first) as a typical case when ``with_cases``."""
    if not has_table(con, "problem_state"):
        return [Aspect(d, 0, 0, 0, []) for d in dims]
    where, params = scope.where()
    params |= {"period_no": period.index}
    counts = con.execute(f"""
        SELECT dimension, count(*), count(*) FILTER (WHERE {OPEN_SQL}), count(*) FILTER (WHERE {OVERDUE_SQL})
        FROM problem_state WHERE period_no = $period_no AND {where} GROUP BY dimension
    """, params).fetchall()
    by_dim = {d: (int(t), int(o), int(v)) for d, t, o, v in counts}
    groups = con.execute(f"""
        SELECT dimension, coalesce(NULLIF(category, ''), '其他') AS cat, count(*) AS n,
               arg_min(unit, (NOT {OPEN_SQL}, deadline, problem_id)) AS unit,
               arg_min(description, (NOT {OPEN_SQL}, deadline, problem_id)) AS description
        FROM problem_state WHERE period_no = $period_no AND {where}
        GROUP BY dimension, cat
        QUALIFY row_number() OVER (PARTITION BY dimension ORDER BY n DESC, cat) <= 3
        ORDER BY dimension, n DESC, cat
    """, params).fetchall()
    listed: dict[str, list] = {}
    for d, cat, n, unit, description in groups:
        case = None
        if with_cases and description:
            text = str(description).strip().replace("“", "‘").replace("”", "’")  # quoted inside “”
            text = text if len(text) <= TYPICAL_WIDTH else text[:TYPICAL_WIDTH] + "…"
            case = f"{unit}“{text}”"
        listed.setdefault(d, []).append((str(cat), int(n), case))
    return [Aspect(d, *by_dim.get(d, (0, 0, 0)), listed.get(d, [])) for d in dims]


def _documents(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> dict[str, int]:
    """督办文书 of the quarter to the scope's units (analytics.notices): issued by kind, then their replies by state
    as of the quarter's end (回复 received, 办结, 逾期未回复); empty where none was issued."""
    if not has_table(con, "notices"):
        return {}
    units = scope.units if scope.units is not None else scope.within
    rows = con.execute("""
        SELECT kind, status, reply_by FROM notices
        WHERE period = $period AND status <> $draft AND ($units IS NULL OR list_contains($units, unit))
    """, {"period": str(period), "draft": notices.DRAFT,
          "units": list(units) if units is not None else None}).fetchall()
    if not rows:
        return {}
    out = {f"发出{kind}": sum(1 for k, _, _ in rows if k == kind) for kind in notices.KINDS
           if any(k == kind for k, _, _ in rows)}
    replied = sum(1 for _, s, _ in rows if s in (notices.REPLIED, notices.CLOSED))
    closed = sum(1 for _, s, _ in rows if s == notices.CLOSED)
    late = sum(1 for _, s, due in rows if s in notices.AWAITING and due < period.end)
    return out | {k: n for k, n in (("已回复", replied), ("其中核验办结", closed), ("逾期未回复", late)) if n}


def _rechecked(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> tuple[int, int, int, int] | None:
    """The quarter's recorded 回头看 results (analytics.lookback.summary), None when none was recorded."""
    found = lookback.summary(con, scope)
    row = found[found["period"] == str(period)]
    if row.empty:
        return None
    r = row.iloc[0]
    return int(r["checked"]), int(r["done"]), int(r["recurred"]), int(r["unclear"])


def build(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
          parts: frozenset[str], unit: str | None = None, now: dt.datetime | None = None) -> ReportData:
    """A quarter's 研判报告 (or, with ``unit``, that unit's 画像报告) of what a reader seeing ``parts`` may see;
    raises DashboardError for a period without ledgers, an unknown unit, or a reader without the figures."""
    if NEEDED not in parts:
        raise DashboardError("当前角色不能查看问题数量和整改率，无法生成研判报告")
    if unit is not None:
        scope = Scope(units=(unit,), sources=scope.sources, dimensions=scope.dimensions, within=scope.within,
                      hidden_sources=scope.hidden_sources)
    _check(con, period, scope)
    head = metrics.headline(con, period, scope)
    by_source = metrics.breakdown(con, period, "source", scope)
    dims = [*cfg.dimension_names, cfg.unclassified]
    scored = "scores" in parts
    return ReportData(
        kind=UNIT if unit else QUARTER, period=period, scope=scope, parts=frozenset(parts),
        generated_at=(now or dt.datetime.now()).replace(microsecond=0), data_version=data_version(con),
        head=head, previous=_known(con, period.previous(), scope), year_ago=_known(con, period.year_ago(), scope),
        by_source={str(s): int(n) for s, n in zip(by_source["source"], by_source["total"], strict=True) if n},
        aspects=[a for a in aspects(con, period, scope, dims, "problems" in parts)
                 if a.name != cfg.unclassified or a.problems],
        scores=scores(con, period, scope, cfg=cfg, one_unit=unit) if scored else None,
        rates_by_unit=metrics.breakdown(con, period, "unit", scope),
        overdue=metrics.problems(con, period, scope, only_overdue=True) if "problems" in parts else pd.DataFrame(),
        agenda=alerts.meeting_agenda(con, period, scope, cfg=cfg) if "agenda" in parts else None,
        lookback=(int(head["closed"]), min(int(head["closed"]), cfg.lookback_size)) if "lookback" in parts
        else (0, 0),
        documents=_documents(con, period, scope), unit=unit,
        rechecked=_rechecked(con, period, scope) if "lookback" in parts else None,
    )
