"""典型问题案例库: problems marked as typical cases, with tags and a short 案例说明, for 警示教育.

A case is a problem (its latest state in problem_state) plus what the 纪委 wrote about it; unmarking removes the
mark (the audit trail keeps that it was one).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics.db import has_table
from analytics.errors import DashboardError
from analytics.metrics import ALL, Scope

CASE_COLUMNS = ("problem_id", "problem_code", "unit", "source", "dimension", "severity", "description", "status",
                "tags", "summary", "marked_at", "marked_by")
MAX_TAGS = 10


def clean_tags(tags: list[str] | tuple[str, ...] | str) -> list[str]:
    """Tags as given (a list, or one text split at commas, 、 and spaces), trimmed, without repeats."""
    if isinstance(tags, str):
        for sep in ("，", "、", ",", ";", "；"):
            tags = tags.replace(sep, " ")
        tags = tags.split()
    kept = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if not kept:
        raise DashboardError("请至少填写一个案例标签")
    if len(kept) > MAX_TAGS or any(len(t) > 20 for t in kept):
        raise DashboardError(f"案例标签最多 {MAX_TAGS} 个，每个不超过 20 字")
    return kept


def mark(con: duckdb.DuckDBPyConnection, problem_id: int, tags: list[str] | str, summary: str, by: str,
         now: dt.datetime | None = None) -> list[str]:
    """Mark a problem as a typical case (or change its tags and 案例说明); the tags kept."""
    kept = clean_tags(tags)
    con.execute("INSERT OR REPLACE INTO typical_cases VALUES (?, ?, ?, ?, ?)",
                [int(problem_id), kept, (summary or "").strip() or None, now or dt.datetime.now(), by])
    return kept


def unmark(con: duckdb.DuckDBPyConnection, problem_id: int) -> bool:
    """Take a problem out of the library; whether it was in."""
    return bool(con.execute("DELETE FROM typical_cases WHERE problem_id = ? RETURNING problem_id",
                            [int(problem_id)]).fetchall())


def library(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, tags: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The cases within the scope (unit, source, dimension: the problem's latest state), those carrying any of
    ``tags`` when given; newest mark first."""
    if not has_table(con, "typical_cases") or not has_table(con, "problem_state"):
        return pd.DataFrame(columns=list(CASE_COLUMNS))
    where, params = scope.where()
    return con.execute(f"""
        SELECT {', '.join(CASE_COLUMNS)}
        FROM typical_cases JOIN (
            SELECT problem_id, problem_code, unit, source, dimension, severity, description, status
            FROM problem_state WHERE period_no = (SELECT max(period_no) FROM problem_state)
        ) USING (problem_id)
        WHERE {where} AND (CAST($tags AS VARCHAR[]) IS NULL OR list_has_any(tags, $tags))
        ORDER BY marked_at DESC, problem_id
    """, params | {"tags": None if tags is None else list(tags)}).df()


def all_tags(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every tag in use, for the filter and for picking the same words again."""
    if not has_table(con, "typical_cases"):
        return []
    return [r[0] for r in con.execute("SELECT DISTINCT unnest(tags) AS t FROM typical_cases ORDER BY t").fetchall()]
