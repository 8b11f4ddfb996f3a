"""problem_state: each problem's state in every quarter since it was found, derived from observations.

For each problem and each quarter in which it was listed, the latest report
wins, and each field a report did not have (NULL) inherits the value of the
report before it. The state then carries, unchanged, through quarters where
the problem is not listed, up to the last quarter with any ledger.

Flags per quarter: is_open (stored, so that a query for open problems skips the row
groups of completed ones), is_new, listed, carried_over (open at the start), closed_now
(已销号 this quarter), reopened (已销号 before, open now), recurred (ever
reopened, marked 复发 in a ledger, or found 改而复发 by a 回头看 of this quarter or an earlier one:
lookback_recurred, from lookback_checks). completed_on is the ledger's completion
date, or, if a completed problem has none, the end of the quarter it was first
reported completed.

Only the problems an import or undo touched are recomputed (``update``); the rest are only
extended or cut when the last quarter changes. When it is rebuilt, and the tables built from it, is
analytics.derived's to decide: this module only says how problem_state is made.
"""

from __future__ import annotations

from dataclasses import asdict

import duckdb
import pandas as pd

from analytics.config import CLOSED_STATUS, COMPLETED_STATUSES, OPEN_STATUSES, ScoringConfig
from analytics.db import BLANK_DATE, has_table, sql_in, sql_text
from analytics.lookback import RECURRED_SQL as LOOKBACK_RECURRED_SQL

# Bump when how problem_state is made changes in code other than _state_sql (whose text analytics.derived stamps
# too): a database built before is rebuilt on its next bringing up to date.
VERSION = 11
# completed (已整改, 已销号): the figure modules' test on a problem_state row, also how its rows are ordered
COMPLETED_SQL = f"status IN {sql_in(COMPLETED_STATUSES)}"
_CLOSED = sql_text(CLOSED_STATUS)  # the status words are analytics.config's, made SQL literals in one place
# Rows stored by quarter, open before completed, then by unit: a list of open problems or of one unit's reads a
# few blocks of text, not the whole quarter's (DuckDB skips blocks without a match; a scattered read decodes all).
_ORDER = f"ORDER BY period_no, {COMPLETED_SQL}, unit, problem_id"
# Descriptions are stored uncompressed: nearly every one is unique, so DICT_FSST saves little, while lists read a
# few hundred scattered rows' text and FSST decodes whole vectors to give them (a 500-row list: 11 → 5 ms at 1M).
_UNCOMPRESSED = ("description",)
# fields resolved with inheritance; long free text (measures, progress …) is resolved on demand
INHERITED = ("problem_code", "category", "owner", "severity", "recurred_mark", "found_date", "deadline",
             "no_deadline", "closed_date", "immediate", "long_term", "category_guess")
_TEXT = ("problem_code", "category", "owner", "severity")
_DATES = ("found_date", "deadline", "closed_date")
_CATEGORY = "coalesce(NULLIF(category, ''), category_guess) AS category"


def _quarter_end(expr: str) -> str:
    return (f"last_day(make_date(CAST(({expr}) // 4 AS INTEGER), CAST((({expr}) % 4 + 1) * 3 AS INTEGER), 1))")


# marked 复发 by a report (NULL: not)
_MARKED = "coalesce(recurred_mark, false)"
# Each quarter's move, from the status before it (prev_status: NULL in a problem's first quarter)
_MOVES = f"""coalesce(prev_status = {_CLOSED}, false) AND status IN {sql_in(OPEN_STATUSES)} AS reopened_here,
            {COMPLETED_SQL} AND coalesce(prev_status NOT IN {sql_in(COMPLETED_STATUSES)}, true) AS completed_here"""


# lookback_checks as a database without it (written before it existed, opened read-only) has it: empty
_NO_CHECKS = ("(SELECT CAST(NULL AS INTEGER) AS check_id, CAST(NULL AS BIGINT) AS problem_id, "
              "CAST(NULL AS INTEGER) AS period_no, CAST(NULL AS VARCHAR) AS result WHERE false)")


def _checks(con: duckdb.DuckDBPyConnection) -> str:
    return "lookback_checks" if has_table(con, "lookback_checks") else _NO_CHECKS


def _state_sql(where_obs: str, checks: str = "lookback_checks") -> str:
    """SELECT of problem_state rows for the observations matching where_obs, expanded up to $max_no; ``checks``:
    the 回头看 results (lookback_checks, or _NO_CHECKS).

    A problem reported once (most of a quarter's new ones) needs no window: its one report is its state, as the
    windows would find it. Only the others go through the windows' sorts.
    """
    resolved = ", ".join(f"last_value({c} IGNORE NULLS) OVER w AS {c}" for c in INHERITED)
    # a category the ledger gave, else the dimension its description names (category_guess)
    cleaned = ", ".join([*(f"NULLIF({c}, '') AS {c}" if c != "category" else _CATEGORY for c in _TEXT),
                         *(f"NULLIF({c}, DATE '{BLANK_DATE}') AS {c}" for c in _DATES)])
    listed = "problem_id, period_no, import_id, excel_row, source, description, unit, status"
    return f"""
    WITH reports AS (
        SELECT problem_id, count(*) = 1 AS once FROM observations WHERE {where_obs} GROUP BY problem_id
    ),
    resolved AS (
        SELECT {listed}, {resolved}
        FROM observations
        WHERE {where_obs} AND problem_id IN (SELECT problem_id FROM reports WHERE NOT once)
        WINDOW w AS (PARTITION BY problem_id ORDER BY period_no, import_id, excel_row
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        -- the quarter's last report: the next one in w's order is of a later quarter (one sort, not two)
        QUALIFY lead(period_no) OVER w IS DISTINCT FROM period_no
    ),
    steps AS (
        SELECT *,
               lag(status) OVER p AS prev_status,
               lead(period_no, 1, $max_no + 1) OVER p AS next_no,
               first_value(period_no) OVER p AS first_no
        FROM resolved WINDOW p AS (PARTITION BY problem_id ORDER BY period_no)
    ),
    moves AS (SELECT *, {_MOVES} FROM steps),
    history_of_several AS (
        SELECT *,
               bool_or(reopened_here) OVER c AS ever_reopened,
               bool_or({_MARKED}) OVER c AS ever_marked,
               last_value(CASE WHEN completed_here THEN period_no END IGNORE NULLS) OVER c AS completed_since_no
        FROM moves WINDOW c AS (PARTITION BY problem_id ORDER BY period_no ROWS UNBOUNDED PRECEDING)
    ),
    moves_of_one AS (
        SELECT *, {_MOVES}
        FROM (SELECT {listed}, {", ".join(INHERITED)}, CAST(NULL AS VARCHAR) AS prev_status,
                     $max_no + 1 AS next_no, period_no AS first_no
              FROM observations
              WHERE {where_obs} AND problem_id IN (SELECT problem_id FROM reports WHERE once))
    ),
    history AS (
        SELECT * FROM history_of_several
        UNION ALL BY NAME
        SELECT *, reopened_here AS ever_reopened, {_MARKED} AS ever_marked,
               CASE WHEN completed_here THEN period_no END AS completed_since_no
        FROM moves_of_one
    ),
    expanded AS (
        SELECT *, unnest(range(period_no, next_no)) AS at_no FROM history
    )
    SELECT at_no AS period_no,
           CAST(at_no // 4 AS VARCHAR) || 'Q' || CAST(at_no % 4 + 1 AS VARCHAR) AS period,
           {_quarter_end("at_no")} AS period_end,
           problem_id, first_no, period_no AS listed_no, import_id, excel_row, source, description,
           coalesce(map_unit, unit) AS unit, status,
           {cleaned},
           coalesce(no_deadline, false) AS no_deadline,
           coalesce(immediate, false) AS immediate,
           coalesce(long_term, false) AS long_term,
           coalesce(m.dimension, $unclassified) AS dimension,
           NOT ({COMPLETED_SQL}) AS is_open,
           at_no = first_no AS is_new,
           at_no = period_no AS listed,
           at_no > first_no AND (CASE WHEN at_no = period_no THEN coalesce(prev_status, '') ELSE status END)
               <> {_CLOSED} AS carried_over,
           at_no = period_no AND status = {_CLOSED} AND coalesce(prev_status, '') <> {_CLOSED} AS closed_now,
           at_no = period_no AND reopened_here AS reopened,
           ever_reopened, ever_marked, coalesce(at_no >= lb.lookback_no, false) AS lookback_recurred,
           ever_reopened OR ever_marked OR coalesce(at_no >= lb.lookback_no, false) AS recurred,
           CASE WHEN {COMPLETED_SQL}
                THEN coalesce(NULLIF(closed_date, DATE '{BLANK_DATE}'), {_quarter_end("completed_since_no")})
           END AS completed_on
    FROM expanded
    LEFT JOIN (SELECT category AS map_category, dimension FROM category_map) m
           ON m.map_category = coalesce(NULLIF(expanded.category, ''), expanded.category_guess)
    -- the unit as the 组织架构 names it (analytics.org): the ledger's text read within the import's company
    LEFT JOIN (SELECT import_id AS unit_import, coalesce(company, '') AS unit_company FROM imports) ui
           ON ui.unit_import = expanded.import_id
    LEFT JOIN (SELECT company AS map_company, name AS map_name, unit AS map_unit FROM unit_map) um
           ON um.map_company = ui.unit_company AND um.map_name = expanded.unit
    LEFT JOIN ({LOOKBACK_RECURRED_SQL.format(checks=checks)}) lb ON lb.lookback_problem_id = expanded.problem_id
    """


def code() -> str:
    """How problem_state is made, for analytics.derived's stamp: a change to it makes the table stale."""
    return f"{VERSION} {_state_sql('TRUE')}"


def basis(scoring: ScoringConfig) -> list:
    """The configuration problem_state depends on: the dimensions and their keywords (not weights or thresholds)."""
    return [[asdict(d) for d in scoring.dimensions], scoring.unclassified]


def _map_new_categories(con: duckdb.DuckDBPyConnection, scoring: ScoringConfig) -> None:
    """Classify every category text not yet in category_map: as the user assigned it (category_answers), else by
    the configured keyword map."""
    new = con.execute("""
        SELECT DISTINCT o.category, a.dimension
        FROM (SELECT category FROM observations UNION SELECT category_guess FROM observations) o
        LEFT JOIN category_answers a ON a.category = o.category
        WHERE o.category IS NOT NULL AND o.category <> '' AND o.category NOT IN (SELECT category FROM category_map)
    """).fetchall()
    if new:
        con.executemany("INSERT INTO category_map VALUES (?, ?)",
                        [[c, answered or scoring.classify(c)] for c, answered in new])


def _params(con: duckdb.DuckDBPyConnection, scoring: ScoringConfig) -> dict:
    max_no = con.execute("SELECT max(period_no) FROM observations").fetchone()[0]
    return {"max_no": max_no if max_no is not None else -1, "unclassified": scoring.unclassified}


def rebuild(con: duckdb.DuckDBPyConnection, scoring: ScoringConfig) -> None:
    """problem_state (and category_map, the dimension of each category text) made anew from every observation."""
    con.execute("DELETE FROM category_map")
    _map_new_categories(con, scoring)
    params = _params(con, scoring)
    _create_state(con, params)
    con.execute(f"INSERT INTO problem_state {_state_sql('TRUE', _checks(con))} {_ORDER}", params)


def update(con: duckdb.DuckDBPyConnection, touched: list[int], scoring: ScoringConfig) -> None:
    """problem_state after an import or undo that touched these problem ids, from a problem_state that was
    current before it for the same dimensions (analytics.derived decides when it may be updated so)."""
    _map_new_categories(con, scoring)
    params = _params(con, scoring)
    max_no = params["max_no"] if params["max_no"] >= 0 else None
    old_max = con.execute("SELECT max(period_no) FROM problem_state").fetchone()[0]
    con.execute("CREATE OR REPLACE TEMP TABLE touched (problem_id BIGINT)")
    con.execute("INSERT INTO touched SELECT unnest(CAST(? AS BIGINT[]))", [touched])
    con.execute("DELETE FROM problem_state WHERE problem_id IN (SELECT problem_id FROM touched)")
    if max_no is None:
        con.execute("DELETE FROM problem_state")
    elif old_max is not None and max_no < old_max:
        con.execute("DELETE FROM problem_state WHERE period_no > ?", [max_no])
    elif old_max is not None and max_no > old_max:
        _extend(con, old_max, max_no)
    touched_only = "problem_id IN (SELECT problem_id FROM touched)"
    con.execute(f"INSERT INTO problem_state {_state_sql(touched_only, _checks(con))} {_ORDER}", params)
    con.execute("DROP TABLE touched")


def _create_state(con: duckdb.DuckDBPyConnection, params: dict) -> None:
    """An empty problem_state with the columns _state_sql() gives, the long text columns stored uncompressed."""
    columns = con.execute(f"DESCRIBE {_state_sql('FALSE', _checks(con))}", params).fetchall()
    ddl = ", ".join(f"{name} {kind}" + (" USING COMPRESSION uncompressed" if name in _UNCOMPRESSED else "")
                    for name, kind, *_ in columns)
    con.execute(f"CREATE OR REPLACE TABLE problem_state ({ddl})")


def _extend(con: duckdb.DuckDBPyConnection, old_max: int, new_max: int) -> None:
    """Carry every untouched problem's last state into quarters after the old last one."""
    columns = [r[0] for r in con.execute("DESCRIBE problem_state").fetchall()]
    fixed = {
        "period_no": "q", "period": "CAST(q // 4 AS VARCHAR) || 'Q' || CAST(q % 4 + 1 AS VARCHAR)",
        "period_end": _quarter_end("q"), "is_new": "false", "listed": "false", "closed_now": "false",
        "reopened": "false", "carried_over": f"status <> {_CLOSED}",
    }
    select = ", ".join(fixed.get(c, c) for c in columns)
    con.execute(f"""
        INSERT INTO problem_state
        SELECT {select} FROM (SELECT *, unnest(range(?, ?)) AS q FROM problem_state WHERE period_no = ?)
        ORDER BY q, {COMPLETED_SQL}, unit, problem_id
    """, [old_max + 1, new_max + 1, old_max])


def with_measures(con: duckdb.DuckDBPyConnection, period_no: int, frame: pd.DataFrame) -> pd.DataFrame:
    """A list of problems (a problem_id column) with each one's 整改措施 as of a quarter: its measures numbered in
    one text (1. … / 2. …), as the latest report that had them gave them; for lists a page shows (≤ 500 rows)."""
    if frame.empty or "problem_id" not in frame.columns:
        return frame.assign(measures=pd.Series(dtype=object))
    ids = [int(i) for i in frame["problem_id"].dropna().unique()]
    found = con.execute("""
        SELECT problem_id,
               NULLIF(arg_max(measures, (period_no, import_id, excel_row)) FILTER (WHERE measures IS NOT NULL), '')
                   AS measures
        FROM observations
        WHERE period_no <= ? AND problem_id IN (SELECT unnest(CAST(? AS BIGINT[])))
        GROUP BY problem_id
    """, [period_no, ids]).df()
    return frame.merge(found, on="problem_id", how="left")


DETAIL_FIELDS = ("seq", "owner", "leader", "measures", "progress", "remarks")


def problem_details(con: duckdb.DuckDBPyConnection, period_no: int, problem_ids: list[int]) -> pd.DataFrame:
    """The long free-text fields (整改措施, 整改进展, 备注 …) of some problems as of a quarter, inherited as above."""
    resolved = ", ".join(f"NULLIF(last_value({c} IGNORE NULLS) OVER w, '') AS {c}" for c in DETAIL_FIELDS)
    return con.execute(f"""
        SELECT problem_id, {resolved}
        FROM observations
        WHERE period_no <= ? AND list_contains(CAST(? AS BIGINT[]), problem_id)
        WINDOW w AS (PARTITION BY problem_id ORDER BY period_no, import_id, excel_row
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        QUALIFY row_number() OVER (PARTITION BY problem_id ORDER BY period_no DESC, import_id DESC, excel_row DESC) = 1
        ORDER BY problem_id
    """, [period_no, list(problem_ids)]).df()
