"""A file's parse in a process of its own, capped in memory and time: what the dashboard and the CLI import through.

A parse takes several times its file's size (a 50 MB CSV: 650 MB at its peak), and the C heap keeps much of it
afterwards: in the dashboard's server that memory would stay, and a file needing more than the machine has would
take every session down. Here each parse runs in a fresh child (``python -m analytics.ingest.worker``) whose address
space is capped (RLIMIT_AS, [limits] max_parse_mb) and whose time is limited (max_parse_seconds); all it used goes
back to the system when it exits, and the caller receives only the ParsedFile. A parse over either limit refuses
the file (FileRejected, in Chinese) and nothing is stored.

A child started by subprocess, not multiprocessing: a fork would copy the server's threads, and a multiprocessing
spawn would import the server's __main__ (Streamlit's CLI) in every child and start a resource tracker. The GC and
allocator tuning of a large parse lives here, in the child only.

The child runs our code as our user: the cap guards memory, it is no sandbox (the parent unpickles its reply).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import resource
import signal
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

import pyarrow as pa

from analytics.config import ROOT, LedgerConfig, ScoringConfig, ledger_config, scoring_config
from analytics.errors import DashboardError, FileRejected, Issue
from analytics.ingest.answers import Answers, SavedAnswers
from analytics.ingest.parse import ParsedFile, parse_file
from analytics.ingest.reader import MB, check_file_size
from analytics.periods import Period

# Set before the child's libraries load, so that its address space (what the cap counts) follows what the parse
# holds: Arrow allocates from the C library (mimalloc, its default, reserves address space by the gigabyte: 1.9 GB
# for a parse of 480 MB, 0.9 GB without it); Arrow's thread pool has the two threads the parse uses rather than one
# per core, each with its stack; two malloc arenas (190 MB less at the largest file, its time within the noise).
CHILD_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "OMP_NUM_THREADS": "2", "MALLOC_ARENA_MAX": "2"}
# One parse at a time per process: the server's sessions uploading at once take one cap, not one each; the
# others wait their turn (their time limit starts with it).
_ONE_AT_A_TIME = threading.Lock()
_LENGTH = struct.Struct("<Q")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class _Job:
    """What the child parses (the file's bytes follow it on the pipe)."""

    name: str
    size: int
    period: Period | None
    answers_for: SavedAnswers
    cfg: LedgerConfig
    scoring: ScoringConfig


def parse_in_worker(name: str, data: bytes, period: Period | None = None, *,
                    saved: dict[str, Answers] | None = None, given: Answers | None = None,
                    cfg: LedgerConfig | None = None, scoring: ScoringConfig | None = None) -> ParsedFile:
    """parse_file in a child process under [limits] max_parse_mb and max_parse_seconds, with the saved ledger
    profiles and the given answers on top. Raises FileRejected for a file it cannot read or that needs more."""
    cfg = cfg or ledger_config()
    scoring = scoring or scoring_config()
    name = PurePath(name).name
    limits = cfg.limits
    check_file_size(name, len(data), limits)  # before a child is started for it
    job = _Job(name, len(data), period, SavedAnswers(saved or {}, given), cfg, scoring)
    with _ONE_AT_A_TIME:
        reply, code, timed_out = _exchange(job, data, limits.parse_mb, limits.max_parse_seconds)
    if timed_out:
        raise _refused(name, f"解析超过 {limits.max_parse_seconds:,g} 秒仍未完成", "max_parse_seconds")
    if reply is None:
        if code < 0:  # killed: an allocation that C or Rust code could not survive, or the system's OOM killer
            raise _refused(name, f"解析所需内存超过上限 {limits.parse_mb:,.0f} MB（解析进程被终止）", "max_parse_mb")
        raise DashboardError(f"文件「{name}」未导入：解析进程异常退出（退出码 {code}），详情见运行日志")
    kind, *body = reply
    if kind == "parsed":
        return body[0]
    if kind == "rejected":
        raise FileRejected(*body)
    if kind == "memory":
        raise _refused(name, f"解析所需内存超过上限 {limits.parse_mb:,.0f} MB", "max_parse_mb")
    error, text = body  # a bug: raised as in-process, with the child's traceback as its cause
    raise (error if isinstance(error, BaseException) else RuntimeError("解析进程出错")) from RuntimeError(text)


def _refused(name: str, why: str, setting: str) -> FileRejected:
    return FileRejected(name, [Issue(name, f"{why}，未导入；请拆分为几个较小的文件后再导入"
                                           f"（上限可在 data/ledger.toml 的 [limits] 中调整 {setting}）")])


def _exchange(job: _Job, data: bytes, memory_mb: float, seconds: float) -> tuple[tuple | None, int, bool]:
    """Run one child: send it the job and the bytes, wait for its reply. (reply or None, exit code, timed out)."""
    command = [sys.executable, "-m", __name__, str(os.getpid()), str(int(memory_mb * MB))]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                             env=os.environ | CHILD_ENV)
    replies: list[tuple] = []
    failures: list[BaseException] = []

    def talk() -> None:
        try:
            with contextlib.suppress(BrokenPipeError), child.stdin:  # broken: the child ended (its exit code says why)
                _send(child.stdin, job)
                child.stdin.write(data)
            replies.append(_receive(child.stdout))
        except (EOFError, OSError):
            pass  # no reply: the exit code says why
        except BaseException as exc:  # raised in the caller's thread below
            failures.append(exc)

    try:
        talker = threading.Thread(target=talk, name=f"parse {job.name}", daemon=True)
        talker.start()
        talker.join(seconds)
        timed_out = talker.is_alive()
        if timed_out:
            child.kill()
            talker.join()
    finally:
        if child.poll() is None and not replies:
            child.kill()  # the caller was interrupted, or the talk failed: no child outlives its parse
        child.stdout.close()
        code = child.wait()
    if failures:
        raise failures[0]
    return (replies[0] if replies else None), code, timed_out


def _send(out: BinaryIO, value: object) -> None:
    """value pickled, its large buffers (Arrow's columns) written apart: read back without a copy of the whole."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    out.write(_LENGTH.pack(len(buffers)))
    for frame in (memoryview(head), *(b.raw() for b in buffers)):
        out.write(_LENGTH.pack(frame.nbytes))
        out.write(frame)
    out.flush()


def _receive(inp: BinaryIO) -> object:
    count = _LENGTH.unpack(_read(inp, _LENGTH.size))[0]
    frames = [_read(inp, _LENGTH.unpack(_read(inp, _LENGTH.size))[0]) for _ in range(count + 1)]
    return pickle.loads(frames[0], buffers=frames[1:])


def _read(inp: BinaryIO, size: int) -> bytearray:
    """Exactly size bytes, read into one buffer (EOFError if the pipe ends first)."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = inp.readinto(view[got:])
        if not n:
            raise EOFError(f"{got} of {size} bytes")
        got += n
    return buffer


@contextlib.contextmanager
def tuned() -> Iterator[None]:
    """A large parse's tuning, for a process that does nothing else (the child; benchmarks measuring the parse):
    no cyclic garbage collection while a million cells are made (each pass would walk them all, and they form no
    cycles), and Arrow allocating from the C library, where freed intermediate arrays of the text rules go back at
    once (mimalloc keeps them: 40 MB more at the peak at 100,000 rows)."""
    was_enabled, pool = gc.isenabled(), pa.default_memory_pool()
    gc.disable()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(pool)
        pa.system_memory_pool().release_unused()
        if was_enabled:
            gc.enable()


def _die_with_parent(parent: int) -> None:
    """The child is killed when its parent ends (a killed CLI, a stopped server): no parse outlives its caller."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _child(parent: int, cap: int) -> None:
    """The child's whole life: read the job, parse it under the cap, write the reply to the pipe."""
    _die_with_parent(parent)
    inp, out = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to the log, not into the reply
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))  # the libraries are loaded: from here on, the parse's
    reply: tuple
    try:
        job = _receive(inp)
        assert isinstance(job, _Job)
        data = bytes(_read(inp, job.size))
        with tuned():
            reply = ("parsed", parse_file(job.name, data, job.period, job.cfg, job.scoring, job.answers_for))
    except FileRejected as exc:  # its own arguments, not its message's, rebuild it
        reply = ("rejected", exc.file, exc.issues)
    except Exception as exc:
        if _out_of_memory(exc):
            reply = ("memory",)
        else:  # a bug: raised again in the parent, as it would have been in-process
            reply = ("error", exc if _picklable(exc) else None, traceback.format_exc())
    job = data = None  # the bytes go before the reply is pickled
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # the reply is made whatever the parse came to
    _send(out, reply)
    out.close()
    os._exit(0)  # no teardown of what the parse built: the system takes it back at once


def _out_of_memory(exc: BaseException) -> bool:
    """MemoryError (Arrow's ArrowMemoryError too), or a thread the cap left no room for (its stack)."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "can't start new thread" in str(exc))


def _picklable(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True


if __name__ == "__main__":  # by its module's name, so that the job unpickles as this module's _Job
    from analytics.ingest.worker import _child as child

    child(int(sys.argv[1]), int(sys.argv[2]))

