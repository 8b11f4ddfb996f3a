"""Import memory benchmark: does every file within [limits] parse under the worker's cap, and does the caller get
its memory back?

Run: python benchmarks/bench_import_memory.py [--only KIND ...] [--check]

Ledgers at the limits of data/ledger.toml, written once and cached under benchmarks/out/ (the benchmark's
generators, bench_import.py's rows, with 整改措施 and 整改进展 texts padded to reach a limit):

- csv: max_rows rows (the header among them), UTF-8, padded to just under max_file_mb: the largest CSV allowed;
- xlsx: max_rows rows, strings inline, padded so that its parts unzip to just under max_unzipped_mb;
- xlsx-shared: the same rows with a shared-string table, as Excel and WPS write;
- merged: bench_import.py's merged layout (2–4 measure rows per problem, cells merged down) at max_rows;
- wide: a hostile CSV within every limit (max_columns columns of short numbers, under max_file_mb) whose parse
  needs more than the cap: it must be refused, and the caller stay as it was.

Each file is parsed by parse_in_worker in a fresh process (the caller), as the dashboard and the CLI parse. The
caller reports the worker's peak RSS (getrusage RUSAGE_CHILDREN) and its peak address space (what the cap limits,
sampled from /proc), and its own RSS before the parse, at its peak and after the result is dropped.

Goals (PASS/FAIL): every file but the hostile one parses with every row, its worker's peak RSS under the cap (the
stated bound, [limits] max_parse_mb: derived, 2,600 MB for the shipped limits); the hostile one is refused; the
caller ends within 5% of the worker's peak of where it began. A report: exits 0 unless --check and a goal is
missed.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # run as a script from anywhere: `analytics` and bench_import importable

import bench_import as rows_of  # noqa: E402

from analytics.config import LedgerConfig, Limits, ledger_config  # noqa: E402
from analytics.errors import FileRejected  # noqa: E402
from analytics.ingest import worker  # noqa: E402
from analytics.ingest.reader import MB  # noqa: E402

GENERATOR_VERSION = 1  # bump when a generator changes, so cached files are rewritten
KINDS = ("csv", "xlsx", "xlsx-shared", "merged", "wide")
HEADERS = (*rows_of.HEADERS, "整改措施", "整改进展")
FILL = 0.97  # of a size limit: as close as the estimate of a file's size allows
XLSX_HEAD_ROWS = 7  # bench_import's title, 填报单位 line, header; its 合计 row, a blank, a note and the sign-off
GOAL_RETURNED = 0.05  # the caller after the parse, as a share of the worker's peak


# --- the files ------------------------------------------------------------------------------------------------------


def path_of(kind: str, limits: Limits) -> Path:
    size = {"csv": limits.max_file_mb, "wide": limits.max_file_mb}.get(kind, limits.max_unzipped_mb)
    stem = f"2025年第一季度问题整改台账_limits_{kind}_v{GENERATOR_VERSION}_{limits.max_rows}r_{size:g}mb"
    if kind == "wide":
        stem += f"_{limits.max_columns}c"
    return rows_of.OUT_DIR / (stem + (".csv" if kind in ("csv", "wide") else ".xlsx"))


def _rows(count: int, pad: int) -> list[list]:
    """bench_import's problem rows, with an 整改措施 and an 整改进展 text of about pad characters each."""
    rng = random.Random(rows_of.SEED)
    units = list(rows_of.HQ_DEPARTMENTS) + [p + s for p in rows_of.PLACES for s in rows_of.SUBSIDIARIES]
    people = [s + g for s in rows_of.SURNAMES for g in rows_of.GIVEN]
    joined = "；".join(rows_of.MEASURES)
    filler = joined * (2 + pad // len(joined))  # long enough for any slice below
    out = []
    for i in range(1, count + 1):
        row = rows_of._problem(i, rng, units, people)
        start = rng.randrange(200)
        out.append([*row, filler[start:start + pad], f"第{i}项：" + filler[start + 7:start + 7 + pad]])
    return out


def _csv_line(row: list) -> str:
    cells = ["" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in row]
    return ",".join(f'"{c}"' if "," in c else c for c in cells) + "\n"


def write_csv(path: Path, limits: Limits) -> None:
    """max_rows lines, padded to FILL of max_file_mb (each padding character takes 3 bytes in UTF-8)."""
    count = limits.max_rows - 1
    bare = sum(len(_csv_line(r).encode()) for r in _rows(count, 0))
    pad = max(int((FILL * limits.max_file_mb * MB - bare) / count / 6), 0)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(_csv_line(list(HEADERS)))
        f.writelines(map(_csv_line, _rows(count, pad)))


def write_xlsx(path: Path, limits: Limits, shared: bool) -> None:
    """max_rows rows in bench_import's layout, padded to about FILL of max_unzipped_mb once unzipped."""
    count = limits.max_rows - XLSX_HEAD_ROWS
    # the unzipped bytes of a row, bare and per padding character, from two small files
    small = [path.with_name(f"{path.stem}.sample{pad}.xlsx") for pad in (0, 100)]
    for sample, pad in zip(small, (0, 100), strict=True):
        _write_xlsx(sample, 2_000, pad, shared)
    bare, padded = (_unzipped(p) / 2_000 for p in small)
    for sample in small:
        sample.unlink()
    target = FILL * limits.max_unzipped_mb * MB
    pad = max(int((target / count - bare) / ((padded - bare) / 100)), 0)
    _write_xlsx(path, count, pad, shared)
    made = _unzipped(path)
    if pad and abs(made - target) > 0.02 * target:  # a shared-string table shares more at full size: once more
        pad = max(int(pad * (target - bare * count) / (made - bare * count)), 0)
        _write_xlsx(path, count, pad, shared)


def _unzipped(path: Path) -> int:
    return sum(i.file_size for i in zipfile.ZipFile(path).infolist())


def _write_xlsx(path: Path, count: int, pad: int, shared: bool) -> None:
    import xlsxwriter  # only the generator needs it

    book = xlsxwriter.Workbook(str(path), {"constant_memory": not shared})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    title = book.add_format({"bold": True})
    sheet = rows_of._sheet_head(book, HEADERS, (6,) * len(HEADERS), 9, title, title)
    rows_of._write_rows(sheet, _rows(count, pad), 3, date)
    rows_of._footer(sheet, count + 3, f"共 {count} 个问题", "注：整改状态按未整改、整改中、已整改、已销号填写。")
    book.close()


def write_wide(path: Path, limits: Limits) -> None:
    """A ledger header, then as many rows of max_columns short numbers as fit under max_file_mb."""
    extra = limits.max_columns - len(rows_of.HEADERS)
    header = [*rows_of.HEADERS, *(f"备用{n}" for n in range(1, extra + 1))]
    rng = random.Random(rows_of.SEED)
    line = len(",".join(["999"] * limits.max_columns)) + 80
    count = min(limits.max_rows - 1, int(FILL * limits.max_file_mb * MB / line))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(1, count + 1):
            writer.writerow([i, f"XC-{i:06d}", "巡察", "作风建设", f"问题{i}", "财务部", "张三", "2025-01-10",
                             "2025-06-30", "整改中", "", "一般", *(rng.randrange(100, 1000) for _ in range(extra))])


def ensure(kind: str, limits: Limits) -> tuple[Path, bool]:
    """The cached file of a kind at these limits, written if missing; whether it was reused."""
    path = path_of(kind, limits)
    if path.exists():
        return path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial" + path.suffix)
    if kind == "csv":
        write_csv(partial, limits)
    elif kind == "wide":
        write_wide(partial, limits)
    elif kind == "merged":
        rows_of.write_merged_ledger(partial, limits.max_rows - XLSX_HEAD_ROWS)
    else:
        write_xlsx(partial, limits, shared=kind == "xlsx-shared")
    partial.replace(path)
    return path, False


def size_against_limits(path: Path, limits: Limits) -> str:
    """The file's size, and its parts unzipped for an xlsx, as shares of their limits."""
    size = path.stat().st_size / MB
    text = f"{size:,.1f} MB ({size / limits.max_file_mb:.0%} of max_file_mb)"
    if path.suffix == ".xlsx":
        unzipped = _unzipped(path) / MB
        text += f", {unzipped:,.0f} MB unzipped ({unzipped / limits.max_unzipped_mb:.0%} of max_unzipped_mb)"
    return text


# --- the measured caller --------------------------------------------------------------------------------------------


def _status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM, VmPeak of a process, in MB (empty once it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM", "VmPeak") if k in fields}


class _Sampled(subprocess.Popen):
    """The worker's process, its peak address space read from /proc while it runs (a high-water mark)."""

    peak_as = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while self.poll() is None:
            _Sampled.peak_as = max(_Sampled.peak_as, _status(self.pid).get("VmPeak", 0))
            time.sleep(0.02)


def run_child(path: Path, cfg: LedgerConfig) -> None:
    """In the measured caller: one parse through the worker; prints the figures as JSON."""
    worker.subprocess.Popen = _Sampled  # the worker's process, sampled: in this process, which does nothing else
    data = path.read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # the caller's peak counts from here
    before = _status()["VmRSS"]
    t0 = time.perf_counter()
    try:
        parsed = worker.parse_in_worker(path.name, data, cfg=cfg)
        outcome, rows = "parsed", parsed.rows_valid
    except FileRejected as exc:
        outcome, rows, parsed = exc.issues[0].reason, 0, None
    seconds = time.perf_counter() - t0
    peak = _status()["VmHWM"]
    del parsed
    after = _status()["VmRSS"]
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(json.dumps({"outcome": outcome, "rows": rows, "seconds": seconds, "worker_rss": worker_rss,
                      "worker_as": _Sampled.peak_as, "before": before, "peak": peak, "after": after}))


def measure(path: Path, cap: float) -> dict:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(path), "--cap", str(cap)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the measured caller failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


# --- report ---------------------------------------------------------------------------------------------------------


def expected_rows(kind: str, limits: Limits) -> tuple[int, ...]:
    """What a clean parse counts as valid rows: its rows, or for the merged ledger its rows or its problems (none:
    the hostile file, to be refused)."""
    if kind == "wide":
        return ()
    if kind == "csv":
        return (limits.max_rows - 1,)
    if kind == "merged":
        return tuple(rows_of.expected(limits.max_rows - XLSX_HEAD_ROWS, merged=True))
    return (limits.max_rows - XLSX_HEAD_ROWS,)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=KINDS, help="these files only (default: all)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    ap.add_argument("--cap", type=float, help="the worker's cap in MB (default: [limits] of data/ledger.toml)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cfg = ledger_config()
    if args.cap:
        cfg = dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, max_parse_mb=args.cap))
    if args.child:
        run_child(Path(args.child), cfg)
        return 0

    limits = cfg.limits
    cap = limits.parse_mb
    print(f"[limits]: max_file_mb {limits.max_file_mb:g}, max_rows {limits.max_rows:,}, max_columns "
          f"{limits.max_columns}, max_unzipped_mb {limits.max_unzipped_mb:g}; the worker's cap (max_parse_mb"
          f"{', --cap' if args.cap else '' if limits.max_parse_mb else ', derived'}): {cap:,.0f} MB of address space")
    goals: list[tuple[str, bool]] = []
    for kind in args.only or KINDS:
        t0 = time.perf_counter()
        path, reused = ensure(kind, limits)
        made = "reused" if reused else f"written in {time.perf_counter() - t0:.0f} s"
        print(f"\n{kind}: {path.relative_to(ROOT)} ({made})\n  {size_against_limits(path, limits)}")
        got = measure(path, cap)
        want = expected_rows(kind, limits)
        if got["outcome"] == "parsed":
            print(f"  parsed {got['rows']:,} rows in {got['seconds']:.1f} s")
        else:
            print(f"  refused in {got['seconds']:.1f} s: {got['outcome']}")
        print(f"  worker: peak RSS {got['worker_rss']:,} MB ({got['worker_rss'] / cap:.0%} of the cap), "
              f"peak address space {got['worker_as']:,} MB ({got['worker_as'] / cap:.0%})")
        grown, kept = got["peak"] - got["before"], got["after"] - got["before"]
        print(f"  caller: {got['before']:,} MB before, {got['peak']:,} MB at its peak (+{grown:,}: the parsed rows), "
              f"{got['after']:,} MB after (+{kept:,})")
        if not want:
            goals.append((f"{kind}: refused for its memory, the caller intact",
                          "内存超过上限" in got["outcome"] and kept <= GOAL_RETURNED * max(got["worker_rss"], 1)))
        else:
            goals.append((f"{kind}: every row parsed, worker peak RSS {got['worker_rss']:,} < {cap:,.0f} MB",
                          got["outcome"] == "parsed" and got["rows"] in want and got["worker_rss"] < cap))
            goals.append((f"{kind}: the caller back within {GOAL_RETURNED:.0%} of the worker's peak (+{kept} MB)",
                          kept <= GOAL_RETURNED * got["worker_rss"]))
    print("\nGoals:")
    for text, ok in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\n{sum(ok for _, ok in goals)} of {len(goals)} goals met.")
    return 1 if args.check and not all(ok for _, ok in goals) else 0


if __name__ == "__main__":
    sys.exit(main())
