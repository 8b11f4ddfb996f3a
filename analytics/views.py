"""What each page shows: one function per page, a connection and the filters in, plain data out.

The pages draw what these return and compute nothing themselves; the page
benchmark times exactly these calls, and the snapshot export reuses them.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from analytics import alerts, metrics, recurrence, scoring, tasks
from analytics.config import ScoringConfig, scoring_config
from analytics.metrics import ALL, Scope
from analytics.periods import Period

# Long lists stop here on a page (most urgent first); the page says how many there are in all.
LIST_LIMIT = 500


def overview(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
             cfg: ScoringConfig | None = None) -> dict:
    """总览: headline with the previous quarter's for deltas, company score, trends, warnings, worst units."""
    cfg = cfg or scoring_config()
    raw = scoring.raw_scores(con, period.previous(), period, scope, cfg)  # both quarters' scores in one pass
    now = scoring.one_quarter(raw, period)
    units = scoring.rank_units(now, scope, cfg)
    trend = metrics.trend(con, scope)  # every quarter's headline figures
    return {
        "headline": metrics.headline_of(trend, period),
        "previous": metrics.headline_of(trend, period.previous()),
        "recurrence": recurrence.recurrence_counts(con, period, scope),
        "company": scoring.company_of(now, cfg),
        "company_previous": scoring.company_of(scoring.one_quarter(raw, period.previous()), cfg),
        "trend": trend,
        "warnings": alerts.warning_counts(con, period, scope, cfg, units=units),
        "worst_units": units.sort_values(["score", "unit"]).head(5),
    }


def problem_trends(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """问题趋势: problems per quarter by source and dimension, the unit × dimension grid, new vs closed."""
    trends = metrics.trends(con, scope, (None, "source", "dimension"))  # one query for the three
    return {
        "total": trends[None],
        "by_source": trends["source"],
        "by_dimension": trends["dimension"],
        "matrix": metrics.unit_dimension_matrix(con, period, scope),
    }


def rectification(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
                  cfg: ScoringConfig | None = None) -> dict:
    """整改销号: rates by unit, ageing, overdue and nearly due problems by band, days to close, 回头看."""
    cfg = cfg or scoring_config()
    return {
        "by_unit": metrics.breakdown(con, period, "unit", scope),
        "ageing": metrics.ageing(con, period, scope),
        "bands": alerts.deadline_bands(con, period, scope, cfg, limit=LIST_LIMIT),
        "bands_total": alerts.deadline_band_count(con, period, scope, cfg),
        "days_to_close": metrics.days_to_close(con, period, scope),
        "lookback": alerts.lookback_sample(con, period, scope, cfg=cfg),
        "lookback_seed": cfg.lookback_seed,
        "lookback_size": cfg.lookback_size,
    }


def scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
           cfg: ScoringConfig | None = None) -> dict:
    """八维评分: dimension scores, unit ranking, company score, scores over quarters."""
    cfg = cfg or scoring_config()
    history = scoring.raw_scores(con, scope=scope, cfg=cfg)  # every quarter with problems, in one pass
    now = scoring.one_quarter(history, period)
    if now.empty:  # a quarter without problems in scope: only its 评分表 can score units
        now = scoring.raw_scores(con, period, scope=scope, cfg=cfg)
    return {
        "dimensions": scoring.dimensions_of(now, cfg),
        "units": scoring.rank_units(now, scope, cfg),
        "company": scoring.company_of(now, cfg),
        "history": scoring.history_of(history),
        "unit_history": scoring.unit_history_of(history, cfg),
    }


def unit_portrait(con: duckdb.DuckDBPyConnection, period: Period, unit: str, scope: Scope = ALL,
                  cfg: ScoringConfig | None = None) -> dict:
    """单位画像: one unit's figures, scores against the company's, trend, open problems, warnings, repeats."""
    cfg = cfg or scoring_config()
    mine, everyone = replace(scope, units=(unit,)), replace(scope, units=None)
    trend = metrics.trend(con, mine)  # every quarter's headline figures
    head = metrics.headline_of(trend, period)
    # both quarters of every unit in one pass: the company and the ranking this unit is compared with ignore the
    # sidebar's unit filter, and the unit's own rows are among them
    both = scoring.raw_scores(con, period.previous(), period, everyone, cfg)
    raw, company = both[both["unit"] == unit], scoring.one_quarter(both, period)
    scored = scoring.rank_units(scoring.one_quarter(raw, period), mine, cfg)
    warnings, counts = alerts.warnings_and_counts(con, period, mine, cfg, limit=LIST_LIMIT, units=scored)
    return {
        "headline": head,
        "previous": metrics.headline_of(trend, period.previous()),
        "dimensions": scoring.dimensions_of(scoring.one_quarter(raw, period), cfg),
        "unit": scored,
        "unit_previous": scoring.rank_units(scoring.one_quarter(raw, period.previous()), mine, cfg),
        "company": scoring.company_of(company, cfg),
        "ranking": scoring.rank_units(company, everyone, cfg),
        "trend": trend,
        "open_problems": metrics.problems(con, period, mine, only_open=True, limit=LIST_LIMIT),
        "open_total": head["open"],
        "warnings": warnings,
        "warnings_total": sum(counts.values()),
        "repeats": recurrence.likely_repeats(con, period, mine, cfg),
        "recurred": recurrence.recurred_problems(con, period, mine),
    }


def supervision(con: duckdb.DuckDBPyConnection, period: Period) -> dict:
    """监督清单: measures done / due in total, by aspect and unit, over quarters, and the list itself."""
    return {
        "total": tasks.task_progress(con, period),
        "by_aspect": tasks.task_progress(con, period, "aspect"),
        "by_unit": tasks.task_progress(con, period, "unit"),
        "trend": tasks.task_trend(con),
        "list": tasks.task_list(con, period),
    }


def follow_up(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
              cfg: ScoringConfig | None = None) -> dict:
    """预警督办: warnings by tier with their rules, and the 会商议题建议清单."""
    cfg = cfg or scoring_config()
    raw = scoring.raw_scores(con, period.previous(), period, scope, cfg)  # both quarters in one pass
    units = scoring.rank_units(scoring.one_quarter(raw, period), scope, cfg)
    concentrated = alerts.concentrations(con, period, scope, cfg)  # read once for the warnings and the agenda
    rows, counts = alerts.warnings_and_counts(con, period, scope, cfg, limit=LIST_LIMIT, per_tier=True, units=units,
                                              concentrated=concentrated)
    by_tier = alerts.split_tiers(rows)
    # all tiers are sorted highest level first, so the first rows overall are a prefix of the tiers' lists
    everything = pd.concat([by_tier[t] for t in reversed(alerts.TIERS)], ignore_index=True).head(LIST_LIMIT)
    return {
        "warnings": everything,
        "by_tier": by_tier,
        "counts": counts,
        "agenda": alerts.meeting_agenda(con, period, scope, cfg, raw=raw, units=units, concentrated=concentrated),
    }
