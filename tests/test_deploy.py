"""The service's files in deploy/: the systemd units pass `systemd-analyze verify`, every command they and the
crontab run is one the command line accepts, and the service keeps to what README "Running it on an intranet"
promises (an unprivileged user on 127.0.0.1, restarted on failure, data outside the application folder)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from analytics.cli import build_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
PREFIX = "/opt/political-ecology-dashboard"
SERVICE = DEPLOY / "systemd" / "political-ecology-dashboard.service"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def env_file() -> dict[str, str]:
    lines = (DEPLOY / "dashboard.env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """Every unit and timer, with the install prefix pointed at stand-ins for the installed programs (verify checks
    that each ExecStart exists and is executable)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (Debian: systemd), so the units are not verified")
    prefix = tmp_path / "prefix"
    for program in ("current/venv/bin/python", "current/bin/alert"):
        stand_in = prefix / program
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        (units / path.name).write_text(path.read_text(encoding="utf-8").replace(PREFIX, str(prefix)),
                                       encoding="utf-8")
    names = [p.name for p in sorted(units.iterdir()) if "@" not in p.name]
    names.append("political-ecology-dashboard-alert@political-ecology-dashboard-backup.service.service")  # an instance
    done = subprocess.run(["systemd-analyze", "verify", *names], cwd=units, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_service_runs_unprivileged_on_localhost_restarts_on_failure_and_keeps_data_outside_the_program():
    service = unit(SERVICE)["Service"]
    assert service["User"] == "dashboard" and service["Restart"] == "on-failure"
    command = shlex.split(service["ExecStart"])
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[1:5] == ["-m", "streamlit", "run", "serve.py"]  # serve.py: the pages and /api/health
    assert service["ProtectSystem"] == "strict" and service["UMask"] == "0077"
    data = f"/var/lib/{service['StateDirectory']}"
    settings = env_file()
    assert Path(settings["DASHBOARD_DB"]).parent == Path(settings["DASHBOARD_USERS"]).parent == Path(data)
    assert not settings["DASHBOARD_AUDIT_KEY"].startswith(data + "/")  # the key apart from the trail
    assert service["WorkingDirectory"].startswith(PREFIX) and not data.startswith(PREFIX)


def scheduled_commands() -> list[tuple[str, list[str]]]:
    """(where, the analytics arguments) of every scheduled job, in the units and the crontab."""
    settings = env_file()
    found = []
    for path in UNITS:
        if path.suffix != ".service" or "analytics" not in path.read_text(encoding="utf-8"):
            continue
        line = re.sub(r"\$\{(\w+)\}", lambda m: settings[m.group(1)], unit(path)["Service"]["ExecStart"])
        words = shlex.split(line)
        found.append((path.name, words[words.index("analytics") + 1:]))
    for line in (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words = shlex.split(line.split("||")[0].split(">")[0])[5:]
            assert words[0] == f"{PREFIX}/current/bin/analytics", line
            found.append((f"crontab: {words[1]}", words[1:]))
    return found


@pytest.mark.parametrize(("where", "arguments"), scheduled_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_scheduled_job_is_a_command_the_command_line_accepts(where, arguments):
    args = build_parser().parse_args(arguments)
    assert args.command in ("backup", "archive", "audit")
    if args.command == "audit":
        assert args.verify  # exits 1 when the trail is not as written


def test_each_job_alerts_on_failure_and_each_timer_starts_its_job():
    for path in UNITS:
        if path.suffix == ".timer":
            assert (path.with_suffix(".service")).exists(), path.name
            assert unit(path)["Timer"]["Persistent"] == "true"  # a run missed while the server was off is made up
        elif path.suffix == ".service" and path.with_suffix(".timer").exists():
            assert unit(path)["Unit"]["OnFailure"] == "political-ecology-dashboard-alert@%n.service"
