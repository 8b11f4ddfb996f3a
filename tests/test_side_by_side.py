"""db.side_by_side: a page's independent parts run at once, each on a cursor of its own."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from analytics import db, views
from analytics.metrics import ALL, available_periods
from analytics.periods import Period
from tests.conftest import CFG


def test_parts_run_at_once_on_cursors_of_their_own_and_keep_their_order(con):
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(5)")
    met = threading.Barrier(3, timeout=10)  # only passes if the three parts are running at the same time

    def part(k: int):
        def run(c):
            assert c is not con  # a connection serves one thread at a time
            met.wait()
            return k, threading.current_thread().name, c.execute("SELECT sum(n) FROM t").fetchone()[0]
        return run

    results = db.side_by_side(con, part(0), part(1), part(2))
    assert [(k, total) for k, _, total in results] == [(0, 10), (1, 10), (2, 10)]
    assert len({name for _, name, _ in results}) == 3


def test_an_error_comes_after_every_part_has_ended(con):
    ended = []

    def slow(c):
        time.sleep(0.3)
        ended.append("slow")
        return c.execute("SELECT 1").fetchone()[0]

    def failing(c):
        raise ValueError("第一部分出错")

    with pytest.raises(ValueError, match="第一部分出错"):
        db.side_by_side(con, failing, slow)
    assert ended == ["slow"]  # con may be closed now: nothing still reads through it

    def failing_later(c):
        raise ValueError("第二部分出错")

    with pytest.raises(ValueError, match="第二部分出错"):
        db.side_by_side(con, lambda c: 1, failing_later)


def test_a_part_that_has_parts_runs_them_in_turn(con):
    # pool workers never wait on one another: a part's own parts run one after another in its thread
    def numbered(k: int):
        return lambda c: (k, threading.current_thread().name)

    inner = db.side_by_side(con, lambda c: 0, lambda c: db.side_by_side(c, *map(numbered, range(3))))[1]
    assert [k for k, _ in inner] == [0, 1, 2] and len({name for _, name in inner}) == 1


def test_cursors_share_the_tables_their_connection_has_seen(con, monkeypatch):
    con.execute("CREATE TABLE seen (x INTEGER)")
    assert db.has_table(con, "seen")
    looked_up = []
    monkeypatch.setattr(db, "table_exists", lambda c, name: looked_up.append(name) or True)
    assert db.side_by_side(con, lambda c: db.has_table(c, "seen"), lambda c: db.has_table(c, "seen")) == [True, True]
    assert looked_up == []


def every_page(con, period: Period) -> dict:
    return {
        "overview": views.overview(con, period, ALL, cfg=CFG),
        "problem_trends": views.problem_trends(con, period, ALL),
        "rectification": views.rectification(con, period, ALL, cfg=CFG),
        "scores": views.scores(con, period, ALL, cfg=CFG),
        "scores_before_any": views.scores(con, Period(2000, 1), ALL, cfg=CFG),
        "unit_portrait": views.unit_portrait(con, period, "采购部", ALL, cfg=CFG),
        "supervision": views.supervision(con, period),
        "follow_up": views.follow_up(con, period, ALL, cfg=CFG),
        "follow_up_a_year_before": views.follow_up(con, Period(period.year - 1, period.quarter), ALL, cfg=CFG),
    }


def test_each_page_equals_its_parts_computed_one_after_another(demo_db, monkeypatch):
    with db.open_db(demo_db, read_only=True) as con:
        period = available_periods(con)[-1]
        together = every_page(con, period)
        monkeypatch.setattr(views, "side_by_side", lambda c, *parts: [part(c) for part in parts])
        alone = every_page(con, period)
    for page, figures in together.items():
        assert _same(figures, alone[page]), page


def _same(a: dict, b: dict) -> bool:
    """Equal figures: frames cell for cell with their dtypes, dicts key for key."""
    return a.keys() == b.keys() and all(
        a[k].equals(b[k]) if hasattr(a[k], "equals") else _same(a[k], b[k]) if isinstance(a[k], dict)
        else a[k] == b[k] for k in a)


def test_several_sessions_at_once_see_what_each_would_alone(demo_db):
    # the app's sessions are threads, each on a connection of its own, and all share the pool of parts
    with db.open_db(demo_db, read_only=True) as con:
        periods = available_periods(con)
        alone = {p: every_page(con, p) for p in periods[-2:]}

    def session(period: Period) -> dict:
        with db.open_db(demo_db, read_only=True) as con:
            return every_page(con, period)

    with ThreadPoolExecutor(4) as sessions:
        at_once = list(sessions.map(session, [*periods[-2:]] * 3))
    for period, pages in zip([*periods[-2:]] * 3, at_once, strict=True):
        for page, figures in pages.items():
            assert _same(figures, alone[period][page]), (period, page)
