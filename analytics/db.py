"""The one home of the DuckDB file: opening it, its schema, write transactions, and cursors for a page's parts.

DuckDB lets one process write a file at a time, so every writer opens the
file, does its work in one transaction and closes it; readers open it
read-only for as long as a query takes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import duckdb

from analytics.errors import DatabaseBusy, DatabaseTooNew, DatabaseUnreadable

# The schema's version, kept in meta: a database of an earlier version is migrated on its first write open
# (backed up first, one transaction: MIGRATIONS); one of a later version is refused (DatabaseTooNew).
SCHEMA_VERSION = 3

# Observations keep what each file said. Columns a file did not have are NULL
# (inherit the earlier value); cells that were present but blank hold '' or
# BLANK_DATE, so that a later ledger can clear a value on purpose. Their long free text (description, measures,
# progress: nearly every value different) is stored with zstd: DuckDB's default DICT_FSST analysis of such text was
# most of an import's commit (100,000 rows: 0.24-0.40 s against 0.16 s), for a file twice the size. Snapshots keep
# each exported file's bytes (scope as JSON text), so that it can be downloaded again exactly as it was handed out.
# Update workbooks (一表同享, analytics.workbooks): each one generated for a unit, and the imports that returned one.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS imports (
    import_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    period_origin VARCHAR,
    sheets VARCHAR,
    rows_valid INTEGER NOT NULL,
    rows_invalid INTEGER NOT NULL,
    rows_skipped INTEGER NOT NULL,
    problems_new INTEGER NOT NULL DEFAULT 0,
    problems_updated INTEGER NOT NULL DEFAULT 0,
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR,
    undone_at TIMESTAMP,
    problems_dropped INTEGER DEFAULT 0,
    company VARCHAR
);
CREATE TABLE IF NOT EXISTS observations (
    import_id INTEGER NOT NULL,
    problem_id BIGINT NOT NULL,
    period_no INTEGER NOT NULL,
    sheet VARCHAR,
    excel_row INTEGER,
    fingerprint VARCHAR,
    problem_code VARCHAR,
    seq VARCHAR,
    source VARCHAR,
    category VARCHAR,
    description VARCHAR USING COMPRESSION zstd,
    unit VARCHAR,
    owner VARCHAR,
    leader VARCHAR,
    measures VARCHAR USING COMPRESSION zstd,
    progress VARCHAR USING COMPRESSION zstd,
    remarks VARCHAR,
    status VARCHAR NOT NULL,
    severity VARCHAR,
    recurred_mark BOOLEAN,
    found_date DATE,
    deadline DATE,
    no_deadline BOOLEAN,
    closed_date DATE,
    co_units VARCHAR,
    parent VARCHAR USING COMPRESSION zstd,
    deadline_text VARCHAR,
    long_term BOOLEAN,
    immediate BOOLEAN,
    status_basis VARCHAR,
    measure_count INTEGER,
    category_guess VARCHAR
);
CREATE TABLE IF NOT EXISTS measures (
    import_id INTEGER NOT NULL,
    problem_id BIGINT NOT NULL,
    measure_no INTEGER NOT NULL,
    sheet VARCHAR,
    excel_row INTEGER,
    measure VARCHAR USING COMPRESSION zstd,
    deadline DATE,
    deadline_text VARCHAR,
    long_term BOOLEAN,
    immediate BOOLEAN,
    status VARCHAR,
    status_basis VARCHAR,
    owner VARCHAR,
    progress VARCHAR USING COMPRESSION zstd,
    closed_date DATE
);
CREATE TABLE IF NOT EXISTS ledger_profiles (
    layout_key VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    headers VARCHAR NOT NULL,
    answers VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR,
    used_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS tasks (
    import_id INTEGER NOT NULL,
    period_no INTEGER NOT NULL,
    sheet VARCHAR,
    excel_row INTEGER,
    task_key VARCHAR NOT NULL,
    seq VARCHAR,
    aspect VARCHAR,
    measure VARCHAR,
    requirement VARCHAR,
    unit VARCHAR,
    frequency VARCHAR,
    deadline DATE,
    status VARCHAR,
    done BOOLEAN NOT NULL,
    remarks VARCHAR
);
CREATE TABLE IF NOT EXISTS assessments (
    import_id INTEGER NOT NULL,
    period_no INTEGER NOT NULL,
    sheet VARCHAR,
    excel_row INTEGER,
    unit VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    method VARCHAR
);
CREATE TABLE IF NOT EXISTS category_map (category VARCHAR PRIMARY KEY, dimension VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS category_answers (
    category VARCHAR PRIMARY KEY,
    dimension VARCHAR NOT NULL,
    answered_at TIMESTAMP NOT NULL,
    answered_by VARCHAR
);
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id INTEGER PRIMARY KEY,
    period VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    data_version VARCHAR NOT NULL,
    masked BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    parts VARCHAR
);
CREATE TABLE IF NOT EXISTS org_nodes (
    node_id INTEGER PRIMARY KEY,
    parent_id INTEGER,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    peer_group VARCHAR,
    head_count INTEGER,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS org_aliases (
    node_id INTEGER NOT NULL,
    alias VARCHAR NOT NULL,
    added_at TIMESTAMP,
    added_by VARCHAR
);
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,
    held_on DATE NOT NULL,
    topic VARCHAR NOT NULL,
    participants VARCHAR,
    period VARCHAR,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR
);
CREATE TABLE IF NOT EXISTS meeting_items (
    meeting_id INTEGER NOT NULL,
    item_no INTEGER NOT NULL,
    origin VARCHAR NOT NULL,
    kind VARCHAR,
    topic VARCHAR NOT NULL,
    reason VARCHAR,
    unit VARCHAR,
    dimension VARCHAR,
    problem_id BIGINT,
    decision_id INTEGER,
    PRIMARY KEY (meeting_id, item_no)
);
CREATE TABLE IF NOT EXISTS meeting_decisions (
    decision_id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL,
    matter VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    person VARCHAR,
    due DATE NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR
);
CREATE TABLE IF NOT EXISTS decision_progress (
    decision_id INTEGER NOT NULL,
    note_no INTEGER NOT NULL,
    noted_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    completes BOOLEAN NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR,
    PRIMARY KEY (decision_id, note_no)
);
CREATE TABLE IF NOT EXISTS lookback_checks (
    check_id INTEGER PRIMARY KEY,
    problem_id BIGINT NOT NULL,
    period_no INTEGER NOT NULL,
    result VARCHAR NOT NULL,
    note VARCHAR,
    checked_on DATE NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR
);
CREATE TABLE IF NOT EXISTS typical_cases (
    problem_id BIGINT PRIMARY KEY,
    tags VARCHAR[] NOT NULL,
    summary VARCHAR,
    marked_at TIMESTAMP NOT NULL,
    marked_by VARCHAR
);
-- 督办文书 (analytics.notices): the register, the problems each lists, its lifecycle steps, the replies
CREATE TABLE IF NOT EXISTS notices (
    notice_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    number VARCHAR NOT NULL,
    issuer VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    basis VARCHAR,
    reply_by DATE NOT NULL,
    status VARCHAR NOT NULL,
    drafted_at TIMESTAMP NOT NULL,
    drafted_by VARCHAR NOT NULL,
    UNIQUE (kind, year, seq)
);
CREATE TABLE IF NOT EXISTS notice_problems (
    notice_id INTEGER NOT NULL,
    problem_id BIGINT NOT NULL,
    problem_code VARCHAR,
    description VARCHAR,
    deadline DATE,
    tier VARCHAR,
    rule VARCHAR,
    PRIMARY KEY (notice_id, problem_id)
);
CREATE TABLE IF NOT EXISTS notice_steps (
    notice_id INTEGER NOT NULL,
    step_no INTEGER NOT NULL,
    step VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    step_at TIMESTAMP NOT NULL,
    by_name VARCHAR NOT NULL,
    by_role VARCHAR,
    note VARCHAR,
    PRIMARY KEY (notice_id, step_no)
);
CREATE TABLE IF NOT EXISTS notice_replies (
    notice_id INTEGER NOT NULL,
    reply_no INTEGER NOT NULL,
    text VARCHAR,
    file_name VARCHAR,
    file_size BIGINT,
    sha256 VARCHAR,
    content BLOB,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR NOT NULL,
    PRIMARY KEY (notice_id, reply_no)
);
CREATE TABLE IF NOT EXISTS update_workbooks (
    workbook_id INTEGER PRIMARY KEY,
    unit VARCHAR NOT NULL,
    base_period VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    token VARCHAR NOT NULL,
    problems INTEGER NOT NULL,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR
);
CREATE TABLE IF NOT EXISTS workbook_returns (
    import_id INTEGER NOT NULL,
    workbook_id INTEGER NOT NULL,
    unit VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
"""

BLANK_DATE = "0001-01-01"
LOCK_WAIT_SECONDS = 10.0
BUSY_MESSAGE = "数据库正被另一个程序使用（可能正在导入），请稍后再试"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    # the last: the same file open read-only and read-write in one process (one session imports, another reads)
    return ("lock" in text or "conflicting" in text or "already open" in text
            or "different configuration" in text)


def connect(path: Path | str, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database; writers create the schema. Retries while another process holds the file
    (for ``wait`` seconds, by default LOCK_WAIT_SECONDS, read at call time so that tests can shorten it)."""
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise DatabaseBusy(BUSY_MESSAGE) from exc
                if path.exists():
                    raise _unreadable(path, exc) from exc
                raise
            time.sleep(0.2)
        except duckdb.Error as exc:
            if not path.exists():
                raise
            raise _unreadable(path, exc) from exc
    con.execute("SET enable_progress_bar = false")  # the CLI's stderr is read by people and scheduled jobs
    try:
        found = check_version(con, path) if read_only else SCHEMA_VERSION
        if not read_only:
            ensure_schema(con, path)
    except BaseException:
        con.close()
        raise
    if read_only and found is not None and found < SCHEMA_VERSION:  # first open by this release: upgrade, once
        con.close()
        with open_db(path, wait=wait):
            pass  # a write open migrates (backed up first)
        return connect(path, read_only=True, wait=wait)
    return con


# version → what brings a database of the version before it to this one, in one transaction. Version 1 is every
# release before versions were counted: some of them had part of version 2's columns, hence IF NOT EXISTS.
MIGRATIONS = {
    2: """
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS co_units VARCHAR;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS parent VARCHAR;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS deadline_text VARCHAR;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS long_term BOOLEAN;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS immediate BOOLEAN;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS status_basis VARCHAR;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS measure_count INTEGER;
        ALTER TABLE observations ADD COLUMN IF NOT EXISTS category_guess VARCHAR;
        ALTER TABLE imports ADD COLUMN IF NOT EXISTS problems_dropped INTEGER DEFAULT 0;
        ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS parts VARCHAR;
    """,
    3: "ALTER TABLE imports ADD COLUMN IF NOT EXISTS company VARCHAR;",  # 组织架构: the company an import belongs to
}


def _unreadable(path: Path, exc: Exception) -> DatabaseUnreadable:
    reason = str(exc).splitlines()[0][:200]
    return DatabaseUnreadable(
        f"数据库文件「{path}」已损坏或不是看板的数据库，无法打开（{reason}）。"
        f"请用 python -m analytics backups 查看备份，用 python -m analytics restore 1 恢复最新的备份："
        f"损坏的文件会另存一份，不会删除。")


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version a database was written with (None: a new, empty file; 1: any release before versions)."""
    if not table_exists(con, "meta"):
        return 1 if table_exists(con, "imports") or table_exists(con, "observations") else None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """Refuse a database written by a newer release: its figures could be read wrong, and a write would damage it."""
    found = stored_version(con)
    if found is not None and found > SCHEMA_VERSION:
        raise DatabaseTooNew(f"数据库文件「{path}」由较新版本的看板写入（数据结构版本 {found}），"
                             f"本版本（{SCHEMA_VERSION}）不能打开；请安装新版本后再用，"
                             "或恢复用本版本写入的备份（python -m analytics backups）。")
    return found


def ensure_schema(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """A new file gets the whole schema; one of an earlier version is backed up and migrated in one transaction."""
    found = check_version(con, path or Path("?"))
    if found is not None and found < SCHEMA_VERSION:
        _migrate(con, found)
    con.execute(SCHEMA)
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?), ('revision', '0'), ('last_import_id', '0'),"
                " ('last_problem_id', '0')", [str(SCHEMA_VERSION)])


def _migrate(con: duckdb.DuckDBPyConnection, found: int) -> None:
    from analytics import audit, backup  # they build on this module: imported when an upgrade needs them
    from analytics.access import User

    db = database_file(con)
    if db is not None:
        backup.take(con, db, "upgrade", f"v{found}-v{SCHEMA_VERSION}")
    with transaction(con):
        con.execute(SCHEMA)  # tables added since (CREATE … IF NOT EXISTS), before the columns added to old ones
        for version in range(found + 1, SCHEMA_VERSION + 1):
            con.execute(MIGRATIONS[version])
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    if db is not None:
        audit.record(db, User("系统升级", "—"), "schema_upgrade", from_version=found, to_version=SCHEMA_VERSION)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing unit of work: commit on success, roll back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def next_ids(con: duckdb.DuckDBPyConnection, counter: str, count: int = 1) -> int:
    """Reserve ``count`` ids from a counter kept in meta; returns the first. Transactional, unlike a sequence,
    so a rolled-back import leaves no trace, and ids are never reused after an undo."""
    row = con.execute(
        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + ? AS VARCHAR) WHERE key = ? RETURNING value",
        [count, counter],
    ).fetchone()
    return int(row[0]) - count + 1


def bump_revision(con: duckdb.DuckDBPyConnection) -> int:
    """Count one more change to the data; pages key their caches on it."""
    return next_ids(con, "revision")


def revision(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
    return int(row[0]) if row else 0


# Writers within one process (the app's sessions are threads) take turns here: DuckDB's file lock only keeps
# processes apart, and two threads writing through the same database instance conflict mid-transaction.
_WRITER_LOCKS: dict[str, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(str(path.resolve()), threading.RLock())


@contextlib.contextmanager
def open_db(path: Path | str, read_only: bool = False,
            wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open, use, close: how the CLI and the app share one file without fighting over it.

    A writer waits up to ``wait`` seconds (LOCK_WAIT_SECONDS) for another writer, thread or process, then raises
    DatabaseBusy.
    """
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    lock = None if read_only else _writer_lock(Path(path))
    if lock is not None and not lock.acquire(timeout=max(wait, 0)):
        raise DatabaseBusy(BUSY_MESSAGE)
    try:
        con = connect(path, read_only=read_only, wait=wait)
        try:
            yield con
        finally:
            con.close()
    finally:
        if lock is not None:
            lock.release()


def sql_text(value: str) -> str:
    """A constant of the product's own vocabulary (a status word from analytics.config) as an SQL literal. Only for
    those: text from a ledger or a user is always a bind parameter."""
    return "'" + value.replace("'", "''") + "'"


def sql_in(values: tuple[str, ...]) -> str:
    """``('a', 'b')`` of sql_text literals, for ``status IN …``."""
    return "(" + ", ".join(map(sql_text, values)) + ")"


def database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind a connection (None in memory)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]) if row and row[0] else None


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
                .fetchone()[0])


# Tables are never dropped (derived ones are replaced in place), so a table once seen stays: each connection
# looks a table up once, not once per figure (a catalog query costs about 1 ms, a page asks dozens of times).
_SEEN_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """table_exists, remembered per connection once true."""
    seen = _SEEN_TABLES.setdefault(con, set())
    if name not in seen and table_exists(con, name):
        seen.add(name)
    return name in seen


# A page's independent parts run side by side, each on a cursor of its own (a connection serves one thread at a
# time): DuckDB works without the GIL, so one part's queries overlap another's Python (单位画像 at 1M, timed in
# turns: 58 → 44 ms).
_WORKERS = "analytics-part"
_POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix=_WORKERS)


def side_by_side(con: duckdb.DuckDBPyConnection, *parts: Callable[[duckdb.DuckDBPyConnection], Any]) -> list:
    """Each part called with a cursor of ``con``, all at once; their results in order. Every part has ended when
    this returns or raises (the first part's error first), so ``con`` may then be closed. A cursor is a connection
    of its own: it sees what is committed, not what ``con``'s open transaction has written, so this is for reading."""
    def run(part: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        with con.cursor() as cur:
            _SEEN_TABLES[cur] = _SEEN_TABLES.setdefault(con, set())  # the tables con has seen, cur has too
            return part(cur)

    if threading.current_thread().name.startswith(_WORKERS):  # a part's own parts: no worker waits for another
        return [run(part) for part in parts]
    later = [_POOL.submit(run, part) for part in parts[1:]]
    try:
        first = run(parts[0])
    finally:
        wait(later)
    return [first, *(future.result() for future in later)]
