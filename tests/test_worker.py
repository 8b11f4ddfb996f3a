"""Each import's parse runs in a worker process capped in memory and time (analytics/ingest/worker.py): the same
figures as a parse in-process, a refusal in Chinese past the cap or the time limit with nothing stored, and the
caller's memory back to its size after the parse."""

from __future__ import annotations

import dataclasses
import gc
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pytest

from analytics.cli import main as cli_main
from analytics.config import LedgerConfig, Limits, ledger_config
from analytics.db import connect
from analytics.errors import FileRejected
from analytics.ingest import worker
from analytics.ingest.answers import Answers
from analytics.ingest.parse import parse_file
from analytics.ingest.worker import parse_in_worker
from tests.conftest import ROOT, database_digest
from tests.sample_ledgers import CSV, Q1, Q2, SCORES, TASKS
from tests.test_import_page import open_page, upload
from tests.test_mapping import Q2_ROWS, own_ledger


def capped(**limits: float) -> LedgerConfig:
    """The configuration of data/ledger.toml with other [limits]."""
    cfg = ledger_config()
    return dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, **limits))


def big_csv(path: Path, rows: int) -> Path:
    """A problem ledger as a CSV, about 220 bytes a row, every row valid."""
    units = ("财务部", "审计部", "物资采购中心", "冶炼厂", "选矿厂", "物流公司")
    lines = ["序号,问题编号,问题来源,问题类别,问题描述,责任单位,责任人,发现时间,整改时限,整改状态,销号时间,问题性质"]
    for i in range(1, rows + 1):
        unit, closed = units[i % 6], i % 3 == 0
        lines.append(f"{i},XC-{i:06d},巡察,作风建设,{unit}调查研究走过场，调研报告照搬上报材料，未提出解决实际问题的"
                     f"措施（第{i}号）,{unit},张三,2024-01-10,2024-06-30,{'已销号' if closed else '整改中'},"
                     f"{'2024-03-01' if closed else ''},一般")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Recorded(subprocess.Popen):
    """The worker's child processes, kept to look at once the parse is over."""

    started: ClassVar[list[subprocess.Popen]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        Recorded.started.append(self)


@pytest.fixture
def children(monkeypatch) -> list[subprocess.Popen]:
    Recorded.started = []
    monkeypatch.setattr(worker.subprocess, "Popen", Recorded)
    return Recorded.started


# --- the same parse, elsewhere ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [Q1, Q2, CSV, TASKS, SCORES])
def test_a_file_parsed_in_the_worker_gives_what_it_gives_in_process(sample, name):
    data = sample(name).read_bytes()
    here, there = parse_file(name, data), parse_in_worker(name, data)
    assert there == here  # every sheet's layout, rows, measures, issues, questions and counts
    for kind in here.kinds:
        assert there.rows(kind).to_pylist() == here.rows(kind).to_pylist()
    assert (there.sha256, there.period, there.rows_valid, there.rows_invalid, there.rows_skipped) == (
        here.sha256, here.period, here.rows_valid, here.rows_invalid, here.rows_skipped)


def test_saved_and_given_answers_reach_the_worker(tmp_path):
    """The page's and the command line's answers on top of a saved profile, as SavedAnswers combines them."""
    path = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    data = path.read_bytes()
    layout = parse_file(path.name, data).sheets[0].layout.key
    saved = {layout: Answers({"进度说明": "progress"}, {"搁置": "未启动"}, "日常监督")}
    given = Answers(statuses={"搁置": "整改中"})
    parsed = parse_in_worker(path.name, data, saved=saved, given=given)
    assert not parsed.questions and not parsed.issues
    assert parsed.sheets[0].rows["status"].to_pylist() == ["整改中", "整改中"]  # the given answer wins
    assert parsed.sheets[0].rows["source"].to_pylist() == ["日常监督", "日常监督"]
    assert parsed == parse_file(path.name, data, answers_for=worker.SavedAnswers(saved, given))


@pytest.mark.parametrize(("name", "data"), [("空文件.xlsx", b""), ("坏文件.xlsx", b"PK\x03\x04 not a zip"),
                                            ("说明.csv", b"\x00\x01binary")])
def test_a_file_refused_in_the_worker_is_refused_with_the_same_reasons(name, data):
    with pytest.raises(FileRejected) as here:
        parse_file(name, data)
    with pytest.raises(FileRejected) as there:
        parse_in_worker(name, data)
    assert (there.value.file, there.value.issues) == (here.value.file, here.value.issues)


def test_a_bug_in_the_parse_is_raised_in_the_caller_with_the_workers_traceback(sample):
    """A fault of ours is not dressed up as the file's: the same exception as in-process, the child's traceback as
    its cause (for the server's log)."""
    with pytest.raises(AttributeError) as raised:
        parse_in_worker(Q1, sample(Q1).read_bytes(), period="2024Q1")  # a str where a Period belongs
    assert "'str' object has no attribute 'year'" in str(raised.value)
    assert 'analytics/ingest/parse.py", line' in str(raised.value.__cause__)


def test_the_parse_tunes_neither_the_garbage_collector_nor_arrow_in_the_callers_process(monkeypatch, sample):
    """Attack: an import in the dashboard's server turned its garbage collection off and switched Arrow's memory
    pool for every session while it ran. Now that tuning is the worker's, in its own process."""
    def refused(*args):
        raise AssertionError("the caller's process was tuned")

    monkeypatch.setattr(gc, "disable", refused)
    monkeypatch.setattr(pa, "set_memory_pool", refused)
    data = sample(Q1).read_bytes()
    assert parse_in_worker(Q1, data) == parse_file(Q1, data)


# --- the memory cap and the time limit -----------------------------------------------------------------------------


def test_a_parse_over_the_memory_cap_is_refused_in_chinese(tmp_path, children):
    """Attack: a file within the size limits whose parse needs more memory than the cap (here a cap below what
    any parse takes) must be refused, in Chinese and naming the file, rather than grow a process without bound."""
    path = big_csv(tmp_path / "2025年第一季度问题整改台账.csv", 20_000)
    with pytest.raises(FileRejected) as refused:
        parse_in_worker(path.name, path.read_bytes(), cfg=capped(max_parse_mb=64))
    assert str(refused.value) == (f"文件「{path.name}」，解析所需内存超过上限 64 MB，未导入；请拆分为几个较小的文件"
                                  "后再导入（上限可在 data/ledger.toml 的 [limits] 中调整 max_parse_mb）")
    assert [c.returncode for c in children] == [0]  # it said so itself, and ended


def test_a_worker_killed_as_memory_runs_out_refuses_the_file(tmp_path, monkeypatch):
    """Attack: an allocation that native code cannot survive, or the kernel's OOM killer, ends the worker without
    a word: the file is refused in Chinese, never a traceback or a hang."""
    class KilledAtOnce(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.kill()

    monkeypatch.setattr(worker.subprocess, "Popen", KilledAtOnce)
    with pytest.raises(FileRejected) as refused:
        parse_in_worker("2025年第一季度问题整改台账.csv", b"x")
    assert "解析所需内存超过上限 2,600 MB（解析进程被终止），未导入" in str(refused.value)


def test_a_parse_past_the_time_limit_is_stopped_and_refused(sample, children):
    """Attack: a file whose parse runs on holds the session that uploaded it and a process: past
    max_parse_seconds the worker is killed and the file refused."""
    with pytest.raises(FileRejected) as refused:
        parse_in_worker(Q1, sample(Q1).read_bytes(), cfg=capped(max_parse_seconds=0.05))
    assert "解析超过 0.05 秒仍未完成，未导入" in str(refused.value) and "max_parse_seconds" in str(refused.value)
    assert [c.returncode for c in children] == [-9]  # killed, not left running


def test_parses_started_at_once_run_one_after_the_other(sample, monkeypatch):
    """Attack: several sessions uploading large files at once would each take a worker up to the cap; the server
    runs one worker at a time, so its memory stays within one cap."""
    alive, most = [0], [0]

    class Counted(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            alive[0] += 1
            most[0] = max(most[0], alive[0])

        def wait(self, timeout=None):
            code = super().wait(timeout)
            alive[0] -= 1
            return code

    monkeypatch.setattr(worker.subprocess, "Popen", Counted)
    data = {name: sample(name).read_bytes() for name in (Q1, Q2, CSV)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        parsed = list(pool.map(lambda name: parse_in_worker(name, data[name]), data))
    assert [p.rows_valid for p in parsed] == [12, 15, 5]
    assert most[0] == 1


_PARSE = """
import sys
from pathlib import Path
from analytics.ingest.worker import parse_in_worker
path = Path(sys.argv[1])
parse_in_worker(path.name, path.read_bytes())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_caller_leaves_no_worker_behind(tmp_path):
    """Attack: an import killed mid-parse (the CLI interrupted, the server stopped) would leave its worker running
    on, holding up to the cap. The worker ends with its caller."""
    path = big_csv(tmp_path / "2025年第一季度问题整改台账.csv", 150_000)  # its parse takes seconds, 400 MB
    caller = subprocess.Popen([sys.executable, "-c", _PARSE, str(path)], cwd=ROOT)
    children: list[str] = []
    while not children and caller.poll() is None:
        children = [c for task in Path(f"/proc/{caller.pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    while caller.poll() is None and (_rss_mb(children[0]) or 0) < 200:  # parsing: the rows are being made
        time.sleep(0.01)
    caller.kill()
    caller.wait()
    for _ in range(100):  # a second, where the rest of the parse takes several, then would fail to send its rows
        if _rss_mb(children[0]) is None:
            break
        time.sleep(0.01)
    assert _rss_mb(children[0]) is None


def _rss_mb(pid: str) -> int | None:
    """A live process's RSS in MB; None once it has ended (gone, or a zombie waiting to be reaped)."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except FileNotFoundError:
        return None
    return int(fields["VmRSS"].split()[0]) // 1024 if "VmRSS" in fields else None


def test_the_cap_derives_from_the_file_limits_unless_set():
    assert Limits().parse_mb == 2600  # 500 + 7 × max_unzipped_mb 300: an xlsx's parse takes up to ~6× its XML
    assert Limits(max_file_mb=400).parse_mb == 4500  # 500 + 10 × 400: a CSV's takes up to ~9× its size
    assert Limits(max_parse_mb=900).parse_mb == 900
    assert ledger_config().limits.parse_mb == 2600  # data/ledger.toml: derived


def test_the_command_line_refuses_a_file_over_the_cap_and_stores_nothing(tmp_path, monkeypatch, capsys, sample):
    """The CLI parses in the worker: a file over the cap is refused, exit 1, and the database is as it was."""
    db = tmp_path / "d.duckdb"
    assert cli_main(["import", "--db", str(db), str(sample(Q1))]) == 0
    con = connect(db, read_only=True)
    before = database_digest(con)
    con.close()
    monkeypatch.setattr(worker, "ledger_config", lambda: capped(max_parse_mb=64))
    capsys.readouterr()
    assert cli_main(["import", "--db", str(db), str(sample(Q2))]) == 1
    out = capsys.readouterr().out
    assert f"✗ {Q2}：未导入" in out and "解析所需内存超过上限 64 MB" in out
    con = connect(db, read_only=True)
    assert database_digest(con) == before
    con.close()


def test_the_import_page_refuses_a_file_over_the_cap_and_stores_nothing(tmp_path, monkeypatch, sample):
    """The page parses in the worker: a file over the cap is a message on the page, and nothing is written."""
    db = tmp_path / "dash.duckdb"
    at = open_page(monkeypatch, db)
    monkeypatch.setattr(worker, "ledger_config", lambda: capped(max_parse_mb=64))
    upload(at, sample(Q1))
    assert "此文件无法导入" in at.error[0].value and "解析所需内存超过上限 64 MB" in at.error[0].value
    assert at.button(key="import_button").disabled
    assert not db.exists()


# --- the caller's memory --------------------------------------------------------------------------------------------

_MEASURE = """
import json, sys
from pathlib import Path
from analytics.ingest.parse import parse_file
from analytics.ingest.worker import parse_in_worker

def mb(field):
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status[field].split()[0]) // 1024

path = Path(sys.argv[2])
data = path.read_bytes()
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
before = mb("VmRSS")
parsed = (parse_in_worker if sys.argv[1] == "worker" else parse_file)(path.name, data)
peak, rows = mb("VmHWM"), parsed.rows_valid
del parsed
print(json.dumps({"peak": peak - before, "after": mb("VmRSS") - before, "rows": rows}))
"""


def _growth(how: str, path: Path) -> dict:
    """How much a fresh process grows (MB) at the peak of one parse, and after it, parsing in-process or not."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, how, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_callers_memory_does_not_grow_by_the_parse(tmp_path):
    """Attack: a 47 MB CSV took the server from 270 MB to 1.7 GB, and it stayed there. Through the worker, the
    caller holds only the parsed rows at the peak, and after them nothing. (A 33 MB CSV here: in-process it grows
    the caller by ~400 MB and keeps it; through the worker by ~90 MB, given back.)"""
    path = big_csv(tmp_path / "2025年第一季度问题整改台账.csv", 150_000)
    here, there = _growth("in-process", path), _growth("worker", path)
    assert here["rows"] == there["rows"] == 150_000
    assert here["peak"] > 200  # what the parse takes, measurable here
    assert there["peak"] < here["peak"] / 2
    assert there["after"] < min(32, here["after"] / 4)
