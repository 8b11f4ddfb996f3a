"""研判报告, 画像报告 and 月通报, made for what the user may see and kept like snapshots."""


from __future__ import annotations

import datetime as dt

import duckdb

from analytics.access import (
    AccessDenied,
    User,
    require,
    require_part,
    require_unit,
    visible_parts,
)
from analytics.actions.base import _record_write, _under, scoped
from analytics.actions.exports import _visible
from analytics.config import ScoringConfig
from analytics.errors import DashboardError
from analytics.export import records
from analytics.metrics import ALL, Scope
from analytics.periods import Period

__all__ = ["REPORT_KINDS", "record_report", "report"]



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
