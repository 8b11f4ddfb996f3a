"""The container image (Dockerfile): built and started where Docker is available, its data folder a volume that
outlives the container, its health URL and command line working inside. Skipped, with the reason, where Docker
is not."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess

import pytest

from tests.conftest import HEADER, ROOT, problem_row, write_xlsx
from tests.polling import get_json


def test_every_file_the_dockerfile_copies_exists_and_is_let_through_dockerignore():
    """Checked everywhere, Docker or not: a COPY of a file .dockerignore leaves out fails the build."""
    sources = [word for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
               for word in line.split()[1:-1]]
    allowed = {line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    assert sources and all((ROOT / source).exists() and source in allowed for source in sources), sources
    assert set(sources) == allowed  # and nothing else reaches the build (tests, databases, the venv)


def docker_unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "docker is not installed here"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode:
        return f"the Docker daemon is not reachable ({(info.stderr.strip().splitlines() or ['?'])[-1]})"
    return None


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    assert not check or done.returncode == 0, f"docker {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, name: str, timeout: float = 120) -> tuple[int, dict]:
    def logs() -> str:
        found = docker("logs", name, check=False)
        return found.stdout + found.stderr
    return get_json(url, timeout, logs)


@pytest.mark.slow
def test_the_image_builds_starts_and_keeps_its_data_in_the_volume(tmp_path):
    if (why := docker_unavailable()) is not None:
        pytest.skip(f"{why}: the Dockerfile is not built and started here")
    tag, suffix = "political-ecology-dashboard:test", secrets.token_hex(4)
    data, key, name = f"pe-test-data-{suffix}", f"pe-test-key-{suffix}", f"pe-test-{suffix}"
    # without the browser: quicker to build, and the export page's note for it is tested elsewhere
    docker("build", "--build-arg", "WITH_BROWSER=0", "-t", tag, str(ROOT), timeout=3600)
    port = free_port()

    def start(container: str) -> None:
        docker("run", "-d", "--name", container, "-e", "STREAMLIT_SERVER_ADDRESS=0.0.0.0",
               "-p", f"127.0.0.1:{port}:8501", "-v", f"{data}:/data", "-v", f"{key}:/key", tag)

    try:
        start(name)
        status, found = wait_health(f"http://127.0.0.1:{port}/api/health", name)
        assert status == 200 and found["database"] == "empty"
        ledger = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"S": [HEADER, problem_row(1, "A-1")]})
        docker("cp", str(ledger), f"{name}:/tmp/{ledger.name}")
        assert docker("exec", name, "python", "-m", "analytics", "import", f"/tmp/{ledger.name}").returncode == 0
        assert docker("exec", name, "python", "-m", "analytics", "health").returncode == 0
        whoami = docker("exec", name, "id", "-un").stdout.strip()
        assert whoami == "dashboard"  # not root
        docker("rm", "-f", name)

        start(name)  # a new container on the same volumes: the data is still there
        status, found = wait_health(f"http://127.0.0.1:{port}/api/health", name)
        assert status == 200 and found["database"] == "ok" and found["audit"] == "ok"
        listed = json.loads(docker("exec", name, "python", "-m", "analytics", "imports", "--json").stdout)
        assert [r["file_name"] for r in listed] == [ledger.name]
    finally:
        docker("rm", "-f", name, check=False)
        docker("volume", "rm", "-f", data, key, check=False)
