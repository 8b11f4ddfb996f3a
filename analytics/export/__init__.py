"""Snapshot exports (导出快照): one period's figures as xlsx, docx, html or pdf, for the committee meeting.

``export`` builds the snapshot and runs the format's writer; ``records`` keeps what was exported. Writers are
imported when first used, so that a format whose writer or tools are missing does not break the others.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable

import duckdb

from analytics.config import ScoringConfig
from analytics.errors import DashboardError
from analytics.export.snapshot import EVERY_PART, TITLE, Snapshot, build_snapshot
from analytics.metrics import ALL, Scope, resolve_period
from analytics.periods import Period

# format → (writer module, whose write(snapshot) -> bytes; mime type; file suffix)
FORMATS: dict[str, tuple[str, str, str]] = {
    "xlsx": ("analytics.export.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "docx": ("analytics.export.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".docx"),
    "html": ("analytics.export.html", "text/html", ".html"),
    "pdf": ("analytics.export.pdf", "application/pdf", ".pdf"),
}
FORMAT_LABELS = {"xlsx": "Excel 工作簿", "docx": "Word 文档", "html": "网页（可离线打开、打印）", "pdf": "PDF"}
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def writer(fmt: str) -> Callable[[Snapshot], bytes]:
    """The write(snapshot) -> bytes of a format; a Chinese error for an unknown or unavailable one."""
    if fmt not in FORMATS:
        raise DashboardError(f"不支持的导出格式「{fmt}」，可选：{'、'.join(FORMATS)}")
    module_name = FORMATS[fmt][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise DashboardError(f"{FORMAT_LABELS[fmt]}导出暂不可用") from exc
    return module.write


def export(con: duckdb.DuckDBPyConnection, period: Period | str, scope: Scope = ALL, fmt: str = "xlsx", *,
           cfg: ScoringConfig, mask_names: bool = False, now: dt.datetime | None = None,
           parts: frozenset[str] = EVERY_PART) -> tuple[Snapshot, bytes]:
    """Build the snapshot of a period, scope and parts for this configuration and write it in one format (not
    recorded: see records.record)."""
    write = writer(fmt)
    snapshot = build_snapshot(con, resolve_period(con, period), scope, cfg=cfg, mask_names=mask_names, now=now,
                              parts=parts)
    return snapshot, write(snapshot)


def file_name(snapshot: Snapshot, fmt: str) -> str:
    """A download name: 政治生态分析研判快照_2025Q2_全公司_20250705-1030.xlsx (单位 named, 脱敏 marked)."""
    units = snapshot.scope.units
    scope = "全公司" if not units else ("、".join(units) if len(units) <= 3 else f"{units[0]}等{len(units)}个单位")
    parts = [TITLE, str(snapshot.period), _UNSAFE_IN_FILE_NAMES.sub("_", scope)]
    if snapshot.scope.sources or snapshot.scope.dimensions:
        parts.append("筛选")
    if snapshot.masked:
        parts.append("脱敏")
    parts.append(f"{snapshot.generated_at:%Y%m%d-%H%M}")
    return "_".join(parts) + FORMATS[fmt][2]


__all__ = ["FORMATS", "FORMAT_LABELS", "Snapshot", "build_snapshot", "export", "file_name", "writer"]
