"""Warnings and follow-up (预警, 督办): deadline bands, the three warning tiers, the 会商 agenda and 回头看.

DOMAIN.md "Warnings and follow-up"; every threshold comes from ScoringConfig. "Open" means not completed
(未启动/整改中/长期整改); overdue is metrics.OVERDUE_SQL; days are counted to the period end, so a deadline
on the period end itself is due (0 days left), not overdue. A problem without a dated deadline is never
overdue and never in a band, but can still be a recurred problem.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import scoring
from analytics.config import CLOSED_STATUS, ScoringConfig
from analytics.db import has_table
from analytics.metrics import (
    ALL,
    DAYS_OVERDUE_SQL,
    LEVEL_COLUMNS,
    OPEN_SQL,
    OVERDUE_SQL,
    RECURRED_SQL,
    Scope,
    cube,
    query_arrow,
    query_frame,
)
from analytics.periods import Period

TIERS = ("工作提醒函", "工作督办单", "纪检建议书")  # level 1, 2, 3
PROBLEM, UNIT = "问题", "单位"
BAND_COLORS = ("#C62828", "#F9A825", "#2E7D32")  # overdue red, urgent yellow, notice green
# 会商议题 kinds, most weighty first: units graded poor and the problems raised one by one (each kind capped
# at agenda_top_overdue) come before the few company-wide trends, which come before the possibly many
# unit × dimension concentrations, so that no kind can crowd all the others off a short agenda
POOR_UNIT, OVERDUE, RECURRED, WORSENING, CONCENTRATED = "较差单位", "逾期问题", "复发问题", "维度恶化", "问题集中单位"
AGENDA_KINDS = (POOR_UNIT, OVERDUE, RECURRED, WORSENING, CONCENTRATED)
LOOKBACK_CHECKS = "再检查整改措施是否落实 / 再了解干部群众反映 / 再通报回头看结果"

BAND_COLUMNS = ("problem_id", "problem_code", "unit", "source", "dimension", "description", "owner", "status",
                "deadline", "days_left", "band", "band_color")
WARNING_COLUMNS = ("tier", "level", "target", "unit", "dimension", "problem_id", "problem_code", "description",
                   "rule", "figure")
AGENDA_COLUMNS = ("rank", "kind", "topic", "reason", "figures", "unit", "dimension", "problem_id")
LOOKBACK_COLUMNS = ("problem_id", "problem_code", "unit", "source", "dimension", "description", "closed_date",
                    "checks")

# A list's full rows, joined to the few rows kept after sorting slim ones. The same filters as the list's let
# DuckDB skip the blocks without a match (state.py stores open problems, then completed ones, unit by unit).
_ROWS_SQL = "SELECT * FROM problem_state WHERE period_no = $period_no AND {where} AND {only}"


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: dict, columns: tuple[str, ...],
           table: str = "problem_state") -> pd.DataFrame:
    """Run a query over problem_state (or problem_cube) through metrics.query_frame (the tens of thousands of text
    rows a big ledger gives convert several times faster than with .df()), or give the empty frame when the table
    does not exist yet."""
    if not has_table(con, table):
        return pd.DataFrame(columns=list(columns))
    return query_frame(con, sql, _used(sql, params))


def _used(sql: str, params: dict) -> dict:
    """The parameters a statement names: DuckDB refuses others, and which tiers' tests a query holds varies."""
    return {k: v for k, v in params.items() if k in set(re.findall(r"\$(\w+)", sql))}


def _notice_until(period: Period, cfg: ScoringConfig) -> dt.date:
    """The last deadline due within notice_days of the quarter's end: the bands' and the reminders' bound."""
    return period.end + dt.timedelta(days=cfg.notice_days)


def band_labels(cfg: ScoringConfig) -> tuple[str, str, str]:
    """The three deadline bands' names: 逾期, {urgent_days}天内到期, {notice_days}天内到期."""
    return "逾期", f"{cfg.urgent_days}天内到期", f"{cfg.notice_days}天内到期"


def deadline_bands(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                   limit: int | None = None) -> pd.DataFrame:
    """到期预警: open problems overdue (red) or due within notice_days (yellow within urgent_days, else green);
    most overdue first; the first ``limit`` only when given."""
    where, params = scope.where()
    # a top-N by deadline (a date bound, not days counted for each open problem); the rows kept are then read by
    # rowid, which skips reading every open problem's text as a join would
    sql = f"""
        WITH kept AS (
            SELECT rowid AS kept_row FROM problem_state
            WHERE period_no = $period_no AND {where} AND {OPEN_SQL} AND deadline <= $notice_until
            ORDER BY deadline, problem_id
            LIMIT $limit
        )
        SELECT problem_id, problem_code, unit, source, dimension, description, owner, status, deadline, days_left,
               $labels[band_no] AS band, $colors[band_no] AS band_color
        FROM (SELECT *, date_diff('day', period_end, deadline) AS days_left,
                     CASE WHEN {OVERDUE_SQL} THEN 1 WHEN date_diff('day', period_end, deadline) <= $urgent_days THEN 2
                          ELSE 3 END AS band_no
              FROM problem_state WHERE rowid IN (SELECT kept_row FROM kept))
        ORDER BY deadline, problem_id
    """
    params |= {"period_no": period.index, "urgent_days": cfg.urgent_days,
               "notice_until": _notice_until(period, cfg),
               "labels": list(band_labels(cfg)), "colors": list(BAND_COLORS), "limit": limit}
    return _query(con, sql, params, BAND_COLUMNS)


def deadline_band_count(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                        cfg: ScoringConfig) -> int:
    """How many rows deadline_bands() has without a limit."""
    if not has_table(con, "problem_state"):
        return 0
    where, params = scope.where()
    return con.execute(f"""
        SELECT count(*) FROM problem_state
        WHERE period_no = $period_no AND {where} AND {OPEN_SQL} AND deadline <= $notice_until
    """, params | {"period_no": period.index,
                   "notice_until": _notice_until(period, cfg)}).fetchone()[0]


def _level_case(recurred: str, overdue: str, od: str) -> str:
    """The highest tier an open problem reaches (NULL: none), from SQL for its recurred, overdue and days overdue."""
    return f"""CASE WHEN {recurred} OR ({overdue} AND {od} > $proposal_overdue) THEN 3
                    WHEN {overdue} AND {od} > $supervision_overdue THEN 2
                    WHEN {od} >= -$notice_days AND {od} <= $reminder_max_overdue THEN 1 END"""


# Each tier's test for one open problem of a quarter, highest first, so that each excludes the ones above it. The
# quarter's end is known, so 'more than N days overdue' is 'deadline before the end minus N days' (_level_params):
# date ranges DuckDB filters while scanning, where a CASE counting days for each of a quarter's 210,000 open
# problems took most of the time. Open statuses are 未启动, 整改中 and 长期整改 only (the importer refuses others),
# so an open problem is overdue exactly when its deadline is before the end, as OVERDUE_SQL says.
_LEVEL_SQL = {
    3: f"({RECURRED_SQL} OR deadline < $proposal_before)",
    2: f"(NOT {RECURRED_SQL} AND deadline >= $proposal_before AND deadline < $supervision_before)",
    1: f"(NOT {RECURRED_SQL} AND deadline BETWEEN $reminder_from AND $notice_until)",
}


def _open_sql(where: str) -> str:
    """The open problems of one quarter in scope (_level_params gives the parameters)."""
    return f"FROM problem_state WHERE period_no = $period_no AND {where} AND {OPEN_SQL}"


def level_thresholds(cfg: ScoringConfig) -> dict:
    """The parameters of LEVEL_RULE_SQL: the configured thresholds of the tiers."""
    return {"proposal_overdue": cfg.proposal_overdue, "supervision_overdue": cfg.supervision_overdue,
            "notice_days": cfg.notice_days, "reminder_max_overdue": cfg.reminder_max_overdue}


def _level_params(period: Period, scope: Scope, cfg: ScoringConfig) -> tuple[str, dict]:
    """The scope condition and the parameters of _LEVEL_SQL: the thresholds as dates of this quarter."""
    where, params = scope.where()
    end = period.end

    def before(days: int) -> dt.date:
        return end - dt.timedelta(days=days)

    proposal, supervision = before(cfg.proposal_overdue), before(cfg.supervision_overdue)
    # a reminder is due within notice_days or at most reminder_max_overdue days overdue, and not of a higher tier
    return where, params | {"period_no": period.index, "period_end": end, "proposal_before": proposal,
                            "supervision_before": supervision,
                            "reminder_from": max(before(cfg.reminder_max_overdue), proposal, supervision),
                            "notice_until": _notice_until(period, cfg)}


# The warning level of a problem_state row (NULL: none), level_thresholds() its parameters: problem_cube
# (analytics.derived) counts open problems per level, so that warning_counts sums a few rows instead of ranking a
# quarter's problems.
LEVEL_RULE_SQL = f"CASE WHEN {OPEN_SQL} THEN {_level_case(RECURRED_SQL, f'({OVERDUE_SQL})', DAYS_OVERDUE_SQL)} END"


_LEVEL_SUMS_SQL = ", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT)" for c in LEVEL_COLUMNS)


def _level_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> dict[int, int]:
    """Open problems in scope per warning level (1–3), summed from the cube (counted for cfg's thresholds)."""
    if not has_table(con, "problem_cube"):
        return dict.fromkeys((1, 2, 3), 0)
    where, params = scope.where()
    sums = con.execute(f"SELECT {_LEVEL_SUMS_SQL} FROM {cube(scope)} WHERE period_no = $period_no AND {where}",
                       params | {"period_no": period.index}).fetchone()
    return dict(zip((1, 2, 3), map(int, sums), strict=True))


def _problem_rule(level: int, od: int | None, recurred: bool, cfg: ScoringConfig) -> str:
    """The rule sentence of the tier a problem reached, naming every rule of that tier that fired (``od``: days
    past the deadline at the quarter's end, negative before it; None without a deadline)."""
    overdue = od is not None and od > 0
    if level == 3:
        return "；".join(([f"已逾期 {od} 天，超过 {cfg.proposal_overdue} 天"] if overdue and od > cfg.proposal_overdue
                         else []) + (["整改后又复发"] if recurred else []))
    if level == 2:
        return f"已逾期 {od} 天，超过 {cfg.supervision_overdue} 天"
    if overdue:
        return f"已逾期 {od} 天，未超过 {cfg.reminder_max_overdue} 天"
    return f"{'今日到期' if od == 0 else f'距整改时限还有 {-od} 天'}（{cfg.notice_days} 天内到期）"  # today: the end


def _concentrations(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
                    limit: int | None = None) -> pd.DataFrame:
    """问题集中: unit × dimension with at least concentration_open open problems (未归类 is not a dimension),
    most open, then most overdue first."""
    where, params = scope.where()
    sql = f"""
        SELECT unit, dimension, CAST(sum(open) AS BIGINT) AS open_problems, CAST(sum(overdue) AS BIGINT) AS overdue
        FROM {cube(scope, "unit")}
        WHERE period_no = $period_no AND {where} AND open > 0 AND list_contains($dims, dimension)
        GROUP BY unit, dimension
        HAVING sum(open) >= $min_open
        ORDER BY open_problems DESC, overdue DESC, unit, dimension
        LIMIT $limit
    """
    params |= {"period_no": period.index, "dims": list(scoring.scored_dimensions(scope, cfg)),
               "min_open": cfg.concentration_open, "limit": limit}
    return _query(con, sql, params, ("unit", "dimension", "open_problems", "overdue"), "problem_cube")


def concentrations(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """问题集中 unit × dimension, all of them, in order: read once by a page that both warns and sets the agenda."""
    return _concentrations(con, period, scope, cfg)


def _poor_units(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
                units: pd.DataFrame | None = None) -> pd.DataFrame:
    units = scoring.unit_scores(con, period, scope, cfg=cfg) if units is None else units
    return units[units["grade"] == cfg.proposal_grade].reset_index(drop=True)


def _concentration_rule(unit: str, dimension: str, count: int, cfg: ScoringConfig) -> str:
    return f"单位「{unit}」在「{dimension}」维度有 {count} 个未完成问题（≥{cfg.concentration_open}）"


def _grade_rule(score: float, grade: str) -> str:
    return f"单位综合得分 {score:.1f}，评为{grade}"


def _unit_warnings(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
                   units: pd.DataFrame | None, concentrated: pd.DataFrame | None = None) -> pa.Table:
    """督办单 for concentrated unit × dimension, 建议书 for units graded proposal_grade, as warnings() rows."""
    if concentrated is None:
        concentrated = _concentrations(con, period, scope, cfg)
    poor = _poor_units(con, period, scope, cfg, units)
    # zipped columns, not itertuples: a big company has over a thousand concentrations (9 → 3 ms for 1,600)
    counts, scores = concentrated["open_problems"].tolist(), poor["score"].tolist()
    unit_names, dimensions = concentrated["unit"].tolist(), concentrated["dimension"].tolist()
    rules = [_concentration_rule(unit, dim, n, cfg)
             for unit, dim, n in zip(unit_names, dimensions, counts, strict=True)]
    rules += [_grade_rule(score, grade) for score, grade in zip(scores, poor["grade"].tolist(), strict=True)]
    return _warning_table(level=[2] * len(counts) + [3] * len(scores), target=[UNIT] * len(rules),
                          unit=unit_names + poor["unit"].tolist(), dimension=dimensions + [None] * len(scores),
                          rule=rules, figure=[float(n) for n in counts] + [float(x) for x in scores])


_WARNING_TYPES = {"level": pa.int32(), "target": pa.string(), "unit": pa.string(), "dimension": pa.string(),
                  "problem_id": pa.int64(), "problem_code": pa.string(), "description": pa.string(),
                  "rule": pa.string(), "figure": pa.float64()}


_WARNING_ORDER = (("level", "descending"), ("figure", "descending"), ("problem_id", "ascending"),
                  ("unit", "ascending"), ("dimension", "ascending"))


def _warning_table(**columns: list | pa.Array) -> pa.Table:
    """warnings() rows (but their tier) as Arrow; columns not given are empty."""
    size = len(columns["level"])
    return pa.table({c: columns[c] if isinstance(columns.get(c), pa.Array | pa.ChunkedArray) else
                     pa.array(columns.get(c, [None] * size), t) for c, t in _WARNING_TYPES.items()})


def warnings(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
             limit: int | None = None, tier: str | None = None, per_tier: bool = False,
             units: pd.DataFrame | None = None) -> pd.DataFrame:
    """预警: 工作提醒函 (level 1), 工作督办单 (2), 纪检建议书 (3), each row with the rule that fired.

    A problem gets only its highest tier; figure is its days overdue (negative: days left; empty without a
    deadline), or for a unit the open-problem count or the unit score. Sorted by level, then figure, descending
    (ties: problems by id, then units by name and dimension). ``limit`` keeps the first rows overall, or of
    each tier with ``per_tier``. ``units``: the quarter's unit_scores(), when the caller has them already.
    """
    return _warnings(con, period, scope, cfg, limit, tier, per_tier, units, None)[0]


def warnings_and_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                        cfg: ScoringConfig, limit: int | None = None, per_tier: bool = False,
                        units: pd.DataFrame | None = None,
                        concentrated: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """warnings() and warning_counts() with the unit rows made once. ``concentrated``: the quarter's
    concentrations(), when the caller has them already."""
    rows, unit_rows = _warnings(con, period, scope, cfg, limit, None, per_tier, units, concentrated)
    return rows, _tier_counts(_level_counts(con, period, scope), unit_rows["level"].to_pylist())


def _tier_counts(problems: dict[int, int], unit_levels: list[int]) -> dict[str, int]:
    """Warnings per tier: the problems per level, and a unit row's level each."""
    counts = {tier: problems[level] for level, tier in enumerate(TIERS, start=1)}
    for level in unit_levels:
        counts[TIERS[level - 1]] += 1
    return counts


def split_tiers(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of warnings() by tier: tier name → its rows."""
    levels = rows["level"].to_numpy()  # the tier's number: comparing integers, not text
    return {tier: rows[levels == n].reset_index(drop=True) for n, tier in enumerate(TIERS, start=1)}


def _warnings(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
              limit: int | None, tier: str | None, per_tier: bool, units: pd.DataFrame | None,
              concentrated: pd.DataFrame | None) -> tuple[pd.DataFrame, pa.Table]:
    """warnings(), and the unit rows (督办单 and 建议书 for units) it was made with, before the cut."""
    unit_rows = _unit_warnings(con, period, scope, cfg, units, concentrated)
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(WARNING_COLUMNS)).astype({"problem_id": "Int64"}), unit_rows
    levels = (3, 2, 1) if tier is None else (TIERS.index(tier) + 1,)
    found = _warned_problems(con, period, scope, cfg, levels, limit, per_tier)
    od = found["od"]
    problems = _warning_table(
        level=found["level"], target=[PROBLEM] * len(found), unit=found["unit"], dimension=found["dimension"],
        problem_id=found["problem_id"], problem_code=found["problem_code"], description=found["description"],
        rule=[_problem_rule(*row, cfg) for row in zip(found["level"].to_pylist(), od.to_pylist(),
                                                       found["recurred"].to_pylist(), strict=True)],
        figure=pc.cast(od, pa.float64()))
    rows = pa.concat_tables([problems, unit_rows.filter(pc.is_in(unit_rows["level"], pa.array(levels, pa.int32())))])
    # most weighty first: level, then figure (days overdue, open problems or score), ties by problem, unit and
    # dimension, empty values last, as DuckDB sorted them when the unit rows joined the problem rows in SQL
    rows = rows.take(pc.sort_indices(rows, [(c, order, "at_end") for c, order in _WARNING_ORDER]))
    if limit is not None:
        level = rows["level"].to_numpy()
        # rows before this one at its level: the levels come in runs, highest first
        within = np.arange(len(level)) - np.searchsorted(-level, -level) if per_tier else np.arange(len(level))
        rows = rows.filter(pa.array(within < limit))
    tiers = pc.take(pa.array(TIERS, pa.string()), pc.subtract(rows["level"], 1))
    out = rows.add_column(0, "tier", tiers).to_pandas()
    out["problem_id"] = out["problem_id"].astype("Int64")
    return out, unit_rows


def _warned_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
                     levels: tuple[int, ...], limit: int | None, per_tier: bool) -> pa.Table:
    """The open problems warned at these levels, most days overdue first (none last): the first ``limit`` of
    each level with ``per_tier``, else overall, as Arrow: level, problem_id, unit, dimension, problem_code,
    description, recurred, and od: days past the deadline at the quarter's end."""
    where, params = _level_params(period, scope, cfg)
    # Cut first as rows of numbers, each level its own top-N over the quarter's open problems (cheaper than
    # materialising them once to share); the text is read for the rows kept.
    slim_order = "deadline ASC NULLS LAST, problem_id"
    if per_tier:
        top = " UNION ALL ".join(f"(SELECT {lv} AS level, problem_id {_open_sql(where)} AND {_LEVEL_SQL[lv]} "
                                 f"ORDER BY {slim_order} LIMIT $limit)" for lv in levels)
    else:
        level = " ".join(f"WHEN {_LEVEL_SQL[lv]} THEN {lv}" for lv in levels)
        top = (f"SELECT level, problem_id FROM (SELECT CASE {level} END AS level, problem_id, deadline "
               f"{_open_sql(where)}) WHERE level IS NOT NULL ORDER BY level DESC, {slim_order} LIMIT $limit")
    sql = f"""
        WITH kept AS ({top})
        SELECT level, problem_id, unit, dimension, problem_code, description, {RECURRED_SQL} AS recurred,
               {DAYS_OVERDUE_SQL} AS od
        FROM kept JOIN ({_ROWS_SQL.format(where=where, only=OPEN_SQL)}) USING (problem_id)
    """
    return query_arrow(con, sql, _used(sql, params | {"limit": limit}))


def warnings_by_tier(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                     limit: int | None = None, units: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The first ``limit`` warnings of each tier, from one query; tier name → rows as warnings() gives them."""
    return split_tiers(warnings(con, period, scope, cfg=cfg, limit=limit, per_tier=True, units=units))


def reminders(con: duckdb.DuckDBPyConnection, period: Period, rows: pd.DataFrame) -> pd.DataFrame:
    """工作提醒函 as sent to the unit: the first tier's problem rows of warnings() with each problem's 整改时限 and
    days left at the quarter's end (negative: overdue), without the rule that fired (the 纪委's own reasoning)."""
    rows = rows[(rows["level"] == 1) & (rows["target"] == PROBLEM)]
    rows = rows[["tier", "unit", "dimension", "problem_id", "problem_code", "description"]].reset_index(drop=True)
    found = query_frame(con, """
        SELECT problem_id, deadline, date_diff('day', period_end, deadline) AS days_left
        FROM problem_state WHERE period_no = $period_no AND list_contains($ids, problem_id)
    """, {"period_no": period.index, "ids": [int(i) for i in rows["problem_id"].dropna()]})
    return rows.merge(found, on="problem_id", how="left")


def warning_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                   units: pd.DataFrame | None = None) -> dict[str, int]:
    """预警数: how many rows warnings() has per tier, counted without building the rule sentences."""
    unit_levels = ([2] * len(_concentrations(con, period, scope, cfg))
                   + [3] * len(_poor_units(con, period, scope, cfg, units)))
    return _tier_counts(_level_counts(con, period, scope), unit_levels)


def _short(text: object, width: int = 20) -> str:
    text = "" if pd.isna(text) else str(text)
    return text if len(text) <= width else text[:width] + "…"


def _label(code: object, description: object) -> str:
    return " ".join(p for p in ((None if pd.isna(code) else str(code)), _short(description)) if p)


def _agenda_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope,
                     top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``top`` most overdue open problems, and the 2 × ``top`` most overdue recurred ones (not overdue: last,
    by id); each list a top-N by deadline over the open problems, the text read for the rows kept."""
    where, params = scope.where()
    # an open problem is overdue exactly when its deadline is before the end (see _LEVEL_SQL); the overdue list is
    # ordered by the deadline column itself, so that DuckDB's top-N can skip rows by it while scanning
    lists = " UNION ALL ".join(
        f"""(SELECT {n} AS list, problem_id, {since} AS overdue_since
             FROM problem_state WHERE period_no = $period_no AND {where} AND {OPEN_SQL} AND {only}
             ORDER BY {order}, problem_id LIMIT {size})"""
        for n, since, only, order, size in (
            (1, "deadline", "deadline < $period_end", "deadline", "$top"),
            (2, "CASE WHEN deadline < $period_end THEN deadline END", "recurred", "overdue_since NULLS LAST",
             "2 * $top")))
    sql = f"""
        WITH kept AS ({lists})
        SELECT list, problem_id, problem_code, unit, dimension, description, severity, {RECURRED_SQL} AS recurred,
               coalesce(date_diff('day', overdue_since, period_end), 0) AS days_overdue
        FROM kept JOIN ({_ROWS_SQL.format(where=where, only=OPEN_SQL)}) USING (problem_id)
        ORDER BY list, overdue_since NULLS LAST, problem_id
    """
    rows = _query(con, sql, params | {"period_no": period.index, "period_end": period.end, "top": top},
                  ("list", "problem_id", "problem_code", "unit", "dimension", "description", "severity", "recurred",
                   "days_overdue"))
    return tuple(rows[rows["list"] == n].drop(columns="list").reset_index(drop=True) for n in (1, 2))


def _item(kind: str, topic: str, reason: str, figures: str, key: tuple[float, float], unit: object = None,
          dimension: object = None, problem_id: object = None) -> dict:
    return {"kind": kind, "topic": topic, "reason": reason, "figures": figures, "unit": unit, "dimension": dimension,
            "problem_id": problem_id, "_weight": len(AGENDA_KINDS) - AGENDA_KINDS.index(kind), "_k1": key[0],
            "_k2": key[1]}


def _overdue_items(top: pd.DataFrame, cfg: ScoringConfig) -> list[dict]:
    return [_item(OVERDUE, f"逾期未整改：{_label(r.problem_code, r.description)}",
                  f"已逾期 {r.days_overdue} 天，逾期时间居本期第 {r.Index + 1} 位",
                  f"逾期 {r.days_overdue} 天；责任单位 {r.unit}；问题性质 {scoring.severity_used(r.severity, cfg)}"
                  + ("；改而复发" if r.recurred else ""),
                  (r.days_overdue, 0), r.unit, r.dimension, r.problem_id) for r in top.itertuples()]


def _recurred_items(found: pd.DataFrame, cfg: ScoringConfig, raised: set[int]) -> list[dict]:
    """The agenda_top_overdue first recurred problems not already raised as overdue (found holds enough)."""
    return [_item(RECURRED, f"改而复发：{_label(r.problem_code, r.description)}",
                  "整改后又复发，需分析复发原因、压实整改责任",
                  f"责任单位 {r.unit}；问题性质 {scoring.severity_used(r.severity, cfg)}"
                  + (f"；逾期 {r.days_overdue} 天" if r.days_overdue > 0 else ""),
                  (r.days_overdue, 0), r.unit, r.dimension, r.problem_id)
            for r in found.itertuples() if r.problem_id not in raised][:cfg.agenda_top_overdue]


def _poor_unit_items(units: pd.DataFrame, dims: tuple[str, ...], cfg: ScoringConfig) -> list[dict]:
    items = []
    for r in units[units["grade"] == cfg.proposal_grade].to_dict("records"):
        worst = min(dims, key=lambda d: r[d])
        items.append(_item(POOR_UNIT, f"{r['unit']}政治生态评为{r['grade']}", _grade_rule(r["score"], r["grade"]),
                           f"综合得分 {r['score']:.1f}；最低维度「{worst}」{r[worst]:.1f} 分",
                           (-r["score"], 0), r["unit"]))
    return items


def _concentration_items(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig,
                         concentrated: pd.DataFrame | None) -> list[dict]:
    # no more than agenda_max_items can show: the first of the full list, or only as many read
    concentrated = (_concentrations(con, period, scope, cfg, cfg.agenda_max_items) if concentrated is None
                    else concentrated.head(cfg.agenda_max_items))
    return [_item(CONCENTRATED, f"{r.unit}「{r.dimension}」问题集中",
                  _concentration_rule(r.unit, r.dimension, r.open_problems, cfg),
                  f"未完成问题 {r.open_problems} 个；其中逾期 {r.overdue} 个", (r.open_problems, r.overdue),
                  r.unit, r.dimension)
            for r in concentrated.itertuples()]


def _open_by_dimension(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope,
                       dims: tuple[str, ...]) -> dict[tuple[int, str], int]:
    """Open problems per (period_no, dimension), this quarter and the one before."""
    where, params = scope.where()
    sql = f"""
        SELECT period_no, dimension, CAST(sum(open) AS BIGINT) AS n FROM {cube(scope)}
        WHERE period_no BETWEEN $first_no AND $last_no AND {where} AND list_contains($dims, dimension)
        GROUP BY period_no, dimension
    """
    params |= {"first_no": period.index - 1, "last_no": period.index, "dims": list(dims)}
    frame = _query(con, sql, params, ("period_no", "dimension", "n"), "problem_cube")
    return {(int(p), d): int(n) for p, d, n in zip(frame["period_no"], frame["dimension"], frame["n"], strict=True)}


def _worsening_items(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, dims: tuple[str, ...],
                     before: dict, now: dict) -> list[dict]:
    """维度恶化: against the previous quarter, more open problems or a lower company dimension score."""
    if before["score"] is None or now["score"] is None:
        return []  # nothing to compare with
    prev = period.previous()
    counts = _open_by_dimension(con, period, scope, dims)
    items = []
    for dim in dims:
        a, b = counts.get((prev.index, dim), 0), counts.get((period.index, dim), 0)
        x, y = before["dimensions"][dim], now["dimensions"][dim]
        worse = [text for text, fired in (("未完成问题增加", b > a), ("维度得分下降", y < x)) if fired]
        if worse:
            items.append(_item(WORSENING, f"「{dim}」维度较上季度恶化", f"较{prev.label}，{'、'.join(worse)}",
                               f"未完成问题 {a} → {b} 个；公司维度得分 {x:.1f} → {y:.1f}", (x - y, b - a),
                               dimension=dim))
    return items


def meeting_agenda(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                   raw: pd.DataFrame | None = None, units: pd.DataFrame | None = None,
                   concentrated: pd.DataFrame | None = None) -> pd.DataFrame:
    """会商议题建议清单, at most agenda_max_items, ranked by kind in AGENDA_KINDS order, then within a kind:

    较差单位 lowest score first; 逾期问题 (the agenda_top_overdue most overdue open problems) and 复发问题 (as
    many recurred open ones not already raised) most days overdue first; 维度恶化 (more open problems or a lower
    company dimension score than the quarter before) largest score drop, then largest rise in open problems
    first; 问题集中单位 most open, then most overdue problems first. Remaining ties: unit, dimension, problem id.
    ``raw``: raw_scores() of the previous quarter and this one, ``units``: rank_units() of this quarter's, and
    ``concentrated``: concentrations(), when the caller has them already.
    """
    dims = scoring.scored_dimensions(scope, cfg)
    prev = period.previous()
    if raw is None:
        raw = scoring.raw_scores(con, prev, period, scope, cfg=cfg)  # both quarters in one pass
    raw_now, raw_before = scoring.one_quarter(raw, period), scoring.one_quarter(raw, prev)
    most_overdue, recurred = _agenda_problems(con, period, scope, cfg.agenda_top_overdue)
    overdue = _overdue_items(most_overdue, cfg)
    items = [*overdue, *_recurred_items(recurred, cfg, {i["problem_id"] for i in overdue}),
             *_poor_unit_items(scoring.rank_units(raw_now, scope, cfg=cfg) if units is None else units, dims, cfg),
             *_concentration_items(con, period, scope, cfg, concentrated),
             *_worsening_items(con, period, scope, dims, scoring.company_of(raw_before, cfg),
                               scoring.company_of(raw_now, cfg))]
    if not items or cfg.agenda_max_items == 0:
        return pd.DataFrame(columns=list(AGENDA_COLUMNS))
    frame = pd.DataFrame(items).sort_values(
        ["_weight", "_k1", "_k2", "unit", "dimension", "problem_id"],
        ascending=[False, False, False, True, True, True], na_position="last", ignore_index=True,
    ).head(cfg.agenda_max_items)
    frame["rank"] = range(1, len(frame) + 1)
    frame["problem_id"] = frame["problem_id"].astype("Int64")
    return frame[list(AGENDA_COLUMNS)]


# 回头看's order: problems ranked by md5 of "seed:problem_id" (analytics.derived keeps the ranks in lookback_draws)
LOOKBACK_ORDER_SQL = "md5_number(CAST($seed AS VARCHAR) || ':' || CAST(problem_id AS VARCHAR)), problem_id"


def lookback_sample(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, size: int | None = None, *,
                    cfg: ScoringConfig) -> pd.DataFrame:
    """回头看: a reproducible random draw of problems 已销号 as of the period, in LOOKBACK_ORDER_SQL's order for cfg's
    seed, cfg's sample size unless ``size`` is given.

    Same data and seed, same sample: md5, unlike hash(), cannot change between DuckDB versions (md5_number is
    the same digest as a number, cheaper to sort than its hex text).
    """
    size = cfg.lookback_size if size is None else max(size, 0)
    if not has_table(con, "lookback_draws"):
        return pd.DataFrame(columns=list(LOOKBACK_COLUMNS))
    return _ranked_sample(con, period, scope, size)


def _ranked_sample(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, size: int) -> pd.DataFrame:
    """lookback_sample() from the precomputed order: closed problems among the first ``reach`` ranks, reach grown
    until it holds ``size`` of them (it starts at about twice what the share of closed problems needs)."""
    where, params = scope.where()
    params |= {"period_no": period.index}
    total = con.execute("SELECT count(*) FROM lookback_draws").fetchone()[0]
    closed = con.execute(f"SELECT coalesce(sum(closed), 0) FROM {cube(scope)} WHERE period_no = $period_no "
                         f"AND {where}", params).fetchone()[0]
    params |= {"closed": CLOSED_STATUS, "size": size, "checks": LOOKBACK_CHECKS}
    reach = total if closed <= size else min(total, 2 * size * total // closed + 64)
    # one join: the first ranks are a few hundred rows, which the quarter's closed problems are matched against
    sql = f"""
        SELECT problem_id, problem_code, unit, source, dimension, description, completed_on AS closed_date,
               concat_ws('；', CASE WHEN closed_date IS NULL THEN '销号时间未填，核实销号依据' END,
                         CASE WHEN recurred THEN '曾改而复发，重点核查是否反弹' END, $checks) AS checks
        FROM problem_state JOIN (SELECT problem_id, draw FROM lookback_draws WHERE draw <= $reach) USING (problem_id)
        WHERE period_no = $period_no AND NOT {OPEN_SQL} AND {where} AND status = $closed
        ORDER BY draw
        LIMIT $size
    """
    while True:
        out = _query(con, sql, params | {"reach": reach}, LOOKBACK_COLUMNS)
        if len(out) >= size or reach >= total:
            return out
        reach = min(total, reach * 4)
