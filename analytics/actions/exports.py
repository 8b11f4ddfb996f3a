"""Snapshots: built for what the user may see, recorded, listed and downloaded again."""


from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from analytics import (
    audit,
)
from analytics.access import (
    AccessDenied,
    User,
    allowed_units,
    hidden_sources,
    require,
    visible_parts,
)
from analytics.actions.base import _record_write, _under, scoped
from analytics.config import ScoringConfig
from analytics.db import table_exists
from analytics.export import export as build_export
from analytics.export import file_name, records
from analytics.export.snapshot import EVERY_PART, Snapshot
from analytics.metrics import Scope
from analytics.periods import Period

__all__ = ["downloaded", "export", "record_export", "snapshot_file", "snapshots"]



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
