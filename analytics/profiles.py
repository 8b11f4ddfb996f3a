"""Ledger profiles (台账映射方案): the user's answers for one header layout, kept in the database so that the same
office's next ledger imports without a question; and categories the user assigned to a dimension.

A profile is keyed by its layout (analytics.ingest.answers.layout_key: the header texts in column order); its
headers are kept to show it, its answers as JSON. Headers are data here, never SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from analytics.config import ScoringConfig
from analytics.db import open_db, table_exists
from analytics.ingest.answers import Answers
from analytics.ingest.parse import ParsedFile


def saved(con: duckdb.DuckDBPyConnection) -> dict[str, Answers]:
    """Every profile's answers by layout key."""
    return {k: Answers.from_dict(json.loads(a))
            for k, a in con.execute("SELECT layout_key, answers FROM ledger_profiles").fetchall()}


def saved_in(db: Path | str) -> dict[str, Answers]:
    """Every profile's answers in a database file (none before its first import), read without holding it."""
    if not Path(db).exists():
        return {}
    with open_db(db, read_only=True) as con:
        return saved(con) if table_exists(con, "ledger_profiles") else {}


def listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every profile: key, name, headers, answers (as dicts), who and when; newest first."""
    frame = con.execute("""
        SELECT layout_key, name, headers, answers, created_at, created_by, updated_at, updated_by, used_at
        FROM ledger_profiles ORDER BY updated_at DESC, layout_key
    """).df()
    frame["headers"] = [json.loads(h) for h in frame["headers"]]
    frame["answers"] = [json.loads(a) for a in frame["answers"]]
    return frame


def save(con: duckdb.DuckDBPyConnection, layout: str, name: str, headers: list[str], answers: Answers,
         user: str | None) -> None:
    """Create or replace one layout's profile (its creation kept)."""
    now = dt.datetime.now().replace(microsecond=0)
    con.execute("""
        INSERT INTO ledger_profiles (layout_key, name, headers, answers, created_at, created_by, updated_at, updated_by)
        VALUES ($key, $name, $headers, $answers, $now, $user, $now, $user)
        ON CONFLICT (layout_key) DO UPDATE SET name = excluded.name, headers = excluded.headers,
            answers = excluded.answers, updated_at = excluded.updated_at, updated_by = excluded.updated_by
    """, {"key": layout, "name": name, "headers": json.dumps(headers, ensure_ascii=False),
          "answers": json.dumps(answers.as_dict(), ensure_ascii=False), "now": now, "user": user})


def delete(con: duckdb.DuckDBPyConnection, layout: str) -> bool:
    """Remove one profile; whether there was one."""
    return bool(con.execute("DELETE FROM ledger_profiles WHERE layout_key = ? RETURNING layout_key",
                            [layout]).fetchall())


def mark_used(con: duckdb.DuckDBPyConnection, layouts: list[str]) -> None:
    con.execute("UPDATE ledger_profiles SET used_at = ? WHERE list_contains(?, layout_key)",
                [dt.datetime.now().replace(microsecond=0), layouts])


def answered_layouts(parsed: ParsedFile) -> list[tuple[str, str, list[str], Answers]]:
    """(layout key, sheet, headers, answers) of each sheet whose columns were read with answers."""
    found = {}
    for sheet in parsed.sheets:
        layout = sheet.layout
        if layout.key and not layout.answers.is_empty():
            headers = [layout.headers[c] for c in sorted(layout.headers)]
            found.setdefault(layout.key, (layout.key, sheet.name, headers, layout.answers))
    return list(found.values())


def category_answers(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT category, dimension FROM category_answers").fetchall())


def assign_category(con: duckdb.DuckDBPyConnection, category: str, dimension: str, user: str | None,
                    scoring: ScoringConfig) -> list[int]:
    """Count a category under a dimension from now on (it replaces the keyword rule for it); the problems it
    touches, for the derived state to be refreshed."""
    if dimension not in (*scoring.dimension_names, scoring.unclassified):
        raise ValueError(f"未知的维度「{dimension}」")
    con.execute("INSERT OR REPLACE INTO category_answers VALUES (?, ?, ?, ?)",
                [category, dimension, dt.datetime.now().replace(microsecond=0), user])
    con.execute("DELETE FROM category_map WHERE category = ?", [category])
    return [r[0] for r in con.execute("SELECT DISTINCT problem_id FROM observations WHERE category = ?",
                                      [category]).fetchall()]


def unclassified_categories(con: duckdb.DuckDBPyConnection, unclassified: str) -> pd.DataFrame:
    """Categories that match no dimension, with how many problems carry them (largest first)."""
    return con.execute("""
        SELECT m.category, count(DISTINCT o.problem_id) AS problems
        FROM category_map m JOIN observations o ON o.category = m.category
        WHERE m.dimension = ? GROUP BY m.category ORDER BY problems DESC, m.category
    """, [unclassified]).df()
