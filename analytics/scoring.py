"""Eight-dimension scores and grades (政治生态评分) per unit and quarter, in SQL: scores from ``score_grid`` (each
quarter × unit × dimension's points per indicator and 评分表 score, analytics.derived), or with a source filter
from ``problem_cube`` (problems counted per quarter × unit × source × dimension × severity), the 扣分明细 behind
a score from ``problem_state`` (one row per problem).

The model (README "Scores, warnings and the meeting agenda"; every number comes from ScoringConfig): each unit ×
dimension starts at ``start``; each indicator of the dimension takes points off (per open problem by severity,
per overdue and per recurred problem, for a 按期整改率 or 销号率 below its threshold) or adds them (加分: problems
a unit found itself, typical cases closed), each never more than its cap; the result stays within floor..start.
未归类 problems count for nothing. Where the 评分表 has scores for the quarter, score = (1 − w) × computed + w ×
assessed, assessed being the raters' weighted mean of each 评价方式's latest import. A unit's score is the
weighted mean of its dimension scores (the dimensions' weights); the company's dimension score is the mean over
units, its total their weighted mean. A unit's grade is that of its rounded score, unless a grade limit (等次封顶:
纪检建议书-tier problems, concentrated problems) holds it lower; its colour code (绿/黄/红) is its grade's.

Units scored in a quarter: every unit with a problem in it (within the scope's units) and every unit in
its 评分表. With ``scope.dimensions`` only those dimensions are scored and averaged. Figures are rounded
to one decimal on output only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from analytics.config import CLOSED_STATUS, Indicator, ScoringConfig
from analytics.db import has_table
from analytics.metrics import ALL, DAYS_OVERDUE_SQL, OPEN_SQL, OVERDUE_SQL, RECURRED_SQL, Scope, query_frame
from analytics.periods import Period

# points of one problem_state row (one problem), for 扣分明细: an indicator not applying to the problem's dimension
# gives none
_SEVERITY_POINTS_SQL = ("CASE WHEN list_contains($severity_dims, dimension) THEN "
                        "coalesce($severity_points[list_position($severity_names, severity)], $default_points) "
                        "ELSE 0 END")
_OVERDUE_POINTS_SQL = (f"CASE WHEN {OVERDUE_SQL} AND list_contains($overdue_dims, dimension) THEN $overdue_points "
                       "ELSE 0 END")
_RECURRED_POINTS_SQL = ("CASE WHEN recurred AND list_contains($recurred_dims, dimension) THEN $recurred_points "
                        "ELSE 0 END")
# open at the period end and in a scored dimension ($dims never holds 未归类)
_DEDUCTS_SQL = f"{OPEN_SQL} AND list_contains($dims, dimension)"
_NO_CAP = 1e18

DIMENSION_COLUMNS = ("unit", "dimension", "computed", "assessed", "score", "deduction", "open_problems", "grade",
                     "color", "bonus", "code")
DEDUCTION_COLUMNS = ("problem_id", "problem_code", "description", "dimension", "status", "severity", "deadline",
                     "days_overdue", "recurred", "severity_points", "overdue_points", "recurred_points", "points",
                     "rule")
HISTORY_COLUMNS = ("period", "unit", "dimension", "score")
RAW_COLUMNS = ("period_no", "unit", "dimension", "deduction", "bonus", "points", "open_problems", "proposal_problems",
               "computed", "assessed", "score")
UNIT_EXTRA_COLUMNS = ("code", "limited_by")  # after rank_units' dimension columns
LOSS_COLUMNS = ("indicator", "rule", "bonus", "points", "share")


def scored_dimensions(scope: Scope, cfg: ScoringConfig) -> tuple[str, ...]:
    """The configured dimensions a scope scores, in configured order."""
    return tuple(d for d in cfg.dimension_names if scope.dimensions is None or d in scope.dimensions)


def severity_used(severity: object, cfg: ScoringConfig) -> str:
    """问题性质 as scored: the ledger's when it has points configured, else the default (一般)."""
    return severity if isinstance(severity, str) and severity in cfg.severity_points else cfg.default_severity


def _dims_of(indicator: Indicator | None, cfg: ScoringConfig) -> list[str]:
    if indicator is None:
        return []
    return list(indicator.dimensions if indicator.dimensions is not None else cfg.dimension_names)


def point_params(cfg: ScoringConfig, dims: tuple[str, ...]) -> dict:
    """The parameters of the per-problem points SQL above: the points per severity, overdue and recurred, the
    dimensions each applies to, and the dimensions scored."""
    return {"severity_names": list(cfg.severity_points), "severity_points": list(cfg.severity_points.values()),
            "default_points": cfg.severity_points.get(cfg.default_severity, 0.0),
            "overdue_points": cfg.overdue_points, "recurred_points": cfg.recurred_points,
            "severity_dims": _dims_of(cfg.indicator("severity"), cfg),
            "overdue_dims": _dims_of(cfg.indicator("overdue"), cfg),
            "recurred_dims": _dims_of(cfg.indicator("recurred"), cfg), "dims": list(dims)}


def _period_filter(quarters: tuple[int, int] | None) -> tuple[str, dict]:
    if quarters is None:
        return "TRUE", {}
    return "period_no BETWEEN $first_no AND $last_no", {"first_no": quarters[0], "last_no": quarters[1]}


# each method's latest 评分表 score per quarter × unit × dimension (also how analytics.derived fills score_grid)
ASSESSMENTS_SQL = """
    SELECT period_no, unit, dimension, method, score FROM unit_assessments
    WHERE {period_where} AND {units_where} {only_problem_quarters}
    QUALIFY row_number() OVER (PARTITION BY period_no, unit, dimension, method
                               ORDER BY import_id DESC, excel_row DESC) = 1
"""
# the raters' weighted mean of those (NULL when every method present weighs 0)
ASSESSED_SQL = """
    SELECT period_no, unit, dimension, sum(w * score) / nullif(sum(w), 0) AS assessed
    FROM (SELECT *, coalesce($rater_weights[list_position($rater_methods, method)], $other_weight) AS w FROM latest)
    GROUP BY ALL
"""

_SCORE_SQL = "CASE WHEN assessed IS NULL THEN computed ELSE (1 - $weight) * computed + $weight * assessed END"

_COUNTED = {"new": "new", "closed_this_period": "closed_this_period", "total": "total"}


def _raw_points_sql(k: int, ind: Indicator) -> str | None:
    """An indicator's uncapped points summed over a unit × dimension's cube rows (None: a rate, taken later)."""
    if ind.rule == "severity":
        return (f"sum(open * coalesce($i{k}_points[list_position($i{k}_names, coalesce(severity, $default_severity))],"
                f" $i{k}_default))")
    if ind.rule == "overdue":
        return f"sum(overdue) * $i{k}_point"
    if ind.rule == "recurred":
        return f"sum(open_recurred) * $i{k}_point"
    if ind.is_bonus:
        sources = f"list_contains($i{k}_sources, source)" if ind.sources else "TRUE"
        severities = (f"list_contains($i{k}_severities, coalesce(severity, $default_severity))"
                      if ind.severities else "TRUE")
        return f"coalesce(sum({_COUNTED[ind.count]}) FILTER (WHERE {sources} AND {severities}), 0) * $i{k}_point"
    return None


def _capped_sql(k: int, ind: Indicator) -> str:
    """An indicator's points for one grid row: nothing outside its dimensions, never above its cap."""
    if ind.rule in ("on_time_rate", "closure_rate"):
        num, den = ("on_time", "due") if ind.rule == "on_time_rate" else ("closed", "total")
        prefix = "u_" if ind.over == "unit" else "d_"
        rate = f"({prefix}{num} / {prefix}{den})"
        lost = f"$i{k}_per_point * ($i{k}_below - {rate}) * 100" if ind.per_point is not None else f"$i{k}_point"
        raw = f"CASE WHEN {prefix}{den} > 0 AND {rate} < $i{k}_below THEN {lost} ELSE 0 END"
    else:
        raw = f"coalesce(i{k}, 0)"
    return f"CASE WHEN list_contains($i{k}_dims, dimension) THEN least({raw}, $i{k}_cap) ELSE 0 END"


def indicator_params(cfg: ScoringConfig) -> dict:
    """The parameters of grid_sql(): each indicator's points, cap, threshold and dimensions, the raters'
    weights."""
    params: dict = {"default_severity": cfg.default_severity,
                    # a sentinel method keeps the list typed as text when there are no raters
                    "rater_methods": ["\x00", *(r.method for r in cfg.raters)],
                    "rater_weights": [1.0, *(r.weight for r in cfg.raters)],
                    "other_weight": cfg.other_rater_weight if cfg.raters else 1.0}
    for k, ind in enumerate(cfg.indicators):
        params[f"i{k}_dims"] = _dims_of(ind, cfg)
        params[f"i{k}_cap"] = _NO_CAP if ind.cap is None else ind.cap
        if ind.rule == "severity":
            points = dict(ind.severity_points)
            params |= {f"i{k}_names": list(points), f"i{k}_points": list(points.values()),
                       f"i{k}_default": points.get(cfg.default_severity, 0.0)}
        else:
            params[f"i{k}_point"] = ind.points
        if ind.below is not None:
            params[f"i{k}_below"] = ind.below
            if ind.per_point is not None:
                params[f"i{k}_per_point"] = ind.per_point
        if ind.sources:
            params[f"i{k}_sources"] = list(ind.sources)
        if ind.severities:
            params[f"i{k}_severities"] = list(ind.severities)
    return params


def grid_sql(cfg: ScoringConfig, cube_table: str, where: str, period_where: str, units_where: str,
             every_quarter: bool) -> str:
    """The score grid's query: one row per quarter × unit × scored dimension ($dims) with each indicator's capped
    points (``points``, in cfg.indicators' order), their sums as deduction and bonus, the open and
    纪检建议书-tier problems, and the raters' score. ``cube_table`` is problem_cube (or a scoped view of it),
    ``where`` its filter; units are those with problems there and those in the 评分表 (every quarter's when
    ``every_quarter`` is False, else only quarters with problems). analytics.derived stores it as score_grid."""
    raws = [(k, sql) for k, ind in enumerate(cfg.indicators) if (sql := _raw_points_sql(k, ind)) is not None]
    raw_columns = "".join(f", {sql} AS i{k}" for k, sql in raws)
    capped = [_capped_sql(k, ind) for k, ind in enumerate(cfg.indicators)]
    lost = " + ".join(c for c, ind in zip(capped, cfg.indicators, strict=True) if not ind.is_bonus) or "0"
    gained = " + ".join(c for c, ind in zip(capped, cfg.indicators, strict=True) if ind.is_bonus) or "0"
    assessments = ASSESSMENTS_SQL.format(
        period_where=period_where, units_where=units_where,
        only_problem_quarters="AND period_no IN (SELECT period_no FROM problem_units)" if every_quarter else "")
    return f"""
        WITH cube_rows AS (SELECT * FROM {cube_table} WHERE {period_where} AND {units_where} AND {where}),
        -- the unit set ignores source/dimension filters
        problem_units AS (SELECT DISTINCT period_no, unit FROM {cube_table} WHERE {period_where} AND {units_where}),
        latest AS ({assessments}),
        assessed AS ({ASSESSED_SQL}),
        units AS (
            SELECT period_no, unit, bool_or(has_problems) AS has_problems FROM (
                SELECT period_no, unit, true AS has_problems FROM problem_units
                UNION ALL SELECT period_no, unit, false FROM latest)
            GROUP BY period_no, unit
        ),
        by_dim AS (
            SELECT period_no, unit, dimension, CAST(sum(open) AS BIGINT) AS open_problems,
                   CAST(sum(level_3) AS BIGINT) AS proposal_problems,
                   sum(due) AS d_due, sum(on_time) AS d_on_time, sum(total) AS d_total, sum(closed) AS d_closed
                   {raw_columns}
            FROM cube_rows WHERE list_contains($dims, dimension)
            GROUP BY period_no, unit, dimension
        ),
        by_unit AS (
            SELECT period_no, unit, sum(due) AS u_due, sum(on_time) AS u_on_time, sum(total) AS u_total,
                   sum(closed) AS u_closed
            FROM cube_rows GROUP BY period_no, unit
        ),
        grid AS (
            SELECT period_no, unit, dimension, has_problems,
                   coalesce(open_problems, 0) AS open_problems, coalesce(proposal_problems, 0) AS proposal_problems,
                   list_value({", ".join(f"CAST({c} AS DOUBLE)" for c in capped)}) AS points,
                   CAST({lost} AS DOUBLE) AS deduction, CAST({gained} AS DOUBLE) AS bonus, assessed
            FROM units CROSS JOIN (SELECT unnest($dims) AS dimension)
            LEFT JOIN by_dim USING (period_no, unit, dimension)
            LEFT JOIN by_unit USING (period_no, unit)
            LEFT JOIN assessed USING (period_no, unit, dimension)
        )
        SELECT * FROM grid ORDER BY period_no, unit, list_position($dims, dimension)
    """


# the code that makes grid_sql's statement (analytics.derived stamps score_grid with it)
GRID_CODE = (_raw_points_sql, _capped_sql, indicator_params, grid_sql)


def grid_basis(cfg: ScoringConfig) -> object:
    """What of cfg score_grid is built with (analytics.derived's stamp): dimensions, indicators, raters."""
    return [list(cfg.dimension_names), cfg.default_severity, [dataclasses.asdict(i) for i in cfg.indicators],
            [dataclasses.asdict(r) for r in cfg.raters], cfg.other_rater_weight]


def used_params(sql: str, params: dict) -> dict:
    """The parameters a statement names: DuckDB refuses others, and which ones an indicator list needs varies."""
    named = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in named}


def raw_scores(con: duckdb.DuckDBPyConnection, first: Period | None = None, last: Period | None = None,
               scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """Unrounded scores per period_no × unit × scored dimension for quarters first..last (None: every quarter
    with problem data), sorted; the building block of the rounded figures below. Columns RAW_COLUMNS: ``points``
    holds each indicator's capped points (cfg.indicators' order), ``deduction`` and ``bonus`` their sums.

    One query over score_grid (analytics.derived: written for cfg's indicators), or, with a source filter, the
    same grid computed from problem_cube for the scope, since score_grid keeps no source.
    """
    dims = scored_dimensions(scope, cfg)
    if not dims or not has_table(con, "problem_cube"):
        return pd.DataFrame(columns=list(RAW_COLUMNS))
    # the unit set ignores source/dimension filters
    units_where, units_params = Scope(units=scope.units, within=scope.within).where()
    period_where, period_params = _period_filter(None if first is None else (first.index, (last or first).index))
    params = units_params | period_params | {"start": cfg.start, "floor": cfg.floor,
                                             "weight": cfg.assessment_weight, "dims": list(dims)}
    if not scope.by_source:
        quarters = (f"AND period_no IN (SELECT period_no FROM score_grid WHERE has_problems AND {units_where})"
                    if first is None else "")
        grid = f"""SELECT * FROM score_grid WHERE {period_where} AND {units_where}
                   AND list_contains($dims, dimension) {quarters}"""
    else:
        where, where_params = scope.where()
        grid = grid_sql(cfg, "problem_cube", where, period_where, units_where, first is None)
        params |= where_params | indicator_params(cfg)
    sql = f"""
        SELECT period_no, unit, dimension, deduction, bonus, points, open_problems, proposal_problems, computed,
               assessed, {_SCORE_SQL} AS score
        FROM (SELECT *, greatest(least($start - deduction + bonus, $start), $floor) AS computed FROM ({grid}))
        ORDER BY period_no, unit, list_position($dims, dimension)
    """
    frame = query_frame(con, sql, used_params(sql, params))
    return frame.astype({"deduction": float, "bonus": float, "open_problems": int, "proposal_problems": int,
                         "computed": float, "assessed": float, "score": float})


def _grade_index(scores: pd.Series | np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    """The grade of many scores at once, as cfg.grade_of gives them one by one (the first grade whose minimum the
    score reaches, else the last), as an index into cfg.grades: thousands of unit × quarter totals on a page."""
    reached = np.asarray(scores, dtype=float)[:, None] >= np.array([g.min for g in cfg.grades])
    return np.where(reached.any(axis=1), reached.argmax(axis=1), len(cfg.grades) - 1)


def _named(index: np.ndarray, cfg: ScoringConfig) -> dict[str, list]:
    """Grade names, their colours and colour codes for grade indexes."""
    return {"grade": [cfg.grades[k].name for k in index], "color": [cfg.grades[k].color for k in index],
            "code": [cfg.grades[k].code for k in index]}


def _grades(scores: pd.Series | np.ndarray, cfg: ScoringConfig) -> tuple[np.ndarray, np.ndarray]:
    """Grade names and colors of many scores at once (no grade limit)."""
    named = _named(_grade_index(scores, cfg), cfg)
    return np.array(named["grade"], dtype=object), np.array(named["color"], dtype=object)


def _graded(frame: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Add grade, color and code for the (already rounded) score column."""
    named = _named(_grade_index(frame["score"], cfg), cfg)
    return frame.assign(grade=named["grade"], color=named["color"], code=named["code"])


def dimension_scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                     cfg: ScoringConfig) -> pd.DataFrame:
    """维度得分: one row per unit × scored dimension, with computed, assessed and combined score, points lost
    (deduction) and gained (bonus), grade and colour code."""
    return dimensions_of(raw_scores(con, period, scope=scope, cfg=cfg), cfg)


def dimensions_of(raw: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """dimension_scores() from one quarter's raw_scores()."""
    out = raw[["unit", "dimension", "computed", "assessed", "score", "deduction", "open_problems", "bonus"]
              ].reset_index(drop=True)
    for column in ("computed", "assessed", "score", "deduction", "bonus"):
        out[column] = out[column].astype(float).round(1)
    return _graded(out, cfg)[list(DIMENSION_COLUMNS)]


def one_quarter(raw: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One quarter's rows of a raw_scores() frame over several quarters."""
    return raw[raw["period_no"] == period.index]


def dimension_weights(dims: Sequence[str], cfg: ScoringConfig) -> np.ndarray:
    """The dimensions' weights, as shares summing to 1 over these dimensions (equal if they all weigh 0)."""
    by_name = {d.name: d.weight for d in cfg.dimensions}
    weights = np.array([by_name[d] for d in dims], dtype=float)
    return weights / weights.sum() if weights.sum() > 0 else np.full(len(dims), 1 / max(len(dims), 1))


def _sums_by_unit(weighted: pd.DataFrame) -> pd.DataFrame:
    """Per period_no × unit (sorted), the sums _unit_totals needs. raw_scores lists each period_no × unit as one
    run of rows: the runs are summed where they lie (a page's thousands of rows: no hashing, no groupby), in the
    same order as a groupby would, so the figures are the same to the last bit."""
    periods = weighted["period_no"].to_numpy()
    units = weighted["unit"].to_numpy(dtype=object)
    if len(units) and not ((periods[1:] >= periods[:-1]).all()
                           and ((periods[1:] > periods[:-1]) | (units[1:] >= units[:-1])).all()):
        weighted = weighted.sort_values(["period_no", "unit"], kind="stable")
        periods, units = weighted["period_no"].to_numpy(), weighted["unit"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, (periods[1:] != periods[:-1]) | (units[1:] != units[:-1])]) \
        if len(units) else np.array([], dtype=int)
    index = pd.MultiIndex.from_arrays([periods[starts], units[starts]], names=["period_no", "unit"])
    return pd.DataFrame({name: np.add.reduceat(weighted[column].to_numpy(dtype=float), starts) if len(starts)
                         else np.array([], dtype=float)
                         for name, column in (("w", "_w"), ("wt", "_wt"), ("proposal", "proposal_problems"),
                                              ("conc", "_conc"))}, index=index)


def _unit_totals(raw: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Per period_no × unit (sorted): the weighted total (rounded), its grade after the grade limits, colour,
    code and the limits that held it lower (limited_by, '' when none)."""
    dims = list(raw["dimension"].unique())  # in order of appearance, without iterating the column in Python
    share = dict(zip(dims, dimension_weights(dims, cfg), strict=True))
    weights = raw["dimension"].map(share).to_numpy(dtype=float)
    weighted = raw.assign(_w=raw["score"].to_numpy(dtype=float) * weights, _wt=weights,
                          _conc=(raw["open_problems"] >= cfg.concentration_open) & (raw["open_problems"] > 0))
    sums = _sums_by_unit(weighted)
    score = (sums["w"] / sums["wt"]).round(1)
    index = _grade_index(score, cfg)
    by_grade = {g.name: k for k, g in enumerate(cfg.grades)}
    limited_by = [[] for _ in range(len(score))]
    facts = {"proposal_problems": sums["proposal"].to_numpy(), "concentrations": sums["conc"].to_numpy()}
    for limit in cfg.grade_limits:
        hit = facts[limit.when] >= limit.at_least
        cap = by_grade[limit.max_grade]
        for k in np.flatnonzero(hit & (index <= cap)):
            limited_by[k].append(limit.name)
        index = np.where(hit, np.maximum(index, cap), index)
    # a limit no worse than the score's own grade holds nothing: named only when it lowered the grade
    own = _grade_index(score, cfg)
    reasons = ["、".join(r) if index[k] > own[k] else "" for k, r in enumerate(limited_by)]
    return pd.DataFrame({"period_no": score.index.get_level_values(0), "unit": score.index.get_level_values(1),
                         "score": score.to_numpy(), **_named(index, cfg), "limited_by": reasons})


def rank_units(raw: pd.DataFrame, scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """unit_scores() from one quarter's raw_scores(): weighted totals graded (grade limits applied) and ranked,
    one column per dimension, then the colour code and the grade limits that held a unit lower."""
    dims = scored_dimensions(scope, cfg)
    if raw.empty:
        return pd.DataFrame(columns=["unit", "score", "grade", "color", "rank", *dims, *UNIT_EXTRA_COLUMNS])
    totals = _unit_totals(raw, cfg)  # sorted by unit, as raw_scores' rows are
    # raw_scores lists each unit with every scored dimension in order: a run of len(dims) rows per unit
    if len(raw) != len(totals) * len(dims) or raw["dimension"].iloc[:len(dims)].tolist() != list(dims):
        raise ValueError("rank_units needs one quarter of raw_scores(), in its order")
    by_dim = raw["score"].to_numpy(dtype=float).reshape(len(totals), len(dims)).round(1)
    rank = totals["score"].rank(method="min", ascending=False).astype(int).to_numpy()
    order = np.argsort(rank, kind="stable")  # by rank, then unit
    # built in one go: adding columns one by one to a frame costs more than the figures themselves
    return pd.DataFrame({"unit": totals["unit"].to_numpy()[order], "score": totals["score"].to_numpy()[order],
                         "grade": totals["grade"].to_numpy()[order].tolist(),
                         "color": totals["color"].to_numpy()[order].tolist(),
                         "rank": rank[order], **{d: by_dim[order, k] for k, d in enumerate(dims)},
                         "code": totals["code"].to_numpy()[order].tolist(),
                         "limited_by": totals["limited_by"].to_numpy()[order].tolist()})


def unit_scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                cfg: ScoringConfig) -> pd.DataFrame:
    """单位综合得分: weighted mean of the unit's dimension scores, graded (grade limits applied), ranked (1 = best,
    ties share a rank), with its colour code."""
    return rank_units(raw_scores(con, period, scope=scope, cfg=cfg), scope, cfg=cfg)


def company_score(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                  cfg: ScoringConfig) -> dict:
    """公司得分: per dimension the mean over units, and their weighted mean; score None when no unit is scored."""
    return company_of(raw_scores(con, period, scope=scope, cfg=cfg), cfg)


def company_of(raw: pd.DataFrame, cfg: ScoringConfig) -> dict:
    """company_score() from one quarter's raw_scores()."""
    if raw.empty:
        return {"score": None, "grade": None, "color": None, "code": None, "dimensions": {}}
    by_dim = raw.groupby("dimension", sort=False)["score"].mean()
    score = round(float(np.dot(by_dim.to_numpy(), dimension_weights(list(by_dim.index), cfg))), 1)
    grade = cfg.grade_of(score)
    return {"score": score, "grade": grade.name, "color": grade.color, "code": grade.code,
            "dimensions": {str(d): round(float(s), 1) for d, s in by_dim.items()}}


def loss_breakdown(raw: pd.DataFrame, unit: str, cfg: ScoringConfig, dimension: str | None = None) -> pd.DataFrame:
    """失分构成 of a unit in one quarter's raw_scores(): per indicator the points lost (or, for a bonus, gained)
    and its share of the points lost (LOSS_COLUMNS; shares of the lost points sum to 1, a bonus has none). For one
    dimension, its points; for all, the points off the unit's total (each dimension's points × its weight share),
    so the shares say what took the total down. Only indicators with points are listed, most points first."""
    rows = raw[raw["unit"] == unit]
    if dimension is not None:
        rows = rows[rows["dimension"] == dimension]
        weights = np.ones(len(rows))
    else:
        weights = dimension_weights(list(rows["dimension"]), cfg)
    if rows.empty:
        return pd.DataFrame(columns=list(LOSS_COLUMNS))
    points = np.vstack([np.asarray(p, dtype=float) for p in rows["points"]]).T @ weights  # per indicator
    bonus = np.array([i.is_bonus for i in cfg.indicators])
    lost = points[~bonus].sum()
    out = pd.DataFrame({"indicator": [i.name for i in cfg.indicators], "rule": [i.rule for i in cfg.indicators],
                        "bonus": bonus, "points": points.round(2),
                        "share": np.where(bonus | (lost == 0), np.nan, points / (lost or 1))})
    out = out[out["points"] > 0].sort_values(["bonus", "points"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)[list(LOSS_COLUMNS)]


def peer_comparison(units: pd.DataFrame, groups: Mapping[str, str] | None = None, *,
                    ungrouped: str = "全部单位") -> pd.DataFrame:
    """同类比较: each unit of rank_units() beside the mean of its peer group (groups: unit → group; a unit not in
    it, or every unit without it, is in ``ungrouped``): group, size, the unit's score and dimension scores, the
    group's means (``<column>_mean``), the difference of the score (``diff``) and its rank within the group."""
    if units.empty:
        return pd.DataFrame(columns=["unit", "group", "group_size", "score", "score_mean", "diff", "group_rank"])
    figures = [c for c in units.columns if c not in ("unit", "grade", "color", "rank", *UNIT_EXTRA_COLUMNS)]
    out = units[["unit", *figures]].copy()
    out.insert(1, "group", [(groups or {}).get(u, ungrouped) for u in out["unit"]])
    by_group = out.groupby("group")
    out.insert(2, "group_size", by_group["unit"].transform("size").astype(int))
    for column in figures:
        out[f"{column}_mean"] = by_group[column].transform("mean").round(1)
    out["diff"] = (out["score"] - out["score_mean"]).round(1)
    out["group_rank"] = by_group["score"].rank(method="min", ascending=False).astype(int)
    return out.sort_values(["group", "group_rank", "unit"], ignore_index=True)


def _fmt(points: float) -> str:
    return f"{points:g}"


def _rule(severity: object, days_overdue: int, recurred: bool, points: tuple[float, float, float],
          cfg: ScoringConfig) -> str:
    """扣分依据: the rules that fired for one problem, as a Chinese sentence."""
    if isinstance(severity, str) and severity in cfg.severity_points:
        parts = [f"未整改完成，问题性质{severity} 扣{_fmt(points[0])}分"]
    elif pd.isna(severity) or not str(severity).strip():
        parts = [f"未整改完成，问题性质未填（按{cfg.default_severity}）扣{_fmt(points[0])}分"]
    else:
        parts = [f"未整改完成，问题性质「{severity}」未设扣分（按{cfg.default_severity}）扣{_fmt(points[0])}分"]
    if days_overdue > 0:
        parts.append(f"已逾期 {days_overdue} 天 加扣{_fmt(points[1])}分")
    if recurred:
        parts.append(f"改而复发 加扣{_fmt(points[2])}分")
    return "；".join(parts)


def score_deductions(con: duckdb.DuckDBPyConnection, period: Period, unit: str, dimension: str | None = None,
                     scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """扣分明细 ("why 72?"): each problem deducting from a unit (and dimension), with its points and rule."""
    dims = tuple(d for d in scored_dimensions(scope, cfg) if dimension is None or d == dimension)
    if not dims or not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(DEDUCTION_COLUMNS))
    where, params = scope.where()
    frame = con.execute(f"""
        SELECT problem_id, problem_code, description, dimension, status, severity AS severity_raw, deadline,
               CASE WHEN {OVERDUE_SQL} THEN {DAYS_OVERDUE_SQL} ELSE 0 END AS days_overdue,
               {RECURRED_SQL} AS recurred,
               {_SEVERITY_POINTS_SQL} AS severity_points,
               {_OVERDUE_POINTS_SQL} AS overdue_points,
               {_RECURRED_POINTS_SQL} AS recurred_points
        FROM problem_state
        WHERE period_no = $period_no AND unit = $unit AND {where} AND {_DEDUCTS_SQL}
    """, params | point_params(cfg, dims) | {"period_no": period.index, "unit": unit}).df()
    frame["severity"] = [severity_used(s, cfg) for s in frame["severity_raw"]]
    for column in ("severity_points", "overdue_points", "recurred_points"):
        frame[column] = frame[column].astype(float)
    frame["points"] = frame["severity_points"] + frame["overdue_points"] + frame["recurred_points"]
    frame["rule"] = [_rule(r.severity_raw, r.days_overdue, r.recurred,
                           (r.severity_points, r.overdue_points, r.recurred_points), cfg)
                     for r in frame.itertuples()]
    frame = frame.sort_values(["points", "days_overdue", "problem_id"], ascending=[False, False, True],
                              ignore_index=True)
    return frame[list(DEDUCTION_COLUMNS)]


def score_history(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """得分趋势: every quarter with problem data × unit × dimension score, in one query (heatmaps, trend lines)."""
    return history_of(raw_scores(con, scope=scope, cfg=cfg))


def history_of(raw: pd.DataFrame) -> pd.DataFrame:
    """score_history() from raw_scores() over every quarter."""
    labels = {n: str(Period.from_index(int(n))) for n in raw["period_no"].unique()}
    return pd.DataFrame({"period": raw["period_no"].map(labels), "unit": raw["unit"], "dimension": raw["dimension"],
                         "score": raw["score"].round(1)}, columns=list(HISTORY_COLUMNS))


def unit_score_history(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, *,
                       cfg: ScoringConfig) -> pd.DataFrame:
    """综合得分趋势: every quarter × unit total (mean of its dimension scores), graded."""
    return unit_history_of(raw_scores(con, scope=scope, cfg=cfg), cfg)


def unit_history_of(raw: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """unit_score_history() from raw_scores() over every quarter: weighted totals, graded as rank_units does."""
    if raw.empty:
        return pd.DataFrame(columns=["period", "unit", "score", "grade", "color", *UNIT_EXTRA_COLUMNS])
    totals = _unit_totals(raw, cfg)
    labels = {n: str(Period.from_index(int(n))) for n in raw["period_no"].unique()}
    return totals.assign(period=[labels[n] for n in totals["period_no"]])[
        ["period", "unit", "score", "grade", "color", *UNIT_EXTRA_COLUMNS]]


@dataclass(frozen=True)
class QuarterColour:
    """One quarter of a unit, as 复绿 needs it: its colour code, the problems behind its lost points (open, in a
    scored dimension), and its problems verified closed (已销号) by then."""

    period_no: int
    code: str
    deducting: frozenset[int]
    closed: frozenset[int]


@dataclass(frozen=True)
class ColourState:
    """A unit's colour in one quarter after the 复绿 rule: ``score_code`` is its grade's, ``code`` the one shown
    (held at the flag while the problems that flagged it are not all 已销号), ``pending`` those problems,
    ``restored`` whether it came back to the all-clear this quarter."""

    period_no: int
    score_code: str
    code: str
    held: bool
    pending: tuple[int, ...]
    restored: bool


def green_again(quarters: Sequence[QuarterColour], codes: Sequence[str]) -> list[ColourState]:
    """复绿: a unit flagged (any code but the first, the all-clear) keeps its flag, whatever its score, until every
    problem that flagged it (those behind its lost points when flagged, and when the flag grew worse) is verified
    closed (已销号); then it shows its score's code again. Quarters in order; codes best first."""
    rank = {c: k for k, c in enumerate(codes)}
    flag: str | None = None
    flagging: set[int] = set()
    shown_before = codes[0]
    out = []
    for q in sorted(quarters, key=lambda q: q.period_no):
        if flag is not None and not flagging - q.closed:  # every problem that flagged it verified closed
            flag, flagging = None, set()
        if rank[q.code] > 0 and (flag is None or rank[q.code] > rank[flag]):
            flag, flagging = q.code, flagging | set(q.deducting)
        shown = q.code if flag is None or rank[q.code] >= rank[flag] else flag
        out.append(ColourState(q.period_no, q.code, shown, shown != q.code,
                               tuple(sorted(flagging - q.closed)) if flag is not None else (),
                               rank[shown] == 0 and rank[shown_before] > 0))
        shown_before = shown
    return out


COLOUR_COLUMNS = ("period", "score", "grade", "score_code", "code", "held", "pending", "restored")


def colour_history(con: duckdb.DuckDBPyConnection, unit: str, period: Period, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """A unit's colour code per quarter up to ``period`` with the 复绿 rule applied (green_again): COLOUR_COLUMNS,
    ``pending`` the ids of the problems that keep it flagged."""
    mine = dataclasses.replace(scope, units=(unit,))
    raw = raw_scores(con, scope=mine, cfg=cfg)
    history = _unit_totals(raw, cfg) if not raw.empty else pd.DataFrame(columns=["period_no"])
    history = history[history["period_no"] <= period.index]
    if history.empty or not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(COLOUR_COLUMNS))
    where, params = mine.where()
    rows = con.execute(f"""
        SELECT period_no, list(problem_id) FILTER (WHERE {_DEDUCTS_SQL}) AS deducting,
               list(problem_id) FILTER (WHERE status = $closed) AS closed
        FROM problem_state WHERE period_no <= $period_no AND {where}
        GROUP BY period_no
    """, params | {"dims": list(scored_dimensions(scope, cfg)), "closed": CLOSED_STATUS,
                   "period_no": period.index}).fetchall()
    problems = {n: (frozenset(d or ()), frozenset(c or ())) for n, d, c in rows}
    numbers = [int(n) for n in history["period_no"]]
    states = green_again([QuarterColour(n, code, *problems.get(n, (frozenset(), frozenset())))
                          for n, code in zip(numbers, history["code"], strict=True)], [c.name for c in cfg.codes])
    return pd.DataFrame({"period": [str(Period.from_index(n)) for n in numbers], "score": history["score"].to_numpy(),
                         "grade": history["grade"].to_numpy(), "score_code": [s.score_code for s in states],
                         "code": [s.code for s in states], "held": [s.held for s in states],
                         "pending": [list(s.pending) for s in states], "restored": [s.restored for s in states]})
