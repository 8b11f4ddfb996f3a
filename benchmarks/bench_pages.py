"""Each dashboard page's whole script run (Streamlit AppTest) on 100,000 problems, cold and warm.

The database is bench_analytics' synthetic one (12 quarters, 200 units, cumulative
ledgers), built once and cached under benchmarks/out/. For each page a fresh
AppTest runs dashboard.py once (the default page), then:

- cold: `st.cache_data.clear()`, then `switch_page(page).run()` — the page's first
  visit after the data changed (an import or undo invalidates every cached figure);
  the sidebar's options are recomputed too.
- warm: the same page run again at once — a second visit, every figure cached.

Goal: every page (each one in dashboard.py's navigation) under 1.5 s, cold and
warm, at 100k problems. Prints a table and PASS/FAIL per page; `--check` exits 1 when any run
misses the goal or a page raises.

    .venv/bin/python benchmarks/bench_pages.py [--problems 100000] [--repeat 3] [--goal 1.5] [--check]
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from analytics.access import ADMIN  # noqa: E402
from analytics.users import UserStore  # noqa: E402
from benchmarks.bench_analytics import QUARTERS, UNITS, database  # noqa: E402

TIMEOUT = 300  # seconds for one script run: a slow page is measured, not cut off


def navigation() -> dict[str, str]:
    """dashboard.py's pages in navigation order: title → script path (as switch_page takes it)."""
    pages = {}
    for node in ast.walk(ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            title = next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "title")
            if title != "登录":  # the page before logging in shows no figures
                pages[title] = ast.literal_eval(node.args[0])
    return pages


def pad(text: str, width: int) -> str:
    """Left-align in a terminal: a CJK character takes two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def quiet_streamlit() -> None:
    """Drop the warnings of clearing the cache outside a script run ("missing ScriptRunContext", "No runtime
    found"). A filter, since every AppTest run resets Streamlit's log levels."""
    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching.cache_data_api"):
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)


def timed(at: AppTest, page: str | None = None) -> float:
    """One script run (of `page` after switching to it, else a rerun of the current page); raises on an exception."""
    started = time.perf_counter()
    (at.switch_page(page) if page else at).run(timeout=TIMEOUT)
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page or 'rerun'}: {at.exception[0].message}")
    return seconds


def time_page(page: str, repeat: int) -> tuple[float, float]:
    """Best cold and best warm run of one page over `repeat` fresh AppTests."""
    cold, warm = [], []
    for _ in range(repeat):
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
        now = time.time()
        at.session_state["auth"] = {"name": "bench", "since": now, "seen": now}  # logged in as the administrator
        at.run()  # the default page: session state and the sidebar filters exist, as in a browser tab
        if at.exception:
            raise RuntimeError(f"dashboard.py: {at.exception[0].message}")
        st.cache_data.clear()
        cold.append(timed(at, page))
        warm.append(timed(at))
    return min(cold), min(warm)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh AppTests per page; the best run counts")
    parser.add_argument("--goal", type=float, default=1.5, help="seconds per page run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    quiet_streamlit()
    path = database(args.problems)
    os.environ["DASHBOARD_DB"] = str(path)
    accounts = Path(tempfile.mkdtemp()) / "users.json"
    UserStore(accounts).add("bench", ADMIN, "benchmark-only")  # every page is in an administrator's menu
    os.environ["DASHBOARD_USERS"] = str(accounts)
    os.environ["DASHBOARD_AUDIT"] = str(accounts.with_name("audit.jsonl"))  # not beside the cached database
    print(f"Synthetic data: {args.problems:,} problems, {QUARTERS} quarters, {UNITS} units ({path.name})")
    print(f"Each page's AppTest run, best of {args.repeat}; goal < {args.goal:.1f} s cold and warm\n")

    print(f"  {pad('page', 8)}  {'cold':>7}  {'warm':>7}  result")
    failed = []
    for name, page in navigation().items():
        try:
            cold, warm = time_page(page, args.repeat)
        except RuntimeError as exc:
            print(f"  {pad(name, 8)}  {'—':>7}  {'—':>7}  ERROR  {exc}")
            failed.append(name)
            continue
        ok = cold < args.goal and warm < args.goal
        if not ok:
            failed.append(name)
        print(f"  {pad(name, 8)}  {cold:6.2f}s  {warm:6.2f}s  {'PASS' if ok else 'FAIL'}")

    print(f"\nGoal: every page < {args.goal:.1f} s cold and warm at {args.problems:,} problems: "
          + ("PASS" if not failed else f"FAIL ({'、'.join(failed)})"))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
