"""Shared fixtures: the sample ledgers (written by tests/sample_ledgers.py), a fresh database, and small workbook
builders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from analytics import ledger
from analytics.config import ScoringConfig, scoring_config
from analytics.db import connect
from analytics.ingest.parse import parse_file
from analytics.periods import Period, parse_period
from tests import sample_ledgers

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "correct-horse-1"
# account name → (role, unit): one per role; the department head is 采购部's (a unit of the demo)
ACCOUNTS = {"admin": ("管理员", None), "secretary": ("纪委书记", None), "office": ("纪委办", None),
            "member": ("纪委委员", None), "head": ("部门负责人", "采购部")}


@pytest.fixture(scope="session")
def accounts_file(tmp_path_factory) -> Path:
    """A users file with ACCOUNTS, all with PASSWORD; tests that change accounts copy it first."""
    from analytics.users import UserStore

    path = tmp_path_factory.mktemp("accounts") / "users.json"
    store = UserStore(path)
    for name, (role, unit) in ACCOUNTS.items():
        store.add(name, role, PASSWORD, unit)
    return path


@pytest.fixture(autouse=True)
def _accounts(monkeypatch, accounts_file) -> None:
    """No test reads or writes the real accounts file, or an audit trail or key given by the environment (the audit
    key is made beside the accounts file)."""
    monkeypatch.setenv("DASHBOARD_USERS", str(accounts_file))
    monkeypatch.delenv("DASHBOARD_AUDIT", raising=False)
    monkeypatch.delenv("DASHBOARD_AUDIT_KEY", raising=False)


def dashboard(default_timeout: float = 60):
    """dashboard.py in AppTest, not yet run and nobody logged in."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=default_timeout)


def logged_in(account: str = "secretary", default_timeout: float = 60):
    """dashboard.py in AppTest with ``account`` already logged in (the login itself is tested in test_access)."""
    import time

    at = dashboard(default_timeout)
    now = time.time()
    at.session_state["auth"] = {"name": account, "since": now, "seen": now}
    return at


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, accounts_file) -> Path:
    """The bundled demo, written by data/make_demo.py and imported through the CLI once per test run.

    Treat it as read-only; copy it (shutil.copy) before importing into it.
    """
    import subprocess
    import sys

    from analytics.cli import main as cli_main

    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(ROOT / "data" / "make_demo.py"), str(out / "files")], check=True,
                   capture_output=True)
    db = out / "demo.duckdb"
    with pytest.MonkeyPatch.context() as env:  # as the tests run (_accounts): the audit key beside accounts_file
        env.setenv("DASHBOARD_USERS", str(accounts_file))
        for name in ("DASHBOARD_AUDIT", "DASHBOARD_AUDIT_KEY"):
            env.delenv(name, raising=False)
        assert cli_main(["import", "--db", str(db), *map(str, sorted((out / "files").iterdir()))]) == 0
    return db


@pytest.fixture
def download_storages(monkeypatch) -> list:
    """Every media storage AppTest makes: it drops its storage after each run, and the downloads live there."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test as app_test_module

    made: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return made


def downloaded(storages: list, button) -> tuple[str, bytes]:
    """(file name, bytes) behind an AppTest download button, read from the recorded media storages."""
    file_id = button.proto.url.rsplit("/", 1)[-1]
    media = next(s for s in reversed(storages) if file_id.split(".")[0] in s._files_by_id)
    file = media.get_file(file_id)
    return file.filename, file.content


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = connect(tmp_path / "test.duckdb")
    yield c
    c.close()


# the configuration in data/ as the tests read it once, at their edge (analytics functions are given it)
CFG = scoring_config()


def load(con: duckdb.DuckDBPyConnection, path: Path, period: str | None = None, skip_invalid: bool = False,
         name: str | None = None, cfg: ScoringConfig = CFG) -> ledger.ImportResult:
    """Parse and store one file the way the CLI does."""
    parsed = parse_file(name or path.name, path.read_bytes(), parse_period(period) if period else None)
    return ledger.store(con, parsed, skip_invalid=skip_invalid, scoring=cfg)


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory) -> Path:
    """A folder holding every sample ledger (tests/sample_ledgers.py), written once per test run. Read-only."""
    return sample_ledgers.write_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="session")
def sample(samples_dir: Path) -> Callable[[str], Path]:
    """``sample(name)``: the path of the sample ledger of that file name (sample_ledgers.Q1, …)."""
    def path(name: str) -> Path:
        if name not in sample_ledgers.NAMES:
            pytest.fail(f"no sample ledger {name!r}; tests/sample_ledgers.py writes {', '.join(sample_ledgers.NAMES)}")
        return samples_dir / name
    return path


def database_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of every row of every table: equal digests mean nothing was written."""
    h = hashlib.sha256()
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    for table in tables:
        rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
        h.update(table.encode())
        for row in sorted(map(repr, rows)):
            h.update(row.encode())
    h.update(repr(con.execute("SELECT * FROM duckdb_sequences() ORDER BY sequence_name").fetchall()).encode())
    return h.hexdigest()


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """A workbook from plain rows (None for an empty cell), with optional merged ranges per sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


HEADER = ["序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "责任人", "发现时间", "整改时限",
          "整改状态", "销号时间", "问题性质"]


def problem_row(seq: int, code: str | None, status: str = "整改中", *, source: str = "巡察", category: str = "作风建设",
                description: str | None = None, unit: str = "冶炼厂", found: str = "2024-01-10",
                deadline: object = "2024-06-30", closed: object = None, severity: str = "一般") -> list:
    return [seq, code, source, category, description or f"问题描述{code or seq}", unit, "张三", found, deadline,
            status, closed, severity]


__all__ = ["HEADER", "Period", "database_digest", "load", "problem_row", "write_xlsx"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on the bundled demo (demo_db: the demo built through the CLI, ~10 s once) is slow by the marker's own
    definition; make test-fast leaves them to make test."""
    for item in items:
        if "demo_db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
