"""改而复发: recurrence marked in ledgers, problems reopened across quarters, and likely repeats.

A likely repeat is a problem new this quarter whose description closely
matches one already closed (已销号 at the end of the previous quarter) in the
same unit: the Jaccard similarity of their character n-gram sets (punctuation,
spaces and case ignored) reaches the configured threshold. These are only
suggestions, listed side by side for the secretary to decide.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.config import ScoringConfig, scoring_config
from analytics.db import table_exists
from analytics.metrics import ALL, Scope
from analytics.periods import Period

REPEAT_COLUMNS = ["unit", "similarity", "new_problem_id", "new_code", "new_description", "new_found_date",
                  "old_problem_id", "old_code", "old_description", "old_closed_on"]


def recurrence_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> dict:
    """How many problems recurred as of the period: marked in a ledger, reopened, either; and reopened now."""
    if not table_exists(con, "problem_state"):
        return {"marked": 0, "reopened": 0, "recurred": 0, "reopened_this_period": 0}
    where, params = scope.where()
    row = con.execute(f"""
        SELECT count(*) FILTER (WHERE ever_marked), count(*) FILTER (WHERE ever_reopened),
               count(*) FILTER (WHERE recurred), count(*) FILTER (WHERE reopened)
        FROM problem_state WHERE period_no = $period_no AND {where}
    """, params | {"period_no": period.index}).fetchone()
    return dict(zip(("marked", "reopened", "recurred", "reopened_this_period"), row, strict=True))


def recurred_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """The recurred problems as of the period, with how each recurrence is known."""
    columns = ["problem_id", "problem_code", "unit", "source", "dimension", "description", "status", "how"]
    if not table_exists(con, "problem_state"):
        return pd.DataFrame(columns=columns)
    where, params = scope.where()
    return con.execute(f"""
        SELECT problem_id, problem_code, unit, source, dimension, description, status,
               concat_ws('；', CASE WHEN ever_reopened THEN '销号后又出现在台账中未完成' END,
                               CASE WHEN ever_marked THEN '台账标注复发' END) AS how
        FROM problem_state WHERE period_no = $period_no AND recurred AND {where}
        ORDER BY unit, problem_id
    """, params | {"period_no": period.index}).df()


def likely_repeats(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope = ALL,
                   cfg: ScoringConfig | None = None, limit: int | None = 200) -> pd.DataFrame:
    """疑似重复: new problems of the quarter that closely match a problem already closed in the same unit.

    Each new problem is paired with its closest closed one; most similar first, at most ``limit`` pairs.
    """
    cfg = cfg or scoring_config()
    if not table_exists(con, "problem_state"):
        return pd.DataFrame(columns=REPEAT_COLUMNS)
    where, params = scope.where()
    n = cfg.repeat_ngram
    return con.execute(f"""
        WITH candidates AS (
            SELECT problem_id, problem_code, unit, description, found_date, completed_on,
                   period_no = $period_no AS fresh,
                   lower(regexp_replace(description, '[^\\p{{L}}\\p{{N}}]', '', 'g')) AS folded
            FROM problem_state
            WHERE {where} AND (
                (period_no = $period_no AND is_new)
                OR (period_no = $previous_no AND status = '已销号'
                    AND unit IN (SELECT unit FROM problem_state WHERE period_no = $period_no AND is_new)))
        ),
        grams AS (
            SELECT problem_id, unit, fresh, count(*) OVER (PARTITION BY problem_id, fresh) AS grams, gram
            FROM (SELECT DISTINCT problem_id, unit, fresh,
                         substr(folded, unnest(range(1, greatest(length(folded) - $n + 2, 1))), $n) AS gram
                  FROM candidates)
        ),
        shared AS (
            SELECT a.problem_id AS new_id, b.problem_id AS old_id, a.unit,
                   count(*) AS common, any_value(a.grams) AS new_grams, any_value(b.grams) AS old_grams
            FROM grams a JOIN grams b ON a.gram = b.gram AND a.unit = b.unit AND a.fresh AND NOT b.fresh
            GROUP BY ALL
        )
        SELECT s.unit, round(common / (new_grams + old_grams - common), 3) AS similarity,
               s.new_id AS new_problem_id, n.problem_code AS new_code, n.description AS new_description,
               n.found_date AS new_found_date, s.old_id AS old_problem_id, o.problem_code AS old_code,
               o.description AS old_description, o.completed_on AS old_closed_on
        FROM shared s
        JOIN candidates n ON n.problem_id = s.new_id AND n.fresh
        JOIN candidates o ON o.problem_id = s.old_id AND NOT o.fresh
        WHERE common / (new_grams + old_grams - common) >= $threshold
        QUALIFY row_number() OVER (PARTITION BY s.new_id ORDER BY similarity DESC, s.old_id) = 1
        ORDER BY similarity DESC, s.unit, new_problem_id, old_problem_id
        LIMIT $limit
    """, params | {"period_no": period.index, "previous_no": period.index - 1, "n": n,
                   "threshold": cfg.repeat_threshold, "limit": limit}).df()
