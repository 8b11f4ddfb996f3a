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


def test_an_accounts_file_others_can_read_is_warned_about(tmp_path, monkeypatch):
    from analytics.users import UserStore
    from tests.conftest import logged_in

    users = tmp_path / "users.json"
    UserStore(users).add("admin2", "管理员", "a-long-secret-9")
    assert mode(users) == 0o600 and UserStore(users).exposure() is None
    users.chmod(0o644)
    said = cli("users", "list", env={"DASHBOARD_USERS": str(users)})
    assert said.returncode == 0 and "可被其他用户读取" in said.stderr and f"chmod 600 {users}" in said.stderr
    monkeypatch.setenv("DASHBOARD_USERS", str(users))
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "none.duckdb"))
    at = logged_in("admin2", default_timeout=60)
    at.run()
    at.switch_page("app_pages/users.py").run()
    assert not at.exception and any("可被其他用户读取" in w.value for w in at.warning)
