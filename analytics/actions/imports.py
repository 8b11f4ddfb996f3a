"""Imports of ledgers, their undo, the answers remembered with them (profiles, categories)."""


from __future__ import annotations

import contextlib

import duckdb
import pandas as pd

from analytics import (
    audit,
    derived,
    ledger,
    org,
    org_import,
    profiles,
)
from analytics.access import (
    User,
    require,
)
from analytics.actions.base import _db, _record_write
from analytics.actions.workbooks import returned_workbook
from analytics.config import ScoringConfig
from analytics.db import bump_revision, transaction
from analytics.errors import DashboardError
from analytics.ingest.answers import Answers
from analytics.ingest.parse import ParsedFile
from analytics.org import OrgError
from analytics.workbooks import records as workbook_records
from analytics.workbooks.marker import Marker

__all__ = [
    "assign_answered_categories", "assign_category", "delete_profile", "import_file", "import_place",
    "ledger_profiles", "remember_answers", "save_profile"
]



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
