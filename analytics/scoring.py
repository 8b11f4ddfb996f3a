"""Eight-dimension scores and grades (政治生态评分) per unit and quarter, in SQL: scores from ``score_grid`` (each
quarter × unit × dimension's deduction and 评分表 score, analytics.derived), or with a source filter from
``problem_cube`` (open problems counted per quarter × unit × source × dimension × severity), the 扣分明细
behind a score from ``problem_state`` (one row per problem).

The model (DOMAIN.md "Scores and grades"; every number comes from ScoringConfig): each unit × dimension
starts at ``start`` and loses, for every problem open at the period end, its severity points, plus the
overdue points if it is overdue, plus the recurred points if it recurred; never below ``floor``. 未归类
problems deduct nothing. Where the 评分表 has scores for the quarter, score = (1 − w) × computed + w ×
assessed, assessed being the mean over 评价方式 of each method's latest import. A unit's score is the mean
of its dimension scores; the company's dimension score is the mean over units, its total the mean of those.

Units scored in a quarter: every unit with a problem in it (within the scope's units) and every unit in
its 评分表. With ``scope.dimensions`` only those dimensions are scored and averaged. Figures are rounded
to one decimal on output only; the grade is that of the rounded score, so a shown 90.0 is always 好.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.config import ScoringConfig
from analytics.db import has_table
from analytics.metrics import ALL, DAYS_OVERDUE_SQL, OPEN_SQL, OVERDUE_SQL, RECURRED_SQL, Scope, cube, query_frame
from analytics.periods import Period

# points of one problem_state row (one problem), for 扣分明细
_SEVERITY_POINTS_SQL = "coalesce($severity_points[list_position($severity_names, severity)], $default_points)"
_OVERDUE_POINTS_SQL = f"CASE WHEN {OVERDUE_SQL} THEN $overdue_points ELSE 0 END"
_RECURRED_POINTS_SQL = "CASE WHEN recurred THEN $recurred_points ELSE 0 END"
# open at the period end and in a scored dimension ($dims never holds 未归类)
_DEDUCTS_SQL = f"{OPEN_SQL} AND list_contains($dims, dimension)"
# the same points summed over a cube's row: its open, overdue and open recurred problems of one severity (also how
# analytics.derived writes score_grid's deductions)
CUBE_POINTS_SQL = f"open * {_SEVERITY_POINTS_SQL} + overdue * $overdue_points + open_recurred * $recurred_points"

DIMENSION_COLUMNS = ("unit", "dimension", "computed", "assessed", "score", "deduction", "open_problems", "grade",
                     "color")
DEDUCTION_COLUMNS = ("problem_id", "problem_code", "description", "dimension", "status", "severity", "deadline",
                     "days_overdue", "recurred", "severity_points", "overdue_points", "recurred_points", "points",
                     "rule")
HISTORY_COLUMNS = ("period", "unit", "dimension", "score")


def scored_dimensions(scope: Scope, cfg: ScoringConfig) -> tuple[str, ...]:
    """The configured dimensions a scope scores, in configured order."""
    return tuple(d for d in cfg.dimension_names if scope.dimensions is None or d in scope.dimensions)


def severity_used(severity: object, cfg: ScoringConfig) -> str:
    """问题性质 as scored: the ledger's when it has points configured, else the default (一般)."""
    return severity if isinstance(severity, str) and severity in cfg.severity_points else cfg.default_severity


def point_params(cfg: ScoringConfig, dims: tuple[str, ...]) -> dict:
    """The parameters of the points SQL above: the points per severity, overdue and recurred, and the dimensions
    scored."""
    return {"severity_names": list(cfg.severity_points), "severity_points": list(cfg.severity_points.values()),
            "default_points": cfg.severity_points[cfg.default_severity], "overdue_points": cfg.overdue_points,
            "recurred_points": cfg.recurred_points, "dims": list(dims)}


def _period_filter(quarters: tuple[int, int] | None) -> tuple[str, dict]:
    if quarters is None:
        return "TRUE", {}
    return "period_no BETWEEN $first_no AND $last_no", {"first_no": quarters[0], "last_no": quarters[1]}


# each method's latest 评分表 score per quarter × unit × dimension (also how analytics.derived fills score_grid)
ASSESSMENTS_SQL = """
    SELECT period_no, unit, dimension, score FROM unit_assessments
    WHERE {period_where} AND {units_where} {only_problem_quarters}
    QUALIFY row_number() OVER (PARTITION BY period_no, unit, dimension, method
                               ORDER BY import_id DESC, excel_row DESC) = 1
"""

_SCORE_SQL = "CASE WHEN assessed IS NULL THEN computed ELSE (1 - $weight) * computed + $weight * assessed END"


def raw_scores(con: duckdb.DuckDBPyConnection, first: Period | None = None, last: Period | None = None,
               scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """Unrounded scores per period_no × unit × scored dimension for quarters first..last (None: every quarter
    with problem data), sorted; the building block of the rounded figures below.

    One query over score_grid (analytics.derived: written for cfg's points), or, with a source filter, over
    problem_cube, since score_grid keeps no source (a few thousand rows a quarter, not a million problems); the
    cube's open, overdue and open_recurred counts give the same points as _SEVERITY_POINTS_SQL etc. do per problem.
    """
    dims = scored_dimensions(scope, cfg)
    columns = ["period_no", "unit", "dimension", "deduction", "open_problems", "computed", "assessed", "score"]
    if not dims or not has_table(con, "problem_cube"):
        return pd.DataFrame(columns=columns)
    # the unit set ignores source/dimension filters
    units_where, units_params = Scope(units=scope.units, within=scope.within).where()
    period_where, period_params = _period_filter(None if first is None else (first.index, (last or first).index))
    params = units_params | period_params | {"start": cfg.start, "floor": cfg.floor,
                                             "weight": cfg.assessment_weight, "dims": list(dims)}
    if not scope.by_source:
        quarters = (f"AND period_no IN (SELECT period_no FROM score_grid WHERE has_problems AND {units_where})"
                    if first is None else "")
        sql = f"""
            SELECT period_no, unit, dimension, deduction, open_problems, computed, assessed, {_SCORE_SQL} AS score
            FROM (SELECT *, greatest($start - deduction, $floor) AS computed FROM score_grid
                  WHERE {period_where} AND {units_where} AND list_contains($dims, dimension) {quarters})
            ORDER BY period_no, unit, list_position($dims, dimension)
        """
    else:
        sql = _cube_scores_sql(scope, first is None, units_where, period_where)
        params |= scope.where()[1] | point_params(cfg, dims)
    frame = query_frame(con, sql, params)
    return frame.astype({"deduction": float, "open_problems": int, "computed": float, "assessed": float,
                         "score": float})


def _cube_scores_sql(scope: Scope, every_quarter: bool, units_where: str, period_where: str) -> str:
    """raw_scores() computed from problem_cube and the 评分表, for a source filter (score_grid keeps no source)."""
    where, _ = scope.where()
    assessments = ASSESSMENTS_SQL.format(
        period_where=period_where, units_where=units_where,
        only_problem_quarters="AND period_no IN (SELECT period_no FROM problem_units)" if every_quarter else "",
    )
    return f"""
        WITH problem_units AS (
            SELECT DISTINCT period_no, unit FROM {cube(ALL, "unit")} WHERE {period_where} AND {units_where}
        ),
        latest AS ({assessments}),
        assessed AS (SELECT period_no, unit, dimension, avg(score) AS assessed FROM latest GROUP BY ALL),
        units AS (SELECT period_no, unit FROM problem_units UNION SELECT period_no, unit FROM latest),
        deductions AS (
            SELECT period_no, unit, dimension, sum({CUBE_POINTS_SQL}) AS deduction,
                   CAST(sum(open) AS BIGINT) AS open_problems
            FROM {cube(scope, "unit")}
            WHERE {period_where} AND {where} AND open > 0 AND list_contains($dims, dimension)
            GROUP BY period_no, unit, dimension
        ),
        grid AS (
            SELECT period_no, unit, dimension, coalesce(deduction, 0) AS deduction,
                   coalesce(open_problems, 0) AS open_problems,
                   greatest($start - coalesce(deduction, 0), $floor) AS computed, assessed
            FROM units CROSS JOIN (SELECT unnest($dims) AS dimension)
            LEFT JOIN deductions USING (period_no, unit, dimension)
            LEFT JOIN assessed USING (period_no, unit, dimension)
        )
        SELECT period_no, unit, dimension, deduction, open_problems, computed, assessed, {_SCORE_SQL} AS score
        FROM grid
        ORDER BY period_no, unit, list_position($dims, dimension)
    """


def _grades(scores: pd.Series | np.ndarray, cfg: ScoringConfig) -> tuple[np.ndarray, np.ndarray]:
    """Grade names and colors of many scores at once, as cfg.grade_of gives them one by one (the first grade whose
    minimum the score reaches, else the last): thousands of unit × quarter totals on a page."""
    reached = np.asarray(scores, dtype=float)[:, None] >= np.array([g.min for g in cfg.grades])
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), len(cfg.grades) - 1)
    return (np.array([g.name for g in cfg.grades], dtype=object)[first],
            np.array([g.color for g in cfg.grades], dtype=object)[first])


def _graded(frame: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Add grade and color for the (already rounded) score column."""
    names, colors = _grades(frame["score"], cfg)
    return frame.assign(grade=names.tolist(), color=colors.tolist())


def dimension_scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                     cfg: ScoringConfig) -> pd.DataFrame:
    """维度得分: one row per unit × scored dimension, with computed, assessed and combined score and grade."""
    return dimensions_of(raw_scores(con, period, scope=scope, cfg=cfg), cfg)


def dimensions_of(raw: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """dimension_scores() from one quarter's raw_scores()."""
    out = raw[["unit", "dimension", "computed", "assessed", "score", "deduction", "open_problems"]].reset_index(
        drop=True)
    for column in ("computed", "assessed", "score", "deduction"):
        out[column] = out[column].round(1)
    return _graded(out, cfg)[list(DIMENSION_COLUMNS)]


def one_quarter(raw: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One quarter's rows of a raw_scores() frame over several quarters."""
    return raw[raw["period_no"] == period.index]


def rank_units(raw: pd.DataFrame, scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """unit_scores() from one quarter's raw_scores(): totals graded and ranked, one column per dimension."""
    dims = scored_dimensions(scope, cfg)
    if raw.empty:
        return pd.DataFrame(columns=["unit", "score", "grade", "color", "rank", *dims])
    totals = raw.groupby("unit")["score"].mean().round(1)  # sorted by unit, as raw_scores' rows are
    # raw_scores lists each unit with every scored dimension in order: a run of len(dims) rows per unit
    if len(raw) != len(totals) * len(dims) or raw["dimension"].iloc[:len(dims)].tolist() != list(dims):
        raise ValueError("rank_units needs one quarter of raw_scores(), in its order")
    by_dim = raw["score"].to_numpy(dtype=float).reshape(len(totals), len(dims)).round(1)
    rank = totals.rank(method="min", ascending=False).astype(int).to_numpy()
    order = np.argsort(rank, kind="stable")  # by rank, then unit
    names, colors = _grades(totals, cfg)
    # built in one go: adding columns one by one to a frame costs more than the figures themselves
    return pd.DataFrame({"unit": totals.index.to_numpy()[order], "score": totals.to_numpy()[order],
                         "grade": names[order].tolist(), "color": colors[order].tolist(),
                         "rank": rank[order], **{d: by_dim[order, k] for k, d in enumerate(dims)}})


def unit_scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                cfg: ScoringConfig) -> pd.DataFrame:
    """单位综合得分: mean of the unit's dimension scores, graded, ranked (1 = best, ties share a rank)."""
    return rank_units(raw_scores(con, period, scope=scope, cfg=cfg), scope, cfg=cfg)


def company_score(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                  cfg: ScoringConfig) -> dict:
    """公司得分: per dimension the mean over units, and the mean of those; score None when no unit is scored."""
    return company_of(raw_scores(con, period, scope=scope, cfg=cfg), cfg)


def company_of(raw: pd.DataFrame, cfg: ScoringConfig) -> dict:
    """company_score() from one quarter's raw_scores()."""
    if raw.empty:
        return {"score": None, "grade": None, "color": None, "dimensions": {}}
    by_dim = raw.groupby("dimension", sort=False)["score"].mean()
    score = round(float(by_dim.mean()), 1)
    grade = cfg.grade_of(score)
    return {"score": score, "grade": grade.name, "color": grade.color,
            "dimensions": {str(d): round(float(s), 1) for d, s in by_dim.items()}}


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
    """unit_score_history() from raw_scores() over every quarter."""
    if raw.empty:
        return pd.DataFrame(columns=["period", "unit", "score", "grade", "color"])
    totals = raw.groupby(["period_no", "unit"])["score"].mean().round(1)
    labels = {n: str(Period.from_index(int(n))) for n in raw["period_no"].unique()}
    names, colors = _grades(totals, cfg)
    # built in one go, as in rank_units
    return pd.DataFrame({"period": [labels[n] for n in totals.index.get_level_values(0)],
                         "unit": totals.index.get_level_values(1).to_numpy(), "score": totals.to_numpy(),
                         "grade": names.tolist(), "color": colors.tolist()})
