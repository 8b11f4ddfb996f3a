"""What a returned update workbook changes, before it is imported: for each problem, the fields that differ from
its state in the quarter the workbook was made from (status, progress, deadline, closed date, owner, measures);
the new problems; and the problems the workbook listed that the file no longer has (carried over unchanged).

Problems are matched as the import matches them (analytics.ledger: by 问题编号, else unit + source + description).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from analytics import org
from analytics.config import FIELD_LABELS
from analytics.ingest.parse import ParsedFile
from analytics.ledger import _MATCH_SQL  # the import's own matching rule, so that the preview cannot disagree
from analytics.periods import Period
from analytics.state import problem_details
from analytics.templates import NO_DEADLINE_WORD
from analytics.workbooks.build import open_problems

COMPARED = ("status", "progress", "deadline", "closed_date", "owner", "measures")
_PARSED = ("sheet", "excel_row", "problem_code", "description", "unit", "status", "progress", "deadline",
           "no_deadline", "closed_date", "owner", "measures", "identity")


@dataclass
class Changes:
    """changed: one row per changed field (problem_id, problem_code, description, field, before, after);
    unchanged: problems listed with no change; new: rows of problems not known before (sheet, excel_row,
    problem_code, description, status); carried: the workbook's problems missing from the file (problem_id,
    problem_code, description, status); other_units: units named in the file other than the workbook's."""

    changed: pd.DataFrame
    unchanged: int
    new: pd.DataFrame
    carried: pd.DataFrame
    other_units: list[str]

    @property
    def changed_problems(self) -> int:
        return self.changed["problem_id"].nunique() if not self.changed.empty else 0


def _rows(parsed: ParsedFile) -> pa.Table:
    tables = [s.rows for s in parsed.sheets if s.layout.kind == "problems" and s.rows.num_rows]
    if not tables:
        return pa.table({c: pa.array([], pa.string()) for c in _PARSED})
    kept = []
    for t in tables:
        present = {c: t[c] if c in t.column_names else pa.nulls(t.num_rows) for c in _PARSED}
        kept.append(pa.table(present))
    return pa.concat_tables(kept, promote_options="permissive")


def compare(con: duckdb.DuckDBPyConnection, parsed: ParsedFile, unit: str, base: Period,
            hidden_sources: tuple[str, ...] = ()) -> Changes:
    """The changes ``parsed`` (a unit's returned workbook, or any ledger of ``unit``) makes to ``base``'s state."""
    rows = _rows(parsed)
    frame = rows.to_pandas()
    match = _MATCH_SQL.format(code="problem_code", fingerprint="left(md5(identity), 20) AS fingerprint")
    # on a cursor of its own: the caller's connection may hold a result not fetched to the end, which register
    # refuses; the preview reads what is committed, as the import will
    with con.cursor() as cur:
        cur.register("parsed_rows", pa.table({"row_no": pa.array(range(rows.num_rows), pa.int64()),
                                              "problem_code": rows["problem_code"], "identity": rows["identity"]}))
        try:
            # the unit's company (组织架构 key's first part; '' without a register), as the import matches
            company = "" if org.load(con).empty else unit.split(org.SEP, 1)[0]
            matched = cur.sql(match, params={"company": company}).df()
        finally:
            with contextlib.suppress(duckdb.Error):
                cur.unregister("parsed_rows")
    frame["problem_id"] = matched["known_id"].to_numpy()
    ids = [int(i) for i in frame["problem_id"].dropna().unique()]
    before = _before(con, base, ids)
    changed, unchanged = [], 0
    known = frame[frame["problem_id"].notna() & frame["problem_id"].isin(before.index)]
    for row in known.itertuples():
        was = before.loc[int(row.problem_id)]
        diffs = [(FIELD_LABELS.get(f, f), old, new) for f in COMPARED
                 if (old := _shown(was[f], f, was["no_deadline"])) != (new := _shown(getattr(row, f), f,
                                                                                       row.no_deadline))]
        changed += [(int(row.problem_id), _text(row.problem_code), row.description, *d) for d in diffs]
        unchanged += not diffs
    changed_frame = pd.DataFrame(changed, columns=["problem_id", "problem_code", "description", "field", "before",
                                                   "after"], dtype=object)
    changed_frame = changed_frame.where(changed_frame.notna(), None)  # an empty value is None, never NaN
    fresh = frame[~frame.index.isin(known.index)]
    new = pd.DataFrame({"sheet": fresh["sheet"], "excel_row": fresh["excel_row"],
                        "problem_code": fresh["problem_code"].map(_text), "description": fresh["description"],
                        "status": fresh["status"]}).reset_index(drop=True)
    listed = open_problems(con, base, unit, hidden_sources)
    missing = listed[~listed["problem_id"].isin(ids)]
    carried = pd.DataFrame({"problem_id": missing["problem_id"], "problem_code": missing["problem_code"].map(_text),
                            "description": missing["description"], "status": missing["status"]}
                           ).reset_index(drop=True)
    others = sorted({u for u in frame["unit"].dropna() if u != unit})
    return Changes(changed_frame, unchanged, new, carried, others)


def _before(con: duckdb.DuckDBPyConnection, base: Period, ids: list[int]) -> pd.DataFrame:
    """Each problem's state in the base quarter, with its free text as of then, indexed by problem_id."""
    if not ids:
        return pd.DataFrame(columns=["status", "deadline", "no_deadline", "closed_date", *COMPARED])
    state = con.execute("""
        SELECT problem_id, status, deadline, no_deadline, closed_date FROM problem_state
        WHERE period_no = ? AND problem_id IN (SELECT unnest(CAST(? AS BIGINT[])))
    """, [base.index, ids]).df()
    details = problem_details(con, base.index, ids)[["problem_id", "owner", "measures", "progress"]]
    return state.merge(details, on="problem_id", how="left").set_index("problem_id")


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _shown(value: object, fld: str, no_deadline: object = False) -> str | None:
    """A value as compared and shown: dates as 2025-06-30, a deadline without one as 长期坚持, text trimmed."""
    if fld in ("deadline", "closed_date"):
        if value is None or pd.isna(value):
            flagged = no_deadline is not None and not pd.isna(no_deadline) and bool(no_deadline)
            return NO_DEADLINE_WORD if fld == "deadline" and flagged else None
        day = pd.Timestamp(value).date()
        return None if day == dt.date(1, 1, 1) else day.isoformat()
    return _text(value)
