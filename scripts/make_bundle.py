"""`make bundle`: one archive that installs the dashboard on a Linux machine without network.

It holds the application (the files git tracks that it needs to run), every dependency of requirements.txt as
wheels for CPython 3.11 on each architecture asked for (manylinux up to glibc 2.28, as on Kylin V10, UOS 20 and
openEuler 20.03: a newer wheel would not load there), a lock per architecture (every wheel pinned with its sha256,
so a damaged copy fails the install) and install.sh. The versions are resolved once, for the first architecture,
and the others get the same versions; a package without a wheel for an architecture is listed in
wheels/<arch>/MISSING.txt (install.sh then refuses that architecture) and printed.

    python scripts/make_bundle.py [--out dist] [--arch x86_64 --arch aarch64] [--glibc 2.28]

pip downloads through its own configuration (index, mirror, proxy), as `pip install` would on this machine.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
NAME = "political-ecology-dashboard"
PYTHON_VERSION = "3.11"
ARCHES = ("x86_64", "aarch64")
# what the application needs to run, from the files git tracks (tests, benchmarks and CI stay behind)
APP_PATHS = ("analytics", "app_pages", "dashboard.py", "serve.py", "data/access.toml", "data/ledger.toml",
             "data/scoring.toml", "data/make_demo.py", "docs", ".streamlit", "README.md", "requirements.txt",
             "pyproject.toml", "scripts/system-deps.sh")
DEPLOY_PATHS = ("deploy",)


def platforms(arch: str, glibc: tuple[int, int]) -> list[str]:
    """pip's --platform values for manylinux wheels that load on glibc ``glibc`` (pip does not widen them itself)."""
    major, minor = glibc
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 16, -1)] + [f"manylinux2014_{arch}"]
    if arch == "x86_64":
        tags += [f"manylinux_2_{m}_{arch}" for m in range(16, 4, -1)] + [f"manylinux2010_{arch}",
                                                                          f"manylinux1_{arch}"]
    return tags


def pip_download(arch: str, glibc: tuple[int, int], target: Path, *requirements: str,
                 no_deps: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
               "--implementation", "cp", "--python-version", PYTHON_VERSION, "--abi", "cp311",
               *[f"--platform={p}" for p in platforms(arch, glibc)], "--dest", str(target),
               *(["--no-deps"] if no_deps else []), *requirements]
    return subprocess.run(command, capture_output=True, text=True)


def wheels_in(folder: Path) -> dict[str, tuple[str, list[Path]]]:
    """canonical name → (version, its wheel files) of the wheels in a folder."""
    found: dict[str, tuple[str, list[Path]]] = {}
    for path in sorted(folder.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(path.name)
        found.setdefault(canonicalize_name(name), (str(version), []))[1].append(path)
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(arches: list[str], glibc: tuple[int, int], wheels: Path) -> dict[str, list[str]]:
    """Download every wheel; returns arch → the packages that have no wheel for it."""
    first, missing = arches[0], defaultdict(list)
    done = pip_download(first, glibc, wheels / first, "-r", str(ROOT / "requirements.txt"))
    if done.returncode:
        sys.exit(f"pip could not download every dependency for {first}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    pins = [f"{name}=={version}" for name, (version, _) in wheels_in(wheels / first).items()]
    for arch in arches[1:]:
        if pip_download(arch, glibc, wheels / arch, *pins, no_deps=True).returncode:  # one go, else one by one
            for pin in pins:
                if pip_download(arch, glibc, wheels / arch, pin, no_deps=True).returncode:
                    missing[arch].append(pin)
    return missing


def share_pure_wheels(arches: list[str], wheels: Path) -> None:
    """A wheel for every platform (py3-none-any) is kept once, in wheels/any."""
    common = wheels / "any"
    common.mkdir(exist_ok=True)
    for arch in arches:
        for path in (wheels / arch).glob("*-none-any.whl"):
            if (common / path.name).exists():
                path.unlink()
            else:
                path.rename(common / path.name)


def write_lock(arch: str, wheels: Path, missing: list[str]) -> None:
    """wheels/<arch>/requirements.lock: every wheel install.sh installs on that architecture, with its sha256."""
    found = wheels_in(wheels / arch) | wheels_in(wheels / "any")
    lines = [f"{name}=={version} " + " ".join(f"--hash=sha256:{sha256(p)}" for p in paths)
             for name, (version, paths) in sorted(found.items())]
    (wheels / arch / "requirements.lock").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if missing:
        (wheels / arch / "MISSING.txt").write_text("\n".join(missing) + "\n", encoding="utf-8")


def tracked(paths: tuple[str, ...]) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=ROOT, capture_output=True, check=True)
    return sorted(p for p in listed.stdout.decode().split("\0") if p and (ROOT / p).is_file())


def version() -> str:
    """pyproject's version, the commit, and -dirty when a bundled file differs from it."""
    base = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    changed = subprocess.run(["git", "status", "--porcelain", "--", *APP_PATHS, *DEPLOY_PATHS], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
    return f"{base}-{commit}" + ("-dirty" if changed else "")


def copy_files(stage: Path, release: str) -> None:
    for rel in tracked(APP_PATHS):
        target = stage / "app" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    for rel in tracked(DEPLOY_PATHS):
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    shutil.copy2(ROOT / "deploy" / "install.sh", stage / "install.sh")
    (stage / "VERSION").write_text(release + "\n", encoding="ascii")


def archive(stage: Path, out: Path) -> Path:
    """A .tar.gz of the stage, its entries sorted, owned by root, dated at the commit (the same inputs give the
    same bytes)."""
    stamp = int(subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip())

    def normal(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = stamp
        executable = info.isdir() or info.mode & 0o100
        info.mode = 0o755 if executable else 0o644
        return info

    target = out / f"{stage.name}.tar.gz"
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=stamp, filename="") as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [stage, *sorted(stage.rglob("*"))]:
            tar.add(path, arcname=str(Path(stage.name) / path.relative_to(stage)), recursive=False, filter=normal)
    (out / f"{target.name}.sha256").write_text(f"{sha256(target)}  {target.name}\n", encoding="ascii")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the archive goes (default dist/)")
    parser.add_argument("--arch", action="append", choices=ARCHES, help="architectures (default: both)")
    parser.add_argument("--glibc", default="2.28", help="the oldest glibc the wheels must load on (default 2.28)")
    args = parser.parse_args(argv)
    arches = list(dict.fromkeys(args.arch or ARCHES))
    glibc = tuple(int(part) for part in args.glibc.split("."))
    release = version()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=args.out) as tmp:
        stage = Path(tmp) / f"{NAME}-{release}"
        copy_files(stage, release)
        missing = fetch(arches, glibc, stage / "wheels")
        share_pure_wheels(arches, stage / "wheels")
        for arch in arches:
            write_lock(arch, stage / "wheels", missing.get(arch, []))
        target = archive(stage, args.out)
    print(f"{target} ({target.stat().st_size / 1024 / 1024:.1f} MB, version {release})")
    for arch in arches:
        if missing.get(arch):
            print(f"no wheel for {arch}, so the bundle cannot install there: {', '.join(missing[arch])}")
        else:
            print(f"{arch}: every dependency has a wheel")
    return 0


if __name__ == "__main__":
    os.umask(0o022)  # the archive's modes are set above; the staging files need only be readable
    sys.exit(main())
