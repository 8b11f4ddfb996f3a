"""改而复发: recurrence marked in ledgers, problems reopened across quarters, and likely repeats.

A likely repeat is a problem new this quarter whose description closely
matches one already closed (已销号 at the end of the previous quarter) in the
same unit: the Jaccard similarity of their character n-gram sets (punctuation,
spaces and case ignored) reaches the configured threshold. These are only
suggestions, listed side by side for the secretary to decide.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.config import ScoringConfig, scoring_config
from analytics.metrics import ALL, Scope, cube, has_table
from analytics.periods import Period

REPEAT_COLUMNS = ["unit", "similarity", "new_problem_id", "new_code", "new_description", "new_found_date",
                  "old_problem_id", "old_code", "old_description", "old_closed_on"]


def recurrence_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """How many problems recurred as of the period: marked in a ledger, reopened, either; and reopened now."""
    if not has_table(con, "problem_cube"):
        return {"marked": 0, "reopened": 0, "recurred": 0, "reopened_this_period": 0}
    where, params = scope.where()
    row = con.execute(f"""
        SELECT {", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT)" for c in ("ever_marked", "ever_reopened",
                                                                             "recurred", "reopened"))}
        FROM {cube(con, scope)} WHERE period_no = $period_no AND {where}
    """, params | {"period_no": period.index}).fetchone()
    return dict(zip(("marked", "reopened", "recurred", "reopened_this_period"), row, strict=True))


def recurred_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """The recurred problems as of the period, with how each recurrence is known."""
    columns = ["problem_id", "problem_code", "unit", "source", "dimension", "description", "status", "how"]
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=columns)
    where, params = scope.where()
    return con.execute(f"""
        SELECT problem_id, problem_code, unit, source, dimension, description, status,
               concat_ws('；', CASE WHEN ever_reopened THEN '销号后又出现在台账中未完成' END,
                               CASE WHEN ever_marked THEN '台账标注复发' END) AS how
        FROM problem_state WHERE period_no = $period_no AND recurred AND {where}
        ORDER BY unit, problem_id
    """, params | {"period_no": period.index}).df()


# Shared n-grams are counted in numpy, one unit at a time, into a matrix of new × closed problems (this many
# cells at a time at most): a join in SQL makes a row per shared n-gram, over a million for one unit's few
# thousand problems. SQL still picks and rounds the figures, from the few pairs kept.
_BLOCK_CELLS = 4_000_000


def _unit_pairs(ids: np.ndarray, fresh: np.ndarray, grams: np.ndarray, threshold: float,
                keep: dict[str, list]) -> None:
    """Add the pairs of one unit (its rows: problem id, new or closed, n-gram number) that reach the threshold
    and, rounded to 3 decimals, could tie with their new problem's best (a superset of what SQL then picks)."""
    if fresh.all() or not fresh.any():
        return
    new_ids, a = np.unique(ids[fresh], return_inverse=True)
    old_ids, b = np.unique(ids[~fresh], return_inverse=True)
    new_sizes, old_sizes = np.bincount(a), np.bincount(b)
    # for each gram of a new problem, the closed problems sharing it: a slice of the closed rows sorted by gram
    order = np.argsort(grams[~fresh], kind="stable")
    old_grams, holders = grams[~fresh][order], b[order].astype(np.int32)
    new_grams = grams[fresh]
    step = max(1, _BLOCK_CELLS // len(old_ids))
    for first in range(0, len(new_ids), step):
        last = min(first + step, len(new_ids))
        mine = (a >= first) & (a < last)
        starts = np.searchsorted(old_grams, new_grams[mine], "left")
        counts = np.searchsorted(old_grams, new_grams[mine], "right") - starts
        # 32-bit positions (a block has at most _BLOCK_CELLS cells): half the memory traffic of 64-bit ones
        offsets = (np.repeat((starts - (np.cumsum(counts) - counts)).astype(np.int32), counts)
                   + np.arange(counts.sum(), dtype=np.int32))
        cells = np.repeat((a[mine] - first).astype(np.int32) * np.int32(len(old_ids)), counts) + holders[offsets]
        common = np.bincount(cells, minlength=(last - first) * len(old_ids)).reshape(last - first, len(old_ids))
        # Jaccard ≥ t means common × (1 + t) ≥ t × (|new| + |old|): tested on the whole block at once, loosely
        # enough to keep every pair the exact test below keeps, so that only the few candidates are gathered
        sizes = new_sizes[first:last, None] + old_sizes[None, :]
        i, j = np.nonzero(common * (1 + threshold) >= (threshold - 1e-6) * sizes)  # new problem by new problem
        shared = common[i, j]
        similarity = shared / (new_sizes[first + i] + old_sizes[j] - shared)
        ok = similarity >= threshold - 1e-9  # SQL applies the threshold itself; this only drops the hopeless
        i, j, shared, similarity = i[ok], j[ok], shared[ok], similarity[ok]
        if not len(i):
            continue
        runs = np.flatnonzero(np.r_[True, i[1:] != i[:-1]])
        best = np.repeat(np.maximum.reduceat(similarity, runs), np.diff(np.r_[runs, len(i)]))
        near = similarity >= best - 0.0011  # 3 decimals apart at most: the rounded values may tie
        keep["new_id"] += new_ids[first + i[near]].tolist()
        keep["old_id"] += old_ids[j[near]].tolist()
        keep["common"] += shared[near].tolist()
        keep["new_grams"] += new_sizes[first + i[near]].tolist()
        keep["old_grams"] += old_sizes[j[near]].tolist()


# Up to this many characters an n-gram is numbered by its code points (21 bits each, exact in a BIGINT), so that
# numpy compares numbers, not text that pandas would first have to number.
_CODED_CHARS = 3


def _gram_sql(n: int) -> str:
    """SQL for the n-gram of ``folded`` starting at ``pos``: a number when n ≤ _CODED_CHARS, else the text."""
    if n > _CODED_CHARS:
        return "substr(folded, pos, $n)"
    return " + ".join(f"(CAST(unicode(substr(folded, pos + {k}, 1)) AS BIGINT) << {21 * k})" for k in range(n))


def likely_repeats(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
                   cfg: ScoringConfig | None = None, limit: int | None = 200) -> pd.DataFrame:
    """疑似重复: new problems of the quarter that closely match a problem already closed in the same unit.

    Each new problem is paired with its closest closed one; most similar first, at most ``limit`` pairs.
    """
    cfg = cfg or scoring_config()
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=REPEAT_COLUMNS)
    where, params = scope.where()
    params |= {"period_no": period.index, "previous_no": period.index - 1}
    grams = con.execute(f"""
        WITH fresh AS (
            SELECT problem_id, unit, description FROM problem_state
            WHERE period_no = $period_no AND is_new AND {where} AND unit IS NOT NULL
        ),
        unit_nos AS (
            SELECT unit, row_number() OVER (ORDER BY unit) - 1 AS unit_no FROM (SELECT DISTINCT unit FROM fresh)
        ),
        candidates AS (
            SELECT problem_id, unit_no, fresh,
                   lower(regexp_replace(description, '[^\\p{{L}}\\p{{N}}]', '', 'g')) AS folded
            FROM (SELECT *, true AS fresh FROM fresh
                  UNION ALL
                  SELECT problem_id, unit, description, false FROM problem_state
                  WHERE period_no = $previous_no AND status = '已销号' AND {where}
                    AND unit IN (SELECT unit FROM fresh)) JOIN unit_nos USING (unit)
        )
        SELECT DISTINCT problem_id, unit_no, fresh, {_gram_sql(cfg.repeat_ngram)} AS gram
        FROM (SELECT *, unnest(range(1, greatest(length(folded) - $n + 2, 1))) AS pos FROM candidates)
    """, params | {"n": cfg.repeat_ngram}).fetchnumpy()
    units = grams["unit_no"]
    gram_no = grams["gram"] if cfg.repeat_ngram <= _CODED_CHARS else pd.factorize(grams["gram"])[0]
    keep: dict[str, list] = {"new_id": [], "old_id": [], "common": [], "new_grams": [], "old_grams": []}
    for unit in range(units.max(initial=-1) + 1):
        rows = units == unit
        _unit_pairs(grams["problem_id"][rows], grams["fresh"][rows], gram_no[rows], cfg.repeat_threshold, keep)
    shared = ", ".join(f"unnest(CAST(${c} AS BIGINT[])) AS {c}" for c in keep)
    return con.execute(f"""
        WITH shared AS (SELECT {shared})
        SELECT n.unit, round(common / (new_grams + old_grams - common), 3) AS similarity,
               s.new_id AS new_problem_id, n.problem_code AS new_code, n.description AS new_description,
               n.found_date AS new_found_date, s.old_id AS old_problem_id, o.problem_code AS old_code,
               o.description AS old_description, o.completed_on AS old_closed_on
        FROM shared s
        JOIN (SELECT * FROM problem_state WHERE period_no = $period_no AND {where}) n ON n.problem_id = s.new_id
        JOIN (SELECT * FROM problem_state WHERE period_no = $previous_no AND {where}) o ON o.problem_id = s.old_id
        WHERE common / (new_grams + old_grams - common) >= $threshold
        QUALIFY row_number() OVER (PARTITION BY s.new_id ORDER BY similarity DESC, s.old_id) = 1
        ORDER BY similarity DESC, n.unit, new_problem_id, old_problem_id
        LIMIT $limit
    """, params | keep | {"threshold": cfg.repeat_threshold, "limit": limit}).df()
