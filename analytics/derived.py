"""The derived tables, in one place: each one's statement, what it is built from (tables and configuration), and
the one check that says which are stale.

Everything the pages read besides the ledgers themselves is built here from them: ``problem_state`` (each
problem's state per quarter, analytics.state) and the small tables over it that let a figure sum a few thousand
rows instead of scanning a million problems (the cubes, close_days, score_grid, the 回头看 order, the current
supervision lists). The figure modules (metrics, scoring, alerts, tasks) only read them, and keep the rules they
are made with (which problem is overdue, the points of a problem, the warning level, when a measure is due).

Each table is stamped in ``meta`` (key ``derived:<table>``) with a digest of its statement and version, the
configuration it depends on (``basis``) and the stamps of its inputs; a ledger table's stamp is the imports in
force that wrote it, category_answers' its rows, lookback_checks' the 改而复发 it finds (lookback.RECURRED_SQL).
A table is stale when its stamp differs from the one it would get now, so an import, an undo, a category
assignment, a 回头看 result, a new version of the code and an edit of scoring.toml each make
stale exactly the tables they change, and those built from them. ``bring_up_to_date`` rebuilds those (writers do
it in their own transaction through ``refresh``), ``ensure`` does it in a short write only when needed, and
``reading`` gives a read-only connection on which they are current without writing the file. (A database never
brought up to date has none of them: the figure modules read it as empty.)
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics import alerts, db, lookback, org, scoring, state, tasks
from analytics.config import ScoringConfig
from analytics.db import bump_revision, open_db, table_exists, transaction
from analytics.errors import DatabaseBusy
from analytics.metrics import (
    AGE_BUCKETS,
    AGE_COLUMNS,
    CLOSED_SQL,
    CLOSED_WITH_DATES_SQL,
    COUNT_FIELDS,
    LEVEL_COLUMNS,
    OPEN_SQL,
    OVERDUE_SQL,
)
from analytics.state import COMPLETED_SQL

# problem_cube: the counts metrics sums (COUNT_FIELDS), per quarter × unit × source × dimension × severity, the
# ageing of open problems, the open counts scoring needs, and the open problems per warning level
_COUNTS_SQL = f"""
    count(*) AS total,
    count(*) FILTER (WHERE is_new) AS new,
    count(*) FILTER (WHERE carried_over) AS carried_over,
    count(*) FILTER (WHERE closed_now) AS closed_this_period,
    count(*) FILTER (WHERE reopened) AS reopened,
    count(*) FILTER (WHERE {CLOSED_SQL}) AS closed,
    count(*) FILTER (WHERE {COMPLETED_SQL}) AS completed,
    count(*) FILTER (WHERE NOT ({COMPLETED_SQL})) AS open,
    count(*) FILTER (WHERE {OVERDUE_SQL}) AS overdue,
    count(*) FILTER (WHERE recurred) AS recurred,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= period_end) AS due,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= period_end AND {COMPLETED_SQL}
                     AND (completed_on <= deadline OR immediate)) AS on_time
"""
_AGE_SQL = ",\n".join(
    [f"count(*) FILTER (WHERE {OPEN_SQL} AND date_diff('day', found_date, period_end) BETWEEN {lo} AND {hi or 10**6})"
     f" AS {col}" for col, (_, lo, hi) in zip(AGE_COLUMNS, AGE_BUCKETS, strict=False)]
    + [f"count(*) FILTER (WHERE {OPEN_SQL} AND found_date IS NULL) AS age_unknown"])
_PROBLEM_CUBE_SQL = f"""
    CREATE OR REPLACE TABLE problem_cube AS
    SELECT period_no, unit, source, dimension, severity, {_COUNTS_SQL},
           {_AGE_SQL},
           count(*) FILTER (WHERE {OPEN_SQL} AND recurred) AS open_recurred,
           count(*) FILTER (WHERE ever_marked) AS ever_marked,
           count(*) FILTER (WHERE ever_reopened) AS ever_reopened,
           count(*) FILTER (WHERE lookback_recurred) AS lookback_recurred,
           count(*) FILTER (WHERE level = 1) AS level_1,
           count(*) FILTER (WHERE level = 2) AS level_2,
           count(*) FILTER (WHERE level = 3) AS level_3
    FROM (SELECT *, {{level}} AS level FROM problem_state)
    GROUP BY period_no, unit, source, dimension, severity
    ORDER BY period_no
"""
_CUBE_COUNTS = (*COUNT_FIELDS, *AGE_COLUMNS, "open_recurred", "ever_marked", "ever_reopened", "lookback_recurred",
                *LEVEL_COLUMNS)
_SUMMED = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in _CUBE_COUNTS)
# unit_cube: problem_cube summed over sources, five times fewer rows for the figures no source filter touches
_UNIT_CUBE_SQL = f"""
    CREATE OR REPLACE TABLE unit_cube AS
    SELECT period_no, unit, dimension, severity, {_SUMMED}
    FROM problem_cube
    GROUP BY period_no, unit, dimension, severity
    ORDER BY period_no
"""
# period_cube: summed over units and severities too (quarter × source × dimension, a few hundred rows): the
# company-wide figures a page opens with, and any breakdown that involves no unit
_PERIOD_CUBE_SQL = f"""
    CREATE OR REPLACE TABLE period_cube AS
    SELECT period_no, source, dimension, {_SUMMED}
    FROM problem_cube
    GROUP BY period_no, source, dimension
    ORDER BY period_no
"""
# close_days: closed problems per quarter × source × dimension × days from found to closed, for 销号用时 over
# scopes without units (a few thousand rows a quarter instead of its 670,000 closed problems at 1M)
_CLOSE_DAYS_SQL = f"""
    CREATE OR REPLACE TABLE close_days AS
    SELECT period_no, source, dimension, date_diff('day', found_date, closed_date) AS days, count(*) AS problems
    FROM problem_state WHERE {CLOSED_WITH_DATES_SQL}
    GROUP BY ALL
    ORDER BY period_no
"""
# score_grid: every quarter × unit × configured dimension with each indicator's capped points, their sums
# (deduction, bonus), open and 纪检建议书-tier problems and the raters' score: without a source filter a page's scores
# are a filtered read of it instead of a join over the cube and 评分表 (its query: scoring.grid_sql, made for the
# configured indicators)
_SCORE_GRID_SQL = "CREATE OR REPLACE TABLE score_grid AS {grid}"


def _build_score_grid(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> None:
    grid = scoring.grid_sql(cfg, "problem_cube", "TRUE", "TRUE", "TRUE", every_quarter=False)
    sql = _SCORE_GRID_SQL.format(grid=grid)
    con.execute(sql, scoring.used_params(sql, _grid_params(cfg)))


# lookback_draws: every problem ranked in 回头看's order (alerts.LOOKBACK_ORDER_SQL), so that a draw reads the
# first ranks instead of hashing every closed problem; the last quarter holds every problem
_LOOKBACK_DRAWS_SQL = f"""
    CREATE OR REPLACE TABLE lookback_draws AS
    SELECT problem_id, row_number() OVER (ORDER BY {alerts.LOOKBACK_ORDER_SQL}) AS draw
    FROM problem_state WHERE period_no = (SELECT max(period_no) FROM problem_state)
    ORDER BY draw
"""
# current_tasks: each quarter's latest supervision list with its due flags (tasks.DUE_SQL), so that a page's five
# queries read a stored list instead of each ranking every import's rows again
_CURRENT_TASKS_SQL = f"""
    CREATE OR REPLACE TABLE current_tasks AS
    WITH listed AS (
        SELECT *, last_day(make_date(CAST(period_no // 4 AS INTEGER), CAST((period_no % 4 + 1) * 3 AS INTEGER), 1))
                      AS period_end
        FROM (SELECT t.* REPLACE (coalesce(m.unit, t.unit) AS unit) FROM tasks t JOIN imports i USING (import_id)
              LEFT JOIN task_unit_map m ON m.company = coalesce(i.company, '') AND m.name = t.unit)
        QUALIFY row_number() OVER (PARTITION BY period_no, task_key ORDER BY import_id DESC, excel_row DESC) = 1
    )
    SELECT *, {tasks.DUE_SQL} AS due FROM listed
    ORDER BY period_no
"""


# unit_assessments: the 评分表 rows with their unit as the 组织架构 names it (analytics.org; the 评分表's text read
# within its import's company), which scores read instead of assessments
_UNIT_ASSESSMENTS_SQL = """
    CREATE OR REPLACE TABLE unit_assessments AS
    SELECT a.* REPLACE (coalesce(m.unit, a.unit) AS unit)
    FROM assessments a JOIN imports i USING (import_id)
    LEFT JOIN assessment_unit_map m ON m.company = coalesce(i.company, '') AND m.name = a.unit
"""


def _statement(sql: str, params: Callable[[ScoringConfig], dict] | None = None) -> Callable:
    """A builder that runs one statement, with parameters from the configuration."""
    def build(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> None:
        con.execute(sql, params(cfg) if params else None)
    return build


def _unit_map(table: str) -> Callable:
    def build(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> None:
        org.build_unit_map(con, table)
    return build


def _grid_params(cfg: ScoringConfig) -> dict:
    return scoring.indicator_params(cfg) | {"dims": list(cfg.dimension_names)}


def _seed(cfg: ScoringConfig) -> dict:
    return {"seed": cfg.lookback_seed}


@dataclass(frozen=True)
class Derived:
    """A derived table: how it is built, from which tables (ledger tables or derived ones listed before it), and
    the configuration it depends on (JSON-able data; None: none)."""

    name: str
    inputs: tuple[str, ...]
    build: Callable[[duckdb.DuckDBPyConnection, ScoringConfig], None]
    code: str  # its statement: a change to it makes the table stale
    basis: Callable[[ScoringConfig], object] = lambda cfg: None


_CUBE_WITH_LEVELS_SQL = _PROBLEM_CUBE_SQL.format(level=alerts.LEVEL_RULE_SQL)
# In the order they are built: every table after the ones it is built from.
TABLES: tuple[Derived, ...] = (
    *(Derived(name, (ledger_table, "org"), _unit_map(name), f"{org.UNIT_TEXTS_SQL} {org.SEP} 1")
      for name, ledger_table in org.UNIT_MAPS.items()),
    Derived("unit_assessments", ("assessments", "assessment_unit_map"), _statement(_UNIT_ASSESSMENTS_SQL),
            _UNIT_ASSESSMENTS_SQL),
    Derived("problem_state", ("observations", "category_answers", "unit_map", "lookback_checks"), state.rebuild,
            state.code(), state.basis),
    Derived("problem_cube", ("problem_state",), _statement(_CUBE_WITH_LEVELS_SQL, alerts.level_thresholds),
            _CUBE_WITH_LEVELS_SQL, alerts.level_thresholds),
    Derived("unit_cube", ("problem_cube",), _statement(_UNIT_CUBE_SQL), _UNIT_CUBE_SQL),
    Derived("period_cube", ("problem_cube",), _statement(_PERIOD_CUBE_SQL), _PERIOD_CUBE_SQL),
    Derived("close_days", ("problem_state",), _statement(_CLOSE_DAYS_SQL), _CLOSE_DAYS_SQL),
    # its statement's code: the template and the query's code, its basis the configuration the query is made from
    Derived("score_grid", ("problem_cube", "unit_assessments"), _build_score_grid,
            "".join([_SCORE_GRID_SQL, scoring.ASSESSMENTS_SQL, scoring.ASSESSED_SQL,
                     *map(inspect.getsource, scoring.GRID_CODE)]),
            scoring.grid_basis),
    Derived("lookback_draws", ("problem_state",), _statement(_LOOKBACK_DRAWS_SQL, _seed), _LOOKBACK_DRAWS_SQL, _seed),
    Derived("current_tasks", ("tasks", "task_unit_map"), _statement(_CURRENT_TASKS_SQL), _CURRENT_TASKS_SQL),
)
NAMES = tuple(t.name for t in TABLES)
_BY_NAME = {t.name: t for t in TABLES}
# The ledger tables (rows added by imports, removed by undos) and the kind of import that writes each.
_LEDGERS = {"observations": "problems", "tasks": "tasks", "assessments": "scores"}


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _ledger_stamps(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each ledger table's stamp: the imports in force that wrote it (ids are never reused, so the same ids are the
    same rows), category_answers' rows, and the 改而复发 found by 回头看 (none while the table is absent)."""
    kinds = ", ".join(f"list(import_id ORDER BY import_id) FILTER (WHERE list_contains(string_split(kind, ','), "
                      f"${name}))" for name in _LEDGERS)
    row = con.execute(f"""
        SELECT {kinds}, (SELECT list((category, dimension) ORDER BY category) FROM category_answers)
        FROM imports WHERE undone_at IS NULL
    """, _LEDGERS).fetchone()
    stamps = {name: _digest(ids or []) for name, ids in zip((*_LEDGERS, "category_answers"), row, strict=True)}
    found = con.execute(f"SELECT list((lookback_problem_id, lookback_no) ORDER BY lookback_problem_id) FROM "
                        f"({lookback.RECURRED_SQL.format(checks='lookback_checks')})").fetchone()[0] \
        if db.has_table(con, "lookback_checks") else None
    stamps["lookback_checks"] = _digest(found or [])
    return stamps | {"org": _digest(org.digest_rows(con))}


def _stamps(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> dict[str, str]:
    """What each derived table's stamp would be now: "<own>.<inputs>", the digests of its code and configuration
    and of its inputs' stamps (a table built from it takes its whole stamp as an input's)."""
    known = _ledger_stamps(con)
    for table in TABLES:
        known[table.name] = (f"{_digest([table.code, table.basis(cfg)])}."
                             f"{_digest([known[i] for i in table.inputs])}")
    return {name: known[name] for name in NAMES}


def _stored(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT substr(key, 9), value FROM meta WHERE starts_with(key, 'derived:')").fetchall())


def _differing(stored: dict[str, str], now: dict[str, str]) -> list[str]:
    return [name for name in NAMES if stored.get(name) != now[name]]


def stale(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> list[str]:
    """The derived tables that are not what their inputs and cfg make now, in building order: the one check."""
    return _differing(_stored(con), _stamps(con, cfg))


def _stamp(con: duckdb.DuckDBPyConnection, name: str, stamp: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"derived:{name}", stamp])


def _rebuild(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig, names: list[str], now: dict[str, str] | None) -> None:
    """Build these tables in order, and stamp each with ``now``'s stamp (None: leave meta alone)."""
    for name in names:
        _BY_NAME[name].build(con, cfg)
        if now is not None:
            _stamp(con, name, now[name])


def _unit_keys(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    if not table_exists(con, "unit_map"):
        return {}
    return {(c, n): u for c, n, u in con.execute("SELECT company, name, unit FROM unit_map").fetchall()}


def refresh(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig, touched: list[int]) -> None:
    """After a write to the ledgers or the category answers that touched these problems, inside its transaction:
    problem_state updated for those problems alone when it was built by the same code for the same dimensions
    (rebuilt whole otherwise), then every table the write made stale rebuilt."""
    stored, now = _stored(con), _stamps(con, cfg)
    same_basis = stored.get("problem_state", "").split(".")[0] == now["problem_state"].split(".")[0]
    # the unit keys first (problem_state reads them): an update of the touched problems is enough only when every
    # unit text known before keeps its key (a new one only adds)
    before = [n for n in _differing(stored, now) if NAMES.index(n) < NAMES.index("problem_state")]
    if before:
        keys = _unit_keys(con)
        _rebuild(con, cfg, before, now)
        stored |= {n: now[n] for n in before}
        after = _unit_keys(con)
        same_basis = same_basis and all(after.get(k) == v for k, v in keys.items())
    if stored.get("problem_state") != now["problem_state"] and same_basis and table_exists(con, "problem_state"):
        state.update(con, touched, cfg)
        _stamp(con, "problem_state", now["problem_state"])
        stored["problem_state"] = now["problem_state"]
    _rebuild(con, cfg, _differing(stored, now), now)


def bring_up_to_date(con: duckdb.DuckDBPyConnection, cfg: ScoringConfig) -> bool:
    """Rebuild the stale derived tables in one transaction, counted as a change (pages refresh); whether any was."""
    now = _stamps(con, cfg)
    names = _differing(_stored(con), now)
    if names:
        with transaction(con):
            _rebuild(con, cfg, names, now)
            bump_revision(con)
    return bool(names)


def ensure(path: Path | str, cfg: ScoringConfig) -> bool:
    """Look at a database file read-only; if any derived table is stale, rebuild those in a short write. Whether
    it wrote."""
    with open_db(path, read_only=True) as con:
        if not stale(con, cfg):
            return False
    with open_db(path) as con:
        return bring_up_to_date(con, cfg)


_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@contextlib.contextmanager
def reading(path: Path | str, cfg: ScoringConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on which every derived table is current for cfg, and which never writes the file:
    the file itself when nothing is stale; else an in-memory database that reads the file's tables under their own
    names (views) and holds the stale ones rebuilt. A TEMP table on the read-only file would shadow a stale one
    too, but for that connection only: the cursors that a page's parts and its queries run on do not see it."""
    with open_db(path, read_only=True) as con:
        names = stale(con, cfg)
        if not names:
            yield con
            return
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = 'main'").fetchall() if _PLAIN_NAME.fullmatch(r[0])]
    con = duckdb.connect(":memory:")
    try:
        _attach(con, Path(path))
        for table in tables:
            if table == "category_map":  # rewritten with problem_state: a copy
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM stored.{table}")
            elif table not in names:  # problem_state with its rowid, which alerts.deadline_bands reads rows by
                rowid = "rowid AS rowid, " if table == "problem_state" else ""
                con.execute(f"CREATE VIEW {table} AS SELECT {rowid}* FROM stored.{table}")
        _rebuild(con, cfg, names, None)
        yield con
    finally:
        con.close()


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The file attached read-only as ``stored``, waiting as db.connect does while another program writes it."""
    deadline = time.monotonic() + db.LOCK_WAIT_SECONDS
    while True:
        try:
            con.execute("ATTACH ? AS stored (READ_ONLY)", [str(path)])
            return
        except duckdb.Error as exc:
            if not any(word in str(exc).lower() for word in ("lock", "conflict")):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(db.BUSY_MESSAGE) from exc
            time.sleep(0.2)
