"""Storing ledgers quarter by quarter: problem identity, status history, per-period state, undo.

Every import adds rows and never edits earlier ones, so undoing an import
is deleting its rows: what it had changed comes back by itself. The derived
tables (analytics.derived) are refreshed inside the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import backup, derived
from analytics.config import ScoringConfig
from analytics.db import BLANK_DATE, bump_revision, next_ids, transaction
from analytics.errors import DashboardError, Issue
from analytics.ingest.parse import ParsedFile, ParsedSheet
from analytics.periods import Period

BLANK_DAY = dt.date.fromisoformat(BLANK_DATE)  # a deadline cleared on purpose
_TEXT_FIELDS = ("problem_code", "seq", "category", "description", "owner", "leader", "measures",
                "progress", "remarks", "severity", "parent", "deadline_text", "co_units")
_DATE_FIELDS = ("found_date", "deadline", "closed_date")
# field → the ledger column it comes from (a file without that column inherits the value)
_COLUMN_OF = {"recurred_mark": "recurred", "no_deadline": "deadline", "deadline_text": "deadline",
              "long_term": "deadline", "immediate": "deadline", "co_units": "unit"}
# always as parsed: what the status came from, and how many measures the problem has
_AS_PARSED = ("source", "description", "unit", "status", "sheet", "excel_row", "status_basis", "measure_count",
              "category_guess")
_OBSERVATION_COLUMNS = (
    "problem_id", "sheet", "excel_row", "fingerprint", "problem_code", "seq", "source", "category",
    "description", "unit", "owner", "leader", "measures", "progress", "remarks", "status", "severity",
    "recurred_mark", "found_date", "deadline", "no_deadline", "closed_date", "co_units", "parent", "deadline_text",
    "long_term", "immediate", "status_basis", "measure_count", "category_guess",
)
_MEASURE_COLUMNS = ("measure_no", "sheet", "excel_row", "measure", "deadline", "deadline_text", "long_term",
                    "immediate", "status", "status_basis", "owner", "progress", "closed_date")


@dataclass
class ImportResult:
    """What happened to one file."""

    file: str
    outcome: str  # imported | duplicate | rejected
    message: str
    import_id: int | None = None
    period: str | None = None
    kind: str | None = None
    rows_valid: int = 0
    rows_invalid: int = 0
    rows_skipped: int = 0
    problems_new: int = 0
    problems_updated: int = 0
    problems_dropped: int = 0  # left out by --skip-invalid: the period's figures are incomplete
    measures: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome != "rejected"


def store(con: duckdb.DuckDBPyConnection, parsed: ParsedFile, skip_invalid: bool = False,
          user: str | None = None, *, scoring: ScoringConfig,
          before_commit: Callable[[int], None] | None = None, company: str | None = None,
          prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> ImportResult:
    """Write one parsed file in one transaction, or nothing at all.

    ``company`` is the company the file belongs to (analytics.org; None without a register): its problems are
    matched only with that company's; ``prepare(con)`` runs first inside the transaction (the import's answers to
    the register). ``before_commit(import_id)`` runs last inside the transaction (actions
    records the import there, so that a kill after the commit still leaves it in the audit trail); if it raises,
    nothing is stored.
    """
    base = {"file": parsed.name, "period": str(parsed.period) if parsed.period else None, "kind": parsed.kind,
            "rows_valid": parsed.rows_valid, "rows_invalid": parsed.rows_invalid,
            "rows_skipped": parsed.rows_skipped, "issues": parsed.issues,
            "problems_dropped": parsed.problems_dropped, "measures": parsed.measures_count}
    if parsed.period is None:
        return ImportResult(outcome="rejected", message=parsed.issues[0].reason, **base)
    if parsed.issues and not skip_invalid:
        return ImportResult(outcome="rejected", message=f"发现 {len(parsed.issues)} 处错误，整个文件未导入"
                                                        "（可修正后重新导入，或选择只导入有效行）", **base)
    if parsed.rows_valid == 0:
        return ImportResult(outcome="rejected", message="文件中没有可导入的有效行", **base)
    earlier = con.execute(
        "SELECT import_id, period FROM imports WHERE sha256 = ? AND undone_at IS NULL", [parsed.sha256]
    ).fetchone()
    if earlier:
        return ImportResult(outcome="duplicate", import_id=earlier[0],
                            message=f"该文件已于导入记录 #{earlier[0]}（{earlier[1]}）导入过，本次未做改动", **base)
    backup.before_write(con, "import", parsed.name)  # only now: rejected and duplicate files write nothing
    with _one_thread(con), transaction(con):
        if prepare is not None:
            prepare(con)
        import_id = next_ids(con, "last_import_id")
        con.execute(
            "INSERT INTO imports (import_id, file_name, sha256, kind, period, period_origin, sheets, rows_valid,"
            " rows_invalid, rows_skipped, problems_dropped, imported_at, imported_by, company)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [import_id, parsed.name, parsed.sha256, parsed.kind, str(parsed.period), parsed.period_origin.how,
             "、".join(s.name for s in parsed.sheets), parsed.rows_valid, parsed.rows_invalid,
             parsed.rows_skipped, parsed.problems_dropped, dt.datetime.now().replace(microsecond=0), user,
             company],
        )
        period_no = parsed.period.index
        first_new_id = next_ids(con, "last_problem_id", 0)  # the first free id, nothing reserved
        for sheet in parsed.sheets:
            if not sheet.rows.num_rows:
                continue
            present = set(sheet.layout.columns)
            if sheet.layout.kind == "problems":
                _store_problems(con, import_id, period_no, sheet, present, company or "")
            elif sheet.layout.kind == "tasks":
                _store_rows(con, "tasks", import_id, period_no, sheet.rows)
            else:
                _store_rows(con, "assessments", import_id, period_no, sheet.rows)
        new, updated = con.execute(
            "SELECT count(DISTINCT problem_id) FILTER (WHERE problem_id >= $1), "
            "count(DISTINCT problem_id) FILTER (WHERE problem_id < $1) FROM observations WHERE import_id = $2",
            [first_new_id, import_id]).fetchone()
        touched = [r[0] for r in con.execute(
            "SELECT DISTINCT problem_id FROM observations WHERE import_id = ?", [import_id]).fetchall()]
        con.execute("UPDATE imports SET problems_new = ?, problems_updated = ? WHERE import_id = ?",
                    [new, updated, import_id])
        derived.refresh(con, scoring, touched)
        bump_revision(con)
        if before_commit is not None:
            before_commit(import_id)
    message = f"已导入 {parsed.rows_valid} 行（{parsed.period}）"
    if "problems" in parsed.kinds:
        message += f"：新增问题 {new} 个，更新 {updated} 个"
    if parsed.issues:
        message += f"；跳过 {parsed.rows_invalid} 行有错误的数据"
        if parsed.problems_dropped:
            message += f"，舍弃问题 {parsed.problems_dropped} 个，{parsed.period} 的统计数据不完整"
    return ImportResult(outcome="imported", message=message, import_id=import_id, problems_new=new,
                        problems_updated=updated, **base)


@contextlib.contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB works in one thread while an import writes: a second one holds its own buffers for each step (70 MB
    more at the peak of a 100,000-row import); it would save the refresh's window query about 0.1 s, and the
    insert and the commit lose as much with it."""
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET threads = 1")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a broken connection refuses this too: report the first error
            con.execute(f"SET threads = {threads}")
        raise
    con.execute(f"SET threads = {threads}")


def _staged_column(column: str, present: set[str]) -> str:
    """How a parsed column enters the database: a column the file lacked is NULL (inherit); a blank cell in a
    column it had is '' or BLANK_DATE (clear)."""
    if column == "fingerprint":
        return "left(md5(identity), 20) AS fingerprint"
    if column in _AS_PARSED:
        return column
    if _COLUMN_OF.get(column, column) not in present:
        return f"NULL AS {column}"
    if column in _DATE_FIELDS:
        return f"coalesce({column}, DATE '{BLANK_DATE}') AS {column}"
    if column in _TEXT_FIELDS:
        return f"coalesce({column}, '') AS {column}"
    return column


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> Iterator[None]:
    """The parsed Arrow table as view ``parsed_rows`` for one statement."""
    con.register("parsed_rows", rows)
    try:
        yield
    except BaseException:
        # an aborted transaction refuses the clean-up too: the first error is the one to report
        with contextlib.suppress(duckdb.Error):
            con.unregister("parsed_rows")
        raise
    con.unregister("parsed_rows")


# Each parsed row's known problem (by code first, then by fingerprint), identity and fingerprint, in row order
_MATCH_SQL = """
    WITH src AS (SELECT row_no, {code}, {fingerprint} FROM parsed_rows),
    -- the problems of the file's company only: same codes or units in another company are other problems
    company_obs AS (
        SELECT problem_id, problem_code, fingerprint FROM observations
        WHERE import_id IN (SELECT import_id FROM imports WHERE coalesce(company, '') = $company)
    ),
    known AS (
        SELECT problem_id, max(NULLIF(problem_code, '')) AS code FROM company_obs GROUP BY problem_id
    ),
    by_code AS (SELECT code, min(problem_id) AS pid FROM known WHERE code IS NOT NULL GROUP BY code),
    by_fp AS (
        SELECT o.fingerprint, min(o.problem_id) AS pid_any,
               min(o.problem_id) FILTER (WHERE k.code IS NULL) AS pid_uncoded
        FROM (SELECT DISTINCT fingerprint, problem_id FROM company_obs) o JOIN known k USING (problem_id)
        GROUP BY o.fingerprint
    )
    SELECT coalesce(c.pid, CASE WHEN NULLIF(s.problem_code, '') IS NULL THEN f.pid_any
                                ELSE f.pid_uncoded END) AS known_id,
           coalesce('code:' || NULLIF(s.problem_code, ''), 'fp:' || s.fingerprint) AS ident,
           s.fingerprint
    FROM src s
    LEFT JOIN by_code c ON c.code = NULLIF(s.problem_code, '')
    LEFT JOIN by_fp f ON f.fingerprint = s.fingerprint
    ORDER BY s.row_no
"""


def _store_problems(con: duckdb.DuckDBPyConnection, import_id: int, period_no: int, sheet: ParsedSheet,
                    present: set[str], company: str) -> None:
    """Match rows to known problems (code first, then unit+source+description), number the rest, store all.

    A narrow query matches the rows (hashing each identity once: the INSERT takes the fingerprints from it), Arrow
    numbers the new problems, and one INSERT takes the rows straight from the parsed table: DuckDB holds a large
    ledger's rows once, not also in a join or a sort.
    """
    rows, measures = sheet.rows, sheet.measures
    first_id = next_ids(con, "last_problem_id", 0)  # the first free id, nothing reserved
    match = _MATCH_SQL.format(code=_staged_column("problem_code", present),
                              fingerprint=_staged_column("fingerprint", present))
    with _registered(con, rows.append_column("row_no", pa.array(range(rows.num_rows), pa.int64()))):
        matched = con.sql(match, params={"company": company}).to_arrow_table()
    ids = _problem_ids(matched, first_id)
    numbered = (_resolved_deadlines(con, rows, ids, period_no, first_id).append_column("problem_id", ids)
                .append_column("fingerprint", matched["fingerprint"].combine_chunks()))
    columns = ", ".join(_OBSERVATION_COLUMNS)
    staged = ", ".join(c if c in ("problem_id", "fingerprint") else _staged_column(c, present)
                       for c in _OBSERVATION_COLUMNS)
    with _registered(con, numbered):
        con.execute(f"INSERT INTO observations (import_id, period_no, {columns}) "
                    f"SELECT ?, ?, {staged} FROM parsed_rows", [import_id, period_no])
    several = pc.greater(rows["measure_count"], 1)
    if measures is not None and pc.any(several).as_py():
        _store_measures(con, import_id, pa.table({"problem_row": pc.filter(rows["excel_row"], several),
                                                  "problem_id": pc.filter(ids, several.combine_chunks())}),
                        measures, rows["sheet"][0].as_py())
    con.execute("UPDATE meta SET value = CAST(greatest(CAST(value AS BIGINT), "
                "(SELECT max(problem_id) FROM observations)) AS VARCHAR) WHERE key = 'last_problem_id'")


def _store_measures(con: duckdb.DuckDBPyConnection, import_id: int, links: pa.Table, measures: pa.Table,
                    sheet: str) -> None:
    """The measure rows of the problems with several (links: problem_row → problem_id); a problem with one measure
    keeps it in its own observation (measures, 整改时限, 状态依据 …), so a plain ledger stores nothing twice."""
    kept = measures.rename_columns(["measure" if c == "measures" else c for c in measures.column_names])
    kept = kept.append_column("sheet", pa.array([sheet] * kept.num_rows, pa.string()))
    con.register("parsed_links", links)
    try:
        with _registered(con, kept):  # joined by the problem's first row, unique within a sheet
            con.execute(f"INSERT INTO measures (import_id, problem_id, {', '.join(_MEASURE_COLUMNS)}) "
                        f"SELECT ?, l.problem_id, {', '.join('m.' + c for c in _MEASURE_COLUMNS)} "
                        "FROM parsed_rows m JOIN parsed_links l USING (problem_row)", [import_id])
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("parsed_links")


def _resolved_deadlines(con: duckdb.DuckDBPyConnection, rows: pa.Table, ids: pa.Array, period_no: int,
                        first_new_id: int) -> pa.Table:
    """Deadlines that depend on the problem's history, for a problem already known:

    - 整改时限 written as before (年底前, 9月30日前 …) keeps the date it was read as then: a year-less deadline
      copied into next year's ledger does not move a year on;
    - 立行立改 with no found date is due at the end of the quarter the problem first appears in (this one for a new
      problem)."""
    known = pc.less(ids, first_new_id)
    text = rows["deadline_text"].combine_chunks()
    due = pc.and_(pc.fill_null(rows["immediate"], False), pc.is_null(rows["deadline"])).combine_chunks()
    again = pc.and_(known, pc.is_valid(text))
    if not (pc.any(due).as_py() or pc.any(again).as_py()):
        return rows
    asked = pc.filter(ids, pc.or_(due, again)).to_pylist()
    earlier = {pid: (first_no, before_text, before) for pid, first_no, before_text, before in con.execute("""
        SELECT problem_id, min(period_no),
               arg_max(deadline_text, (period_no, import_id, excel_row)) FILTER (WHERE deadline_text IS NOT NULL),
               arg_max(deadline, (period_no, import_id, excel_row)) FILTER (WHERE deadline_text IS NOT NULL)
        FROM observations WHERE problem_id IN (SELECT unnest(CAST(? AS BIGINT[]))) GROUP BY problem_id
    """, [asked]).fetchall()}
    deadline = rows["deadline"].to_pylist()
    for i in pc.indices_nonzero(pc.or_(due, again)).to_pylist():
        first_no, before_text, before = earlier.get(ids[i].as_py(), (period_no, None, None))
        if due[i].as_py():
            deadline[i] = Period.from_index(min(first_no, period_no)).end
        elif before_text == text[i].as_py() and before is not None and before != BLANK_DAY:
            deadline[i] = before
    return rows.set_column(rows.column_names.index("deadline"), "deadline", pa.array(deadline, pa.date32()))


def _problem_ids(matched: pa.Table, first_id: int) -> pa.Array:
    """A known problem keeps its id; new ones are numbered from first_id in order of identity (the same identity
    twice is one problem)."""
    known = matched["known_id"].combine_chunks().cast(pa.int64())
    new = pc.is_null(known)
    if not pc.any(new).as_py():
        return known
    ranks = pc.rank(pc.filter(matched["ident"].combine_chunks(), new), "ascending", tiebreaker="dense")
    return pc.replace_with_mask(known, new, pc.add(pc.cast(ranks, pa.int64()), first_id - 1))


def _store_rows(con: duckdb.DuckDBPyConnection, table: str, import_id: int, period_no: int, rows: pa.Table) -> None:
    """Supervision tasks and assessment scores: stored as read (identity of a task: hashed aspect+measure+unit)."""
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] not in ("import_id", "period_no")]
    selected = ", ".join("left(md5(task_key), 20)" if c == "task_key" else c for c in columns)
    with _registered(con, rows):
        con.execute(f"INSERT INTO {table} (import_id, period_no, {', '.join(columns)}) "
                    f"SELECT ?, ?, {selected} FROM parsed_rows", [import_id, period_no])


def list_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """导入记录: every import, newest first, undone ones included (marked)."""
    return con.execute("""
        SELECT import_id, file_name, kind, period, period_origin, sheets, rows_valid, rows_invalid, rows_skipped,
               problems_dropped, problems_new, problems_updated, imported_at, imported_by, undone_at, sha256,
               company
        FROM imports ORDER BY import_id DESC
    """).df()


def incomplete_periods(con: duckdb.DuckDBPyConnection, units: tuple[str, ...] | None = None) -> dict[str, int]:
    """Quarters whose figures leave out problems (imported with --skip-invalid): quarter → problems left out; with
    ``units``, of the imports that listed a problem of theirs only."""
    touching = "" if units is None else """AND import_id IN (
        SELECT DISTINCT import_id FROM observations o JOIN imports i USING (import_id)
        JOIN unit_map m ON m.company = coalesce(i.company, '') AND m.name = o.unit
        WHERE list_contains($units, m.unit))"""
    return dict(con.execute(f"""
        SELECT period, sum(problems_dropped)::INTEGER FROM imports
        WHERE undone_at IS NULL AND problems_dropped > 0 {touching} GROUP BY period ORDER BY period
    """, {} if units is None else {"units": list(units)}).fetchall())


def undo(con: duckdb.DuckDBPyConnection, import_id: int, *, scoring: ScoringConfig) -> str:
    """撤销导入: remove what one import added; earlier values come back. Returns a Chinese confirmation."""
    row = con.execute("SELECT file_name, period, undone_at FROM imports WHERE import_id = ?", [import_id]).fetchone()
    if row is None:
        raise DashboardError(f"没有编号为 {import_id} 的导入记录")
    if row[2] is not None:
        raise DashboardError(f"导入记录 #{import_id}（{row[0]}）已于 {row[2]:%Y-%m-%d %H:%M} 撤销过")
    backup.before_write(con, "undo", f"#{import_id} {row[0]}")
    with transaction(con):
        touched = [r[0] for r in con.execute(
            "SELECT DISTINCT problem_id FROM observations WHERE import_id = ?", [import_id]).fetchall()]
        removed = con.execute("DELETE FROM observations WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute("DELETE FROM measures WHERE import_id = ?", [import_id])
        con.execute("DELETE FROM tasks WHERE import_id = ?", [import_id])
        con.execute("DELETE FROM assessments WHERE import_id = ?", [import_id])
        con.execute("UPDATE imports SET undone_at = ? WHERE import_id = ?",
                    [dt.datetime.now().replace(microsecond=0), import_id])
        derived.refresh(con, scoring, touched)
        bump_revision(con)
    return f"已撤销导入记录 #{import_id}（{row[0]}，{row[1]}），移除问题记录 {removed} 条"
