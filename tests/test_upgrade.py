"""Upgrades keep the data: a database written by the previous release (tests/data/release-*.duckdb.gz, made by
scripts/make-release-fixture.sh with that release's own code) is backed up and migrated in one transaction on its
first open, and reads as it did; a database of a newer release is refused, never downgraded."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics import audit, backup
from analytics.db import SCHEMA_VERSION, connect, open_db, stored_version
from analytics.errors import DatabaseTooNew
from analytics.metrics import headline
from analytics.periods import parse_period
from tests.conftest import ROOT

RELEASE = ROOT / "tests" / "data" / "release-cc5541e.duckdb.gz"


@pytest.fixture
def old_db(tmp_path) -> Path:
    path = tmp_path / "old.duckdb"
    path.write_bytes(gzip.decompress(RELEASE.read_bytes()))
    return path


def raw(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_first_open_backs_up_and_migrates_keeping_every_figure(old_db):
    before = raw(old_db, "SELECT count(*), sum(problem_id) FROM observations")
    assert raw(old_db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert "parts" not in [r[0] for r in raw(old_db, "DESCRIBE snapshots")]
    with open_db(old_db, read_only=True) as con:  # a reader's first open upgrades, once
        assert stored_version(con) == SCHEMA_VERSION
        assert con.execute("SELECT count(*), sum(problem_id) FROM observations").fetchall() == before
        head = headline(con, parse_period("2025Q2"))
        assert con.execute("SELECT parts FROM snapshots").fetchall() == [(None,)]  # recorded before parts were
    # hand-counted: A-1 completed, A-2 closed in Q1, A-3 open and overdue, A-4 new and open
    assert (head["total"], head["closed"], head["open"], head["overdue"]) == (4, 1, 2, 1)
    kept = backup.list_backups(old_db)
    assert len(kept) == 1 and "upgrade" in kept[0].path.name
    assert raw(kept[0].path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]  # the old file
    entry = audit.entries(old_db).iloc[0]
    assert entry["action"] == "schema_upgrade" and "1" in entry["details"] and str(SCHEMA_VERSION) in entry["details"]
    with open_db(old_db):
        pass
    assert len(backup.list_backups(old_db)) == 1  # the second open finds nothing to do


def test_a_failed_migration_leaves_the_old_database_as_it_was(old_db, monkeypatch):
    monkeypatch.setitem(__import__("analytics.db", fromlist=["MIGRATIONS"]).MIGRATIONS, SCHEMA_VERSION,
                        "ALTER TABLE observations ADD COLUMN IF NOT EXISTS co_units VARCHAR; SELECT * FROM missing;")
    with pytest.raises(duckdb.Error):
        connect(old_db)
    assert raw(old_db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]


def test_a_database_of_a_newer_release_is_refused_for_reading_and_writing(old_db):
    con = duckdb.connect(str(old_db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    for read_only in (True, False):
        with pytest.raises(DatabaseTooNew, match=r"较新版本.*数据结构版本 99"):
            connect(old_db, read_only=read_only)
    assert raw(old_db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("99",)]


def test_the_command_line_reads_an_old_database_after_upgrading_it(old_db):
    done = subprocess.run([sys.executable, "-m", "analytics", "summary", "--json", "--db", str(old_db),
                           "--period", "2025Q2"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 4


BEFORE_ORGANISATIONS = ROOT / "tests" / "data" / "release-1ff06ad.duckdb.gz"  # schema 2: no 组织架构, no company


def test_a_database_made_before_organisations_opens_with_the_same_figures(tmp_path, capsys):
    """The release before the 组织架构 (made by its own code): migrated to version 3 on its first open, no register,
    units still the ledgers' names, the company the mean over them, and the hand-counted figures unchanged."""
    from analytics import org
    from analytics.cli import main as cli

    db = tmp_path / "v2.duckdb"
    db.write_bytes(gzip.decompress(BEFORE_ORGANISATIONS.read_bytes()))
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert "company" not in [r[0] for r in raw(db, "DESCRIBE imports")]
    assert cli(["summary", "--json", "--db", str(db)]) == 0
    figures = json.loads(capsys.readouterr().out)
    # A-1 completed, A-2 closed in Q1, A-3 open and overdue, A-4 new and open
    assert (figures["total"], figures["closed"], figures["open"], figures["overdue"]) == (4, 1, 2, 1)
    assert figures["by_unit"] == {"财务部": 2, "冶炼厂": 1, "采购部": 1}
    assert set(figures["units"]) == {"财务部", "冶炼厂", "采购部"}
    with open_db(db, read_only=True) as con:
        assert stored_version(con) == SCHEMA_VERSION == 3
        assert org.load(con).empty
        assert con.execute("SELECT count(*) FROM imports WHERE company IS NULL").fetchone()[0] == 2
