"""审计日志: an append-only record of logins, imports, undos, exports and configuration changes.

One JSON object per line in a file beside the database (config.audit_path), outside it so that restoring a
backup cannot roll the record back. Each entry carries the sha256 of the one before it, so an edited or
deleted line shows up in ``verify``. There is no function that changes or removes an entry.

Lines are split at b"\\n" only (a logged name may hold U+2028 or NEL, which str.splitlines would split at).

A torn line — half an entry left by a crash or a full disk, possibly ending in NUL bytes — never stops the app:
it is kept in the file as it is (the trail is only ever appended to, never rewritten) and reported by ``verify``
as incomplete; ``entries`` skips it; ``record`` starts the next entry on a fresh line and chains it from the last
whole entry, so the chain stays intact across the torn line and ``verify`` reports that one line only. An
administrator who has read the report may delete the torn line by hand: the chain then passes again.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import json
import os
from pathlib import Path

import pandas as pd

from analytics import csvsafe
from analytics.access import User
from analytics.config import CONFIG_FILES, DATA_DIR, audit_path

ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出登录", "session_ended": "会话过期",
    "import": "导入台账", "undo": "撤销导入", "export": "导出快照", "download": "下载文件",
    "restore": "恢复备份", "audit_export": "导出审计日志", "config": "配置变更",
    "user_add": "新增用户", "user_password": "重置密码", "user_role": "变更角色", "user_remove": "删除用户",
    "profile_save": "保存台账映射", "profile_delete": "删除台账映射", "category_assign": "指定类别维度",
}
COLUMNS = ("seq", "at", "who", "role", "action", "action_label", "outcome", "details")
LABELS = {"seq": "序号", "at": "时间", "who": "操作人", "role": "角色", "action_label": "操作", "outcome": "结果",
          "details": "详情"}
_GENESIS = "0" * 64


def _digest(entry: dict) -> str:
    body = json.dumps({k: v for k, v in entry.items() if k != "hash"}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


_FIELDS = ("seq", "at", "who", "role", "action", "outcome", "details", "prev", "hash")
_TORN = object()  # a line that is not even JSON: half an entry


def _parse(line: bytes) -> object:
    """The JSON on one line, or _TORN."""
    try:
        return json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _TORN


def _as_entry(value: object) -> dict | None:
    """The value when it has an entry's shape (so that reading it cannot raise), else None."""
    if not (isinstance(value, dict) and all(k in value for k in _FIELDS)):
        return None
    texts = ("at", "who", "role", "action", "outcome", "prev", "hash")
    if not (type(value["seq"]) is int and isinstance(value["details"], dict)
            and all(isinstance(value[k], str) for k in texts)):
        return None
    return value


def _entry(line: bytes) -> dict | None:
    """The entry on one line, or None when the line is not a whole entry (torn, garbled or not one of ours)."""
    return _as_entry(_parse(line))


def _tail(f) -> tuple[dict | None, bool]:
    """(the last whole entry, whether the file ends with a newline), read from the end (the log only grows).

    Lines after the last whole entry (a torn tail) are stepped over; False says the next entry needs a fresh line.
    """
    f.seek(0, os.SEEK_END)
    end = f.tell()
    if end == 0:
        return None, True
    f.seek(end - 1)
    ends_with_newline = f.read(1) == b"\n"
    pos, rest = end, b""
    while pos > 0:
        start = max(0, pos - 65536)
        f.seek(start)
        lines = (f.read(pos - start) + rest).split(b"\n")
        pos = start
        rest = lines.pop(0) if pos > 0 else b""  # the first piece may be the end of an earlier line
        for line in reversed(lines):
            if (entry := _entry(line)) is not None:
                return entry, ends_with_newline
    return None, ends_with_newline


def record(db: Path | str, who: User, action: str, outcome: str = "成功", **details: object) -> dict:
    """Append one entry (under an exclusive lock, flushed to disk before returning) and return it.

    It chains from the last whole entry; after a torn last line it starts on a fresh line, leaving the torn one.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    path = audit_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        previous, ends_with_newline = _tail(f)
        entry = {
            "seq": previous["seq"] + 1 if previous else 1,
            "at": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
            "who": who.name, "role": who.role, "unit": who.unit,
            "action": action, "outcome": outcome,
            "details": {k: v for k, v in details.items() if v is not None},
            "prev": previous["hash"] if previous else _GENESIS,
        }
        entry["hash"] = _digest(entry)
        f.seek(0, os.SEEK_END)
        f.write((b"" if ends_with_newline else b"\n") + json.dumps(entry, ensure_ascii=False).encode() + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return entry


def _lines(db: Path | str) -> list[bytes]:
    """The trail's lines as written (split at b"\\n" only), the last one even when torn; [] when there is none."""
    try:
        data = audit_path(db).read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def _read(db: Path | str) -> list[dict]:
    """The whole entries, in order (torn or garbled lines left out: ``verify`` reports them)."""
    return [entry for line in _lines(db) if (entry := _entry(line)) is not None]


def verify(db: Path | str) -> list[str]:
    """What is wrong with the chain (empty: every entry is as written, none missing in between).

    A line that is not a whole entry (a torn write) is reported as incomplete and skipped: the entries after it
    are checked against the last whole entry before it, as ``record`` chains them.
    """
    problems, prev, seq = [], _GENESIS, 0
    for number, line in enumerate(_lines(db), 1):
        parsed = _parse(line)
        if parsed is _TORN:
            problems.append(f"第 {number} 行不完整（只写入了半条记录，多因写入中断或磁盘已满），已跳过")
            continue
        entry = _as_entry(parsed)
        ok = (entry is not None and entry["prev"] == prev and entry["seq"] == seq + 1
              and entry["hash"] == _digest(entry))
        if entry is not None:
            prev, seq = entry["hash"], entry["seq"]  # go on from here: one break, one message
        if not ok:
            problems.append(f"第 {number} 行与前后记录对不上（被改动、删除或插入）")
    return problems


DETAIL_LABELS = {
    "file": "文件", "sha256": "SHA-256", "period": "期间", "kind": "类型", "rows_valid": "有效行",
    "rows_invalid": "错误行", "rows_skipped": "跳过行", "import_id": "导入编号", "problems_new": "新增问题",
    "problems_updated": "更新问题", "reason": "原因", "snapshot_id": "快照编号", "scope": "范围", "format": "格式",
    "masked": "姓名脱敏", "data_version": "数据版本", "account": "账户", "old_role": "原角色", "old_unit": "原单位",
    "new_role": "新角色", "new_unit": "新单位", "previous": "原 SHA-256", "change": "变更", "backup": "备份",
    "result": "结果", "what": "内容", "demo": "演示账号",
}


def _details_text(details: dict) -> str:
    def value(v: object) -> str:
        return {True: "是", False: "否"}.get(v, str(v)) if isinstance(v, bool) else str(v)

    return "；".join(f"{DETAIL_LABELS.get(k, k)}：{value(v)}" for k, v in details.items())


def entries(db: Path | str, newest_first: bool = True) -> pd.DataFrame:
    """The whole log as a table (details as text)."""
    rows = [{"seq": e["seq"], "at": e["at"], "who": e["who"], "role": e["role"], "action": e["action"],
             "action_label": ACTIONS.get(e["action"], e["action"]), "outcome": e["outcome"],
             "details": _details_text(e["details"])} for e in _read(db)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.iloc[::-1].reset_index(drop=True) if newest_first else frame


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV with Chinese headers, UTF-8 with BOM so that Excel opens it correctly; text that starts like a formula
    (a failed login's name is anyone's choice) is kept as text with a leading apostrophe (csvsafe)."""
    return csvsafe.to_csv(frame.drop(columns=["action"]).rename(columns=LABELS))


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """An Excel sheet in which every cell is text (a logged file name like =cmd() stays text)."""
    import xlsxwriter

    out = frame.drop(columns=["action"]).rename(columns=LABELS)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "in_memory": True}) as wb:
        ws = wb.add_worksheet("审计日志")
        bold = wb.add_format({"bold": True})
        ws.write_row(0, 0, list(out.columns), bold)
        for r, row in enumerate(out.itertuples(index=False), 1):
            for c, value in enumerate(row):
                ws.write_string(r, c, str(value))
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 20)
        ws.set_column(2, 5, 14)
        ws.set_column(6, 6, 80)
        ws.freeze_panes(1, 0)
    return buffer.getvalue()


def config_digests(folder: Path = DATA_DIR) -> dict[str, str | None]:
    """sha256 of each configuration file (None when missing)."""
    out = {}
    for name in CONFIG_FILES:
        try:
            out[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            out[name] = None
    return out


def note_config_changes(db: Path | str, who: User, folder: Path = DATA_DIR) -> list[str]:
    """Record each configuration file whose content differs from what the log last saw; returns their names.

    The files are edited outside the app, so the change is recorded when the app or the command line first
    starts after it (who: whoever started it).
    """
    seen: dict[str, str | None] = {}
    for e in _read(db):
        if e["action"] == "config":
            seen[str(e["details"].get("file"))] = e["details"].get("sha256")
    changed = []
    for name, digest in config_digests(folder).items():
        if name in seen and seen[name] == digest:
            continue
        record(db, who, "config", file=name, sha256=digest, previous=seen.get(name),
               change="首次记录" if name not in seen else ("删除" if digest is None else "内容变更"))
        changed.append(name)
    return changed
