"""The offline install (README "Running it on an intranet"): a bundle built by scripts/make_bundle.py (for this
machine's architecture only, to save time: `make bundle` builds both) installs with every package index blocked
into a fresh virtual environment, and the installed copy runs its command line and serves the dashboard."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(platform.machine())
BLOCKED = "http://127.0.0.1:9"  # nothing listens on the discard port: any connection fails at once


def index_unreachable(tmp_path: Path) -> str | None:
    """Why the bundle cannot be built here, or None: one small pinned wheel fetched as the build fetches them."""
    if ARCH is None:
        return f"the bundle has no wheels for this machine's architecture ({platform.machine()})"
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return "the bundle lists the application's files with git, and this is not a git checkout"
    pin = next(line.split()[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.startswith("xlsxwriter=="))
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                           "--python-version", "3.11", "--platform", f"manylinux2014_{ARCH}", "--dest",
                           str(tmp_path / "probe"), pin], capture_output=True, text=True, timeout=300)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"the package index pip is configured with (`pip config list`) is unreachable: {last}"
    return None


def offline_environment(tmp_path: Path, settings: Path) -> dict[str, str]:
    """No pip configuration, no index, no proxy that works: an install that reached for the network would fail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DASHBOARD_")) and "proxy" not in k.lower()}
    return env | {"PIP_NO_INDEX": "1", "PIP_INDEX_URL": f"{BLOCKED}/simple", "PIP_CONFIG_FILE": os.devnull,
                  "http_proxy": BLOCKED, "https_proxy": BLOCKED, "HTTP_PROXY": BLOCKED, "HTTPS_PROXY": BLOCKED,
                  "HOME": str(tmp_path / "home"), "DASHBOARD_ENV_FILE": str(settings), "PYTHON": sys.executable}


def pins(lines: list[str]) -> set[tuple[str, str]]:
    """(canonical name, version) of requirement lines such as `et-xmlfile==2.0.0 --hash=…`."""
    return {(canonicalize_name(name), version) for name, version in (line.split()[0].split("==") for line in lines)}


def health(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=10) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)  # polling a port: there is no event to wait on
    pytest.fail(f"the installed dashboard did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def test_the_bundle_installs_with_every_index_blocked_and_the_installed_copy_runs(tmp_path):
    if (why := index_unreachable(tmp_path)) is not None:
        pytest.skip(f"{why}; the bundle is built from the index, so it cannot be tested here")
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "scripts/make_bundle.py", "--out", str(dist), "--arch", ARCH], cwd=ROOT,
                           capture_output=True, text=True, timeout=3600)
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"{ARCH}: every dependency has a wheel" in built.stdout
    [archive] = dist.glob("political-ecology-dashboard-*.tar.gz")
    digest, name = (dist / f"{archive.name}.sha256").read_text().split()
    assert name == archive.name and len(digest) == 64

    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    [bundle] = (tmp_path / "unpacked").iterdir()
    assert (bundle / "install.sh").stat().st_mode & 0o111 and (bundle / "app" / "serve.py").is_file()
    assert not (bundle / "app" / "tests").exists() and not (bundle / "app" / "data" / "dashboard.duckdb").exists()

    settings = tmp_path / "dashboard.env"
    data = tmp_path / "data"
    settings.write_text(f"DASHBOARD_DB={data}/dashboard.duckdb\nDASHBOARD_USERS={data}/users.json\n"
                        f"DASHBOARD_AUDIT_KEY={tmp_path}/key/audit.key\n")
    env = offline_environment(tmp_path, settings)
    prefix = tmp_path / "opt"
    installed = subprocess.run(["sh", str(bundle / "install.sh"), str(prefix)], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=1800)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    release = (prefix / "current").resolve()
    assert release.parent == prefix / "releases" and release.name == (bundle / "VERSION").read_text().strip()

    # exactly the locked packages, and the installed copy is the one that runs
    python = str(release / "venv" / "bin" / "python")
    lock = (bundle / "wheels" / ARCH / "requirements.lock").read_text().splitlines()
    frozen = subprocess.run([python, "-m", "pip", "freeze", "--isolated"], env=env, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert pins(lock) == pins(frozen)
    said = subprocess.run([str(prefix / "current" / "bin" / "analytics"), "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert said.returncode == 0 and "政治生态分析研判看板" in said.stdout and "health" in said.stdout, said.stderr
    where = subprocess.run([python, "-c", "import analytics; print(analytics.__file__)"], cwd=release / "app",
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(release / "app"))

    port = free_port()
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(prefix / "current" / "bin" / "dashboard"), "--server.port", str(port)],
                                  cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        found = health(f"http://127.0.0.1:{port}", server, log)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert found["status"] == "ok" and found["database"] == "empty"  # a fresh install, nothing imported yet


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
