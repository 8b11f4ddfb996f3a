"""Two versions of the analytics code timed in turns on the same benchmark database: each page's queries, warm.

On a busy machine the same code measures very differently from one minute to the next, so two runs of
bench_analytics.py minutes apart compare little. Here a worker process per version loads its own `analytics`
package, and the two take turns page by page; each figure is the best of all its calls.

    git worktree add /tmp/old <commit>     # or: git archive <commit> analytics data | tar -x -C /tmp/old
    .venv/bin/python benchmarks/compare_analytics.py /tmp/old . [--problems 1000000] [--rounds 8]

The database is opened read-only and never rebuilt, so the older code reads the tables the newer one derived
(extra columns and tables do not disturb it): what differs is the code, not the storage.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("总览", "问题趋势", "整改销号", "八维评分", "单位画像", "监督清单", "预警督办")


def worker(code: str, database: str) -> None:
    """Serve timing requests ("page calls" per line) with the analytics package found under ``code``."""
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(Path(code).resolve()))
    # imported here, from the tree given: bench_analytics then finds this package already loaded and uses it
    import analytics.views
    from analytics.db import connect

    sys.path.insert(1, str(ROOT / "benchmarks"))
    from bench_analytics import page_calls

    assert Path(analytics.views.__file__).is_relative_to(Path(code).resolve())
    calls = page_calls(connect(database, read_only=True))
    for call in calls.values():  # warm
        call()
    print("ready", flush=True)
    for line in sys.stdin:
        page, times = line.split()
        best = float("inf")
        for _ in range(int(times)):
            started = time.perf_counter()
            calls[page]()
            best = min(best, time.perf_counter() - started)
        print(json.dumps(best), flush=True)


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:  # a worker process: --worker CODE DATABASE
        worker(*sys.argv[2:4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="folder holding the older analytics/ package (and its data/ configs)")
    parser.add_argument("new", help="folder holding the newer one")
    parser.add_argument("--problems", type=int, default=1_000_000, help="which cached benchmark database")
    parser.add_argument("--rounds", type=int, default=8, help="turns per page; each turn runs a page twice")
    args = parser.parse_args()
    database = ROOT / "benchmarks" / "out" / f"analytics_{args.problems}.duckdb"
    if not database.exists():
        print(f"{database} is missing: run benchmarks/bench_analytics.py first", file=sys.stderr)
        return 1
    versions = {"old": args.old, "new": args.new}
    workers = {name: subprocess.Popen([sys.executable, __file__, "--worker", code, str(database)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      env=os.environ | {"PYTHONPATH": ""})
               for name, code in versions.items()}
    for process in workers.values():
        if process.stdout.readline().strip() != "ready":
            print("a worker failed to start", file=sys.stderr)
            return 1
    best = {name: dict.fromkeys(PAGES, float("inf")) for name in versions}
    for turn in range(args.rounds):
        for page in PAGES:
            for name in (versions if turn % 2 == 0 else reversed(list(versions))):  # who goes first alternates
                workers[name].stdin.write(f"{page} 2\n")
                workers[name].stdin.flush()
                best[name][page] = min(best[name][page], json.loads(workers[name].stdout.readline()))
    for process in workers.values():
        process.stdin.close()
        process.wait()
    print(f"Each page's queries, warm, best of {2 * args.rounds} calls, taking turns ({args.problems:,} problems):")
    print(f"  {'page':8s} {'old':>9s} {'new':>9s}  new/old")
    for page in (*PAGES, "合计"):
        old, new = ((sum(best[n].values()) if page == "合计" else best[n][page]) for n in ("old", "new"))
        print(f"  {page:8s} {old * 1000:7.1f} ms {new * 1000:7.1f} ms  {new / old:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
