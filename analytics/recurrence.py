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
import pyarrow as pa
import pyarrow.compute as pc

from analytics.config import ScoringConfig, scoring_config
from analytics.db import has_table
from analytics.metrics import ALL, Scope, cube
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
# cells at a time at most, 2 MB: counting and testing them then stays in the CPU cache): a join in SQL makes a
# row per shared n-gram, over a million for one unit's few thousand problems. SQL still picks and rounds the
# figures, from the few pairs kept.
_BLOCK_CELLS = 262_144


def _unit_pairs(ids: np.ndarray, fresh: np.ndarray, grams: np.ndarray, threshold: float,
                keep: dict[str, list]) -> None:
    """Add the pairs of one unit (its rows: problem id, new or closed, n-gram number) that reach the threshold
    and, rounded to 3 decimals, could tie with their new problem's best (a superset of what SQL then picks)."""
    if fresh.all() or not fresh.any():
        return
    new_ids, a = np.unique(ids[fresh], return_inverse=True)
    old_ids, b = np.unique(ids[~fresh], return_inverse=True)
    new_sizes, old_sizes = np.bincount(a), np.bincount(b)
    # the fewest shared n-grams (rounded down) a new problem needs with even the smallest closed one to pass the
    # loose test below: one integer comparison per cell, where the float test took three passes over the block
    need = np.floor((threshold - 1e-6) * (new_sizes + old_sizes.min()) / (1 + threshold)).astype(np.int64)
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
        # Jaccard ≥ t means common × (1 + t) ≥ t × (|new| + |old|): tested loosely enough to keep every pair the
        # exact test below keeps, after the integer bound has left only the few candidates to gather
        i, j = np.nonzero(common >= need[first:last, None])  # new problem by new problem
        shared = common[i, j]
        loose = shared * (1 + threshold) >= (threshold - 1e-6) * (new_sizes[first + i] + old_sizes[j])
        i, j, shared = i[loose], j[loose], shared[loose]
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


# Up to this many characters an n-gram is numbered by its code points (21 bits each, exact in an int64); longer
# ones are numbered by their rank among the distinct n-grams.
_CODED_CHARS = 3


def _gram_rows(folded: pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct n-gram of each text (code points; blank texts and shorter ones have none): the text's row
    and the n-gram's number, equal exactly when the n-grams are. In numpy: unnesting positions and DISTINCT in SQL
    took 7 of the 20 ms that reading and folding one unit's 3,500 texts into 57,000 n-grams took."""
    lengths = pc.fill_null(pc.utf8_length(folded), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    points = np.frombuffer("".join(folded.fill_null("").to_pylist()).encode("utf-32-le"), dtype=np.uint32)
    counts = np.maximum(lengths - n + 1, 0)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(len(lengths)), counts)
    pos = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
    if n <= _CODED_CHARS:
        grams = sum(points[pos + k].astype(np.int64) << (21 * k) for k in range(n))
    else:
        grams = np.unique(np.stack([points[pos + k] for k in range(n)], axis=1), axis=0, return_inverse=True)[1]
    grams = pd.factorize(np.asarray(grams, dtype=np.int64).ravel())[0]
    # a text's repeated n-gram counts once: (row, n-gram) pairs made unique as one number
    distinct = int(grams.max(initial=0)) + 1
    pairs = pd.unique(rows * distinct + grams)
    return pairs // distinct, pairs % distinct


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
    # the candidates with what the list shows of them: read once, their text not read again for the pairs kept
    with con.cursor() as cur:  # .sql() refuses a connection holding an unfinished execute() result
        candidates = cur.sql(f"""
            WITH fresh AS (
                SELECT problem_id, unit, problem_code, description, found_date FROM problem_state
                WHERE period_no = $period_no AND is_new AND {where} AND unit IS NOT NULL
            ),
            unit_nos AS (
                SELECT unit, row_number() OVER (ORDER BY unit) - 1 AS unit_no FROM (SELECT DISTINCT unit FROM fresh)
            )
            SELECT problem_id, unit_no, unit, fresh, problem_code, description, found_date, completed_on,
                   lower(regexp_replace(description, '[^\\p{{L}}\\p{{N}}]', '', 'g')) AS folded
            FROM (SELECT *, CAST(NULL AS DATE) AS completed_on, true AS fresh FROM fresh
                  UNION ALL
                  SELECT problem_id, unit, problem_code, description, NULL, completed_on, false FROM problem_state
                  WHERE period_no = $previous_no AND status = '已销号' AND {where}
                    AND unit IN (SELECT unit FROM fresh)) JOIN unit_nos USING (unit)
        """, params=params).to_arrow_table()
    rows, gram_no = _gram_rows(candidates["folded"].combine_chunks(), cfg.repeat_ngram)
    ids = candidates["problem_id"].to_numpy()[rows]
    fresh = candidates["fresh"].to_numpy()[rows]
    units = candidates["unit_no"].to_numpy()[rows]
    keep: dict[str, list] = {"new_id": [], "old_id": [], "common": [], "new_grams": [], "old_grams": []}
    for unit in range(units.max(initial=-1) + 1):
        mine = units == unit
        _unit_pairs(ids[mine], fresh[mine], gram_no[mine], cfg.repeat_threshold, keep)
    shared = ", ".join(f"unnest(CAST(${c} AS BIGINT[])) AS {c}" for c in keep)
    with con.cursor() as cur:  # its own connection: the candidates are visible to this query alone
        cur.register("candidates", candidates.drop_columns(["folded"]))
        return cur.execute(f"""
            WITH shared AS (SELECT {shared})
            SELECT n.unit, round(common / (new_grams + old_grams - common), 3) AS similarity,
                   s.new_id AS new_problem_id, n.problem_code AS new_code, n.description AS new_description,
                   n.found_date AS new_found_date, s.old_id AS old_problem_id, o.problem_code AS old_code,
                   o.description AS old_description, o.completed_on AS old_closed_on
            FROM shared s
            JOIN (SELECT * FROM candidates WHERE fresh) n ON n.problem_id = s.new_id
            JOIN (SELECT * FROM candidates WHERE NOT fresh) o ON o.problem_id = s.old_id
            WHERE common / (new_grams + old_grams - common) >= $threshold
            QUALIFY row_number() OVER (PARTITION BY s.new_id ORDER BY similarity DESC, s.old_id) = 1
            ORDER BY similarity DESC, n.unit, new_problem_id, old_problem_id
            LIMIT $limit
        """, keep | {"threshold": cfg.repeat_threshold, "limit": limit}).df()
