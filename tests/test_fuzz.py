"""Fuzzing the importer: random bytes and mutated real ledgers must end in a clean import or a clean error.

Each case is made from a seed (SEED and its number), parsed and stored into a database that already holds two
quarters. Allowed outcomes: imported (then the summary still computes), duplicate, a rejected result whose
issues read as Chinese sentences, or FileRejected with a Chinese message; after anything but an import the
database is unchanged (database_digest). The cases run in a child process, so that a crash in native code
(calamine, DuckDB) fails this test naming the case instead of killing the test run. The real ledgers mutated are the
sample ledgers (tests/sample_ledgers.py, the same bytes on every run). To replay one case:
``python -m tests.test_fuzz CASE``.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import subprocess
import sys
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import sample_ledgers
from tests.conftest import CFG

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("FUZZ_SEED", "20261122"))  # another seed explores other cases
CASES = 300  # about 45 s on this machine (2 cores), most of it the summary after each import
_CJK = re.compile(r"[\u4e00-\u9fff]")

# in this order: a case picks one by its place in the list
XLSX_SAMPLES = [sample_ledgers.Q1, sample_ledgers.Q2, sample_ledgers.TASKS, sample_ledgers.SCORES]
CSV_SAMPLE = sample_ledgers.CSV
FORMULAS = ["=1/0", "=SUM(A1:A3)", '=HYPERLINK("http://example.com","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)",
            "=A1", "=" + "A1+" * 2000 + "1"]
CONTROL = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), 127]))


# ---- making cases ------------------------------------------------------------------------------------------------


def random_text(rng: random.Random) -> str:
    """Random Unicode: CJK, full-width, emoji, right-to-left, combining marks, odd spaces; never a lone surrogate."""
    pools = [(0x4E00, 0x9FFF), (0xFF01, 0xFF5E), (0x1F300, 0x1F6FF), (0x0590, 0x06FF), (0x0300, 0x036F),
             (0x2000, 0x206F), (0x20, 0x7E), (0xE000, 0xF8FF), (0x10000, 0x10FFF)]
    out = []
    for _ in range(rng.randint(0, 40)):
        lo, hi = rng.choice(pools)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def cell_value(rng: random.Random) -> object:
    import datetime as dt

    kind = rng.randrange(11)
    if kind == 0:
        return random_text(rng)
    if kind == 1:
        return rng.choice("问题编号描述") * rng.choice([1000, 32767, 40000])  # Excel's limit is 32,767
    if kind == 2:
        return rng.choice(FORMULAS)
    if kind == 3:
        return rng.choice([0, -1, 10**30, 1.5e308, -1e-300, 2**63, 3.14159])
    if kind == 4:
        return rng.choice([dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31), dt.date(1, 1, 1), dt.time(12, 0)])
    if kind == 5:
        return rng.choice([True, False, None, ""])
    if kind == 6:
        return rng.choice(["已销号", "整改中", "长期", "是", "否", "2024年13月45日", "2024.2.30", "长期坚持", "合计",
                           "注：", "一、巡视巡察反馈问题", "问题描述", "责任单位", "2024年第三季度"])
    if kind == 7:
        return " \u3000\t" + random_text(rng) + "\u200b "
    if kind == 8:
        return "".join(rng.choice("0123456789-/.年月日季度第") for _ in range(rng.randint(1, 12)))
    if kind == 9:
        return str(rng.randint(-10**6, 10**6))
    return rng.choice(["A-1", "a-1", "Ａ－１", "B-1", "", None])


def rezip(data: bytes, change: Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = [(i.filename, source.read(i.filename)) for i in source.infolist()]
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name, content in change(parts):
                target.writestr(name, content)
    return out.getvalue()


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 2, 5, 20, 100])):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def mutate_cells(rng: random.Random, data: bytes) -> bytes:
    """Cell by cell with openpyxl: values, headers, duplicated rows, inserted rows, merges, extra sheets."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    for _ in range(rng.randint(1, 3)):
        sheet = rng.choice(book.worksheets)
        rows, cols = max(sheet.max_row, 1), max(sheet.max_column, 1)
        action = rng.randrange(7)
        if action <= 2:
            for _ in range(rng.randint(1, 8)):
                cell = sheet.cell(rng.randint(1, rows + 2), rng.randint(1, cols + 1))
                if type(cell).__name__ == "MergedCell":
                    continue
                try:
                    cell.value = cell_value(rng)
                except (ValueError, TypeError):  # openpyxl refuses some values itself (control characters)
                    cell.value = None
        elif action == 3:
            sheet.insert_rows(rng.randint(1, rows), rng.randint(1, 3))
        elif action == 4:
            source = rng.randint(1, rows)
            sheet.append([c.value for c in sheet[source]])
        elif action == 5:
            top, left = rng.randint(1, rows), rng.randint(1, cols)
            with contextlib.suppress(ValueError):  # overlapping an existing merge
                sheet.merge_cells(start_row=top, start_column=left, end_row=top + rng.randint(0, 2),
                                  end_column=left + rng.randint(0, 2))
        else:
            extra = book.create_sheet(rng.choice(["填表说明", "Sheet2", "2024Q4", random_text(rng)[:20] or "x"])
                                      .translate({ord(c): None for c in "[]:*?/\\'"}) or "y")
            for r in range(rng.randint(0, 5)):
                extra.append([cell_value(rng) for _ in range(rng.randint(0, 6))][: r + 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mutate_xml(rng: random.Random, data: bytes) -> bytes:
    """Inside one part: control characters in text, escapes, broken or truncated XML; the zip itself stays valid."""
    def change(parts):
        index = rng.randrange(len(parts))
        name, content = parts[index]
        kind = rng.randrange(4)
        if kind == 0 and b"<t" in content:
            at = content.find(b"<t") + content[content.find(b"<t"):].find(b">") + 1
            content = content[:at] + rng.choice(CONTROL).encode() + b"_x0001_" + content[at:]
        elif kind == 1:
            content = content[: rng.randrange(len(content) + 1)]
        elif kind == 2:
            content = flip_bytes(rng, content)
        else:
            content = content.replace(b' r="', b' r="' + rng.choice([b"Z", b"0", b"AAAA", b"XFD", b"", b"1"]), 1)
        parts[index] = (name, content)
        return parts
    return rezip(data, change)


def mutate_csv(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("gb18030")
    lines = [line.split(",") for line in text.splitlines()]
    for _ in range(rng.randint(1, 6)):
        row = rng.choice(lines)
        value = cell_value(rng)
        value = "" if value is None else str(value)
        if rng.random() < 0.3:
            value += rng.choice(CONTROL + '"\r\n,')
        row[rng.randrange(len(row))] = value
    if rng.random() < 0.2:
        lines.insert(rng.randrange(len(lines) + 1), [random_text(rng)] * rng.randint(0, 30))
    out = "\n".join(",".join(r) for r in lines)
    encoding = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16"])
    return out.encode(encoding, errors="replace")


def make_case(number: int, samples: Path) -> tuple[str, str, bytes, str | None, bool]:
    """Case ``number``, made from the sample ledgers in ``samples``: (description, file name, bytes, --period or None,
    skip_invalid)."""
    rng = random.Random(SEED * 100_003 + number)
    period = rng.choice([None, None, None, "2024Q3"])
    skip = rng.random() < 0.3
    kind = number % 8
    if kind == 0:
        size = rng.choice([0, 1, 3, 8, 100, 4096, 65536, 300_000])
        prefix = rng.choice([b"", b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf"])
        name = "2024年第三季度台账" + rng.choice([".xlsx", ".xls", ".xlsm", ".csv", ".txt", ""])
        return f"random bytes ({size}) {name}", name, prefix + rng.randbytes(size), period, skip
    if kind == 7:
        data = (samples / CSV_SAMPLE).read_bytes()
        how = rng.randrange(3)
        if how == 0:
            return "csv: bytes flipped", CSV_SAMPLE, flip_bytes(rng, data), period or "2024Q2", skip
        if how == 1:
            return "csv: truncated", CSV_SAMPLE, data[: rng.randrange(len(data))], period or "2024Q2", skip
        return "csv: cells mutated", CSV_SAMPLE, mutate_csv(rng, data), period or "2024Q2", skip
    name = rng.choice(XLSX_SAMPLES)
    data = (samples / name).read_bytes()
    if kind == 1:
        return f"{name}: bytes flipped", name, flip_bytes(rng, data), period, skip
    if kind == 2:
        return f"{name}: truncated", name, data[: rng.randrange(len(data))], period, skip
    if kind == 3:
        def drop_or_double(parts):
            i = rng.randrange(len(parts))
            return parts[:i] + parts[i + 1:] if rng.random() < 0.5 else [*parts, parts[i]]
        return f"{name}: zip entry deleted or duplicated", name, rezip(data, drop_or_double), period, skip
    if kind == 4:
        return f"{name}: XML inside mutated", name, mutate_xml(rng, data), period, skip
    return f"{name}: cells mutated", name, mutate_cells(rng, data), period, skip


# ---- running cases -----------------------------------------------------------------------------------------------


def is_chinese_sentence(text: str) -> bool:
    return bool(text and text.strip() and _CJK.search(text))


def run_case(con, number: int, samples: Path) -> str:
    """One case against the database; returns the outcome, raises AssertionError when the importer misbehaved."""
    from analytics import ledger
    from analytics.errors import FileRejected
    from analytics.ingest.parse import parse_file
    from analytics.periods import parse_period
    from analytics.summary import summary
    from tests.conftest import database_digest

    _, name, data, period, skip = make_case(number, samples)
    before = database_digest(con)
    try:
        parsed = parse_file(name, data, parse_period(period) if period else None)
        result = ledger.store(con, parsed, skip_invalid=skip, scoring=CFG)
    except FileRejected as exc:
        assert exc.issues and all(is_chinese_sentence(i.message()) for i in exc.issues), str(exc)
        assert database_digest(con) == before, "a refused file changed the database"
        return "refused"
    if result.outcome == "imported":
        summary(con, cfg=CFG)  # the figures still compute
        ledger.list_imports(con)
        return "imported"
    assert is_chinese_sentence(result.message), result.message
    if result.outcome == "rejected":
        assert all(is_chinese_sentence(i.message()) for i in result.issues), result.issues
    assert database_digest(con) == before, f"a {result.outcome} file changed the database"
    return result.outcome


def worker(db: str, first: int, last: int, samples: Path) -> None:
    """Run cases first..last-1 made from the sample ledgers in ``samples``, one line per case: 'START n', then
    'OK n outcome' or 'FAIL n description: error'."""
    from analytics.db import connect
    from tests.conftest import load

    con = connect(db)
    if not con.execute("SELECT count(*) FROM imports").fetchone()[0]:
        load(con, samples / sample_ledgers.Q1)
        load(con, samples / sample_ledgers.Q2)
    for number in range(first, last):
        print(f"START {number}", flush=True)
        try:
            outcome = run_case(con, number, samples)
        except Exception:  # anything but a clean outcome is what the fuzzer is looking for
            description = make_case(number, samples)[0]
            error = traceback.format_exc(limit=6).replace("\n", " ⏎ ")
            print(f"FAIL {number} {description}: {error}", flush=True)
            continue
        print(f"OK {number} {outcome}", flush=True)
    con.close()


@pytest.mark.slow
def test_random_and_mutated_files_end_in_a_clean_import_or_a_clean_error(tmp_path, samples_dir):
    db = tmp_path / "fuzz.duckdb"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "tests.test_fuzz", "--worker", str(db), "0", str(CASES),
                           str(samples_dir)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    lines = done.stdout.splitlines()
    started = [int(line.split()[1]) for line in lines if line.startswith("START ")]
    failures = [line for line in lines if line.startswith("FAIL ")]
    outcomes = Counter(line.split()[2] for line in lines if line.startswith("OK "))
    print(f"seed {SEED}: {dict(outcomes)}")
    if done.returncode != 0:
        last = started[-1] if started else None
        description = make_case(last, samples_dir)[0] if last is not None else "?"
        pytest.fail(f"the importer crashed the process (exit {done.returncode}) on seed {SEED} case {last} "
                    f"({description}); replay: python -m tests.test_fuzz {last}\n{done.stderr[-3000:]}")
    assert not failures, f"seed {SEED}:\n" + "\n".join(failures)
    assert sum(outcomes.values()) == CASES
    assert outcomes["imported"] and outcomes["refused"] and outcomes["rejected"]  # every way out was exercised


def test_a_task_list_without_aspects_is_stored_not_a_null_task_key(con, tmp_path):
    """Regression (seed 20261122, cases 333, 342, 374): a 监督清单 without a 监督方面 column, or with a blank
    监督方面 cell, failed with 'NOT NULL constraint failed: tasks.task_key' (a null joined into the key)."""
    from analytics import ledger
    from analytics.ingest.parse import parse_file
    from tests.conftest import write_xlsx

    header = ["序号", "监督方面", "监督措施", "责任单位", "完成时限", "完成情况"]
    rows = [[1, "政治建设", "检查中心组学习", "纪委办公室", "每季度", "已完成"],
            [2, None, "检查三重一大决策", "综合管理部", "2024-09-30", "进行中"]]
    with_blank = write_xlsx(tmp_path / "2024年第三季度监督清单.xlsx", {"监督清单": [header, *rows]})
    without = write_xlsx(tmp_path / "2024年第四季度监督清单.xlsx",
                         {"监督清单": [[h for h in header if h != "监督方面"], *([c for i, c in enumerate(r) if i != 1]
                                                                               for r in rows)]})
    for path in (with_blank, without):
        result = ledger.store(con, parse_file(path.name, path.read_bytes()), scoring=CFG)
        assert (result.outcome, result.rows_valid) == ("imported", 2), result.message
    # the task without 监督方面 is the same task in both files (blank aspect = ''), the other one differs
    assert con.execute("SELECT count(*), count(DISTINCT task_key) FROM tasks").fetchone() == (4, 3)


def test_a_zip_needing_an_unknown_version_is_refused_cleanly(samples_dir):
    """Regression (FUZZ_SEED=1 case 97, FUZZ_SEED=2 case 233): a flipped 'version needed to extract' byte made the
    new zip check raise NotImplementedError ('zip file version 14.9') instead of refusing the file."""
    import struct

    from analytics.errors import FileRejected
    from analytics.ingest.parse import parse_file

    data = bytearray((samples_dir / XLSX_SAMPLES[0]).read_bytes())
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, at + 6, 149)  # needs version 14.9
    with pytest.raises(FileRejected, match="文件已损坏或不是有效的 Excel 文件"):
        parse_file(XLSX_SAMPLES[0], bytes(data))


def test_a_whole_number_beyond_int64_in_a_text_column_is_read_as_text(con, tmp_path):
    """Regression (FUZZ_SEED=5 case 397, FUZZ_SEED=8 cases 198 and 349, FUZZ_SEED=9 case 277): as_strings cast a
    column of whole floats to int64, which failed beyond ±2**63 (or on ±inf) with ArrowInvalid."""
    from analytics import ledger
    from analytics.ingest.parse import parse_file
    from tests.conftest import HEADER, problem_row, write_xlsx

    big = problem_row(2, "A-2")
    big[0] = 1e19  # a 20-digit number typed into 序号, as Excel stores it
    path = write_xlsx(tmp_path / "2024年第三季度问题整改台账.xlsx", {"台账": [HEADER, problem_row(1, "A-1"), big]})
    assert ledger.store(con, parse_file(path.name, path.read_bytes()), scoring=CFG).outcome == "imported"


if __name__ == "__main__":
    if sys.argv[1] == "--worker":  # --worker DB FIRST LAST SAMPLES_DIR
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    else:  # replay one case in a fresh database, on freshly written samples, showing what happens
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            samples = sample_ledgers.write_samples(Path(scratch) / "samples")
            worker(str(Path(scratch) / "replay.duckdb"), int(sys.argv[1]), int(sys.argv[1]) + 1, samples)
