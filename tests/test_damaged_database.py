"""A database file that cannot be opened: a Chinese message naming the way back, and restore brings a backup back
with the damaged file kept aside; never a traceback."""

from __future__ import annotations

import json

from tests.conftest import HEADER, logged_in, problem_row, write_xlsx
from tests.test_cli import cli


def damaged_database(tmp_path):
    base = tmp_path / "x.duckdb"
    env = {"DASHBOARD_AUDIT": str(tmp_path / "audit.jsonl")}
    for quarter, status in (("2024年第三季度", "整改中"), ("2024年第四季度", "已销号")):
        ledger = write_xlsx(tmp_path / f"{quarter}问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1", status)]})
        assert cli("import", str(ledger), db=base, env=env).returncode == 0
    data = bytearray(base.read_bytes())
    data[100:4100] = b"\x00" * 4000  # the header blocks overwritten, as a failing disk or a stray write leaves them
    base.write_bytes(bytes(data))
    return base, env


def test_a_damaged_database_is_named_with_the_way_back_and_restore_brings_a_backup(tmp_path):
    base, env = damaged_database(tmp_path)
    said = cli("summary", "--json", db=base, env=env)
    assert said.returncode == 1 and "Traceback" not in said.stderr
    assert "已损坏" in said.stderr and "python -m analytics restore 1" in said.stderr
    restored = cli("restore", "1", db=base, env=env)
    assert restored.returncode == 0, restored.stderr
    kept = [p.name for p in tmp_path.iterdir() if p.name.startswith("x.duckdb.damaged-")]
    assert len(kept) == 1 and kept[0] in restored.stdout
    # the newest backup was taken before the second import: the first quarter, one open problem
    assert json.loads(cli("summary", "--json", db=base, env=env).stdout)["period"] == "2024Q3"


def test_the_dashboard_says_the_database_is_damaged_instead_of_a_traceback(monkeypatch, tmp_path):
    base, _env = damaged_database(tmp_path)
    monkeypatch.setenv("DASHBOARD_DB", str(base))
    at = logged_in().run()
    assert not at.exception
    assert any("已损坏" in e.value and "restore 1" in e.value for e in at.error)
