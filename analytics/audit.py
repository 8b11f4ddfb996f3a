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

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analytics import csvsafe
from analytics.access import User
from analytics.config import CONFIG_FILES, DATA_DIR, audit_path, users_path
from analytics.db import connect
from analytics.errors import DashboardError

ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出登录", "session_ended": "会话过期",
    "import": "导入台账", "undo": "撤销导入", "export": "导出快照", "download": "下载文件",
    "restore": "恢复备份", "audit_export": "导出审计日志", "config": "配置变更",
    "user_add": "新增用户", "user_password": "重置密码", "user_role": "变更角色", "user_remove": "删除用户",
    "own_password": "修改本人密码",
    "profile_save": "保存台账映射", "profile_delete": "删除台账映射", "category_assign": "指定类别维度",
    "schema_upgrade": "升级数据库结构", "backup": "备份到其他位置", "org_change": "修改组织架构",
    "meeting_record": "记录会商", "meeting_agenda": "确定会商议题", "decision_add": "记录议定事项",
    "decision_progress": "记录督办进展", "lookback_record": "记录回头看结果", "case_mark": "标记典型案例",
    "case_unmark": "移出典型案例",
    "notice_draft": "起草督办文书", "notice_sign": "签发督办文书", "notice_deliver": "送达督办文书",
    "notice_reply": "登记文书回复", "notice_verify": "核验通过文书回复", "notice_return": "退回重报文书回复",
    "workbook_export": "生成更新表",
    "report": "生成研判报告",
}
COLUMNS = ("seq", "at", "who", "role", "action", "action_label", "outcome", "details")
LABELS = {"seq": "序号", "at": "时间", "who": "操作人", "role": "角色", "action_label": "操作", "outcome": "结果",
          "details": "详情"}
_GENESIS = "0" * 64
KEY_ENV = "DASHBOARD_AUDIT_KEY"
ANCHOR_KEY = "audit_anchor"  # meta key: {"seq", "hash", "at"} of the last entry recorded with a database write


def _digest(entry: dict) -> str:
    body = json.dumps({k: v for k, v in entry.items() if k not in ("hash", "mac")}, ensure_ascii=False,
                      sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


# ---- the key ----

def key_path() -> Path:
    """The chain's key: $DASHBOARD_AUDIT_KEY, else audit.key beside the accounts file (outside the data folder: one
    who can edit the trail there cannot follow with the key)."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    return users_path().with_name("audit.key")


def _load_key(path: Path) -> bytes | None:
    """The key in a key file (64 hex digits); None when it is missing, unreadable or not a key."""
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return key if len(key) == 32 else None


def _create_key(path: Path) -> bytes | None:
    """A new random key in a new owner-only file. Never replaces a file already there: when another process made
    one first, its key is the one used."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)  # whole or absent, and never over an existing key
        finally:
            partial.unlink(missing_ok=True)
    except OSError:
        return None
    return _load_key(path)


def key_id(key: bytes) -> str:
    """A short name of a key, kept in each keyed entry: says which key an entry was written with."""
    return hashlib.sha256(b"audit-key-id\0" + key).hexdigest()[:16]


def _mac(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


# ---- reading lines ----

_FIELDS = ("seq", "at", "who", "role", "action", "outcome", "details", "prev", "hash")
_TORN = object()  # a line that is not even JSON: half an entry


def _parse(line: bytes) -> object:
    """The JSON on one line, or _TORN."""
    try:
        return json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _TORN


def _as_entry(value: object) -> dict | None:
    """The value when it has an entry's shape (so that reading it cannot raise), else None. A keyed entry has both
    ``key`` and ``mac``; one without the other is not an entry."""
    if not (isinstance(value, dict) and all(k in value for k in _FIELDS)):
        return None
    texts = ("at", "who", "role", "action", "outcome", "prev", "hash")
    keyed = ("key", "mac") if "key" in value or "mac" in value else ()
    if not (type(value["seq"]) is int and isinstance(value["details"], dict)
            and all(isinstance(value.get(k), str) for k in (*texts, *keyed))):
        return None
    return value


def _entry(line: bytes) -> dict | None:
    """The entry on one line, or None when the line is not a whole entry (torn, garbled or not one of ours)."""
    return _as_entry(_parse(line))


def _backward(f) -> Iterator[dict]:
    """The whole entries of an open trail, from the last to the first (it only grows: its end is read most)."""
    f.seek(0, os.SEEK_END)
    pos, rest = f.tell(), b""
    while pos > 0:
        start = max(0, pos - 65536)
        f.seek(start)
        lines = (f.read(pos - start) + rest).split(b"\n")
        pos = start
        rest = lines.pop(0) if pos > 0 else b""  # the first piece may be the end of an earlier line
        for line in reversed(lines):
            if (entry := _entry(line)) is not None:
                yield entry


def _tail(f) -> tuple[dict | None, bool]:
    """(the last whole entry, whether the file ends with a newline), read from the end.

    Lines after the last whole entry (a torn tail) are stepped over; False says the next entry needs a fresh line.
    """
    f.seek(0, os.SEEK_END)
    end = f.tell()
    if end == 0:
        return None, True
    f.seek(end - 1)
    ends_with_newline = f.read(1) == b"\n"
    return next(_backward(f), None), ends_with_newline


def _signing_key(f, previous: dict | None) -> bytes | None:
    """The key to sign the next entry with. Made on first use only: when the trail already has keyed entries and
    the key is gone, entries go on unkeyed (``verify`` reports them) rather than under a new key, so that putting
    the old key file back mends everything after."""
    path = key_path()
    key = _load_key(path)
    if key is None and not path.exists() and not (previous and "key" in previous) \
            and not any("key" in e for e in _backward(f)):
        key = _create_key(path)
    return key


def record(db: Path | str, who: User, action: str, outcome: str = "成功", **details: object) -> dict:
    """Append one entry (under an exclusive lock, flushed to disk before returning) and return it.

    It chains from the last whole entry; after a torn last line it starts on a fresh line, leaving the torn one.
    A trail that cannot be written raises DashboardError (an import then rolls back: see actions.import_file).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    path = audit_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            previous, ends_with_newline = _tail(f)
            key = _signing_key(f, previous)
            entry = {
                "seq": previous["seq"] + 1 if previous else 1,
                "at": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
                "who": who.name, "role": who.role, "unit": who.unit,
                "action": action, "outcome": outcome,
                "details": {k: v for k, v in details.items() if v is not None},
                "prev": previous["hash"] if previous else _GENESIS,
            }
            if key is not None:
                entry["key"] = key_id(key)
            entry["hash"] = _digest(entry)
            if key is not None:
                entry["mac"] = _mac(key, entry["hash"])
            f.seek(0, os.SEEK_END)
            f.write((b"" if ends_with_newline else b"\n") + json.dumps(entry, ensure_ascii=False).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise DashboardError(f"无法写入审计日志 {path}（{exc.strerror or exc}）") from exc
    return entry


# ---- the anchor in the database ----

def anchored(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """(seq, hash) the database holds as the trail's anchor; None when it holds none. ValueError when garbled."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [ANCHOR_KEY]).fetchone()
    except duckdb.CatalogException:  # not a dashboard database (yet)
        return None
    if row is None:
        return None
    value = json.loads(row[0])
    if not (isinstance(value, dict) and type(value.get("seq")) is int and isinstance(value.get("hash"), str)):
        raise ValueError("not an anchor")
    return value["seq"], value["hash"]


def _hash_of(db: Path | str, seq: int) -> str | None:
    """The hash of the trail's last entry numbered ``seq``; None when it has none."""
    try:
        with open(audit_path(db), "rb") as f:
            for entry in _backward(f):
                if entry["seq"] <= seq:
                    return entry["hash"] if entry["seq"] == seq else None
    except FileNotFoundError:
        pass
    return None


def anchor(con: duckdb.DuckDBPyConnection, db: Path | str, entry: dict) -> bool:
    """Keep an entry just recorded as the trail's anchor in the database, within ``con``'s open transaction if any:
    called with every database write that is recorded (actions). True when the anchor moved.

    It moves only forward, and only while the trail still holds the entry anchored before: a trail cut short or
    rewritten stays reported by ``verify`` whatever is written afterwards.
    """
    try:
        before = anchored(con)
    except ValueError:
        return False  # garbled: left as it is, for verify to report
    if before is not None and (entry["seq"] <= before[0] or _hash_of(db, before[0]) != before[1]):
        return False
    value = json.dumps({"seq": entry["seq"], "hash": entry["hash"], "at": entry["at"]})
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [ANCHOR_KEY, value])
    return True


def carry_anchor(current: duckdb.DuckDBPyConnection, restored: duckdb.DuckDBPyConnection) -> None:
    """Give a backup being restored the anchor of the database it replaces, when that one is newer: a restore must
    not take the anchor back (the trail's end could then be cut back to it unseen). The trail is not rolled back."""
    try:
        newer, older = anchored(current), anchored(restored)
    except ValueError:  # garbled: verify reports it
        return
    if newer is not None and (older is None or older[0] < newer[0]):
        value = current.execute("SELECT value FROM meta WHERE key = ?", [ANCHOR_KEY]).fetchone()[0]
        restored.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [ANCHOR_KEY, value])


def _database_anchor(db: Path | str) -> tuple[int, str] | None:
    """The anchor kept in the database file (None without a database); DashboardError when it cannot be read."""
    if not Path(db).exists():
        return None
    con = connect(db, read_only=True)
    try:
        return anchored(con)
    finally:
        con.close()


# ---- reading the trail ----

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


@dataclass
class Check:
    """What ``check`` found: problems (the trail is not as it was written: ``audit --verify`` exits 1) and notes
    (what the check cannot cover, for the reader's judgement)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _numbers(seqs: list[int]) -> str:
    """3, 4, 5, 9 → 3–5、9."""
    runs: list[list[int]] = []
    for s in seqs:
        if runs and s == runs[-1][1] + 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def verify(db: Path | str) -> list[str]:
    """What is wrong with the trail (empty: it is as written, nothing missing); see ``check``."""
    return check(db).problems


def check(db: Path | str) -> Check:
    """The chain, its keyed hashes and the database's anchor, checked.

    A line that is not a whole entry (a torn write) is reported as incomplete and skipped: the entries after it
    are checked against the last whole entry before it, as ``record`` chains them.
    """
    found = Check()
    key_file = key_path()
    key = _load_key(key_file)
    kid = key_id(key) if key is not None else None
    prev, seq = _GENESIS, 0
    hashes: dict[int, str] = {}
    first_keyed: int | None = None
    other_key: list[int] = []
    bad_mac: list[int] = []
    unkeyed: list[int] = []
    for number, line in enumerate(_lines(db), 1):
        parsed = _parse(line)
        if parsed is _TORN:
            found.problems.append(f"第 {number} 行不完整（只写入了半条记录，多因写入中断或磁盘已满），已跳过")
            continue
        entry = _as_entry(parsed)
        ok = (entry is not None and entry["prev"] == prev and entry["seq"] == seq + 1
              and entry["hash"] == _digest(entry))
        if entry is not None:
            prev, seq = entry["hash"], entry["seq"]  # go on from here: one break, one message
            hashes.setdefault(seq, entry["hash"])
            if "key" in entry:
                first_keyed = first_keyed or seq
                if kid is not None and entry["key"] != kid:
                    other_key.append(seq)
                elif kid is not None and not hmac.compare_digest(entry["mac"], _mac(key, entry["hash"])):
                    bad_mac.append(seq)
            elif first_keyed is not None:
                unkeyed.append(seq)
        if not ok:
            where = f"第 {number} 行（序号 {entry['seq']}）" if entry is not None else f"第 {number} 行"
            found.problems.append(f"{where}与前后记录对不上（被改动、删除或插入）")
    _check_keys(found, key_file, key, first_keyed, other_key, bad_mac, unkeyed, bool(hashes))
    _check_anchor(found, db, hashes)
    return found


def _check_keys(found: Check, key_file: Path, key: bytes | None, first_keyed: int | None, other_key: list[int],
                bad_mac: list[int], unkeyed: list[int], any_entry: bool) -> None:
    if key is None and key_file.exists():
        found.problems.append(f"密钥文件 {key_file} 无法读取或内容不是密钥：密钥校验值无法核对")
    elif key is None and first_keyed is not None:
        found.problems.append(f"密钥文件 {key_file} 不存在：第 {first_keyed} 条起的密钥校验值无法核对"
                              f"（请放回原密钥文件，或用环境变量 {KEY_ENV} 指明它的位置）")
    if other_key:
        found.problems.append(f"第 {_numbers(other_key)} 条的密钥校验值不是用现在的密钥写的：密钥文件被更换，"
                              "或这些记录被人重写")
    if bad_mac:
        found.problems.append(f"第 {_numbers(bad_mac)} 条的密钥校验值不符：记录被改动后重算了普通校验值"
                              "（整条链被重写）")
    if unkeyed:
        found.problems.append(f"第 {_numbers(unkeyed)} 条没有密钥校验值，而此前的记录有：写入时密钥文件缺失，"
                              "或这些记录被人重写")
    if any_entry and first_keyed is None:
        found.notes.append("全部记录写于启用密钥之前，只有普通校验值：单条的改动、删除能发现，整条链重算只有"
                           "数据库中的锚点能发现")
    elif first_keyed is not None and first_keyed > 1:
        found.notes.append(f"第 1–{first_keyed - 1} 条写于启用密钥之前，只有普通校验值：单条的改动、删除能发现，"
                           "整条链重算只有数据库中的锚点能发现")


def _check_anchor(found: Check, db: Path | str, hashes: dict[int, str]) -> None:
    try:
        anchor_ = _database_anchor(db)
    except DashboardError as exc:
        found.problems.append(f"未能读取数据库中的审计锚点，末尾记录是否被删除无法核对（{exc}）")
        return
    except ValueError:
        found.problems.append("数据库中的审计锚点已损坏（不是看板写入的内容），末尾记录是否被删除无法核对")
        return
    if anchor_ is None:
        if hashes:
            found.notes.append("数据库中还没有审计锚点（尚无写入数据库的操作）：删去末尾的记录无法发现")
        return
    seq, digest = anchor_
    last = max(hashes, default=0)
    if not hashes:
        state = "为空" if audit_path(db).exists() else "不存在"
        found.problems.append(f"审计日志文件{state}，而数据库记载已有 {seq} 条记录：日志被删除或清空")
    elif last < seq:
        found.problems.append(f"审计日志在第 {last} 条之后被截断：数据库记载已有第 {seq} 条")
    elif seq not in hashes:
        found.problems.append(f"第 {seq} 条记录不在日志中，而数据库记载有这一条：记录被删除")
    elif hashes[seq] != digest:
        found.problems.append(f"第 {seq} 条记录与数据库中的锚点不符：该条或此前的记录被改动，或整条链被重算")
    else:
        after = f"；其后的 {last - seq} 条记于最近一次写入数据库之后，删去它们无法由锚点发现" if last > seq else ""
        found.notes.append(f"数据库锚点在第 {seq} 条，日志与之相符{after}")


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
    """An Excel sheet in which every cell is text (a logged file name like =cmd() stays text): the pages' table
    writer, every column of kind text."""
    from analytics.export import table  # the export package builds on figures this module never needs

    out = frame.drop(columns=["action"]).rename(columns=LABELS)
    return table.to_xlsx(out, "审计日志", dict.fromkeys(map(str, out.columns), "text"))


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
