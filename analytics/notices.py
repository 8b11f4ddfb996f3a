"""督办文书: the register of 工作提醒函, 工作督办单 and 纪检建议书.

A document is numbered when it is drafted (发文字号 from data/notices.toml: a sequence per kind and year, taken
inside the write transaction, so there are no gaps and no duplicates; a draft is never deleted), addressed to one
unit, lists the warned problems with their deadlines and the rule that fired (alerts.warnings, as of the period
it was drafted for), and asks for a written reply by a date. Its lifecycle: 拟稿 → 已签发 → 已送达 → 已回复 →
办结 (核验通过), or from 已回复 back to 已送达 (退回重报); each step kept with who and when. A document awaiting its
reply (已签发 or 已送达) past the reply date is 逾期未回复: itself a warning.

Roles are checked in analytics.actions; this module only reads and writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analytics import alerts
from analytics.config import DATA_DIR, ScoringConfig, load_toml
from analytics.db import has_table, transaction
from analytics.errors import ConfigError, DashboardError
from analytics.metrics import Scope
from analytics.periods import Period, parse_period

KINDS = alerts.TIERS  # 工作提醒函, 工作督办单, 纪检建议书: one kind per warning tier
SHORT_KINDS = {"提醒函": KINDS[0], "督办单": KINDS[1], "建议书": KINDS[2]}
TITLES = {KINDS[0]: "关于抓紧整改有关问题的工作提醒函", KINDS[1]: "关于督促整改有关问题的工作督办单",
          KINDS[2]: "关于加强整改有关问题的纪检建议书"}
DRAFT, SIGNED, DELIVERED, REPLIED, CLOSED = "拟稿", "已签发", "已送达", "已回复", "办结"
STATUSES = (DRAFT, SIGNED, DELIVERED, REPLIED, CLOSED)
AWAITING = (SIGNED, DELIVERED)  # issued, the reply not yet in: late past the reply date
OVERDUE_REPLY = "逾期未回复"

DRAFTED, SIGN, DELIVER, REPLY, VERIFY, RETURN = "draft", "sign", "deliver", "reply", "verify", "return"
# step → (the statuses it may follow, the status it leads to, its name)
STEPS = {
    SIGN: ((DRAFT,), SIGNED, "签发"),
    DELIVER: ((SIGNED,), DELIVERED, "送达"),
    REPLY: ((DELIVERED,), REPLIED, "登记回复"),
    VERIFY: ((REPLIED,), CLOSED, "核验通过"),
    RETURN: ((REPLIED,), DELIVERED, "退回重报"),
}
STEP_NAMES = {DRAFTED: "拟稿", **{k: v[2] for k, v in STEPS.items()}}

class NoticeRefused(DashboardError):
    """A step the document's status does not allow, or a draft with nothing to list."""


# ---- configuration ----

_PLACEHOLDERS = {"year", "seq"}


@dataclass(frozen=True)
class NoticeConfig:
    """data/notices.toml: the issuing body, each kind's 发文字号 pattern, the reply's time and size limits."""

    issuer: str = "公司纪委"
    numbers: tuple[tuple[str, str], ...] = ((KINDS[0], "纪提〔{year}〕{seq}号"), (KINDS[1], "纪督〔{year}〕{seq}号"),
                                            (KINDS[2], "纪建〔{year}〕{seq}号"))
    reply_days: int = 15
    max_reply_mb: float = 10.0

    def number(self, kind: str, year: int, seq: int) -> str:
        return dict(self.numbers)[kind].format(year=year, seq=seq)

    @classmethod
    def from_dict(cls, raw: dict, where: str = "notices.toml") -> NoticeConfig:
        section = raw.get("notices")
        if not isinstance(section, dict):
            raise ConfigError(f"{where}：缺少 [notices] 配置节")
        if unknown := sorted(set(section) - {"issuer", "reply_days", "max_reply_mb", "numbers"}):
            raise ConfigError(f"{where}：[notices] 中有未知的配置项 {unknown}")
        issuer = section.get("issuer", cls.issuer)
        if not isinstance(issuer, str) or not issuer.strip():
            raise ConfigError(f"{where}：[notices] 的 issuer（发文机关）应为非空文字")
        days, size = section.get("reply_days", cls.reply_days), section.get("max_reply_mb", cls.max_reply_mb)
        if type(days) is not int or not 1 <= days <= 365:
            raise ConfigError(f"{where}：[notices] 的 reply_days 应为 1 到 365 之间的整数（天）")
        if not isinstance(size, int | float) or isinstance(size, bool) or not 0 < size <= 100:
            raise ConfigError(f"{where}：[notices] 的 max_reply_mb 应为大于 0、不超过 100 的数（MB）")
        numbers = section.get("numbers", dict(cls.numbers))
        if not isinstance(numbers, dict) or set(numbers) != set(KINDS):
            raise ConfigError(f"{where}：[notices.numbers] 应为 {'、'.join(KINDS)} 各一个发文字号格式")
        for kind, pattern in numbers.items():
            fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None} \
                if isinstance(pattern, str) else set()
            if not isinstance(pattern, str) or fields != _PLACEHOLDERS:
                raise ConfigError(f"{where}：[notices.numbers] 的「{kind}」应含 {{year}} 和 {{seq}} 且不含其他占位符，"
                                  f"如 \"X纪督〔{{year}}〕{{seq}}号\"")
        return cls(issuer.strip(), tuple((k, numbers[k]) for k in KINDS), days, float(size))


def notices_config(path: Path = DATA_DIR / "notices.toml") -> NoticeConfig:
    """notices.toml as it is now (read at the edge: the page or the command, then passed down)."""
    return NoticeConfig.from_dict(load_toml(path), path.name)


def kind_of(text: str) -> str:
    """A kind by its full or short name (督办单 → 工作督办单)."""
    text = text.strip()
    found = text if text in KINDS else SHORT_KINDS.get(text)
    if found is None:
        raise NoticeRefused(f"未知的文书类型「{text}」，可选：{'、'.join(KINDS)}（或简称 {'、'.join(SHORT_KINDS)}）")
    return found


# ---- drafting ----

@dataclass(frozen=True)
class Draft:
    """What a new document lists: its kind, recipient and period, the warned problems (LISTED_COLUMNS) and, for a
    unit-level warning, its rules."""

    kind: str
    unit: str
    period: Period
    problems: pd.DataFrame
    basis: tuple[str, ...] = ()


LISTED_COLUMNS = ("problem_id", "problem_code", "description", "deadline", "tier", "rule")


def _with_deadlines(con: duckdb.DuckDBPyConnection, period: Period, rows: pd.DataFrame) -> pd.DataFrame:
    ids = [int(i) for i in rows["problem_id"].dropna()]
    found = con.execute("SELECT problem_id, deadline FROM problem_state WHERE period_no = ? "
                        "AND list_contains(?, problem_id)", [period.index, ids]).df()
    out = rows.merge(found, on="problem_id", how="left")
    out["deadline"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in out["deadline"]]
    return out[list(LISTED_COLUMNS)].reset_index(drop=True)


def draft_for_unit(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, unit: str, kind: str, *,
                   cfg: ScoringConfig) -> Draft:
    """A document to one unit listing its problems warned at this kind's tier, and its unit-level warnings of that
    tier (问题集中, 评为较差) as the basis; refused when there are neither."""
    rows = alerts.warnings(con, period, _one_unit(scope, unit), cfg=cfg, tier=kind)
    rows = rows[rows["unit"] == unit]
    problems = rows[rows["target"] == alerts.PROBLEM]
    basis = tuple(rows.loc[rows["target"] == alerts.UNIT, "rule"])
    if problems.empty and not basis:
        raise NoticeRefused(f"{unit}在{period.label}没有达到「{kind}」一级的预警，无需起草该文书")
    return Draft(kind, unit, period, _with_deadlines(con, period, problems), basis)


def draft_for_problems(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, problem_ids: list[int],
                       kind: str | None, *, cfg: ScoringConfig) -> Draft:
    """A document listing chosen problems, all of one unit and each warned in the period (its own tier's rule);
    the kind, when not given, is the highest tier among them."""
    ids = sorted({int(i) for i in problem_ids})
    if not ids:
        raise NoticeRefused("请选择要列入文书的问题")
    where, params = scope.where()
    units = [r[0] for r in con.execute(
        f"SELECT DISTINCT unit FROM problem_state WHERE period_no = $period_no AND list_contains($ids, problem_id) "
        f"AND {where}", params | {"period_no": period.index, "ids": ids}).fetchall()]
    if len(units) != 1:
        raise NoticeRefused("所选问题须属于同一个责任单位" if units else "找不到所选问题，或不在本角色可查看的范围内")
    unit = units[0]
    rows = alerts.warnings(con, period, _one_unit(scope, unit), cfg=cfg)
    rows = rows[(rows["target"] == alerts.PROBLEM) & rows["problem_id"].isin(ids)]
    if missing := sorted(set(ids) - {int(i) for i in rows["problem_id"]}):
        raise NoticeRefused(f"有 {len(missing)} 个所选问题在{period.label}未触发预警，不能列入督办文书")
    kind = kind or KINDS[int(rows["level"].max()) - 1]
    return Draft(kind, unit, period, _with_deadlines(con, period, rows))


def _one_unit(scope: Scope, unit: str) -> Scope:
    return Scope(units=(unit,), sources=scope.sources, dimensions=scope.dimensions, within=scope.within,
                 hidden_sources=scope.hidden_sources)


def _clean(text: object, limit: int = 2000) -> str:
    """Free text a user typed, kept as typed but without control characters and within a length."""
    return "".join(ch for ch in str(text or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C")[:limit].strip()


def store_draft(con: duckdb.DuckDBPyConnection, draft: Draft, ncfg: NoticeConfig, reply_by: dt.date,
                who: str, role: str, now: dt.datetime) -> tuple[int, str]:
    """Register a draft, numbered in the same transaction (the kind's next in the drafting year); (id, number)."""
    if reply_by < now.date():
        raise NoticeRefused(f"回复时限（{reply_by:%Y-%m-%d}）不能早于今天")
    year = now.year
    with transaction(con):
        notice_id = con.execute("SELECT coalesce(max(notice_id), 0) + 1 FROM notices").fetchone()[0]
        seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM notices WHERE kind = ? AND year = ?",
                          [draft.kind, year]).fetchone()[0]
        number = ncfg.number(draft.kind, year, seq)
        con.execute("INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [notice_id, draft.kind, year, seq, number, ncfg.issuer, draft.unit, str(draft.period),
                     TITLES[draft.kind], "；".join(draft.basis) or None, reply_by, DRAFT, now, who])
        listed = draft.problems
        con.executemany("INSERT INTO notice_problems VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[notice_id, int(r.problem_id), None if pd.isna(r.problem_code) else r.problem_code,
                          r.description, r.deadline, r.tier, r.rule] for r in listed.itertuples()])
        _step(con, notice_id, DRAFTED, DRAFT, who, role, now, None)
    return notice_id, number


def _step(con: duckdb.DuckDBPyConnection, notice_id: int, step: str, status: str, who: str, role: str,
          now: dt.datetime, note: str | None) -> None:
    step_no = con.execute("SELECT coalesce(max(step_no), 0) + 1 FROM notice_steps WHERE notice_id = ?",
                          [notice_id]).fetchone()[0]
    con.execute("INSERT INTO notice_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [notice_id, step_no, step, status, now, who, role, note or None])


# ---- the lifecycle ----

@dataclass(frozen=True)
class ReplyFile:
    """A reply's attached file as uploaded: its name (sanitised on storing) and bytes."""

    name: str
    content: bytes


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_file_name(name: str, limit: int = 100) -> str:
    """A file name as it may be stored and offered for download: its last path part, no control characters or
    characters a file system refuses, no leading dots, at most ``limit`` characters (the extension kept)."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip().lstrip(".").strip()
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        base = stem[:max(limit - len(ext) - 1, 1)] + "." + ext
    return base[:limit] or "回复附件"


def status_of(con: duckdb.DuckDBPyConnection, notice_id: int) -> tuple[str, str]:
    """(status, number) of a document; refused when there is none."""
    row = con.execute("SELECT status, number FROM notices WHERE notice_id = ?", [int(notice_id)]).fetchone() \
        if has_table(con, "notices") else None
    if row is None:
        raise NoticeRefused(f"没有编号为 {notice_id} 的督办文书")
    return row


def _refusal(number: str, status: str, step: str) -> str:
    allowed = STEPS[step][0]
    return (f"文书「{number}」当前为「{status}」，不能{STEP_NAMES[step]}"
            f"（{'、'.join(f'「{s}」' for s in allowed)}的文书才能{STEP_NAMES[step]}）")


def advance(con: duckdb.DuckDBPyConnection, notice_id: int, step: str, who: str, role: str, now: dt.datetime, *,
            note: str | None = None, reply_text: str | None = None, reply_file: ReplyFile | None = None,
            reply_by: dt.date | None = None, max_reply_mb: float = 10.0) -> str:
    """Take one step of a document's lifecycle (STEPS), checked against its status inside the transaction; the new
    status. REPLY stores the reply's text and/or file; RETURN may set a new reply date."""
    if step not in STEPS:
        raise NoticeRefused(f"未知的文书办理步骤「{step}」")
    allowed, after, _ = STEPS[step]
    text = _clean(reply_text, 20_000) if reply_text else ""
    if step == REPLY:
        if not text and reply_file is None:
            raise NoticeRefused("请填写回复内容或上传回复文件")
        if reply_file is not None and len(reply_file.content) > max_reply_mb * 1024 * 1024:
            raise NoticeRefused(f"回复文件「{safe_file_name(reply_file.name)}」超过 {max_reply_mb:g} MB 的上限")
        if reply_file is not None and not reply_file.content:
            raise NoticeRefused("回复文件是空的")
    if step == RETURN and reply_by is not None and reply_by < now.date():
        raise NoticeRefused(f"重报时限（{reply_by:%Y-%m-%d}）不能早于今天")
    with transaction(con):
        status, number = status_of(con, notice_id)
        if status not in allowed:
            raise NoticeRefused(_refusal(number, status, step))
        con.execute("UPDATE notices SET status = ? WHERE notice_id = ?", [after, int(notice_id)])
        if step == RETURN and reply_by is not None:
            con.execute("UPDATE notices SET reply_by = ? WHERE notice_id = ?", [reply_by, int(notice_id)])
        if step == REPLY:
            reply_no = con.execute("SELECT coalesce(max(reply_no), 0) + 1 FROM notice_replies WHERE notice_id = ?",
                                   [int(notice_id)]).fetchone()[0]
            content = reply_file.content if reply_file else None
            con.execute("INSERT INTO notice_replies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [int(notice_id), reply_no, text or None,
                         safe_file_name(reply_file.name) if reply_file else None,
                         len(content) if content is not None else None,
                         hashlib.sha256(content).hexdigest() if content is not None else None, content, now, who])
        _step(con, int(notice_id), step, after, who, role, now, _clean(note, 500) if note else None)
    return after


# ---- reading ----

REGISTER_COLUMNS = ("notice_id", "number", "kind", "unit", "period", "title", "reply_by", "status", "state",
                    "overdue", "problems", "drafted_at", "drafted_by", "last_step_at")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def register(con: duckdb.DuckDBPyConnection, today: dt.date, *, units: tuple[str, ...] | None = None,
             statuses: tuple[str, ...] | None = None, kind: str | None = None) -> pd.DataFrame:
    """The register, newest first: each document with its status, and ``state``: the status, or 逾期未回复 for one
    awaiting its reply past the reply date as of ``today``. ``units`` / ``statuses`` / ``kind``: only those."""
    if not has_table(con, "notices"):
        return _empty(REGISTER_COLUMNS)
    frame = con.execute("""
        SELECT n.notice_id, number, kind, unit, period, title, reply_by, status,
               list_contains($awaiting, status) AND reply_by < $today AS overdue,
               (SELECT count(*) FROM notice_problems p WHERE p.notice_id = n.notice_id) AS problems,
               drafted_at, drafted_by,
               (SELECT max(step_at) FROM notice_steps s WHERE s.notice_id = n.notice_id) AS last_step_at
        FROM notices n
        WHERE ($units IS NULL OR list_contains($units, unit))
          AND ($statuses IS NULL OR list_contains($statuses, status)) AND ($kind IS NULL OR kind = $kind)
        ORDER BY drafted_at DESC, n.notice_id DESC
    """, {"awaiting": list(AWAITING), "today": today, "units": None if units is None else list(units),
          "statuses": None if statuses is None else list(statuses), "kind": kind}).df()
    frame["state"] = [OVERDUE_REPLY if late else status for late, status in zip(frame["overdue"], frame["status"],
                                                                                 strict=True)]
    frame["reply_by"] = [pd.Timestamp(d).date() for d in frame["reply_by"]]
    return frame[list(REGISTER_COLUMNS)]


def overdue_replies(con: duckdb.DuckDBPyConnection, today: dt.date,
                    units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """逾期未回复: issued documents whose reply is not in and whose reply date is before ``today``, with days late."""
    frame = register(con, today, units=units, statuses=AWAITING)
    frame = frame[frame["overdue"].astype(bool)].reset_index(drop=True)
    return frame.assign(days_late=[(today - d).days for d in frame["reply_by"]])


def detail(con: duckdb.DuckDBPyConnection, notice_id: int) -> dict:
    """One document: ``notice`` (its register fields), ``problems`` (LISTED_COLUMNS), ``steps`` and ``replies``
    (without the files' bytes)."""
    status_of(con, notice_id)
    notice = con.execute("SELECT * FROM notices WHERE notice_id = ?", [int(notice_id)]).df().iloc[0].to_dict()
    notice["reply_by"] = pd.Timestamp(notice["reply_by"]).date()
    problems = con.execute(f"SELECT {', '.join(LISTED_COLUMNS)} FROM notice_problems WHERE notice_id = ? "
                           "ORDER BY deadline NULLS LAST, problem_id", [int(notice_id)]).df()
    steps = con.execute("SELECT step_no, step, status, step_at, by_name, by_role, note FROM notice_steps "
                        "WHERE notice_id = ? ORDER BY step_no", [int(notice_id)]).df()
    steps["step_name"] = [STEP_NAMES.get(s, s) for s in steps["step"]]
    replies = con.execute("SELECT reply_no, text, file_name, file_size, sha256, recorded_at, recorded_by "
                          "FROM notice_replies WHERE notice_id = ? ORDER BY reply_no", [int(notice_id)]).df()
    return {"notice": notice, "problems": problems, "steps": steps, "replies": replies}


def reply_content(con: duckdb.DuckDBPyConnection, notice_id: int, reply_no: int) -> tuple[str, bytes]:
    """A reply's attached file: (name, bytes)."""
    row = con.execute("SELECT file_name, content FROM notice_replies WHERE notice_id = ? AND reply_no = ? "
                      "AND content IS NOT NULL", [int(notice_id), int(reply_no)]).fetchone() \
        if has_table(con, "notice_replies") else None
    if row is None:
        raise NoticeRefused("该回复没有附件")
    return row[0], bytes(row[1])


def for_problems(con: duckdb.DuckDBPyConnection, problem_ids: list[int], today: dt.date) -> pd.DataFrame:
    """The documents listing these problems: problem_id, notice_id, number, kind, period, status, state, reply_by."""
    columns = ("problem_id", "notice_id", "number", "kind", "period", "status", "state", "reply_by", "drafted_at")
    if not has_table(con, "notices") or not problem_ids:
        return _empty(columns)
    frame = con.execute("""
        SELECT p.problem_id, n.notice_id, number, kind, period, status, reply_by, drafted_at,
               list_contains($awaiting, status) AND reply_by < $today AS overdue
        FROM notice_problems p JOIN notices n USING (notice_id)
        WHERE list_contains($ids, p.problem_id)
        ORDER BY p.problem_id, drafted_at, n.notice_id
    """, {"ids": [int(i) for i in problem_ids], "awaiting": list(AWAITING), "today": today}).df()
    frame["state"] = [OVERDUE_REPLY if late else s for late, s in zip(frame["overdue"], frame["status"], strict=True)]
    frame["reply_by"] = [pd.Timestamp(d).date() for d in frame["reply_by"]]
    return frame[list(columns)]


def marks(con: duckdb.DuckDBPyConnection, period: Period, warned: pd.DataFrame, today: dt.date) -> list[str | None]:
    """For each row of a warnings list: the documents already drafted for it (number and state, 、-joined), or None.
    A problem's row: the documents listing it; a unit's row (问题集中, 较差): the documents of its tier addressed to
    the unit for the same period."""
    if warned.empty or not has_table(con, "notices"):
        return [None] * len(warned)
    ids = [int(i) for i in warned["problem_id"].dropna()]
    by_problem: dict[int, list[str]] = {}
    for r in for_problems(con, ids, today).itertuples():
        by_problem.setdefault(int(r.problem_id), []).append(f"{r.number}（{r.state}）")
    by_unit: dict[tuple[str, str], list[str]] = {}
    for r in register(con, today, units=tuple(dict.fromkeys(warned["unit"].dropna()))).itertuples():
        if r.period == str(period):
            by_unit.setdefault((r.unit, r.kind), []).append(f"{r.number}（{r.state}）")
    out = []
    for pid, unit, tier in zip(warned["problem_id"], warned["unit"], warned["tier"], strict=True):
        found = by_problem.get(int(pid)) if pd.notna(pid) else by_unit.get((unit, tier))
        out.append("、".join(found) if found else None)
    return out


@dataclass(frozen=True)
class Paper:
    """A document as it is printed: 发文字号, title, 主送 unit, the problems and basis, reply date and 落款."""

    number: str
    kind: str
    title: str
    unit: str
    issuer: str
    period: Period
    problems: tuple[tuple[str, str, dt.date | None, str], ...]  # (code, description, deadline, rule)
    basis: tuple[str, ...]
    reply_by: dt.date
    dated: dt.date  # 成文日期: the day it was signed, else drafted
    signed: bool
    generated_at: dt.datetime  # stamps the file, so that the same document gives the same bytes


def paper(con: duckdb.DuckDBPyConnection, notice_id: int) -> Paper:
    """The document of the register's entry, as the Word and PDF writers print it."""
    found = detail(con, notice_id)
    n, steps = found["notice"], found["steps"]
    signed = steps[steps["step"] == SIGN]
    dated = pd.Timestamp(signed["step_at"].iloc[-1] if not signed.empty else n["drafted_at"])
    problems = tuple(("" if pd.isna(r.problem_code) else str(r.problem_code), str(r.description or ""),
                      None if pd.isna(r.deadline) else pd.Timestamp(r.deadline).date(), str(r.rule or ""))
                     for r in found["problems"].itertuples())
    basis = tuple(b for b in str(n["basis"] or "").split("；") if b) if pd.notna(n["basis"]) else ()
    return Paper(n["number"], n["kind"], n["title"], n["unit"], n["issuer"], parse_period(n["period"]), problems,
                 basis, n["reply_by"], dated.date(), not signed.empty, dated.to_pydatetime().replace(microsecond=0))
