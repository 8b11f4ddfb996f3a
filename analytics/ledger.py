"""Storing ledgers quarter by quarter: problem identity, status history, per-period state, undo.

Every import adds rows and never edits earlier ones, so undoing an import
is deleting its rows: what it had changed comes back by itself. The table
``problem_state`` (one row per problem per quarter, carried forward through
quarters where a problem is not listed) is derived from those rows and
rebuilt inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from analytics.config import ScoringConfig, scoring_config
from analytics.db import BLANK_DATE, bump_revision, next_ids, transaction
from analytics.errors import DashboardError, Issue
from analytics.ingest.parse import ParsedFile

_TEXT_FIELDS = ("problem_code", "seq", "category", "description", "owner", "leader", "measures",
                "progress", "remarks", "severity")
_DATE_FIELDS = ("found_date", "deadline", "closed_date")
# field → the ledger column it comes from (a file without that column inherits the value)
_COLUMN_OF = {"recurred_mark": "recurred", "no_deadline": "deadline"}
_OBSERVATION_COLUMNS = (
    "problem_id", "sheet", "excel_row", "fingerprint", "problem_code", "seq", "source", "category",
    "description", "unit", "owner", "leader", "measures", "progress", "remarks", "status", "severity",
    "recurred_mark", "found_date", "deadline", "no_deadline", "closed_date",
)
_INHERITED = ("problem_code", "seq", "category", "owner", "leader", "measures", "progress", "remarks",
              "severity", "recurred_mark", "found_date", "deadline", "no_deadline", "closed_date")


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
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome != "rejected"


def store(con: duckdb.DuckDBPyConnection, parsed: ParsedFile, skip_invalid: bool = False,
          user: str | None = None, scoring: ScoringConfig | None = None) -> ImportResult:
    """Write one parsed file in one transaction, or nothing at all."""
    base = {"file": parsed.name, "period": str(parsed.period) if parsed.period else None, "kind": parsed.kind,
            "rows_valid": parsed.rows_valid, "rows_invalid": parsed.rows_invalid,
            "rows_skipped": parsed.rows_skipped, "issues": parsed.issues}
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
    with transaction(con):
        import_id = next_ids(con, "last_import_id")
        con.execute(
            "INSERT INTO imports (import_id, file_name, sha256, kind, period, period_origin, sheets, rows_valid,"
            " rows_invalid, rows_skipped, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [import_id, parsed.name, parsed.sha256, parsed.kind, str(parsed.period), parsed.period_origin,
             "、".join(s.name for s in parsed.sheets), parsed.rows_valid, parsed.rows_invalid,
             parsed.rows_skipped, dt.datetime.now().replace(microsecond=0), user],
        )
        period_no = parsed.period.index
        new = updated = 0
        for sheet in parsed.sheets:
            if not len(sheet.rows):
                continue
            present = set(sheet.layout.columns)
            if sheet.layout.kind == "problems":
                n, u = _store_problems(con, import_id, period_no, sheet.rows, present)
                new, updated = new + n, updated + u
            elif sheet.layout.kind == "tasks":
                _store_rows(con, "tasks", import_id, period_no, sheet.rows)
            else:
                _store_rows(con, "assessments", import_id, period_no, sheet.rows)
        con.execute("UPDATE imports SET problems_new = ?, problems_updated = ? WHERE import_id = ?",
                    [new, updated, import_id])
        rebuild_state(con, scoring)
        bump_revision(con)
    message = f"已导入 {parsed.rows_valid} 行（{parsed.period}）"
    if "problems" in parsed.kinds:
        message += f"：新增问题 {new} 个，更新 {updated} 个"
    if parsed.issues:
        message += f"；跳过 {parsed.rows_invalid} 行有错误的数据"
    return ImportResult(outcome="imported", message=message, import_id=import_id, problems_new=new,
                        problems_updated=updated, **base)


def _encode_presence(rows: pd.DataFrame, present: set[str]) -> pd.DataFrame:
    """Columns the file had: blank cells become '' / BLANK_DATE; columns it lacked stay NULL (inherit)."""
    out = rows.copy()
    blank_date = dt.date.fromisoformat(BLANK_DATE)
    for col in _TEXT_FIELDS + _DATE_FIELDS + ("recurred_mark", "no_deadline"):
        if _COLUMN_OF.get(col, col) not in present:
            out[col] = None
        elif col in _DATE_FIELDS:
            out[col] = [blank_date if v is None or pd.isna(v) else v for v in out[col]]
        elif col in _TEXT_FIELDS:
            out[col] = out[col].where(out[col].notna(), "")
    return out


def _store_problems(con: duckdb.DuckDBPyConnection, import_id: int, period_no: int,
                    rows: pd.DataFrame, present: set[str]) -> tuple[int, int]:
    """Match rows to known problems (code first, then unit+source+description), add the rest, store all."""
    stage = _encode_presence(rows, present)
    stage["rn"] = range(len(stage))
    con.register("stage_df", stage)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM stage_df")
    finally:
        con.unregister("stage_df")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE matched AS
        WITH known AS (
            SELECT problem_id, max(NULLIF(problem_code, '')) AS code FROM observations GROUP BY problem_id
        ),
        by_code AS (SELECT code, min(problem_id) AS pid FROM known WHERE code IS NOT NULL GROUP BY code),
        by_fp AS (
            SELECT o.fingerprint,
                   min(o.problem_id) AS pid_any,
                   min(o.problem_id) FILTER (WHERE k.code IS NULL) AS pid_uncoded
            FROM (SELECT DISTINCT fingerprint, problem_id FROM observations) o JOIN known k USING (problem_id)
            GROUP BY o.fingerprint
        )
        SELECT s.rn, s.problem_code AS code, s.fingerprint,
               coalesce(c.pid, CASE WHEN NULLIF(s.problem_code, '') IS NULL THEN f.pid_any ELSE f.pid_uncoded END)
                   AS problem_id
        FROM stage s
        LEFT JOIN by_code c ON c.code = NULLIF(s.problem_code, '')
        LEFT JOIN by_fp f ON f.fingerprint = s.fingerprint
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE new_ids AS
        SELECT ident, row_number() OVER (ORDER BY ident) AS offset_no
        FROM (SELECT DISTINCT coalesce('code:' || NULLIF(code, ''), 'fp:' || fingerprint) AS ident
              FROM matched WHERE problem_id IS NULL)
    """)
    new = con.execute("SELECT count(*) FROM new_ids").fetchone()[0]
    first_id = next_ids(con, "last_problem_id", new) if new else 0
    con.execute("ALTER TABLE new_ids ADD COLUMN problem_id BIGINT")
    con.execute("UPDATE new_ids SET problem_id = offset_no + ? - 1", [first_id])
    updated = con.execute("SELECT count(DISTINCT problem_id) FROM matched WHERE problem_id IS NOT NULL").fetchone()[0]
    columns = ", ".join(_OBSERVATION_COLUMNS)
    selected = ", ".join(
        "coalesce(m.problem_id, n.problem_id)" if c == "problem_id" else f"s.{c}" for c in _OBSERVATION_COLUMNS
    )
    con.execute(f"""
        INSERT INTO observations (import_id, period_no, {columns})
        SELECT ?, ?, {selected}
        FROM stage s JOIN matched m USING (rn)
        LEFT JOIN new_ids n ON n.ident = coalesce('code:' || NULLIF(m.code, ''), 'fp:' || m.fingerprint)
    """, [import_id, period_no])
    con.execute("DROP TABLE stage; DROP TABLE matched; DROP TABLE new_ids")
    return new, updated


def _store_rows(con: duckdb.DuckDBPyConnection, table: str, import_id: int, period_no: int,
                rows: pd.DataFrame) -> None:
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] not in ("import_id", "period_no")]
    frame = rows.reindex(columns=columns)
    con.register("rows_df", frame)
    try:
        con.execute(f"INSERT INTO {table} (import_id, period_no, {', '.join(columns)}) "
                    f"SELECT ?, ?, {', '.join(columns)} FROM rows_df", [import_id, period_no])
    finally:
        con.unregister("rows_df")


def _refresh_category_map(con: duckdb.DuckDBPyConnection, scoring: ScoringConfig) -> None:
    """category → dimension for every category text seen, by the configured keyword map."""
    categories = [r[0] for r in con.execute(
        "SELECT DISTINCT category FROM observations WHERE category IS NOT NULL AND category <> ''").fetchall()]
    con.execute("DELETE FROM category_map")
    if categories:
        con.executemany("INSERT INTO category_map VALUES (?, ?)",
                        [[c, scoring.classify(c)] for c in categories])


def rebuild_state(con: duckdb.DuckDBPyConnection, scoring: ScoringConfig | None = None) -> None:
    """Derive problem_state: each problem's resolved fields and period flags, for every quarter since it appeared."""
    scoring = scoring or scoring_config()
    _refresh_category_map(con, scoring)
    resolved = ",\n".join(f"last_value({c} IGNORE NULLS) OVER w AS {c}" for c in _INHERITED)
    text_out = ", ".join(f"NULLIF({c}, '') AS {c}" for c in ("problem_code", "seq", "category", "owner", "leader",
                                                            "measures", "progress", "remarks", "severity"))
    date_out = ", ".join(f"NULLIF({c}, DATE '{BLANK_DATE}') AS {c}" for c in _DATE_FIELDS)
    con.execute(f"""
        CREATE OR REPLACE TABLE problem_state AS
        WITH obs AS (
            SELECT problem_id, period_no, import_id, excel_row, sheet, fingerprint, source, description, unit, status,
                   {resolved}
            FROM observations
            WINDOW w AS (PARTITION BY problem_id ORDER BY period_no, import_id, excel_row
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        per_period AS (
            SELECT * FROM obs
            QUALIFY row_number() OVER (PARTITION BY problem_id, period_no ORDER BY import_id DESC, excel_row DESC) = 1
        ),
        firsts AS (SELECT problem_id, min(period_no) AS first_no FROM per_period GROUP BY problem_id),
        quarters AS (
            SELECT unnest(range(min(period_no), max(period_no) + 1)) AS period_no FROM per_period
        ),
        grid AS (
            SELECT q.period_no, f.problem_id, f.first_no FROM quarters q JOIN firsts f ON f.first_no <= q.period_no
        ),
        carried AS (
            SELECT g.period_no, g.first_no, p.period_no = g.period_no AS listed, p.period_no AS listed_no,
                   p.* EXCLUDE (period_no)
            FROM grid g ASOF JOIN per_period p ON g.problem_id = p.problem_id AND g.period_no >= p.period_no
        ),
        flagged AS (
            SELECT *,
                   lag(status) OVER (PARTITION BY problem_id ORDER BY period_no) AS prev_status
            FROM carried
        ),
        flagged2 AS (
            SELECT *,
                   coalesce(prev_status = '已销号', false) AND status IN ('未启动', '整改中', '长期整改') AS reopened,
                   status IN ('已整改', '已销号') AND (prev_status IS NULL OR prev_status NOT IN ('已整改', '已销号'))
                       AS became_completed
            FROM flagged
        )
        SELECT *,
               CASE WHEN status IN ('已整改', '已销号') THEN coalesce(closed_date, last_day(make_date(
                   CAST(completed_since_no // 4 AS INTEGER), CAST((completed_since_no % 4 + 1) * 3 AS INTEGER), 1)))
               END AS completed_on
        FROM (
        SELECT period_no,
               CAST(period_no // 4 AS VARCHAR) || 'Q' || CAST(period_no % 4 + 1 AS VARCHAR) AS period,
               last_day(make_date(CAST(period_no // 4 AS INTEGER), CAST((period_no % 4 + 1) * 3 AS INTEGER), 1))
                   AS period_end,
               problem_id, first_no, period_no = first_no AS is_new, listed, listed_no, import_id, sheet, excel_row,
               fingerprint, source, description, unit, status, prev_status,
               {text_out}, {date_out},
               coalesce(no_deadline, false) AS no_deadline,
               coalesce(dimension, ?) AS dimension,
               status = '已销号' AND coalesce(prev_status, '') <> '已销号' AS closed_now,
               period_no > first_no AND coalesce(prev_status, '') <> '已销号' AS carried_over,
               reopened,
               bool_or(reopened) OVER h AS ever_reopened,
               bool_or(coalesce(recurred_mark, false)) OVER h AS ever_marked,
               bool_or(reopened) OVER h OR bool_or(coalesce(recurred_mark, false)) OVER h AS recurred,
               CASE WHEN status IN ('已整改', '已销号')
                    THEN last_value(CASE WHEN became_completed THEN period_no END IGNORE NULLS) OVER h END
                   AS completed_since_no
        FROM flagged2 LEFT JOIN (SELECT category AS map_category, dimension FROM category_map) m ON m.map_category = NULLIF(flagged2.category, '')
        WINDOW h AS (PARTITION BY problem_id ORDER BY period_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        )
        ORDER BY period_no, problem_id
    """, [scoring.unclassified])


def list_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """导入记录: every import, newest first, undone ones included (marked)."""
    return con.execute("""
        SELECT import_id, file_name, kind, period, period_origin, sheets, rows_valid, rows_invalid, rows_skipped,
               problems_new, problems_updated, imported_at, imported_by, undone_at, sha256
        FROM imports ORDER BY import_id DESC
    """).df()


def undo(con: duckdb.DuckDBPyConnection, import_id: int, scoring: ScoringConfig | None = None) -> str:
    """撤销导入: remove what one import added; earlier values come back. Returns a Chinese confirmation."""
    row = con.execute("SELECT file_name, period, undone_at FROM imports WHERE import_id = ?", [import_id]).fetchone()
    if row is None:
        raise DashboardError(f"没有编号为 {import_id} 的导入记录")
    if row[2] is not None:
        raise DashboardError(f"导入记录 #{import_id}（{row[0]}）已于 {row[2]:%Y-%m-%d %H:%M} 撤销过")
    with transaction(con):
        removed = con.execute("DELETE FROM observations WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute("DELETE FROM tasks WHERE import_id = ?", [import_id])
        con.execute("DELETE FROM assessments WHERE import_id = ?", [import_id])
        con.execute("UPDATE imports SET undone_at = ? WHERE import_id = ?",
                    [dt.datetime.now().replace(microsecond=0), import_id])
        rebuild_state(con, scoring)
        bump_revision(con)
    return f"已撤销导入记录 #{import_id}（{row[0]}，{row[1]}），移除问题记录 {removed} 条"
