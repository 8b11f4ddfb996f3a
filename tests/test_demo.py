"""The bundled demo: deterministic ledger files that go through the real importer with no error."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from analytics import metrics
from analytics.config import scoring_config
from analytics.db import connect
from analytics.summary import summary
from tests.conftest import CFG, ROOT


@pytest.fixture(scope="module")
def demo(demo_db):
    return demo_db.parent


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_demo_files_are_byte_identical_on_every_run(demo, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "data" / "make_demo.py"), str(tmp_path)], check=True,
                   capture_output=True)
    assert digests(tmp_path) == digests(demo / "files")


def test_demo_is_big_and_varied_enough(demo):
    con = connect(demo / "demo.duckdb", read_only=True)
    periods = metrics.available_periods(con)
    assert len(periods) >= 6
    latest = summary(con, cfg=CFG)
    assert latest["total"] >= 200 and len(latest["by_unit"]) >= 10
    assert set(latest["by_source"]) >= {"巡视巡察", "审计", "日常监督", "专项监督", "信访举报", "沟通会商", "自查自纠"}
    assert set(latest["by_dimension"]) >= set(scoring_config().dimension_names)
    assert latest["closed"] > 0 and latest["overdue"] > 0 and latest["recurred"] > 0
    assert con.execute("SELECT count(*) FROM problem_state WHERE reopened").fetchone()[0] >= 6
    assert con.execute("SELECT count(DISTINCT period_no) FROM tasks").fetchone()[0] >= 6
    assert con.execute("SELECT count(DISTINCT period_no) FROM assessments").fetchone()[0] >= 2
    invalid = con.execute("SELECT sum(rows_invalid) FROM imports").fetchone()[0]
    assert invalid == 0
