"""The snapshot as an Excel workbook: a 封面 sheet, then one sheet per part with formatted tables and native charts.

Charts are Excel's own (xlsxwriter), drawn from the cells beside them, so the office can edit figures and
charts alike. Ledger text is always written as a string: a description starting with =, +, - or @ stays text.
The same snapshot always gives the same bytes (fixed creation date, xlsxwriter's fixed zip timestamps).
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from analytics import charts
from analytics.export.snapshot import (
    COVER,
    HEADLINE,
    LONG_TEXT_COLUMNS,
    RATES,
    SCORES,
    TIER_COLORS,
    TRENDS,
    WARNINGS,
    Snapshot,
    Table,
    format_value,
    tables,
)

WIDE_MAX, NARROW_MAX, MIN_WIDTH = 48, 24, 6  # long text wraps at WIDE_MAX characters
NUMBER_FORMATS = {"int": "0", "rate": "0.0%", "score": "0.0", "date": "yyyy-mm-dd", "int_change": "+0;-0;0",
                  "rate_change": "+0.0%;-0.0%;0.0%", "score_change": "+0.0;-0.0;0.0"}
FIRST_TABLE_ROW = 3  # below the sheet heading and its subtitle
CHART_WIDTH, CHART_HEIGHT, ROW_PX = 720, 346, 20
FONT = {"name": "微软雅黑"}


def _width(text: str) -> int:
    """Display width in Excel character units: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class _Formats:
    """The workbook's cell formats, made once (xlsxwriter formats belong to one workbook)."""

    def __init__(self, wb: Workbook):
        base = {"font_name": FONT["name"], "font_size": 10, "valign": "top"}
        cell = base | {"border": 1, "border_color": "#BFBFBF"}
        self.heading = wb.add_format(base | {"bold": True, "font_size": 16, "font_color": "#B22222"})
        self.subtitle = wb.add_format(base | {"font_color": "#595959"})
        self.title = wb.add_format(base | {"bold": True, "font_size": 12})
        self.note = wb.add_format(base | {"italic": True, "font_color": "#7F7F7F"})
        self.header = wb.add_format(cell | {"bold": True, "bg_color": "#DDE5F0", "text_wrap": True,
                                            "align": "center", "valign": "vcenter"})
        self.label = wb.add_format(cell | {"bold": True, "bg_color": "#F2F2F2"})
        self.text = wb.add_format(cell)
        self.wrapped = wb.add_format(cell | {"text_wrap": True})
        self.link = wb.add_format(base | {"font_color": "#1F4E79", "underline": 1})
        self.numbers = {kind: wb.add_format(cell | {"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}


@dataclass(frozen=True)
class _Placed:
    """Where a table landed: its header row and the rows and columns of its data."""

    table: Table
    sheet: str
    header_row: int

    @property
    def first(self) -> int:
        return self.header_row + 1

    @property
    def last(self) -> int:
        return self.header_row + len(self.table.frame)

    def col(self, header: str) -> int:
        return list(self.table.frame.columns).index(header)

    def cells(self, header: str) -> list:
        """A chart range: this column's data cells."""
        c = self.col(header)
        return [self.sheet, self.first, c, self.last, c]

    def name(self, header: str) -> list:
        """A chart series name taken from the header cell (never a literal that Excel could read as a formula)."""
        return [self.sheet, self.header_row, self.col(header)]


def _write_cell(ws: Worksheet, row: int, col: int, value: object, kind: str, f: _Formats, wide: bool) -> None:
    if value is None:
        ws.write_blank(row, col, None, f.text)
    elif kind in NUMBER_FORMATS and kind != "date" and isinstance(value, int | float):
        ws.write_number(row, col, value, f.numbers[kind])
    elif kind == "date" and isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), f.numbers["date"])
    else:
        ws.write_string(row, col, str(value), f.wrapped if wide else f.text)  # ledger text: never a formula


def _write_table(ws: Worksheet, table: Table, row: int, f: _Formats) -> tuple[_Placed, int]:
    """Title, header, rows and note from ``row`` on; returns where it landed and the next free row."""
    ws.write_string(row, 0, table.title, f.title)
    header_row = row + 1
    columns = list(table.frame.columns)
    for c, header in enumerate(columns):
        ws.write_string(header_row, c, header, f.header)
    for i, values in enumerate(table.frame.itertuples(index=False, name=None)):
        for c, (header, value) in enumerate(zip(columns, values, strict=True)):
            _write_cell(ws, header_row + 1 + i, c, value, table.kind(i, header), f, header in LONG_TEXT_COLUMNS)
    row = header_row + 1 + len(table.frame)
    if table.frame.empty:
        ws.write_string(row, 0, "（无）", f.note)
        row += 1
    if table.note:
        ws.write_string(row, 0, table.note, f.note)
        row += 1
    return _Placed(table, ws.get_name(), header_row), row + 1


def _set_widths(ws: Worksheet, placed: list[_Placed]) -> None:
    """Fit each column to its widest header or value (CJK counted double), wrapping long text."""
    widths: dict[int, int] = {}
    for p in placed:
        frame = p.table.frame
        for c, header in enumerate(frame.columns):
            texts = [header] + [format_value(v, p.table.kind(i, header)) for i, v in enumerate(frame[header])]
            cap = WIDE_MAX if header in LONG_TEXT_COLUMNS else NARROW_MAX
            widths[c] = max(widths.get(c, MIN_WIDTH), min(cap, max(_width(t) for t in texts) + 2))
    for c, width in widths.items():
        ws.set_column(c, c, width)


def _page_setup(ws: Worksheet, header_row: int | None = None) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide
    if header_row is not None:
        ws.repeat_rows(header_row)


def _chart(wb: Workbook, kind: str, title: str, subtype: str | None = None) -> xlsxwriter.chart.Chart:
    chart = wb.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
    chart.set_title({"name": title, "name_font": FONT | {"size": 12, "bold": True}})
    chart.set_legend({"position": "bottom", "font": FONT})
    chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    return chart


def _axis(**extra: object) -> dict:
    return {"num_font": FONT, "name_font": FONT | {"bold": False}} | extra


def _trend_charts(wb: Workbook, p: _Placed) -> list:
    counts = _chart(wb, "line", "各季度问题数量")
    for header in ("问题总数", "新增", "本期销号", "逾期"):
        color = charts.color_for({"本期销号": "销号"}.get(header, header))
        counts.add_series({"name": p.name(header), "categories": p.cells("季度"), "values": p.cells(header),
                           "line": {"color": color, "width": 2}, "marker": {"type": "circle", "size": 5,
                                                                           "fill": {"color": color},
                                                                           "border": {"color": color}}})
    counts.set_x_axis(_axis(name="季度"))
    counts.set_y_axis(_axis(name="问题数（个）", major_gridlines={"visible": True, "line": {"color": "#EEEEEE"}}))
    rates = _chart(wb, "line", "各季度整改比率")
    for header in ("销号率", "整改完成率", "按期整改率"):
        color = charts.color_for(header)
        rates.add_series({"name": p.name(header), "categories": p.cells("季度"), "values": p.cells(header),
                          "line": {"color": color, "width": 2}, "marker": {"type": "circle", "size": 5,
                                                                          "fill": {"color": color},
                                                                          "border": {"color": color}}})
    rates.set_x_axis(_axis(name="季度"))
    rates.set_y_axis(_axis(name="比率", num_format="0%", min=0, max=1,
                           major_gridlines={"visible": True, "line": {"color": "#EEEEEE"}}))
    return [counts, rates]


def _rate_charts(wb: Workbook, p: _Placed) -> list:
    chart = _chart(wb, "bar", "各单位整改比率")
    for header in ("销号率", "整改完成率", "按期整改率"):
        chart.add_series({"name": p.name(header), "categories": p.cells("单位"), "values": p.cells(header),
                          "fill": {"color": charts.color_for(header)}, "gap": 60})
    chart.set_x_axis(_axis(num_format="0%", min=0, max=1))  # a bar chart's x axis is the horizontal value axis
    # first unit (most problems) on top, as in the table; crossing at the last category keeps the values below
    chart.set_y_axis(_axis(reverse=True, crossing="max"))
    chart.set_size({"width": CHART_WIDTH, "height": max(CHART_HEIGHT, 60 * len(p.table.frame) + 80)})
    return [chart]


def _score_charts(wb: Workbook, ranking: _Placed, radar: _Placed, colors: list[str]) -> list:
    out = []
    if not ranking.table.frame.empty:
        bars = _chart(wb, "bar", "单位综合得分排名")
        bars.add_series({"name": ranking.name("综合得分"), "categories": ranking.cells("单位"),
                         "values": ranking.cells("综合得分"), "points": [{"fill": {"color": c}} for c in colors],
                         "data_labels": {"value": True, "num_format": "0.0", "font": FONT}, "gap": 50})
        bars.set_x_axis(_axis(num_format="0", max=100))
        bars.set_y_axis(_axis(reverse=True, crossing="max"))
        bars.set_legend({"none": True})
        bars.set_size({"width": CHART_WIDTH, "height": max(CHART_HEIGHT, 28 * len(ranking.table.frame) + 100)})
        out.append(bars)
    series = [h for h in radar.table.frame.columns if h != "维度"]
    if series and not radar.table.frame.empty:
        chart = _chart(wb, "radar", "各维度得分对比", "marker")
        for i, header in enumerate(series):
            color = charts.RADAR_COLORS[i % len(charts.RADAR_COLORS)]  # the pages' radar colours
            chart.add_series({"name": radar.name(header), "categories": radar.cells("维度"),
                              "values": radar.cells(header), "line": {"color": color, "width": 2},
                              "marker": {"type": "circle", "size": 5, "fill": {"color": color},
                                         "border": {"color": color}}})
        chart.set_y_axis(_axis(min=0, max=100, major_unit=20))
        chart.set_x_axis(_axis())
        chart.set_size({"width": CHART_WIDTH, "height": 460})
        out.append(chart)
    return out


def _warning_charts(wb: Workbook, p: _Placed) -> list:
    chart = _chart(wb, "column", "各类预警数量")
    chart.add_series({"name": p.name("数量"), "categories": p.cells("预警类型"), "values": p.cells("数量"),
                      "points": [{"fill": {"color": TIER_COLORS.get(t, charts.PALETTE[1])}}
                                 for t in p.table.frame["预警类型"]],
                      "data_labels": {"value": True, "font": FONT}, "gap": 80})
    chart.set_y_axis(_axis(name="数量（项）", min=0))
    chart.set_x_axis(_axis())
    chart.set_legend({"none": True})
    return [chart]


def _cover(wb: Workbook, s: Snapshot, f: _Formats) -> None:
    ws = wb.add_worksheet(COVER)
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 90)
    ws.set_row(0, 24)
    ws.write_string(0, 0, s.title, f.heading)
    row = 2
    for label, text in s.cover():
        ws.write_string(row, 0, label, f.label)
        ws.write_string(row, 1, text, f.wrapped)
        row += 1
    row += 1
    ws.write_string(row, 0, "内容", f.title)
    for section in s.sections:
        row += 1
        ws.write_url(row, 1, f"internal:'{section}'!A1", f.link, string=section)
    _page_setup(ws)
    ws.set_portrait()


def write(snapshot: Snapshot) -> bytes:
    """The snapshot as .xlsx bytes."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    # a fixed creation date (the snapshot's) keeps the bytes equal between two exports of the same snapshot;
    # the file stores UTC, generated_at is local time
    created = snapshot.generated_at.astimezone(dt.UTC).replace(tzinfo=None)
    wb.set_properties({"title": snapshot.title, "subject": snapshot.scope_label, "author": "政治生态分析研判看板",
                       "comments": f"数据版本 {snapshot.data_version}", "created": created})
    f = _Formats(wb)
    _cover(wb, snapshot, f)
    parts = tables(snapshot)
    for section in snapshot.sections:
        ws = wb.add_worksheet(section)
        ws.set_row(0, 24)  # the 16 pt heading
        ws.write_string(0, 0, section, f.heading)
        ws.write_string(1, 0, f"{snapshot.period.label}（截至 {snapshot.period.end:%Y-%m-%d}）｜{snapshot.scope_label}"
                              f"｜生成于 {snapshot.generated_at:%Y-%m-%d %H:%M}", f.subtitle)
        row, placed = FIRST_TABLE_ROW, []
        for table in parts[section]:
            p, row = _write_table(ws, table, row, f)
            placed.append(p)
        _set_widths(ws, placed)
        single = len(placed) == 1
        if single and not placed[0].table.frame.empty and section != HEADLINE:
            ws.freeze_panes(placed[0].first, 0)
            ws.autofilter(placed[0].header_row, 0, placed[0].last, len(placed[0].table.frame.columns) - 1)
        made = []
        if section == TRENDS and not placed[0].table.frame.empty:
            made = _trend_charts(wb, placed[0])
        elif section == RATES and not placed[0].table.frame.empty:
            made = _rate_charts(wb, placed[0])
        elif section == SCORES:
            made = _score_charts(wb, placed[0], placed[1], list(snapshot.unit_scores["color"]))
        elif section == WARNINGS:
            made = _warning_charts(wb, placed[0])
        # a long list repeats its header on every printed page; over a chart a repeated header would only confuse
        _page_setup(ws, placed[0].header_row if single and not made else None)
        for chart in made:  # below the tables, one under the other
            ws.insert_chart(row, 0, chart)
            row += chart.height // ROW_PX + 2
    wb.close()
    return buffer.getvalue()
