"""快照记录: every exported file kept with its period, scope, format and data version, downloadable again as is.

The bytes themselves are stored (not regenerated), so a past snapshot comes back exactly as it was handed
out, even after later imports changed the figures.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd

from analytics.db import table_exists, transaction
from analytics.errors import DashboardError
from analytics.export.snapshot import Snapshot, scope_label
from analytics.metrics import Scope

LIST_COLUMNS = ("snapshot_id", "period", "scope", "scope_label", "format", "data_version", "masked", "created_at",
                "created_by", "file_name", "sha256", "size", "parts")


_SCOPE_FIELDS = ("units", "sources", "dimensions", "within")


def scope_json(scope: Scope) -> str:
    """The scope as stored: {"units": [...] or null, "sources": ..., "dimensions": ..., "within": ...,
    "hidden_sources": [...]}."""
    raw = {k: None if getattr(scope, k) is None else list(getattr(scope, k)) for k in _SCOPE_FIELDS}
    return json.dumps(raw | {"hidden_sources": list(scope.hidden_sources)}, ensure_ascii=False)


def scope_from_json(text: str) -> Scope:
    raw = json.loads(text)
    return Scope(*(None if raw.get(k) is None else tuple(raw[k]) for k in _SCOPE_FIELDS),
                 hidden_sources=tuple(raw.get("hidden_sources") or ()))


def parts_from_json(text: object) -> frozenset[str] | None:
    """The parts a snapshot shows; None for one recorded before parts were (NULL, NaN in a frame: it shows
    everything of its time)."""
    return frozenset(json.loads(text)) if isinstance(text, str) else None


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def record(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, fmt: str, content: bytes, file_name: str,
           user: str | None = None) -> int:
    """Keep an exported file; returns its snapshot id. Ids are never reused (snapshots are never deleted)."""
    with transaction(con):
        snapshot_id = con.execute("SELECT coalesce(max(snapshot_id), 0) + 1 FROM snapshots").fetchone()[0]
        con.execute(
            "INSERT INTO snapshots (snapshot_id, period, scope, format, data_version, masked, created_at, created_by,"
            " file_name, sha256, size, content, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [snapshot_id, str(snapshot.period), scope_json(snapshot.scope), fmt, snapshot.data_version,
             snapshot.masked, snapshot.generated_at, user, file_name, sha256(content),
             len(content), content, json.dumps(sorted(snapshot.parts))])
    return int(snapshot_id)


def list_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """快照记录, newest first, without the files themselves; scope_label is the scope in Chinese."""
    if not table_exists(con, "snapshots"):  # a database not opened for writing since snapshots were added
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    frame = con.execute("""
        SELECT snapshot_id, period, scope, format, data_version, masked, created_at, created_by, file_name, sha256,
               size, parts
        FROM snapshots ORDER BY snapshot_id DESC
    """).df()
    frame.insert(3, "scope_label", [scope_label(scope_from_json(s)) for s in frame["scope"]])
    return frame[list(LIST_COLUMNS)]


def snapshot_file(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> tuple[str, bytes]:
    """(file name, the exact bytes exported) of a recorded snapshot."""
    row = con.execute("SELECT file_name, content FROM snapshots WHERE snapshot_id = ?", [int(snapshot_id)]).fetchone() \
        if table_exists(con, "snapshots") else None
    if row is None:
        raise DashboardError(f"没有编号为 {snapshot_id} 的快照记录")
    return row[0], bytes(row[1])
