"""What each page shows: one function per page, a connection and the filters in, plain data out.

The pages draw what these return and compute nothing themselves, and the
analytics benchmark times exactly these calls (the snapshot export builds its
own figures in analytics.export.snapshot). Each runs its independent parts side
by side (db.side_by_side), each part with a cursor of its own.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from analytics import alerts, group, history, metrics, org, recurrence, rollup, scoring, state, tasks
from analytics.config import ScoringConfig
from analytics.db import side_by_side
from analytics.metrics import ALL, Scope
from analytics.periods import Period

# Long lists stop here on a page (most urgent first); the page says how many there are in all.
LIST_LIMIT = 500


def overview(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig) -> dict:
    """总览: headline with the previous quarter's for deltas, company score, trends, warnings, worst units."""

    def scores_and_warnings(c: duckdb.DuckDBPyConnection) -> tuple:
        raw = scoring.raw_scores(c, period.previous(), period, scope, cfg=cfg)  # both quarters' scores in one pass
        now = scoring.one_quarter(raw, period)
        units = scoring.rank_units(now, scope, cfg=cfg)
        company, children, _ = rollup.tree_scores(c, now, period, scope, cfg=cfg, ranked=units)
        before, _, _ = rollup.tree_scores(c, scoring.one_quarter(raw, period.previous()), period.previous(), scope,
                                          cfg=cfg, ranked=units.iloc[0:0])  # its company score alone
        return (company, before, children), alerts.warning_counts(c, period, scope, cfg=cfg, units=units)

    ((company, company_previous, children), warnings), trend, recurred = side_by_side(
        con, scores_and_warnings,
        lambda c: metrics.trend(c, scope),  # every quarter's headline figures
        lambda c: recurrence.recurrence_counts(c, period, scope))
    return {
        "headline": metrics.headline_of(trend, period),
        "previous": metrics.headline_of(trend, period.previous()),
        "recurrence": recurred,
        "company": company,
        "company_previous": company_previous,
        "trend": trend,
        "warnings": warnings,
        "worst_units": children.sort_values(["score", "unit"]).head(5),  # the chosen node's children
    }


def problem_trends(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """问题趋势: problems per quarter by source and dimension, the unit × dimension grid, new vs closed."""
    trends, matrix = side_by_side(
        con, lambda c: metrics.trends(c, scope, (None, "source", "dimension")),  # one query for the three
        lambda c: metrics.unit_dimension_matrix(c, period, scope))
    return {
        "total": trends[None],
        "by_source": trends["source"],
        "by_dimension": trends["dimension"],
        "matrix": matrix,
    }


def rectification(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *,
                  cfg: ScoringConfig) -> dict:
    """整改销号: rates by unit, ageing, overdue and nearly due problems by band, days to close, 回头看."""
    (bands, bands_total), (by_unit, ageing), (days, lookback) = side_by_side(
        con,
        lambda c: (alerts.deadline_bands(c, period, scope, cfg=cfg, limit=LIST_LIMIT),
                   alerts.deadline_band_count(c, period, scope, cfg=cfg)),
        lambda c: (metrics.breakdown(c, period, "unit", scope), metrics.ageing(c, period, scope)),
        lambda c: (metrics.days_to_close(c, period, scope), alerts.lookback_sample(c, period, scope, cfg=cfg)))
    return {
        "by_unit": by_unit,
        "ageing": ageing,
        "bands": state.with_measures(con, period.index, bands),
        "bands_total": bands_total,
        "days_to_close": days,
        "lookback": lookback,
        "lookback_seed": cfg.lookback_seed,
        "lookback_size": cfg.lookback_size,
    }


def scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig) -> dict:
    """八维评分: dimension scores, unit ranking, company score, scores over quarters."""

    def this_quarter(c: duckdb.DuckDBPyConnection) -> dict:
        # its own query, also for a quarter without problems in scope, which only its 评分表 can score
        now = scoring.raw_scores(c, period, scope=scope, cfg=cfg)
        company, children, node = rollup.tree_scores(c, now, period, scope, cfg=cfg)
        # the ranking is of the chosen node's children (组织架构), each rolled up from the units under it; peers:
        # each child beside its peer group (同类单位), where the register sets groups
        groups = org.peer_groups(org.load(c), list(children["unit"]))
        return {"dimensions": scoring.dimensions_of(now, cfg), "units": children, "company": company,
                "node": node, "raw": now,
                "peers": scoring.peer_comparison(children, groups) if groups else children.iloc[0:0]}

    def every_quarter(c: duckdb.DuckDBPyConnection) -> dict:
        history = scoring.raw_scores(c, scope=scope, cfg=cfg)  # every quarter with problems, in one pass
        return {"history": scoring.history_of(history), "unit_history": scoring.unit_history_of(history, cfg)}

    history, now = side_by_side(con, every_quarter, this_quarter)  # the longer first
    return now | history


def unit_portrait(con: duckdb.DuckDBPyConnection, period: Period, unit: str, scope: Scope = ALL, *,
                  cfg: ScoringConfig) -> dict:
    """单位画像: one unit's figures, scores against the company's, trend, open problems, warnings, repeats."""
    mine, everyone = replace(scope, units=(unit,)), replace(scope, units=None)

    def scores_and_warnings(c: duckdb.DuckDBPyConnection) -> tuple:
        # both quarters of every unit in one pass: the company and the ranking this unit is compared with ignore
        # the sidebar's unit filter, and the unit's own rows are among them
        both = scoring.raw_scores(c, period.previous(), period, everyone, cfg=cfg)
        raw = both[both["unit"] == unit]
        scored = scoring.rank_units(scoring.one_quarter(raw, period), mine, cfg=cfg)
        return both, raw, scored, alerts.warnings_and_counts(c, period, mine, cfg=cfg, limit=LIST_LIMIT,
                                                             units=scored)

    (both, raw, scored, (warnings, counts)), (trend, open_problems), (repeats, recurred) = side_by_side(
        con, scores_and_warnings,
        lambda c: (metrics.trend(c, mine),  # every quarter's headline figures
                   metrics.problems(c, period, mine, only_open=True, limit=LIST_LIMIT)),
        lambda c: (recurrence.likely_repeats(c, period, mine, cfg=cfg), recurrence.recurred_problems(c, period, mine)))
    head = metrics.headline_of(trend, period)
    company = scoring.one_quarter(both, period)
    return {
        "headline": head,
        "previous": metrics.headline_of(trend, period.previous()),
        "dimensions": scoring.dimensions_of(scoring.one_quarter(raw, period), cfg),
        "unit": scored,
        "unit_previous": scoring.rank_units(scoring.one_quarter(raw, period.previous()), mine, cfg=cfg),
        "company": rollup.tree_scores(con, company, period, everyone, cfg=cfg)[0],
        "ranking": scoring.rank_units(company, everyone, cfg=cfg),
        "trend": trend,
        "open_problems": state.with_measures(con, period.index, open_problems),
        "open_total": head["open"],
        "warnings": state.with_measures(con, period.index, warnings),
        "warnings_total": sum(counts.values()),
        "repeats": repeats,
        "recurred": recurred,
    }


def supervision(con: duckdb.DuckDBPyConnection, period: Period, units: tuple[str, ...] | None = None) -> dict:
    """监督清单: measures done / due in total, by aspect and unit, over quarters, and the list itself (of ``units``
    only: a unit's account sees its own measures)."""
    (total, by_aspect), (by_unit, trend), listed = side_by_side(
        con,
        lambda c: (tasks.task_progress(c, period, units=units), tasks.task_progress(c, period, "aspect", units)),
        lambda c: (tasks.task_progress(c, period, "unit", units), tasks.task_trend(c, units)),
        lambda c: tasks.task_list(c, period, units))
    return {"total": total, "by_aspect": by_aspect, "by_unit": by_unit, "trend": trend, "list": listed}


def follow_up(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig) -> dict:
    """预警督办: warnings by tier with their rules, and the 会商议题建议清单."""

    def scores(c: duckdb.DuckDBPyConnection) -> tuple:
        raw = scoring.raw_scores(c, period.previous(), period, scope, cfg=cfg)  # both quarters in one pass
        return raw, scoring.rank_units(scoring.one_quarter(raw, period), scope, cfg=cfg)

    # read once for the warnings and the agenda
    (raw, units), concentrated = side_by_side(con, scores,
                                              lambda c: alerts.concentrations(c, period, scope, cfg=cfg))
    (rows, counts), agenda = side_by_side(
        con,
        lambda c: alerts.warnings_and_counts(c, period, scope, cfg=cfg, limit=LIST_LIMIT, per_tier=True,
                                             units=units, concentrated=concentrated),
        lambda c: alerts.meeting_agenda(c, period, scope, cfg=cfg, raw=raw, units=units,
                                        concentrated=concentrated))
    by_tier = {t: state.with_measures(con, period.index, f) for t, f in alerts.split_tiers(rows).items()}
    # all tiers are sorted highest level first, so the first rows overall are a prefix of the tiers' lists
    everything = pd.concat([by_tier[t] for t in reversed(alerts.TIERS)], ignore_index=True).head(LIST_LIMIT)
    return {"warnings": everything, "by_tier": by_tier, "counts": counts, "agenda": agenda}


def problem_history(con: duckdb.DuckDBPyConnection, problem_id: int, scope: Scope, cfg: ScoringConfig) -> pd.DataFrame:
    """整改历程: one problem quarter by quarter (analytics.history); empty unless every quarter of it is in scope."""
    if not history.in_scope(con, problem_id, scope):
        return pd.DataFrame(columns=list(history.HISTORY_COLUMNS))
    return history.problem_history(con, problem_id, cfg)


def group_view(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig) -> dict:
    """集团视图: the companies side by side (analytics.group)."""
    return group.companies(con, period, scope, cfg=cfg)
