"""What the product writes holds discipline-inspection data: readable by its owner only, whatever the umask."""

from __future__ import annotations

import stat

from tests.conftest import HEADER, problem_row, write_xlsx
from tests.test_cli import cli


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_its_backups_the_audit_trail_and_exports_are_the_owners_only(tmp_path):
    base = tmp_path / "private.duckdb"
    trail = tmp_path / "private.audit.jsonl"
    env = {"DASHBOARD_AUDIT": str(trail)}
    first = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1")]})
    second = write_xlsx(tmp_path / "2024年第四季度问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1", "已销号")]})
    assert cli("import", str(first), str(second), db=base, env=env).returncode == 0  # the second one backs up
    out = tmp_path / "snapshot.xlsx"
    assert cli("export", "--period", "2024Q4", "--format", "xlsx", "--out", str(out), db=base, env=env).returncode == 0
    backups = list((tmp_path / "private.duckdb.backups").iterdir())
    assert backups
    assert mode(base) == mode(trail) == mode(out) == 0o600
    assert mode(tmp_path / "private.duckdb.backups") == 0o700
    assert {mode(b) for b in backups} == {0o600}
