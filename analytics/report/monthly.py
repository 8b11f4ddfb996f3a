"""月通报: the problem figures as of a month end, from the latest ledgers known by then, overdue counted as of
that day; and its Word document.

Ledgers are quarterly: the ledger of a quarter states each problem as of the quarter's end, so the latest known
at a month end is that of the last quarter ending on or before it (a quarter's ledger is not known before its
end). Each problem's state is read from problem_state at that quarter; what depends on the day — overdue
(an open problem with a dated deadline before the day), due (deadline on or before it) and on time — is
counted as of the month end itself, with the same rules as metrics' quarter-end figures.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
from docx import Document

from analytics.db import has_table
from analytics.errors import DashboardError
from analytics.export import docx as word
from analytics.export.snapshot import OVERDUE_COLUMNS, _table, data_version, scope_label
from analytics.metrics import (
    CLOSED_SQL,
    DAYS_OVERDUE_SQL,
    OPEN_SQL,
    OVERDUE_SQL,
    PROBLEM_COLUMNS,
    Scope,
    with_rates,
)
from analytics.periods import Period, quarter_of
from analytics.report import text
from analytics.report.writer import save
from analytics.state import COMPLETED_SQL

TITLE = "问题整改情况月通报"
SECTIONS = ("一、总体情况", "二、逾期问题情况", "三、有关要求")
# the quarter-end rules, counted at $as_of instead of the quarter's end
_AS_OF = "$as_of"
OVERDUE_AT_SQL = OVERDUE_SQL.replace("period_end", _AS_OF)
DAYS_OVERDUE_AT_SQL = DAYS_OVERDUE_SQL.replace("period_end", _AS_OF)
_COUNTS_SQL = f"""
    count(*) AS total,
    count(*) FILTER (WHERE {CLOSED_SQL}) AS closed,
    count(*) FILTER (WHERE {COMPLETED_SQL}) AS completed,
    count(*) FILTER (WHERE {OPEN_SQL}) AS open,
    count(*) FILTER (WHERE {OVERDUE_AT_SQL}) AS overdue,
    count(*) FILTER (WHERE recurred) AS recurred,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= {_AS_OF}) AS due,
    count(*) FILTER (WHERE deadline IS NOT NULL AND deadline <= {_AS_OF} AND {COMPLETED_SQL}
                     AND (completed_on <= deadline OR immediate)) AS on_time
"""
FIELDS = ("total", "closed", "completed", "open", "overdue", "recurred", "due", "on_time")
_MONTH = re.compile(r"^\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*月?\s*$")


def month_end(text: str | dt.date) -> dt.date:
    """The last day of a month given as 2025-05, 2025年5月, or any day in it."""
    if isinstance(text, dt.date):
        return text.replace(day=calendar.monthrange(text.year, text.month)[1])
    found = _MONTH.match(str(text))
    if not found or not 1 <= int(found[2]) <= 12:
        raise DashboardError(f"月份「{text}」无法识别，请写成 2025-05 或 2025年5月")
    year, month = int(found[1]), int(found[2])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def known_quarter(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Period:
    """The last quarter with a ledger whose end is on or before the day; a Chinese error when there is none."""
    last = quarter_of(as_of)
    if last.end > as_of:
        last = last.previous()
    row = con.execute("SELECT max(period_no) FROM problem_state WHERE period_no <= ?", [last.index]).fetchone() \
        if has_table(con, "problem_state") else (None,)
    if row[0] is None:
        raise DashboardError(f"截至{as_of:%Y-%m-%d}还没有已报送的问题台账（季度台账以季末为准）")
    return Period.from_index(int(row[0]))


def figures_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: Scope) -> tuple[Period, dict]:
    """(the ledger quarter used, its counts and rates as of the day)."""
    quarter = known_quarter(con, as_of)
    where, params = scope.where()
    row = con.execute(f"SELECT {_COUNTS_SQL} FROM problem_state WHERE period_no = $period_no AND {where}",
                      params | {"period_no": quarter.index, "as_of": as_of}).fetchone()
    return quarter, with_rates({f: int(v or 0) for f, v in zip(FIELDS, row, strict=True)})


def overdue_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: Scope) -> pd.DataFrame:
    """Problems overdue on the day, most overdue first (days counted to the day)."""
    quarter = known_quarter(con, as_of)
    where, params = scope.where()
    return con.execute(f"""
        SELECT {", ".join(PROBLEM_COLUMNS)}, {DAYS_OVERDUE_AT_SQL} AS days_overdue
        FROM problem_state WHERE period_no = $period_no AND {where} AND {OVERDUE_AT_SQL}
        ORDER BY days_overdue DESC, unit, problem_id
    """, params | {"period_no": quarter.index, "as_of": as_of}).df()


@dataclass(frozen=True, eq=False)
class Bulletin:
    """A 月通报's figures; attributes named as analytics.export.records expects of what it records."""

    as_of: dt.date
    period: Period  # the ledger quarter the figures come from
    scope: Scope
    parts: frozenset[str]
    generated_at: dt.datetime
    data_version: str
    figures: dict
    previous: dict | None  # as of the month end before (None: no ledger known then)
    by_unit: pd.DataFrame  # unit, open, overdue as of the day
    overdue: pd.DataFrame  # empty without "problems"
    masked: bool = False

    @property
    def scope_label(self) -> str:
        return scope_label(self.scope)

    @property
    def title(self) -> str:
        return f"{TITLE}（{self.as_of.year}年{self.as_of.month}月）"


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date, scope: Scope, *, parts: frozenset[str],
          now: dt.datetime | None = None) -> Bulletin:
    if "figures" not in parts:
        raise DashboardError("当前角色不能查看问题数量和整改率，无法生成月通报")
    quarter, figures = figures_as_of(con, as_of, scope)
    before = month_end(as_of.replace(day=1) - dt.timedelta(days=1))
    try:
        previous = figures_as_of(con, before, scope)[1]
    except DashboardError:
        previous = None
    overdue = overdue_as_of(con, as_of, scope)
    by_unit = (overdue.groupby("unit").size().rename("overdue").reset_index()
               .sort_values(["overdue", "unit"], ascending=[False, True], ignore_index=True))
    return Bulletin(as_of=as_of, period=quarter, scope=scope, parts=frozenset(parts),
                    generated_at=(now or dt.datetime.now()).replace(microsecond=0), data_version=data_version(con),
                    figures=figures, previous=previous, by_unit=by_unit,
                    overdue=overdue if "problems" in parts else pd.DataFrame())


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def sentences(b: Bulletin) -> dict[str, list[str]]:
    """Each section's paragraphs."""
    who = "公司" if b.scope.units is None else "、".join(b.scope.units)
    before = month_end(b.as_of.replace(day=1) - dt.timedelta(days=1))
    overdue = ["截至本月末没有逾期未整改的问题。"]
    if len(b.by_unit):
        listed = "、".join(f"{r.unit}{r.overdue}个" for r in b.by_unit.head(5).itertuples())
        overdue = [f"逾期未整改问题分布在{len(b.by_unit)}个单位，其中{listed}。"]
    demands = text.suggestions({"overdue": b.figures["overdue"], "recurred": b.figures["recurred"]}, [])
    return {SECTIONS[0]: text.monthly(who, _date(b.as_of), b.period.label, b.figures, b.previous, _date(before)),
            SECTIONS[1]: overdue, SECTIONS[2]: demands}


def write(b: Bulletin) -> bytes:
    doc = Document()
    word._set_up(doc)
    doc.add_paragraph(TITLE, style="公文标题")
    doc.add_paragraph(f"（{b.as_of.year}年{b.as_of.month}月）", style="公文标题")
    doc.add_paragraph(style="Normal")
    for heading, paragraphs in sentences(b).items():
        word._heading(doc, heading, 1)
        for p in paragraphs:
            doc.add_paragraph(word.plain(p))
    if "problems" in b.parts:
        table = _table(f"截至{_date(b.as_of)}逾期未整改问题清单", b.overdue,
                       {k: v for k, v in OVERDUE_COLUMNS.items() if k not in ("owner", "found_date", "source")})
        cells = word._Cells.of(table)
        width = word._orient(doc, cells.wide)
        word._heading(doc, "附表", 1)
        word._heading(doc, table.title, 2)
        if table.frame.empty:
            doc.add_paragraph("无。")
        else:
            word._table(doc, cells, width)
    return save(doc, b)
