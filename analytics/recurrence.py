"""改而复发: recurrence marked in ledgers, problems reopened across quarters, found by 回头看, and likely repeats.

A likely repeat is a problem new this quarter whose description closely
matches one already closed (已销号 at the end of the previous quarter) in the
same unit: the Jaccard similarity of their character n-gram sets (punctuation,
spaces and case ignored) reaches the configured threshold. These are only
suggestions, listed side by side for the secretary to decide.
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.config import ScoringConfig
from analytics.db import has_table
from analytics.metrics import ALL, CLOSED_SQL, Scope, cube
from analytics.periods import Period

REPEAT_COLUMNS = ["unit", "similarity", "new_problem_id", "new_code", "new_description", "new_found_date",
                  "old_problem_id", "old_code", "old_description", "old_closed_on"]


def recurrence_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """How many problems recurred as of the period: marked in a ledger, reopened, found by 回头看, any of them; and
    reopened now."""
    names = ("marked", "reopened", "lookback", "recurred", "reopened_this_period")
    if not has_table(con, "problem_cube"):
        return dict.fromkeys(names, 0)
    where, params = scope.where()
    row = con.execute(f"""
        SELECT {", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT)" for c in ("ever_marked", "ever_reopened",
                                                                             "lookback_recurred", "recurred",
                                                                             "reopened"))}
        FROM {cube(scope)} WHERE period_no = $period_no AND {where}
    """, params | {"period_no": period.index}).fetchone()
    return dict(zip(names, row, strict=True))


def recurred_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """The recurred problems as of the period, with how each recurrence is known."""
    columns = ["problem_id", "problem_code", "unit", "source", "dimension", "description", "status", "how"]
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=columns)
    where, params = scope.where()
    return con.execute(f"""
        SELECT problem_id, problem_code, unit, source, dimension, description, status,
               concat_ws('；', CASE WHEN ever_reopened THEN '销号后又出现在台账中未完成' END,
                               CASE WHEN ever_marked THEN '台账标注复发' END,
                               CASE WHEN lookback_recurred THEN '回头看发现改而复发' END) AS how
        FROM problem_state WHERE period_no = $period_no AND recurred AND {where}
        ORDER BY unit, problem_id
    """, params | {"period_no": period.index}).df()


# How descriptions are compared: letters and digits only, lower case, as this SQL folds a text. DuckDB's lower()
# maps a code point to one code point and the pattern drops single code points, so a text folds character by
# character.
_FOLD_SQL = "lower(regexp_replace(c, '[^\\p{L}\\p{N}]', '', 'g'))"
_UNKNOWN = 0xFFFF_FFFF
# code point → its fold (0: dropped), asked of DuckDB once for each character the texts bring: folding every text
# in SQL took 3 µs a text, and Python's own tables would differ (İ lower-cases to two characters; RE2 knows letters
# added after Python 3.11's Unicode 14)
_FOLDED = np.full(0x110000, _UNKNOWN, dtype=np.uint32)


def _learn_folds(con: duckdb.DuckDBPyConnection, points: np.ndarray) -> None:
    """Fold these code points with the SQL and remember how."""
    with con.cursor() as cur:
        folded = cur.execute(f"SELECT [{_FOLD_SQL} FOR c IN $chars]",
                             {"chars": [chr(p) for p in points.tolist()]}).fetchone()[0]
    _FOLDED[points] = [ord(f) if f else 0 for f in folded]  # ord() refuses a fold of two characters


def _folded_points(con: duckdb.DuckDBPyConnection, texts: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The texts folded: their code points end to end, and each text's length (0 for a null)."""
    texts = pc.fill_null(texts, "").combine_chunks()
    lengths = pc.utf8_length(texts).to_numpy().astype(np.int64)
    whole = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(texts)], pa.int32()), texts), "")[0]
    points = np.frombuffer(whole.as_py().encode("utf-32-le"), dtype=np.uint32)
    folded = _FOLDED[points]
    if (folded == _UNKNOWN).any():
        _learn_folds(con, np.unique(points[folded == _UNKNOWN]))
        folded = _FOLDED[points]
    kept = folded != 0
    lengths = np.bincount(np.repeat(np.arange(len(lengths)), lengths)[kept], minlength=len(lengths))
    return folded[kept], lengths


# Up to this many characters an n-gram is numbered by its code points (21 bits each, exact in an int64); longer
# ones are numbered by their rank among the distinct n-grams.
_CODED_CHARS = 3
# Repeated n-grams are dropped from this many texts at a time.
_TEXTS = 4096


def _gram_rows(points: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct n-gram of each text (code points end to end, and each text's length; shorter texts have none):
    the text's row, ascending, and the n-gram's number (0, 1, ...), equal exactly when the n-grams are."""
    counts = np.maximum(lengths - n + 1, 0)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(len(lengths)), counts)
    pos = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
    if n <= _CODED_CHARS:
        grams = sum(points[pos + k].astype(np.int64) << (21 * k) for k in range(n))
    else:
        grams = np.unique(np.stack([points[pos + k] for k in range(n)], axis=1), axis=0, return_inverse=True)[1]
    grams = pd.factorize(np.asarray(grams, dtype=np.int64).ravel())[0]
    # a text's repeated n-gram counts once: (row, n-gram) pairs made unique as one number, a few thousand texts at
    # a time (one hash table for the 11 million n-grams of 680,000 texts, a whole quarter, missed the CPU cache)
    distinct = int(grams.max(initial=0)) + 1
    pairs, cuts = rows * distinct + grams, np.searchsorted(rows, np.arange(0, len(lengths) + _TEXTS, _TEXTS))
    unique = [pairs[:0], *(pd.unique(pairs[lo:hi]) for lo, hi in itertools.pairwise(cuts))]
    return np.divmod(np.concatenate(unique), distinct)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array, and each element's number among them."""
    first = np.ones(len(values), dtype=bool)
    first[1:] = values[1:] != values[:-1]
    return values[first], np.cumsum(first) - 1


# Shared n-grams are counted one unit at a time into a matrix of new × closed problems: a new problem's row is the
# sum of the rows of a 0/1 matrix (the new problems' n-grams × closed problems) for its n-grams, in byte-wide adds
# that numpy vectorises; a count per shared n-gram and pair (a million for one unit's 3,500 problems) took seven
# times as long. At most this many cells of the 0/1 matrix (closed problems taken in slices beyond), and of the
# sums (new problems taken in blocks: the sums stay in the CPU cache while the rows are added in).
_MATRIX_CELLS = 1 << 23
_BLOCK_CELLS = 1 << 18


def _unit_pairs(rows: np.ndarray, grams: np.ndarray, fresh: np.ndarray,
                threshold: float) -> list[tuple[np.ndarray, ...]]:
    """The pairs of one unit's problems that reach the threshold, in blocks of (new row, closed row, similarity),
    from the unit's n-gram rows (candidate row, ascending, and n-gram number) and which candidate rows are new."""
    mine = fresh[rows]
    if mine.all() or not mine.any():
        return []
    new_texts, a = _runs(rows[mine])
    old_texts, b = _runs(rows[~mine])
    new_sizes, old_sizes = np.bincount(a), np.bincount(b)
    # the new problems' n-grams numbered 0, 1, ...; a closed problem's other n-grams are shared with none of them
    slot, distinct = pd.factorize(grams[mine])
    numbers = np.full(grams.max() + 1, -1, dtype=np.int32)  # a lookup table: 5 times faster than a hash here
    numbers[distinct] = np.arange(len(distinct))
    where = numbers[grams[~mine]]
    b, where = b[where >= 0], where[where >= 0]
    dtype = np.min_scalar_type(new_sizes.max() + 1)  # a count never exceeds its new problem's n-grams
    # the fewest shared n-grams a new problem needs with even the smallest closed one (Jaccard ≥ t means
    # common × (1 + t) ≥ t × (|new| + |old|)): one comparison a cell leaves the few pairs to test exactly
    need = np.floor((threshold - 1e-6) * (new_sizes + old_sizes.min()) / (1 + threshold))
    need = np.clip(need, 1, new_sizes + 1).astype(dtype)
    starts = np.cumsum(new_sizes) - new_sizes
    longest_first = np.argsort(-new_sizes, kind="stable")
    out = []
    width = max(1, _MATRIX_CELLS // len(distinct))
    for lo in range(0, len(old_texts), width):
        hi = min(lo + width, len(old_texts))
        part = slice(*np.searchsorted(b, [lo, hi]))
        holds = np.zeros((len(distinct), hi - lo), dtype=dtype)
        holds[where[part], b[part] - lo] = 1
        step = max(1, _BLOCK_CELLS // (hi - lo))
        for first in range(0, len(new_texts), step):
            block = longest_first[first:first + step]
            sizes, common = new_sizes[block], np.zeros((len(block), hi - lo), dtype=dtype)
            for k in range(sizes[0]):  # the k-th n-gram of each new problem that has one: the first `have`
                have = int(np.searchsorted(-sizes, -k))
                common[:have] += holds[slot[starts[block[:have]] + k]]
            i, j = np.divmod(np.flatnonzero(common >= need[block, None]), hi - lo)  # 2-d nonzero: 5 times slower
            shared = common[i, j].astype(np.int64)
            i, j = block[i], lo + j
            similarity = shared / (new_sizes[i] + old_sizes[j] - shared)
            ok = similarity >= threshold
            if ok.any():
                out.append((new_texts[i[ok]], old_texts[j[ok]], similarity[ok]))
    return out


def _round3(values: np.ndarray) -> np.ndarray:
    """round(x, 3) for doubles ≥ 0 as DuckDB computes it: halves away from zero (numpy's round goes to even)."""
    scaled = values * 1000.0
    whole = np.trunc(scaled)
    return (whole + (scaled - whole >= 0.5)) / 1000.0


def _best_pairs(pairs: list[tuple[np.ndarray, ...]], ids: np.ndarray, unit_no: np.ndarray,
                limit: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each new problem's closest closed one (rounded to 3 decimals, a tie going to the first closed problem), most
    similar first, then by unit and new problem, at most ``limit``: new row, closed row, rounded similarity."""
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    new, old, similarity = (np.concatenate(column) for column in zip(*pairs, strict=True))
    similarity = _round3(similarity)
    order = np.lexsort((ids[old], -similarity, new))  # within a new problem: most similar, then first closed
    new, old, similarity = new[order], old[order], similarity[order]
    first = np.r_[True, new[1:] != new[:-1]]
    new, old, similarity = new[first], old[first], similarity[first]
    shown = np.lexsort((ids[new], unit_no[new], -similarity))[:limit]
    return new[shown], old[shown], similarity[shown]


def _candidates(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> pa.Table:
    """The quarter's new problems and the previous quarter's closed ones, with what the list shows (one scan of
    both quarters: a scan each, the closed ones semi-joined on the units of the new ones, took 1.5 times as long)."""
    where, params = scope.where()
    params |= {"period_no": period.index, "previous_no": period.index - 1}
    with con.cursor() as cur:  # .sql() refuses a connection holding an unfinished execute() result
        return cur.sql(f"""
            SELECT problem_id, unit, period_no = $period_no AS fresh, problem_code, description, found_date,
                   completed_on
            FROM problem_state
            WHERE period_no IN ($period_no, $previous_no) AND {where} AND unit IS NOT NULL
              AND CASE WHEN period_no = $period_no THEN is_new ELSE {CLOSED_SQL} END
        """, params=params).to_arrow_table()


def _by_unit(candidates: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The candidates grouped by unit, and their units numbered in order (of code points, as SQL sorts text): in
    SQL, ORDER BY unit added a fifth to the query."""
    units = candidates["unit"].combine_chunks().dictionary_encode()
    rank = np.argsort(pc.array_sort_indices(units.dictionary).to_numpy())
    unit_no = rank[units.indices.to_numpy()]
    order = np.argsort(unit_no, kind="stable")
    return candidates.take(order), unit_no[order]


def _listing(candidates: pa.Table, new: np.ndarray, old: np.ndarray, similarity: np.ndarray) -> pd.DataFrame:
    """The pairs side by side, typed as DuckDB's .df() types them."""
    n, o = candidates.take(new), candidates.take(old)
    frame = pa.table({
        "unit": n["unit"], "similarity": similarity, "new_problem_id": n["problem_id"], "new_code": n["problem_code"],
        "new_description": n["description"], "new_found_date": n["found_date"].cast(pa.timestamp("us")),
        "old_problem_id": o["problem_id"], "old_code": o["problem_code"], "old_description": o["description"],
        "old_closed_on": o["completed_on"].cast(pa.timestamp("us")),
    }).to_pandas(use_threads=False)
    if frame.empty:  # DuckDB leaves the text columns of an empty result as objects
        frame = frame.astype({c: object for c in ("unit", "new_code", "new_description", "old_code",
                                                  "old_description")})
    return frame


def likely_repeats(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL, *, cfg: ScoringConfig,
                   limit: int | None = 200) -> pd.DataFrame:
    """疑似重复: new problems of the quarter that closely match a problem already closed in the same unit.

    Each new problem is paired with its closest closed one; most similar first, at most ``limit`` pairs.
    """
    if not has_table(con, "problem_state"):
        return pd.DataFrame(columns=REPEAT_COLUMNS)
    candidates, unit_no = _by_unit(_candidates(con, period, scope))
    rows, grams = _gram_rows(*_folded_points(con, candidates["description"]), cfg.repeat_ngram)
    fresh = candidates["fresh"].to_numpy()
    cuts = np.searchsorted(unit_no[rows], np.arange(unit_no.max(initial=-1) + 2))  # where each unit's n-grams start
    pairs = [pair for unit in range(len(cuts) - 1)
             for pair in _unit_pairs(rows[cuts[unit]:cuts[unit + 1]], grams[cuts[unit]:cuts[unit + 1]], fresh,
                                     cfg.repeat_threshold)]
    return _listing(candidates, *_best_pairs(pairs, candidates["problem_id"].to_numpy(), unit_no, limit))
