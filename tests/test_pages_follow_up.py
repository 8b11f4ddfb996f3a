"""单位画像, 监督清单 and 预警督办 run headless (AppTest) and show the analytics layer's figures."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import alerts, metrics, tasks, views
from analytics.db import open_db
from analytics.metrics import Scope
from app_pages.common import pct
from tests.conftest import CFG, downloaded, logged_in
from tests.fixtures import two_quarters

PORTRAIT, SUPERVISION, FOLLOW_UP = "app_pages/unit_portrait.py", "app_pages/supervision.py", "app_pages/follow_up.py"
TITLES = {PORTRAIT: "单位画像", SUPERVISION: "监督清单", FOLLOW_UP: "预警督办"}




def open_page(monkeypatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = logged_in(default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == TITLES[page]
    assert not at.warning  # Streamlit shows deprecations as warnings
    return at


def figures(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has this column (tables are told apart by their data)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture(scope="module")
def latest(demo_db):
    with open_db(demo_db, read_only=True) as con:
        return metrics.available_periods(con)[-1]


def test_portrait_defaults_to_the_worst_unit_and_follows_the_selector(monkeypatch, demo_db, latest):
    at = open_page(monkeypatch, demo_db, PORTRAIT)
    with open_db(demo_db, read_only=True) as con:
        worst = views.overview(con, latest, cfg=CFG)["worst_units"]["unit"].iloc[0]
        others = [u for u in views.scores(con, latest, cfg=CFG)["units"]["unit"] if u != worst]
        expected = {u: metrics.headline(con, latest, Scope(units=(u,))) for u in (worst, others[0])}
    unit = at.selectbox(key="portrait_unit")
    assert unit.value == worst
    shown = figures(at)
    assert shown["问题总数"] == str(expected[worst]["total"])
    assert shown["逾期"] == str(expected[worst]["overdue"])
    assert shown["销号率"] == pct(expected[worst]["closure_rate"])

    unit.set_value(others[0]).run()
    assert not at.exception
    changed = figures(at)
    assert changed["问题总数"] == str(expected[others[0]]["total"])
    assert changed["逾期"] == str(expected[others[0]]["overdue"])
    assert changed != shown
    assert at.session_state["portrait_unit"] == others[0]

    at.switch_page(FOLLOW_UP).run()
    at.switch_page(PORTRAIT).run()
    assert at.selectbox(key="portrait_unit").value == others[0]  # the choice survives a visit elsewhere


def test_portrait_starts_from_the_sidebar_unit_and_lists_its_problems(monkeypatch, demo_db, latest):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_db))
    at = logged_in(default_timeout=60).run()
    at.multiselect(key="filter_units").set_value(["冶炼厂", "物流部"]).run()
    at.switch_page(PORTRAIT).run()
    assert not at.exception
    assert at.selectbox(key="portrait_unit").value == "冶炼厂"
    with open_db(demo_db, read_only=True) as con:
        data = views.unit_portrait(con, latest, "冶炼厂", cfg=CFG)
    open_table = frame_with(at, "days_overdue")
    assert list(open_table["problem_id"]) == list(data["open_problems"]["problem_id"])  # most overdue first
    assert any("疑似重复，请研判" in s.value for s in at.subheader)


def test_supervision_shows_the_quarters_progress(monkeypatch, demo_db, latest):
    at = open_page(monkeypatch, demo_db, SUPERVISION)
    with open_db(demo_db, read_only=True) as con:
        progress = tasks.task_progress(con, latest).iloc[0]
        listing = tasks.task_list(con, latest)
    shown = figures(at)
    assert shown["完成率"] == pct(progress["done_rate"])
    assert shown["本季应完成"] == str(int(progress["due"]))
    assert shown["已完成"] == str(int(progress["done"]))
    assert any("不适用于本页" in c.value for c in at.caption)
    table = frame_with(at, "measure")
    assert len(table) == len(listing)
    assert table.iloc[0]["due"] and not table.iloc[0]["done"]  # undone due ones first

    at.toggle(key="supervision_undone_only").set_value(True).run()
    assert len(frame_with(at, "measure")) == progress["not_done"]


def test_supervision_without_a_task_list_for_the_quarter(monkeypatch, con, tmp_path):
    two_quarters(con, tmp_path)
    con.close()
    at = open_page(monkeypatch, tmp_path / "test.duckdb", SUPERVISION)
    assert "还没有导入监督清单" in at.info[0].value
    assert not at.metric


def test_follow_up_counts_tiers_and_agenda(monkeypatch, demo_db, latest, download_storages):
    at = open_page(monkeypatch, demo_db, FOLLOW_UP)
    with open_db(demo_db, read_only=True) as con:
        counts = alerts.warning_counts(con, latest, cfg=CFG)
        agenda = alerts.meeting_agenda(con, latest, cfg=CFG)
    shown = figures(at)
    assert {tier: shown[tier] for tier in counts} == {tier: str(n) for tier, n in counts.items()}
    assert len(frame_with(at, "rule")) == sum(counts.values())
    assert frame_with(at, "topic").iloc[0]["topic"] == agenda.iloc[0].topic

    filename, content = downloaded(download_storages, at.download_button(key="follow_up_agenda_csv"))
    assert filename == f"会商议题建议清单_{latest}.csv"
    assert content.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(io.StringIO(content.decode("utf-8-sig")))
    assert list(csv.columns) == ["序号", "议题类别", "议题", "提出理由", "相关数据", "涉及单位", "涉及维度"]
    assert csv["议题"].tolist() == agenda["topic"].tolist()

    at.segmented_control(key="follow_up_tier").set_value("纪检建议书").run()
    assert not at.exception
    chosen = frame_with(at, "rule")
    assert set(chosen["tier"]) == {"纪检建议书"} and len(chosen) == counts["纪检建议书"]

