"""What the app and the command line do on someone's behalf: checked against their role, then recorded.

Pages and CLI commands call these instead of views, ledger or export directly, so a role's limits hold
whatever a page happens to show: a department head's scope is cut to their unit here, an import without the
right is refused here, and every import, undo, export, download and account change lands in the audit trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from analytics import (
    alerts,
    audit,
    backup,
    cases,
    config,
    derived,
    history,
    ledger,
    lookback,
    meetings,
    notices,
    org,
    org_import,
    profiles,
    scoring,
    state,
    views,
)
from analytics import org_register as org_register_io
from analytics.access import (
    AccessDenied,
    User,
    allowed_units,
    can,
    hidden_sources,
    require,
    require_part,
    require_unit,
    scope_for,
    sees,
    visible_parts,
)
from analytics.config import LedgerConfig, ScoringConfig
from analytics.db import bump_revision, database_file, table_exists, transaction
from analytics.errors import DashboardError
from analytics.export import export as build_export
from analytics.export import file_name, followup, records
from analytics.export.snapshot import EVERY_PART, Snapshot
from analytics.ingest.answers import Answers
from analytics.ingest.parse import ParsedFile
from analytics.metrics import ALL, Scope
from analytics.org import OrgError
from analytics.periods import Period, parse_period
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
from analytics.workbooks import changes as workbook_changes_module
from analytics.workbooks import generate as workbook_generate
from analytics.workbooks import records as workbook_records
from analytics.workbooks.marker import Marker

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
    "group_view": ("group", "figures", {"scores": "scores", "heatmap": "scores", "warnings": "warnings"}),
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

def _under(con: duckdb.DuckDBPyConnection) -> Callable[[str], tuple[str, ...]]:
    """A node's unit keys on this database (analytics.org): what a scoped user's node and a chosen node stand for."""
    return lambda node: org.units_under(con, node)


def scoped(con: duckdb.DuckDBPyConnection, user: User, scope: Scope) -> Scope:
    """The scope as asked (the units chosen are nodes of the 组织架构: each stands for its subtree), cut down to
    what the user may see."""
    under = _under(con)
    if scope.units is not None:
        scope = replace(scope, units=tuple(dict.fromkeys(k for node in scope.units for k in under(node))))
    return scope_for(user, scope, under)


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
        return views.supervision(con, period, allowed_units(user, _under(con)))
    warned = sees(user, "warnings")
    if name == "follow_up" and not warned:
        require_part(user, "reminders")
    if name == "unit_portrait":
        require_unit(user, str(extra[0]), _under(con))
    configured = {} if name == "problem_trends" else {"cfg": cfg}  # its counts depend on no setting
    data = getattr(views, name)(con, period, *extra, scoped(con, user, scope), **configured)
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
    require_unit(user, unit, _under(con))
    return scoring.score_deductions(con, period, unit, dimension, scoped(con, user, scope), cfg=cfg)


def colour_history(con: duckdb.DuckDBPyConnection, user: User, period: Period, unit: str, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """A unit's colour code per quarter with the 复绿 rule, if the user may see scores and that unit."""
    require_part(user, "scores")
    require_unit(user, unit, _under(con))
    return scoring.colour_history(con, unit, period, scoped(con, user, scope), cfg=cfg)


def incomplete_periods(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, int]:
    """Quarters whose figures are incomplete: problems left out of an import for their errors (ledger). A user
    limited to units is told only of imports that listed a problem of theirs (what was left out has no unit)."""
    require(user, "view")
    units = allowed_units(user, _under(con))
    return ledger.incomplete_periods(con, units)


def filter_options(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, list[str]]:
    """Units, sources and dimensions with problems that the user may see (for the sidebar); the units as a tree
    (组织架构): every node above a unit with problems too, down to the user's own node, in tree order."""
    scope = scoped(con, user, Scope())
    where, params = scope.where()
    found = {c: [r[0] for r in con.execute(
        f"SELECT DISTINCT {c} FROM problem_state WHERE {c} IS NOT NULL AND {where} ORDER BY 1", params).fetchall()]
        for c in ("unit", "source", "dimension")}
    top = scope.within[0] if scope.within else None  # the user's own node: nothing above it is theirs
    nodes = {key.split(org.SEP)[0] if i == 0 else org.SEP.join(key.split(org.SEP)[:i + 1])
             for key in found["unit"] for i in range(key.count(org.SEP) + 1)}
    nodes = {n for n in nodes if top is None or org.under(n, top)}
    order = {k: i for i, k in enumerate(org.known_units(con))}
    found["unit"] = sorted(nodes, key=lambda k: (order.get(k, len(order)), k))
    return found


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


def import_place(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile, company: str | None = None,
                 unit_answers: dict[str, tuple[str, str]] | None = None
                 ) -> tuple[str | None, str, list[org_import.UnitQuestion]]:
    """Where a parsed file goes in the 组织架构 before it is imported: its company and how that was found, and the
    unit texts the register does not know (the questions of the import's mapping step)."""
    require(user, "import")
    register = org.load(con)
    found, how = org_import.company_of_file(register, company, parsed)
    return found, how, org_import.unknown_units(register, found, parsed, unit_answers)


def import_file(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile, skip_invalid: bool = False, *,
                cfg: ScoringConfig, company: str | None = None, unit_answers: dict[str, tuple[str, str]] | None = None,
                add_units: bool = False, workbook: Marker | None = None) -> ledger.ImportResult:
    """Store one parsed file (see ledger.store) and record the attempt, whatever its outcome.

    The file belongs to a company (given, else inferred: org_import.company_of_file); a unit text the register
    does not know is settled by ``unit_answers`` (an alias, or a new unit under a parent) or, with ``add_units``,
    added directly under the company; else the file is refused. What the import settles is remembered in the
    register, in the import's own transaction.

    A file that is written is recorded twice: 进行中 (with its import id) inside the import's transaction, before
    the commit, so that a process killed between the commit and the outcome still leaves the file in the trail
    (and a trail that cannot be written stores nothing); then the outcome. ``workbook``: the file's update-workbook
    marker, recorded as returned (收集情况) in the same transaction when this database generated it for the
    file's quarter.
    """
    require(user, "import")
    db = _db(con)
    returned = workbook if workbook is not None and returned_workbook(con, parsed, workbook) else None
    register = org.load(con)
    answers = dict(unit_answers or {})
    company, how = org_import.company_of_file(register, company, parsed)
    placed = {"company": company, "company_from": how} if company else {}
    if company is None and not register.empty:
        raise OrgError(f"「{parsed.name}」{how}：组织架构中有 {len(register.companies)} 个公司"
                       f"（{'、'.join(register.companies)}），请指定台账所属公司")
    if company is not None and not register.empty:
        org_import.check_answers(register, company, answers)
    questions = org_import.unknown_units(register, company, parsed, answers)
    if questions and not add_units:
        texts = "；".join(org_import.question_text(q, company or "") for q in questions[:20])
        result = ledger.ImportResult(outcome="rejected", file=parsed.name, message=(
            f"有 {len(questions)} 个责任单位不在组织架构中，整个文件未导入：{texts}。请在导入时逐一对应到已有单位"
            "或新增单位（命令行：--add-units 把它们新增到公司之下，或先用 org import 登记）"))
        audit.record(db, user, "import", _OUTCOMES["rejected"], reason=result.message, **_import_details(parsed),
                     **placed)
        return result
    if answers or questions:  # the import writes the register too
        require(user, "org")
    settled: list[str] = []

    def prepare(c: duckdb.DuckDBPyConnection) -> None:
        settled.extend(org_import.apply(c, company, answers, [q.text for q in questions], user.name))

    def started(import_id: int) -> None:
        if returned is not None:
            workbook_records.record_return(con, import_id, returned)
        _record_write(con, user, "import", "进行中", import_id=import_id, **_import_details(parsed), **placed,
                      register=settled or None)

    try:
        result = ledger.store(con, parsed, skip_invalid=skip_invalid, user=user.name, scoring=cfg,
                              before_commit=started, company=company, prepare=prepare)
    except DashboardError as exc:  # busy, storage error, the trail unwritable: nothing was stored
        with contextlib.suppress(DashboardError):  # the trail may be what failed: its own error is the one to show
            audit.record(db, user, "import", "失败", reason=str(exc), **_import_details(parsed))
        raise
    details = _import_details(parsed, result) | {"reason": None if result.outcome == "imported" else result.message}
    details |= placed | ({"register": settled} if settled and result.outcome == "imported" else {})
    if settled and result.outcome == "imported":
        result.message += "；组织架构：" + "，".join(settled)
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


# ---- 组织架构 ----

def org_register(con: duckdb.DuckDBPyConnection, user: User) -> org.Register:
    """The register, for those who keep it."""
    require(user, "org")
    return org.load(con)


def save_org(con: duckdb.DuckDBPyConnection, user: User, rows: list[org_register_io.Row], *, cfg: ScoringConfig,
             source: str) -> dict:
    """Replace the register (checked whole: org_register_io.check) and re-read every figure's units by it, in one
    transaction, backed up first; recorded with what changed."""
    require(user, "org")
    org_register_io.check(rows)  # refused before the backup: a bad table writes nothing
    backup.before_write(con, "org", source)
    with transaction(con):
        changed = org_register_io.save(con, rows, user.name)
        derived.refresh(con, cfg, [])
        bump_revision(con)
    _record_write(con, user, "org_change", source=source, **changed)
    return changed


def unregistered_units(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """The unit texts of the ledgers that the register does not know (counted under their company until it
    does), with how many problems name each."""
    require(user, "org")
    if not table_exists(con, "unit_map") or org.load(con).empty:
        return pd.DataFrame(columns=["company", "name", "unit", "problems"])
    return con.execute("""
        SELECT m.company, m.name, m.unit, count(DISTINCT o.problem_id) AS problems
        FROM unit_map m
        JOIN imports i ON coalesce(i.company, '') = m.company AND i.undone_at IS NULL
        JOIN observations o ON o.import_id = i.import_id AND o.unit = m.name
        WHERE NOT m.registered
        GROUP BY ALL ORDER BY problems DESC, m.company, m.name
    """).df()


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
    cut = scoped(con, user, scope)
    if cut.units is not None and not cut.units:
        raise AccessDenied(f"所选单位不在本账户可查看的范围内（本单位：{user.unit}）")
    return build_export(con, period, cut, fmt, cfg=cfg, mask_names=mask_names, now=now,
                        parts=visible_parts(user))


def record_export(con: duckdb.DuckDBPyConnection, user: User, snapshot: Snapshot, fmt: str, content: bytes,
                  name: str | None = None) -> tuple[int, str]:
    """Keep an exported file in 快照记录 and the audit trail; returns (snapshot id, file name)."""
    require(user, "export")
    if not _visible(con, user, snapshot.scope, snapshot.parts):
        raise AccessDenied(f"{user.role}只能导出本角色可查看的内容" + (f"（本单位：{user.unit}）" if user.unit else ""))
    name = name or file_name(snapshot, fmt)
    snapshot_id = records.record(con, snapshot, fmt, content, name, user=user.name)
    _record_write(con, user, "export", snapshot_id=snapshot_id, period=str(snapshot.period),
                  scope=snapshot.scope_label, format=fmt, masked=snapshot.masked, file=name,
                  sha256=records.sha256(content), data_version=snapshot.data_version, parts=sorted(snapshot.parts))
    return snapshot_id, name


def _visible(con: duckdb.DuckDBPyConnection, user: User, scope: Scope, parts: frozenset[str] | None) -> bool:
    """Whether a snapshot of this scope and these parts (None: recorded before parts were, so everything) holds
    only what the user may see: their units, no source hidden from them, no part their role does not see."""
    units = allowed_units(user, _under(con))
    # a scope cut to no unit at all (an export asking only for units its maker could not see) is nobody else's
    inside = units is None or (bool(scope.units) and set(scope.units) <= set(units)
                               and (scope.within is None or set(scope.within) <= set(units)))
    return (inside
            and set(hidden_sources(user)) <= set(scope.hidden_sources)
            and (EVERY_PART if parts is None else parts) <= visible_parts(user))


def snapshots(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """快照记录 the user may download: a department head sees only snapshots made for what they may see."""
    require(user, "export")
    frame = records.list_snapshots(con)
    keep = [_visible(con, user, records.scope_from_json(s), records.parts_from_json(p))
            for s, p in zip(frame["scope"], frame["parts"], strict=True)]
    return frame[keep].reset_index(drop=True)


def snapshot_file(con: duckdb.DuckDBPyConnection, user: User, snapshot_id: int) -> tuple[str, bytes]:
    """A recorded snapshot's exact bytes, if the user may see all of it (the download itself: see downloaded)."""
    require(user, "export")
    row = con.execute("SELECT scope, parts FROM snapshots WHERE snapshot_id = ?", [int(snapshot_id)]).fetchone() \
        if table_exists(con, "snapshots") else None
    if row is not None and not _visible(con, user, records.scope_from_json(row[0]),
                                        records.parts_from_json(row[1])):
        raise AccessDenied(f"{user.role}只能下载本角色可查看的快照" + (f"（本单位：{user.unit}）" if user.unit else ""))
    return records.snapshot_file(con, snapshot_id)


def downloaded(db: Path, user: User, what: str, content: bytes, **details: object) -> None:
    """Record that a file left the app (a snapshot again, the meeting agenda): called when the button is clicked."""
    require(user, "view")
    audit.record(db, user, "download", what=what, sha256=records.sha256(content), **details)


# ---- update workbooks (一表同享) ----

def update_workbooks(con: duckdb.DuckDBPyConnection, user: User, base: Period, units: list[str] | None = None, *,
                     cfg: ScoringConfig, ledger_cfg: LedgerConfig, as_zip: bool | None = None) -> tuple[str, bytes]:
    """Generate the update workbooks of ``units`` (None: every unit the user may see with problems not yet 销号 at
    the end of ``base``), record them and the export in the audit trail; (file name, bytes): one workbook's xlsx,
    or a zip (of several, unless ``as_zip`` says otherwise). An export: it needs that right, and a department head
    may have their own unit's only. The confidential sources never go into a workbook, whoever asks: it is handed
    to the unit."""
    require(user, "export")
    if units is None:
        units = workbook_units(con, user, base)
    for unit in units:
        require_unit(user, unit, _under(con))
    books = workbook_generate.generate(con, base, list(units), cfg=cfg, ledger=ledger_cfg,
                                       hidden_sources=user.confidential_sources, user=user.name)
    if as_zip is None:
        as_zip = len(books) > 1
    name, content = (workbook_generate.zip_name(base), workbook_generate.zipped(books)) if as_zip else \
        (books[0].file_name, books[0].content)
    _record_write(con, user, "workbook_export", period=str(base), units=[b.unit for b in books],
                  problems=sum(b.problems for b in books), file=name, sha256=records.sha256(content))
    return name, content


def workbook_units(con: duckdb.DuckDBPyConnection, user: User, base: Period) -> list[str]:
    """The units the user may generate a workbook for that have problems not yet 销号 at the end of ``base``."""
    require(user, "export")
    return workbook_generate.units_with_open(
        con, base, replace(scoped(con, user, Scope()), hidden_sources=user.confidential_sources))


def returned_workbook(con: duckdb.DuckDBPyConnection, parsed: ParsedFile, marker: Marker) -> bool:
    """Whether a parsed file is a workbook this database generated, returned as the quarter it was made for."""
    return parsed.period is not None and str(parsed.period) == marker.period and workbook_records.known(con, marker)


def workbook_changes(con: duckdb.DuckDBPyConnection, user: User, parsed: ParsedFile,
                     marker: Marker) -> workbook_changes_module.Changes:
    """What a returned workbook changes against the quarter it was made from (the import preview), for those who
    may import; its carried problems are those it listed (never a confidential source's, as it was generated)."""
    require(user, "import")
    return workbook_changes_module.compare(con, parsed, marker.unit, parse_period(marker.base_period),
                                           user.confidential_sources)


def workbook_collection(con: duckdb.DuckDBPyConnection, user: User, period: Period) -> pd.DataFrame:
    """收集情况 of the quarter units report (workbook_records.collection), over the units the user may see."""
    require(user, "view")
    return workbook_records.collection(con, period, scoped(con, user, Scope()))


def not_reported(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """Units in the user's scope whose figures in ``period`` are carried over from the quarter before."""
    require(user, "view")
    return workbook_records.not_reported(con, period, scoped(con, user, scope))


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
    found = views.problem_history(con, int(problem_id), scoped(con, user, ALL), cfg)
    if found.empty:
        raise AccessDenied(NO_SUCH_PROBLEM)
    return found if sees(user, "warnings") else found.drop(columns=["warning"])


# ---- 会商 and the 督办清单, 回头看, the case library (analytics.meetings, lookback, cases) ----

ISSUER = "纪委办公室"  # who signs the 会商纪要 and the 案例汇编


def _may_record(user: User, part: str) -> None:
    """Recording is the 纪委办's and the secretary's (follow_record), on what their role sees."""
    require(user, "follow_record")
    require_part(user, part)


def _problem_of(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, period: Period | None = None) -> dict:
    """A problem's state (in the quarter, else its latest) if the user may see it; the same refusal otherwise as
    for a problem that does not exist."""
    where, params = scoped(con, user, ALL).where()
    quarter = "$period_no" if period is not None else "(SELECT max(period_no) FROM problem_state)"
    found = con.execute(f"SELECT problem_id, status, unit FROM problem_state WHERE problem_id = $problem_id "
                        f"AND period_no = {quarter} AND {where}",
                        params | {"problem_id": int(problem_id)}
                        | ({"period_no": period.index} if period is not None else {})).fetchone() \
        if table_exists(con, "problem_state") else None
    if found is None:
        raise AccessDenied(NO_SUCH_PROBLEM)
    return dict(zip(("problem_id", "status", "unit"), found, strict=True))


def _whole_company(con: duckdb.DuckDBPyConnection, user: User, what: str) -> None:
    """会商 is the company's 党委纪委 mechanism: its records and minutes span every unit, so an account limited to a
    unit (组织架构) neither writes them nor takes the minutes away."""
    if allowed_units(user, _under(con)) is not None:
        raise AccessDenied(f"{what}由全公司范围的纪委书记、纪委办办理（本账户只能查看本单位及其下级）")


def _units_only(con: duckdb.DuckDBPyConnection, user: User, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a frame with a unit column that a user limited to units may see (all for the others)."""
    units = allowed_units(user, _under(con))
    return frame if units is None else frame[frame["unit"].isin(units)].reset_index(drop=True)


def record_meeting(con: duckdb.DuckDBPyConnection, user: User, kind: str, held_on: dt.date, topic: str,
                   participants: str, period: Period | None, items: pd.DataFrame,
                   now: dt.datetime | None = None) -> int:
    """A meeting with its agenda (meetings.ITEM_COLUMNS, as picked, edited and added on the page); its id."""
    _may_record(user, "agenda")
    _whole_company(con, user, "会商记录")
    with transaction(con):
        meeting_id = meetings.record_meeting(con, kind, held_on, topic, participants,
                                             str(period) if period else None, user.name, now)
        count = meetings.set_agenda(con, meeting_id, items)
        bump_revision(con)
    _record_write(con, user, "meeting_record", meeting_id=meeting_id, kind=kind, held_on=str(held_on), topic=topic,
                  items=count)
    return meeting_id


def set_meeting_agenda(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int, items: pd.DataFrame) -> int:
    """A meeting's agenda replaced (edited after the meeting was recorded); how many items."""
    _may_record(user, "agenda")
    _whole_company(con, user, "会商议题")
    with transaction(con):
        count = meetings.set_agenda(con, meeting_id, items)
        bump_revision(con)
    _record_write(con, user, "meeting_agenda", meeting_id=int(meeting_id), items=count)
    return count


def add_decision(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int, decision: meetings.Decision,
                 now: dt.datetime | None = None) -> int:
    """议定事项 of a meeting, into the 督办清单; its id."""
    _may_record(user, "agenda")
    _whole_company(con, user, "议定事项")
    with transaction(con):
        decision_id = meetings.add_decision(con, meeting_id, decision, user.name, now)
        bump_revision(con)
    d = decision.checked()
    _record_write(con, user, "decision_add", meeting_id=int(meeting_id), decision_id=decision_id, matter=d.matter,
                  unit=d.unit, person=d.person, due=str(d.due))
    return decision_id


def add_progress(con: duckdb.DuckDBPyConnection, user: User, decision_id: int, noted_on: dt.date, note: str,
                 completes: bool = False, now: dt.datetime | None = None) -> int:
    """A progress note on a decision (completes: it is done); its number."""
    _may_record(user, "agenda")
    _whole_company(con, user, "督办进展")
    with transaction(con):
        note_no = meetings.add_progress(con, decision_id, noted_on, note, completes, user.name, now)
        bump_revision(con)
    _record_write(con, user, "decision_progress", decision_id=int(decision_id), note_no=note_no,
                  noted_on=str(noted_on), completes=bool(completes), note=note)
    return note_no


def meeting_list(con: duckdb.DuckDBPyConnection, user: User) -> pd.DataFrame:
    """Every meeting, for the roles that see the agenda (a department head sees none unless access.toml says)."""
    require_part(user, "agenda")
    units = allowed_units(user, _under(con))
    listed = meetings.meetings(con)
    if units is None:
        return listed
    # a meeting's topic and participants are the company's: a unit's account sees that it was held, and when
    mine = listed[listed["meeting_id"].isin(meetings.meetings_of_units(con, units))].reset_index(drop=True)
    return mine.assign(topic=[f"{k}（涉及本单位事项）" for k in mine["kind"]], participants=None)


def meeting_agenda(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int) -> pd.DataFrame:
    require_part(user, "agenda")
    return _units_only(con, user, meetings.agenda(con, meeting_id))


def proposed_agenda(con: duckdb.DuckDBPyConnection, user: User, period: Period, held_on: dt.date,
                    scope: Scope = ALL, *, cfg: ScoringConfig) -> pd.DataFrame:
    """A new meeting's agenda to pick from: open decisions of earlier meetings, then the 会商议题建议清单."""
    require_part(user, "agenda")
    suggested = alerts.meeting_agenda(con, period, scoped(con, user, scope), cfg=cfg) \
        if table_exists(con, "problem_state") else pd.DataFrame(columns=list(alerts.AGENDA_COLUMNS))
    return _units_only(con, user, meetings.opening_agenda(con, held_on, suggested))


def supervision_list(con: duckdb.DuckDBPyConnection, user: User, as_of: dt.date,
                     meeting_id: int | None = None) -> pd.DataFrame:
    """督办清单 as of a date: a user limited to units sees only the decisions their unit is responsible for."""
    require_part(user, "agenda")
    return meetings.decisions(con, as_of, meeting_id, allowed_units(user, _under(con)))


def decision_progress(con: duckdb.DuckDBPyConnection, user: User, decision_id: int) -> pd.DataFrame:
    require_part(user, "agenda")
    units = allowed_units(user, _under(con))
    if units is not None and meetings.decisions(con, dt.date.max, None, units).query(
            "decision_id == @decision_id").empty:
        raise AccessDenied(f"{user.role}只能查看本单位（{user.unit}）的议定事项")
    return meetings.progress(con, decision_id)


def meeting_minutes(con: duckdb.DuckDBPyConnection, user: User, meeting_id: int,
                    now: dt.datetime | None = None) -> tuple[str, bytes]:
    """会商纪要 (Word) of a meeting: (file name, bytes); the download itself is recorded by the page (downloaded)."""
    require_part(user, "agenda")
    require(user, "all_units")  # the minutes name every unit's decisions
    _whole_company(con, user, "会商纪要")
    record = meetings.meeting(con, meeting_id)
    held_on = record["held_on"].date() if hasattr(record["held_on"], "date") else record["held_on"]
    decided = meetings.decisions(con, held_on, meeting_id)
    carried = meetings.open_decisions(con, held_on, meeting_id)
    content = followup.minutes_docx(record, meetings.agenda(con, meeting_id), decided, carried, ISSUER,
                                    now or dt.datetime.now())
    return f"{record['kind']}纪要_{held_on:%Y%m%d}.docx", content


def supervision_workbook(con: duckdb.DuckDBPyConnection, user: User, as_of: dt.date) -> bytes:
    """督办清单 as of a date, as Excel (what supervision_list gives the user)."""
    return followup.supervision_xlsx(supervision_list(con, user, as_of), as_of)


def lookback_sheet(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL, *,
                   cfg: ScoringConfig) -> pd.DataFrame:
    """The quarter's 回头看 sample, each problem with its latest re-check (blank: not yet checked)."""
    require_part(user, "lookback")
    sample = alerts.lookback_sample(con, period, scoped(con, user, scope), cfg=cfg)
    checked = lookback.results(con, period)
    return sample.merge(checked, on="problem_id", how="left")


def record_lookback(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, period: Period, result: str,
                    note: str, checked_on: dt.date, *, cfg: ScoringConfig) -> int:
    """A 回头看 re-check of a problem 已销号 in the quarter; 改而复发 makes it recurred in every figure at once (the
    derived tables refreshed in the same transaction). Its id."""
    _may_record(user, "lookback")
    if _problem_of(con, user, problem_id, period)["status"] != config.CLOSED_STATUS:
        raise DashboardError(f"该问题在{period.label}末不是已销号问题，不在回头看范围内")
    with transaction(con):
        check_id = lookback.record(con, problem_id, period, result, note, checked_on, user.name)
        derived.refresh(con, cfg, [int(problem_id)])
        bump_revision(con)
    _record_write(con, user, "lookback_record", check_id=check_id, problem_id=int(problem_id), period=str(period),
                  result=result, checked_on=str(checked_on), note=note)
    return check_id


def lookback_summary(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL) -> pd.DataFrame:
    require_part(user, "lookback")
    return lookback.summary(con, scoped(con, user, scope))


def lookback_renotify(con: duckdb.DuckDBPyConnection, user: User, period: Period, scope: Scope = ALL) -> pd.DataFrame:
    """再通报 proposed for problems a 回头看 found 改而复发."""
    require_part(user, "lookback")
    return lookback.renotify(con, period, scoped(con, user, scope))


def mark_case(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, tags: list[str] | str,
              summary: str) -> list[str]:
    """Mark a problem the user may see as a typical case (or change its tags); the tags kept."""
    _may_record(user, "cases")
    _problem_of(con, user, problem_id)
    with transaction(con):
        kept = cases.mark(con, problem_id, tags, summary, user.name)
        bump_revision(con)
    _record_write(con, user, "case_mark", problem_id=int(problem_id), tags=kept, summary=summary)
    return kept


def unmark_case(con: duckdb.DuckDBPyConnection, user: User, problem_id: int) -> bool:
    _may_record(user, "cases")
    _problem_of(con, user, problem_id)
    with transaction(con):
        found = cases.unmark(con, problem_id)
        bump_revision(con)
    if found:
        _record_write(con, user, "case_unmark", problem_id=int(problem_id))
    return found


def case_library(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL,
                 tags: tuple[str, ...] | None = None) -> pd.DataFrame:
    """典型问题案例库 within what the user may see (their units, no hidden source)."""
    require_part(user, "cases")
    return cases.library(con, scoped(con, user, scope), tags)


def case_files(con: duckdb.DuckDBPyConnection, user: User, scope: Scope = ALL, tags: tuple[str, ...] | None = None,
               now: dt.datetime | None = None) -> dict[str, bytes]:
    """The library as shown to the user, as Excel and as a Word 警示教育 compilation: {"xlsx": …, "docx": …}."""
    listed = case_library(con, user, scope, tags)
    return {"xlsx": followup.cases_xlsx(listed), "docx": followup.cases_docx(listed, ISSUER, now or dt.datetime.now())}


def find_problems(con: duckdb.DuckDBPyConnection, user: User, text: str, limit: int = 20) -> pd.DataFrame:
    """Problems the user may see whose 问题编号 or description holds the text (latest quarter), to pick a case."""
    require_part(user, "cases")
    columns = ["problem_id", "problem_code", "unit", "description", "status"]
    if not (text or "").strip() or not table_exists(con, "problem_state"):
        return pd.DataFrame(columns=columns)
    where, params = scoped(con, user, ALL).where()
    return con.execute(f"""
        SELECT {', '.join(columns)} FROM problem_state
        WHERE period_no = (SELECT max(period_no) FROM problem_state) AND {where}
          AND (problem_code = $text OR contains(description, $text))
        ORDER BY problem_code = $text DESC, unit, problem_id LIMIT $limit
    """, params | {"text": text.strip(), "limit": int(limit)}).df()


def case_tags(con: duckdb.DuckDBPyConnection, user: User) -> list[str]:
    """Every tag in the case library, for its filter."""
    require_part(user, "cases")
    if allowed_units(user, _under(con)) is None:
        return cases.all_tags(con)
    return sorted({str(tag) for tags in case_library(con, user)["tags"] for tag in tags})


# ---- 督办文书 (analytics.notices) ----

_STEP_PERMISSIONS = {notices.SIGN: "notice_sign", notices.DELIVER: "notice_handle", notices.REPLY: "notice_handle",
                     notices.VERIFY: "notice_handle", notices.RETURN: "notice_handle"}
_STEP_ACTIONS = {notices.SIGN: "notice_sign", notices.DELIVER: "notice_deliver", notices.REPLY: "notice_reply",
                 notices.VERIFY: "notice_verify", notices.RETURN: "notice_return"}
NO_SUCH_NOTICE = "找不到该督办文书，或该文书不在本角色可查看的范围内"


def _notice_units(con: duckdb.DuckDBPyConnection, user: User) -> tuple[str, ...] | None:
    """The recipients whose documents the user sees (None: all); a department head sees only documents delivered to
    their unit (never a draft), without the rule that warranted them unless their role sees the warnings."""
    require(user, "notices")
    return allowed_units(user, _under(con))


def _notice_statuses(user: User) -> tuple[str, ...] | None:
    # a department head sees documents once delivered; the 纪委's own roles, scoped to a 分公司 or not, every step
    return None if can(user, "all_units") else notices.STATUSES[notices.STATUSES.index(notices.DELIVERED):]


def _check_notice(con: duckdb.DuckDBPyConnection, user: User, notice_id: int) -> None:
    units, statuses = _notice_units(con, user), _notice_statuses(user)
    row = con.execute("SELECT unit, status FROM notices WHERE notice_id = ?", [int(notice_id)]).fetchone() \
        if table_exists(con, "notices") else None
    if row is None or (units is not None and row[0] not in units) or (statuses is not None and row[1] not in statuses):
        raise AccessDenied(NO_SUCH_NOTICE)


def notice_register(con: duckdb.DuckDBPyConnection, user: User, today: dt.date, *, kind: str | None = None,
                    statuses: tuple[str, ...] | None = None, units: tuple[str, ...] | None = None) -> pd.DataFrame:
    """督办文书登记簿 as the user may see it (notices.register), filtered by kind, status and unit."""
    allowed, visible = _notice_units(con, user), _notice_statuses(user)
    if allowed is not None:
        units = tuple(u for u in (units or allowed) if u in allowed)
    if visible is not None:
        statuses = tuple(s for s in (statuses or visible) if s in visible)
    return notices.register(con, today, units=units, statuses=statuses, kind=kind)


def notice_detail(con: duckdb.DuckDBPyConnection, user: User, notice_id: int) -> dict:
    """One document (notices.detail), if the user may see it; the rules only for a role that sees the warnings."""
    _check_notice(con, user, notice_id)
    found = notices.detail(con, notice_id)
    if not sees(user, "warnings"):
        found["problems"] = found["problems"].drop(columns=["rule"])
        found["notice"]["basis"] = None
    return found


def overdue_replies(con: duckdb.DuckDBPyConnection, user: User, today: dt.date) -> pd.DataFrame:
    """逾期未回复 documents the user may see: a warning of its own on 预警督办."""
    return notices.overdue_replies(con, today, _notice_units(con, user))


def notice_marks(con: duckdb.DuckDBPyConnection, user: User, period: Period, warned: pd.DataFrame,
                 today: dt.date) -> list[str | None]:
    """For each row of a warnings list the user was shown: the documents already drafted for it (notices.marks);
    nothing for a user who does not see the whole register."""
    if not can_notices(user):
        return [None] * len(warned)
    return notices.marks(con, period, warned, today)


def can_notices(user: User) -> bool:
    """Whether the user sees the whole register (every unit, drafts included)."""
    return can(user, "notices") and sees(user, "warnings") and allowed_units(user) is None


def problem_notices(con: duckdb.DuckDBPyConnection, user: User, problem_id: int, today: dt.date) -> pd.DataFrame:
    """The documents that list one problem, for a user who may see the problem (as problem_history) and the
    documents (a department head: delivered ones only)."""
    require_part(user, "problems")
    if not can(user, "notices") or not history.in_scope(con, int(problem_id), scoped(con, user, ALL)):
        return notices.for_problems(con, [], today)
    found = notices.for_problems(con, [int(problem_id)], today)
    visible = _notice_statuses(user)
    return found if visible is None else found[found["status"].isin(visible)].reset_index(drop=True)


def draft_notice(con: duckdb.DuckDBPyConnection, user: User, ncfg: notices.NoticeConfig, period: Period, *,
                 cfg: ScoringConfig, kind: str | None = None, unit: str | None = None,
                 problem_ids: list[int] | None = None, reply_by: dt.date | None = None,
                 now: dt.datetime | None = None) -> tuple[int, str]:
    """拟稿: a document to a unit listing its warned problems of the kind's tier (``unit``), or listing chosen problems
    (``problem_ids``); numbered and registered, recorded. (id, 发文字号)."""
    require(user, "notice_draft")
    require_part(user, "warnings")
    now = now or dt.datetime.now()
    scope = scoped(con, user, ALL)
    if problem_ids:
        draft = notices.draft_for_problems(con, period, scope, problem_ids, kind and notices.kind_of(kind), cfg=cfg)
    elif unit:
        require_unit(user, unit, _under(con))
        draft = notices.draft_for_unit(con, period, scope, unit, notices.kind_of(kind or ""), cfg=cfg)
    else:
        raise notices.NoticeRefused("请选择问题或责任单位")
    reply_by = reply_by or now.date() + dt.timedelta(days=ncfg.reply_days)
    notice_id, number = notices.store_draft(con, draft, ncfg, reply_by, user.name, user.role, now)
    _record_write(con, user, "notice_draft", notice_id=notice_id, number=number, kind=draft.kind, unit=draft.unit,
                  period=str(period), problems=[int(i) for i in draft.problems["problem_id"]],
                  reply_by=reply_by.isoformat())
    return notice_id, number


def notice_steps_for(user: User, status: str) -> list[str]:
    """The lifecycle steps (notices.STEPS) the user's role may take on a document of this status."""
    return [step for step, (allowed, _, _) in notices.STEPS.items()
            if status in allowed and can(user, _STEP_PERMISSIONS[step])]


def notice_step(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, step: str, *,
                ncfg: notices.NoticeConfig, note: str | None = None, reply_text: str | None = None,
                reply_file: notices.ReplyFile | None = None, reply_by: dt.date | None = None,
                now: dt.datetime | None = None) -> str:
    """One step of a document's lifecycle (签发, 送达, 登记回复, 核验通过, 退回重报) by a role allowed to take it;
    refused in Chinese when the document's status does not allow it; recorded. The new status."""
    if step not in _STEP_PERMISSIONS:
        raise notices.NoticeRefused(f"未知的文书办理步骤「{step}」")
    require(user, _STEP_PERMISSIONS[step])
    _check_notice(con, user, notice_id)
    now = now or dt.datetime.now()
    if step == notices.RETURN and reply_by is None:
        reply_by = now.date() + dt.timedelta(days=ncfg.reply_days)
    status = notices.advance(con, notice_id, step, user.name, user.role, now, note=note, reply_text=reply_text,
                             reply_file=reply_file, reply_by=reply_by, max_reply_mb=ncfg.max_reply_mb)
    number = notices.status_of(con, notice_id)[1]
    details: dict = {"notice_id": int(notice_id), "number": number, "status": status}
    if note:
        details["note"] = note
    if step == notices.REPLY:
        details |= {"text": bool(reply_text and reply_text.strip()),
                    "file": notices.safe_file_name(reply_file.name) if reply_file else None,
                    "sha256": records.sha256(reply_file.content) if reply_file else None}
    if step == notices.RETURN:
        details["reply_by"] = reply_by.isoformat()
    _record_write(con, user, _STEP_ACTIONS[step], **details)
    return status


def notice_file(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, fmt: str) -> tuple[str, bytes]:
    """The document as .docx or .pdf (the download itself: see downloaded), for a role that sees the whole register
    (the document carries the rules that warranted it)."""
    from analytics.export import notice as notice_export

    if not can_notices(user):
        raise AccessDenied(f"{user.role}无权下载督办文书")
    _check_notice(con, user, notice_id)
    found = notices.paper(con, notice_id)
    if fmt == "docx":
        return notice_export.file_name(found, fmt), notice_export.to_docx(found)
    if fmt == "pdf":
        return notice_export.file_name(found, fmt), notice_export.to_pdf(found)
    raise DashboardError(f"督办文书只能导出为 docx 或 pdf，不支持「{fmt}」")


def reply_file(con: duckdb.DuckDBPyConnection, user: User, notice_id: int, reply_no: int) -> tuple[str, bytes]:
    """A reply's attached file, for a user who may see the document."""
    _check_notice(con, user, notice_id)
    return notices.reply_content(con, notice_id, reply_no)


# ---- 研判报告, 画像报告, 月通报 ----

REPORT_KINDS = ("quarter", "unit", "month")


def report(con: duckdb.DuckDBPyConnection, user: User, kind: str, period: Period | str | None, scope: Scope = ALL,
           *, cfg: ScoringConfig, unit: str | None = None, month: str | dt.date | None = None,
           now: dt.datetime | None = None) -> tuple[object, bytes]:
    """A report of what the user may see (their scope, sources and parts), written as .docx (not yet recorded: see
    record_report): the quarter's 研判报告, a unit's 画像报告 or the 月通报 as of a month end."""
    from analytics.report import data, monthly, writer  # the report modules load python-docx: only when asked

    require(user, "export")
    scope, parts = scoped(con, user, scope), visible_parts(user)
    if kind == "month":
        built = monthly.build(con, monthly.month_end(month), scope, parts=parts, now=now)
        return built, monthly.write(built)
    if kind not in REPORT_KINDS or (kind == "unit") != (unit is not None):
        raise DashboardError(f"未知的报告类型「{kind}」")
    if unit is not None:
        require_part(user, "portrait")
        require_unit(user, unit, _under(con))
    from analytics.metrics import resolve_period

    built = data.build(con, resolve_period(con, period), scope, cfg=cfg, parts=parts, unit=unit, now=now)
    return built, writer.write(built)


def record_report(con: duckdb.DuckDBPyConnection, user: User, built: object, content: bytes,
                  name: str | None = None) -> tuple[int, str]:
    """Keep a report in 快照记录 (as a Word file) and the audit trail; returns (record id, file name)."""
    from analytics.report.names import file_name as report_file_name

    require(user, "export")
    if not _visible(con, user, built.scope, built.parts):
        raise AccessDenied(f"{user.role}只能导出本角色可查看的内容" + (f"（本单位：{user.unit}）" if user.unit else ""))
    name = name or report_file_name(built)
    snapshot_id = records.record(con, built, "docx", content, name, user=user.name)
    _record_write(con, user, "report", snapshot_id=snapshot_id, title=built.title, period=str(built.period),
                  scope=built.scope_label, file=name, sha256=records.sha256(content),
                  data_version=built.data_version, parts=sorted(built.parts))
    return snapshot_id, name
