"""What the app and the command line do on someone's behalf: checked against their role, then recorded.

Pages and CLI commands call these instead of views, ledger or export directly, so a role's limits hold
whatever a page happens to show: a department head's scope is cut to their unit here, an import without the
right is refused here, and every import, undo, export, download and account change lands in the audit trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from pathlib import Path

import duckdb
import pandas as pd

from analytics import alerts, audit, config, derived, ledger, profiles, scoring, state, views
from analytics.access import (
    AccessDenied,
    User,
    allowed_units,
    hidden_sources,
    require,
    require_part,
    require_unit,
    scope_for,
    sees,
    visible_parts,
)
from analytics.config import ScoringConfig
from analytics.db import bump_revision, database_file, table_exists, transaction
from analytics.errors import DashboardError
from analytics.export import export as build_export
from analytics.export import file_name, records
from analytics.export.snapshot import EVERY_PART, Snapshot
from analytics.ingest.answers import Answers
from analytics.ingest.parse import ParsedFile
from analytics.metrics import ALL, Scope
from analytics.periods import Period
from analytics.users import (
    BUSY,
    CHECKING,
    EXPIRED,
    IDLE,
    OWN_PASSWORD,
    PASSWORD_RESET,
    REMOVED,
    ROLE_CHANGED,
    WAITING,
    Account,
    Refused,
    Throttle,
    UserStore,
    check_password,
    loggable_name,
)

# view name → (the permission it needs besides "view", the part of the analysis a user must see to get it at all,
# {key: the part that key needs}); keys not named need only the view's part. follow_up gives a user who sees the
# reminders but not the warnings the reminders alone (alerts.reminders).
VIEWS: dict[str, tuple[str | None, str | None, dict[str, str]]] = {
    "overview": (None, "figures", {"company": "scores", "company_previous": "scores", "worst_units": "scores",
                                   "warnings": "warnings"}),
    "problem_trends": (None, "figures", {}),
    "rectification": (None, "figures", {"bands": "problems", "bands_total": "problems", "lookback": "lookback",
                                        "lookback_seed": "lookback", "lookback_size": "lookback"}),
    "scores": (None, "scores", {}),
    "unit_portrait": (None, "portrait", {}),
    "follow_up": (None, None, {"agenda": "agenda"}),
    "supervision": ("supervision", None, {}),
}


def _db(con: duckdb.DuckDBPyConnection) -> Path:
    path = database_file(con)
    if path is None:
        raise DashboardError("审计日志需要数据库文件（内存数据库不能记录操作）")
    return path


def _record_write(con: duckdb.DuckDBPyConnection, user: User, action: str, outcome: str = "成功",
                  **details: object) -> dict:
    """Record a write to the database and anchor the trail there (audit.anchor): a trail cut short or rewritten
    up to this entry no longer matches the database. Within ``con``'s transaction when one is open."""
    db = _db(con)
    entry = audit.record(db, user, action, outcome, **details)
    audit.anchor(con, db, entry)
    return entry


# ---- reading ----

def page_data(con: duckdb.DuckDBPyConnection, user: User, name: str, period: Period, scope: Scope = ALL,
              *extra: object, cfg: ScoringConfig) -> dict:
    """A page's figures (analytics.views.<name>, for this configuration) as this user may see them: their scope,
    without confidential sources unless they may see those, and only the parts of the page their role sees
    (access.PARTS)."""
    if name not in VIEWS:
        raise DashboardError(f"没有名为 {name} 的页面数据")
    permission, part, key_parts = VIEWS[name]
    require(user, permission or "view")
    if part:
        require_part(user, part)
    if name == "supervision":
        return views.supervision(con, period, *extra)
    warned = sees(user, "warnings")
    if name == "follow_up" and not warned:
        require_part(user, "reminders")
    if name == "unit_portrait":
        require_unit(user, str(extra[0]))
    configured = {} if name == "problem_trends" else {"cfg": cfg}  # its counts depend on no setting
    data = getattr(views, name)(con, period, *extra, scope_for(user, scope), **configured)
    tier = alerts.TIERS[0]
    if name == "overview" and not warned and sees(user, "reminders"):
        data["warnings"] = {tier: data["warnings"][tier]}  # the first tier's rows are all problems' reminders
        key_parts = {k: p for k, p in key_parts.items() if k != "warnings"}
    if name == "follow_up" and not warned:
        reminders = state.with_measures(con, period.index, alerts.reminders(con, period, data["by_tier"][tier]))
        data = {"warnings": reminders, "by_tier": {tier: reminders}, "counts": {tier: data["counts"][tier]}}
    return {k: v for k, v in data.items() if k not in key_parts or sees(user, key_parts[k])}


def deductions(con: duckdb.DuckDBPyConnection, user: User, period: Period, unit: str, dimension: str | None,
               scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """扣分明细 of one unit (and dimension), if the user may see scores and that unit."""
    require_part(user, "scores")
    require_unit(user, unit)
    return scoring.score_deductions(con, period, unit, dimension, scope_for(user, scope), cfg=cfg)


def incomplete_periods(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, int]:
    """Quarters whose figures are incomplete: problems left out of an import for their errors (ledger)."""
    require(user, "view")
    return ledger.incomplete_periods(con)


def filter_options(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, list[str]]:
    """Units, sources and dimensions with problems that the user may see (for the sidebar)."""
    where, params = scope_for(user, Scope()).where()
    return {c: [r[0] for r in con.execute(
        f"SELECT DISTINCT {c} FROM problem_state WHERE {c} IS NOT NULL AND {where} ORDER BY 1", params).fetchall()]
        for c in ("unit", "source", "dimension")}


# ---- imports ----

def _import_details(parsed: ParsedFile, result: ledger.ImportResult | None = None) -> dict:
    details = {"file": parsed.name, "sha256": parsed.sha256, "period": str(parsed.period) if parsed.period else None,
               "kind": parsed.kind or None, "rows_valid": parsed.rows_valid, "rows_invalid": parsed.rows_invalid,
               "rows_skipped": parsed.rows_skipped}
    if result is not None:
        details |= {"import_id": result.import_id, "problems_new": result.problems_new,
                    "problems_updated": result.problems_updated}
    return details


_OUTCOMES = {"imported": "成功", "duplicate": "重复未改动", "rejected": "拒绝"}


def import_file(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile, skip_invalid: bool = False, *,
                cfg: ScoringConfig) -> ledger.ImportResult:
    """Store one parsed file (see ledger.store) and record the attempt, whatever its outcome.

    A file that is written is recorded twice: 进行中 (with its import id) inside the import's transaction, before
    the commit, so that a process killed between the commit and the outcome still leaves the file in the trail
    (and a trail that cannot be written stores nothing); then the outcome.
    """
    require(user, "import")
    db = _db(con)

    def started(import_id: int) -> None:
        _record_write(con, user, "import", "进行中", import_id=import_id, **_import_details(parsed))

    try:
        result = ledger.store(con, parsed, skip_invalid=skip_invalid, user=user.name, scoring=cfg,
                              before_commit=started)
    except DashboardError as exc:  # busy, storage error, the trail unwritable: nothing was stored
        with contextlib.suppress(DashboardError):  # the trail may be what failed: its own error is the one to show
            audit.record(db, user, "import", "失败", reason=str(exc), **_import_details(parsed))
        raise
    details = _import_details(parsed, result) | {"reason": None if result.outcome == "imported" else result.message}
    if result.outcome == "imported":
        _record_write(con, user, "import", _OUTCOMES[result.outcome], **details)
    else:  # rejected or a duplicate: nothing was written, nothing to anchor
        audit.record(db, user, "import", _OUTCOMES[result.outcome], **details)
    return result


def remember_answers(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile) -> int:
    """Save the answers a file was read with as the profiles of its header layouts (the next ledger of the same
    layout then imports without a question); each saved mapping recorded. How many were new or changed."""
    require(user, "import")
    known = profiles.saved(con)
    changed = 0
    answered = profiles.answered_layouts(parsed)
    for layout, sheet, headers, answers in answered:
        if known.get(layout) == answers:
            continue
        profiles.save(con, layout, f"{parsed.name} · {sheet}", headers, answers, user.name)
        _record_write(con, user, "profile_save", file=parsed.name, sheet=sheet, layout=layout, **answers.as_dict())
        changed += 1
    profiles.mark_used(con, [k for k, *_ in answered])
    return changed


def assign_answered_categories(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile,
                               scoring: ScoringConfig) -> int:
    """The categories the user assigned while importing a file, applied to the whole database."""
    answered = {c: d for s in parsed.sheets for c, d in s.layout.answers.categories.items()}
    known = profiles.category_answers(con)
    for category, dimension in answered.items():
        if known.get(category) != dimension:
            assign_category(con, user, category, dimension, scoring)
    return len(answered)


def ledger_profiles(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """台账映射方案: every saved profile, for those who may import."""
    require(user, "import")
    return profiles.listing(con)


def save_profile(con: duckdb.DuckDBPyConnection, user: User, layout: str, name: str, headers: list[str],
                 answers: Answers) -> None:
    """Edit a profile by hand (the 映射方案 page); recorded."""
    require(user, "import")
    profiles.save(con, layout, name, headers, answers, user.name)
    _record_write(con, user, "profile_save", layout=layout, name=name, **answers.as_dict())


def delete_profile(con: duckdb.DuckDBPyConnection, user: User, layout: str) -> bool:
    require(user, "import")
    found = profiles.delete(con, layout)
    if found:
        _record_write(con, user, "profile_delete", layout=layout)
    return found


def assign_category(con: duckdb.DuckDBPyConnection, user: User, category: str, dimension: str,
                    scoring: ScoringConfig) -> None:
    """Count a 问题类别 under a dimension (未归类 assigned); the problems carrying it are re-scored at once."""
    require(user, "import")
    with transaction(con):
        touched = profiles.assign_category(con, category, dimension, user.name, scoring)
        derived.refresh(con, scoring, touched)
        bump_revision(con)
    _record_write(con, user, "category_assign", category=category, dimension=dimension, problems=len(touched))


def imports(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """导入记录 (see ledger.list_imports), for those who may import and undo."""
    require(user, "import")
    return ledger.list_imports(con)


def refused_file(db: Path, user: User, name: str, sha256: str | None, reason: str) -> None:
    """Record a file refused before it could be parsed (too large, not a spreadsheet, …)."""
    require(user, "import")
    audit.record(db, user, "import", "拒绝", file=name, sha256=sha256, reason=reason)


def undo(con: duckdb.DuckDBPyConnection, user: User, import_id: int, *, cfg: ScoringConfig) -> str:
    """撤销导入 (see ledger.undo), recorded with the file's name, sha256 and period."""
    require(user, "undo")
    row = con.execute("SELECT file_name, sha256, period FROM imports WHERE import_id = ?",
                      [int(import_id)]).fetchone() if table_exists(con, "imports") else None
    message = ledger.undo(con, int(import_id), scoring=cfg)
    _record_write(con, user, "undo", import_id=int(import_id), file=row[0], sha256=row[1], period=row[2])
    return message


# ---- exports ----

def export(con: duckdb.DuckDBPyConnection, user: User, period: Period | str, scope: Scope, fmt: str, *,
           cfg: ScoringConfig, mask_names: bool = False, now: dt.datetime | None = None) -> tuple[Snapshot, bytes]:
    """Build and write a snapshot of what the user may see (not yet recorded: see record_export): their scope,
    without confidential sources unless they may see those, and only the parts their role sees."""
    require(user, "export")
    return build_export(con, period, scope_for(user, scope), fmt, cfg=cfg, mask_names=mask_names, now=now,
                        parts=visible_parts(user))


def record_export(con: duckdb.DuckDBPyConnection, user: User, snapshot: Snapshot, fmt: str, content: bytes,
                  name: str | None = None) -> tuple[int, str]:
    """Keep an exported file in 快照记录 and the audit trail; returns (snapshot id, file name)."""
    require(user, "export")
    if not _visible(user, snapshot.scope, snapshot.parts):
        raise AccessDenied(f"{user.role}只能导出本角色可查看的内容" + (f"（本单位：{user.unit}）" if user.unit else ""))
    name = name or file_name(snapshot, fmt)
    snapshot_id = records.record(con, snapshot, fmt, content, name, user=user.name)
    _record_write(con, user, "export", snapshot_id=snapshot_id, period=str(snapshot.period),
                  scope=snapshot.scope_label, format=fmt, masked=snapshot.masked, file=name,
                  sha256=records.sha256(content), data_version=snapshot.data_version, parts=sorted(snapshot.parts))
    return snapshot_id, name


def _visible(user: User, scope: Scope, parts: frozenset[str] | None) -> bool:
    """Whether a snapshot of this scope and these parts (None: recorded before parts were, so everything) holds
    only what the user may see: their units, no source hidden from them, no part their role does not see."""
    units = allowed_units(user)
    return ((units is None or (scope.units is not None and set(scope.units) <= set(units)))
            and set(hidden_sources(user)) <= set(scope.hidden_sources)
            and (EVERY_PART if parts is None else parts) <= visible_parts(user))


def snapshots(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """快照记录 the user may download: a department head sees only snapshots made for what they may see."""
    require(user, "export")
    frame = records.list_snapshots(con)
    keep = [_visible(user, records.scope_from_json(s), records.parts_from_json(p))
            for s, p in zip(frame["scope"], frame["parts"], strict=True)]
    return frame[keep].reset_index(drop=True)


def snapshot_file(con: duckdb.DuckDBPyConnection, user: User, snapshot_id: int) -> tuple[str, bytes]:
    """A recorded snapshot's exact bytes, if the user may see all of it (the download itself: see downloaded)."""
    require(user, "export")
    row = con.execute("SELECT scope, parts FROM snapshots WHERE snapshot_id = ?", [int(snapshot_id)]).fetchone() \
        if table_exists(con, "snapshots") else None
    if row is not None and not _visible(user, records.scope_from_json(row[0]), records.parts_from_json(row[1])):
        raise AccessDenied(f"{user.role}只能下载本角色可查看的快照" + (f"（本单位：{user.unit}）" if user.unit else ""))
    return records.snapshot_file(con, snapshot_id)


def downloaded(db: Path, user: User, what: str, content: bytes, **details: object) -> None:
    """Record that a file left the app (a snapshot again, the meeting agenda): called when the button is clicked."""
    require(user, "view")
    audit.record(db, user, "download", what=what, sha256=records.sha256(content), **details)


# ---- logins ----

# Throttle.attempt's refusals: (the audit trail's outcome, what the person is told)
_REFUSED = {CHECKING: ("同一账户正在验证中被拒绝", "该账户正在验证密码，请稍后再试"),
            BUSY: ("系统繁忙被拒绝", "系统繁忙，请稍后再试")}


def _refusal(refused: Refused, failures: str = "登录失败") -> tuple[str, str]:
    if refused.why == WAITING:
        return "等待中被拒绝", f"{failures}次数过多，请 {math.ceil(refused.wait)} 秒后再试"
    return _REFUSED[refused.why]


def login(db: Path, store: UserStore, throttle: Throttle, name: str, password: str,
          address: str | None = None) -> tuple[User | None, str]:
    """(the user, "") when the password is right; (None, why not) otherwise. Every attempt is recorded, with the
    client's address where it is known (``address``: it keeps an attacker's failures to their own address).

    The name is attacker-chosen: one longer than any account's can be (NAME_MAX) is cut, with a marker, before it
    is checked, counted or logged, so that the audit trail and the throttle keep a short string. The password is
    checked only through throttle.attempt: one check per account at a time, a few at once in the process.
    """
    name = loggable_name(name.strip())
    who = User(name, "—")
    try:
        with throttle.attempt(name, address) as attempt:
            account = store.verify(name, password)
            if account is None:
                wait = attempt.failed()
            else:
                attempt.succeeded()
    except Refused as refused:
        outcome, why = _refusal(refused)
        audit.record(db, who, "login_failed", outcome, address=address)
        return None, why
    if account is None:
        audit.record(db, who, "login_failed", "用户名或密码错误", address=address)
        return None, "用户名或密码错误" + (f"，请 {math.ceil(wait)} 秒后再试" if wait else "")
    if account.demo and not config.is_demo_database(db):  # a well-known password: never on real data
        audit.record(db, account.user, "login_failed", "演示账号不能登录正式数据库", address=address)
        return None, "演示账号只能登录演示数据库；正式数据库请用管理员新建的账号登录（python -m analytics users add …）"
    audit.record(db, account.user, "login", address=address)
    return account.user, ""


# why a session ended (users.session_over), as the audit trail records it
_SESSION_ENDED = {IDLE: "长时间未操作", EXPIRED: "超过会话最长时间", REMOVED: "账户已被删除",
                  PASSWORD_RESET: "管理员重置了密码", ROLE_CHANGED: "管理员变更了角色",
                  OWN_PASSWORD: "本人在其他会话中修改了密码"}


def logout(db: Path, user: User, reason: str | None = None) -> None:
    """退出登录, or the session's end for ``reason`` (users.session_over: idle, expired, account changed …)."""
    if reason:
        audit.record(db, user, "session_ended", _SESSION_ENDED[reason])
    else:
        audit.record(db, user, "logout")


# ---- accounts and the audit trail ----

def add_user(db: Path, store: UserStore, actor: User, name: str, role: str, password: str,
             unit: str | None = None) -> None:
    require(actor, "users")
    store.add(name, role, password, unit)
    audit.record(db, actor, "user_add", account=name, new_role=role, new_unit=unit)


def reset_password(db: Path, store: UserStore, actor: User, name: str, password: str) -> None:
    """A new password set by the administrator; the account's open sessions end."""
    require(actor, "users")
    store.set_password(name, password)
    audit.record(db, actor, "user_password", account=name)


def change_role(db: Path, store: UserStore, actor: User, name: str, role: str, unit: str | None = None) -> None:
    """A new role set by the administrator; the account's open sessions end."""
    require(actor, "users")
    before = store.get(name)
    store.set_role(name, role, unit)
    audit.record(db, actor, "user_role", account=name, old_role=before.role if before else None,
                 old_unit=before.unit if before else None, new_role=role, new_unit=unit)


def remove_user(db: Path, store: UserStore, actor: User, name: str) -> None:
    """Remove an account; its open sessions end at their next run."""
    require(actor, "users")
    if name == actor.name:
        raise DashboardError("不能删除当前登录的账户")
    store.remove(name)
    audit.record(db, actor, "user_remove", account=name)


def change_own_password(db: Path, store: UserStore, throttle: Throttle, user: User, old: str, new: str,
                        address: str | None = None) -> Account:
    """Anyone may change their own password, given the current one; returns the changed account.

    Checked like a login (throttle.attempt: a wrong current password is a failed login of the account from this
    address) and recorded whatever the outcome; the account's other sessions end (OWN_PASSWORD).
    """
    def refuse(why: str) -> DashboardError:
        audit.record(db, user, "own_password", "失败", account=user.name, reason=why, address=address)
        return DashboardError(why)

    try:
        check_password(new, user.name)
        with throttle.attempt(user.name, address) as attempt:
            if store.verify(user.name, old) is None:
                wait, account = attempt.failed(), None
            else:
                attempt.succeeded()
                account = store.set_password(user.name, new, own=True)  # hashed while the check's slot is held
    except Refused as refused:
        raise refuse(_refusal(refused, "密码错误")[1]) from None
    except DashboardError as exc:  # a weak new password, an unreadable accounts file
        raise refuse(str(exc)) from None
    if account is None:
        raise refuse("当前密码不正确" + (f"，请 {math.ceil(wait)} 秒后再试" if wait else ""))
    audit.record(db, user, "own_password", account=user.name, address=address)
    return account


def audit_log(db: Path, user: User) -> pd.DataFrame:
    require(user, "audit")
    return audit.entries(db)


def audit_export(db: Path, user: User, fmt: str) -> bytes:
    """The whole audit trail as csv or xlsx; the export itself is recorded first."""
    require(user, "audit")
    if fmt not in ("csv", "xlsx"):
        raise DashboardError(f"审计日志只能导出为 csv 或 xlsx，不支持「{fmt}」")
    audit.record(db, user, "audit_export", format=fmt)
    frame = audit.entries(db)
    return audit.to_csv(frame) if fmt == "csv" else audit.to_xlsx(frame)


# ---- one problem ----

NO_SUCH_PROBLEM = "找不到该问题，或该问题不在本角色可查看的范围内"


def problem_history(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, cfg: ScoringConfig) -> pd.DataFrame:
    """整改历程 of one problem (views.problem_history), for a user who sees problems: only within their units, never
    a problem from a source hidden from them (the same refusal as for a problem that does not exist, so that it
    does not tell that one exists); the warning of each quarter only for a role that sees the warnings."""
    require_part(user, "problems")
    found = views.problem_history(con, int(problem_id), scope_for(user, ALL), cfg)
    if found.empty:
        raise AccessDenied(NO_SUCH_PROBLEM)
    return found if sees(user, "warnings") else found.drop(columns=["warning"])


# ---- 研判报告, 画像报告, 月通报 ----

REPORT_KINDS = ("quarter", "unit", "month")


def report(con: duckdb.DuckDBPyConnection, user: User, kind: str, period: Period | str | None, scope: Scope = ALL,
           *, cfg: ScoringConfig, unit: str | None = None, month: str | dt.date | None = None,
           now: dt.datetime | None = None) -> tuple[object, bytes]:
    """A report of what the user may see (their scope, sources and parts), written as .docx (not yet recorded: see
    record_report): the quarter's 研判报告, a unit's 画像报告 or the 月通报 as of a month end."""
    from analytics.report import data, monthly, writer  # the report modules load python-docx: only when asked

    require(user, "export")
    scope, parts = scope_for(user, scope), visible_parts(user)
    if kind == "month":
        built = monthly.build(con, monthly.month_end(month), scope, parts=parts, now=now)
        return built, monthly.write(built)
    if kind not in REPORT_KINDS or (kind == "unit") != (unit is not None):
        raise DashboardError(f"未知的报告类型「{kind}」")
    if unit is not None:
        require_part(user, "portrait")
        require_unit(user, unit)
    from analytics.metrics import resolve_period

    built = data.build(con, resolve_period(con, period), scope, cfg=cfg, parts=parts, unit=unit, now=now)
    return built, writer.write(built)


def record_report(con: duckdb.DuckDBPyConnection, user: User, built: object, content: bytes,
                  name: str | None = None) -> tuple[int, str]:
    """Keep a report in 快照记录 (as a Word file) and the audit trail; returns (record id, file name)."""
    from analytics.report.names import file_name as report_file_name

    require(user, "export")
    if not _visible(user, built.scope, built.parts):
        raise AccessDenied(f"{user.role}只能导出本角色可查看的内容" + (f"（本单位：{user.unit}）" if user.unit else ""))
    name = name or report_file_name(built)
    snapshot_id = records.record(con, built, "docx", content, name, user=user.name)
    _record_write(con, user, "report", snapshot_id=snapshot_id, title=built.title, period=str(built.period),
                  scope=built.scope_label, file=name, sha256=records.sha256(content),
                  data_version=built.data_version, parts=sorted(built.parts))
    return snapshot_id, name
