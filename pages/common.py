"""What every page shares: the database path, the data revision, cached reads, number formats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from analytics import metrics
from analytics.config import database_path
from analytics.db import open_db, revision, table_exists


def db_path() -> Path:
    return database_path()


def data_revision() -> int | None:
    """The database's change counter (None when there is no database yet): the key of every cached figure."""
    path = db_path()
    if not path.exists():
        return None
    with open_db(path, read_only=True) as con:
        return revision(con) if table_exists(con, "meta") else None


def read(fn: Callable, *args):
    """Run an analytics function on a short-lived read-only connection, so the CLI can still write."""
    with open_db(db_path(), read_only=True) as con:
        return fn(con, *args)


@st.cache_data(show_spinner=False, max_entries=64)
def summary(db: str, rev: int, period: str | None) -> dict:
    return read(metrics.summary, period)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
