"""The snapshot as one self-contained web page: readable offline, printable on A4, the source of the PDF.

Plotly's JavaScript is inlined once and every figure comes from analytics.charts (the pages' look), drawn at
a fixed width that fits an A4 page, under a fixed div id, so the same snapshot gives the same bytes. All
text is escaped; the page loads nothing from anywhere.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from analytics import charts
from analytics.export.snapshot import (
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

CHART_WIDTH = 700  # px: an A4 page less its margins, at 96 px per inch
SHORT_CHART = 330  # px: the trend table and both trend charts on one page
NUMERIC = {"int", "rate", "score", "date", "int_change", "rate_change", "score_change"}
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": False}
CARD_KEYS = ("total", "new", "closed_this_period", "overdue", "recurred", "closure_rate", "completion_rate",
             "on_time_rate", "company_score")
# a rise in these is good news (green) or bad news (red); more problems found is neither
GOOD_WHEN_UP = {"closed_this_period", "closure_rate", "completion_rate", "on_time_rate", "company_score"}
BAD_WHEN_UP = {"overdue", "recurred"}

CSS = """
@page { size: A4; margin: 16mm 12mm 16mm 12mm;
  @top-right { content: "%(title)s"; font-family: %(font)s; font-size: 8pt; color: #888; }
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-family: %(font)s;
                   font-size: 8pt; color: #888; } }
@page :first { @top-right { content: none; } }
html { font-family: %(font)s; color: #222; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { max-width: 186mm; margin: 0 auto; font-size: 10pt; line-height: 1.45; }
h1 { font-size: 22pt; color: #b22222; margin: 40mm 0 10mm; text-align: center; letter-spacing: 2px; }
h2 { font-size: 15pt; color: #b22222; border-bottom: 2px solid #b22222; padding-bottom: 3px; margin: 0 0 8px; }
h3 { font-size: 11pt; margin: 14px 0 6px; }
section { break-before: page; }
section.cover { break-before: auto; }
.cover table.meta { width: 150mm; margin: 0 auto; font-size: 10.5pt; }
.cover table.meta th { width: 24mm; text-align: left; }
.cover .version { font-family: monospace; font-size: 8pt; word-break: break-all; }
.cover ol { width: 150mm; margin: 10mm auto 0; }
table { border-collapse: collapse; width: 100%%; font-size: 8.5pt; margin-bottom: 4px; }
table.wide { font-size: 7.5pt; }
th, td { border: 1px solid #bfbfbf; padding: 2px 4px; vertical-align: top; }
th { background: #dde5f0; font-weight: bold; text-align: center; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; }
td.text { white-space: pre-wrap; }
td.short { white-space: nowrap; }
p.note { color: #777; font-size: 8pt; margin: 2px 0 10px; }
p.empty { color: #777; }
.chart { break-inside: avoid; margin: 6px 0 10px; }
.charted { break-inside: avoid; }
.conclusion { margin: -6px 0 10px; font-size: 13px; color: #333; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; margin: 6px 0 12px; }
.card { border: 1px solid #d0d7e2; border-radius: 4px; padding: 6px 10px; break-inside: avoid; }
.card .label { color: #555; font-size: 9pt; }
.card .value { font-size: 17pt; font-weight: bold; }
.card .change { font-size: 8.5pt; color: #555; }
.card .change.bad { color: #c62828; }
.card .change.good { color: #2e7d32; }
@media screen { body { padding: 16px; } section { margin-top: 36px; } h1 { margin-top: 16px; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(table: Table) -> str:
    """A table, every cell escaped; numbers right-aligned."""
    columns = list(table.frame.columns)
    wide = " class=\"wide\"" if len(columns) > 9 else ""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = []
    for i, values in enumerate(table.frame.itertuples(index=False, name=None)):
        cells = []
        for column, value in zip(columns, values, strict=True):
            kind = table.kind(i, column)
            css = "num" if kind in NUMERIC else ("text" if column in LONG_TEXT_COLUMNS else "text short")
            cells.append(f"<td class=\"{css}\">{_e(format_value(value, kind))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = "".join(rows)
    out = [f"<h3>{_e(table.title)}</h3>"]
    out.append(f"<table{wide}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if rows
               else "<p class=\"empty\">（无）</p>")
    if table.note:
        out.append(f"<p class=\"note\">{_e(table.note)}</p>")
    return "\n".join(out)


def _figure(fig: go.Figure, div_id: str, height: int | None = None) -> str:
    """A figure without Plotly's JavaScript (inlined once in the head), at a fixed size and id."""
    fig.update_layout(width=CHART_WIDTH, autosize=False, **({"height": height} if height else {}))
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)
    said = charts.conclusion(fig)  # 核心结论 under the chart
    if not said:
        return f"<div class=\"chart\">{body}</div>"
    return (f"<div class=\"charted\"><div class=\"chart\">{body}</div>"
            f"<p class=\"conclusion\">核心结论：{html.escape(said)}</p></div>")


def _cards(s: Snapshot) -> str:
    changes = s.changes()
    out = []
    fields = s.headline_fields
    for key in (k for k in CARD_KEYS if k in fields):
        label, kind = fields[key]
        value = format_value(s.headline.get(key), kind)
        if key == "company_score" and s.headline.get("company_grade"):
            value += f"（{s.headline['company_grade']}）"
        change = changes[key]
        mood = ""
        if change and key in GOOD_WHEN_UP | BAD_WHEN_UP:
            mood = " good" if (change > 0) == (key in GOOD_WHEN_UP) else " bad"
        change_text = "较上季度 " + format_value(change, kind + "_change") if change is not None else "上季度无数据"
        out.append(f"<div class=\"card\"><div class=\"label\">{_e(label)}</div><div class=\"value\">{_e(value)}</div>"
                   f"<div class=\"change{mood}\">{_e(change_text)}</div></div>")
    return f"<div class=\"cards\">{''.join(out)}</div>"


def _charts(s: Snapshot, section: str) -> list[str]:
    """The Plotly figures of a part, from analytics.charts."""
    if section == TRENDS:
        trend = s.trend
        return [
            _figure(charts.lines(trend, "period", {"total": "问题总数", "new": "新增", "closed_this_period": "销号",
                                                   "overdue": "逾期"}, "各季度问题数量", "季度", "问题数（个）"),
                    "chart-trend-counts", SHORT_CHART),
            _figure(charts.lines(trend, "period", {"closure_rate": "销号率", "completion_rate": "整改完成率",
                                                   "on_time_rate": "按期整改率"}, "各季度整改比率", "季度", "比率",
                                 percent=True), "chart-trend-rates", SHORT_CHART),
        ]
    compare = len(s.unit_scores) > 1  # one unit: no bars comparing it with itself (as in the Word snapshot)
    if section == RATES:
        if len(s.rates_by_unit) < 2:
            return []
        # units down the side: their names read whole, however long and however many (no slanted, crowded labels)
        fig = charts.grouped_bars(s.rates_by_unit, "unit", {"closure_rate": "销号率", "completion_rate": "整改完成率",
                                                            "on_time_rate": "按期整改率"},
                                  "各单位整改比率", "单位", "比率", horizontal=True)
        fig.update_xaxes(tickformat=".0%", range=[0, 1.05], dtick=0.2)
        return [_figure(fig, "chart-unit-rates")]
    if section == SCORES:
        cfg = s.cfg
        units, dims = s.unit_scores, s.dimension_scores
        out = [_figure(charts.bars(units, "unit", "score", f"{s.period.label}单位综合得分排名", "单位", "综合得分",
                                   colors=list(units["color"]), horizontal=True), "chart-score-ranking")] \
            if compare else []
        out.append(_figure(charts.radar(s.radar_series(), "各维度得分对比", low=cfg.floor, high=cfg.start),
                           "chart-score-radar"))
        if not dims.empty:
            out.append(_figure(charts.heatmap(
                dims.rename(columns={"score": "得分"}), "dimension", "unit", "得分", "各单位维度得分", "维度", "单位",
                x_order=list(dict.fromkeys(dims["dimension"])), colorscale="RdYlGn", zmin=cfg.floor, zmax=cfg.start,
                text_format="{:.1f}"), "chart-score-matrix"))
        return out
    if section == WARNINGS:
        counts = pd.DataFrame({"tier": list(s.warning_counts), "count": list(s.warning_counts.values())})
        return [_figure(charts.bars(counts, "tier", "count", "各类预警数量", "预警类型", "数量（项）",
                                    colors=[TIER_COLORS.get(t, charts.PALETTE[1]) for t in counts["tier"]]),
                        "chart-warning-counts")]
    return []


def _cover(s: Snapshot) -> str:
    rows = "".join(f"<tr><th>{_e(label)}</th><td class=\"{'version' if label == '数据版本' else 'text'}\">{_e(text)}"
                   f"</td></tr>" for label, text in s.cover() if label != "标题")
    contents = "".join(f"<li><a href=\"#part-{i}\">{_e(name)}</a></li>" for i, name in enumerate(s.sections, 1))
    return (f"<section class=\"cover\"><h1>{_e(s.title)}</h1><table class=\"meta\">{rows}</table>"
            f"<ol>{contents}</ol></section>")


def write(snapshot: Snapshot) -> bytes:
    """The snapshot as one UTF-8 HTML file."""
    css = CSS % {"title": snapshot.title.replace('"', ""), "font": charts.FONT}
    parts = tables(snapshot)
    sections = [_cover(snapshot)]
    for i, section in enumerate(snapshot.sections, 1):
        body = [_cards(snapshot)] if section == HEADLINE else []
        body += [_table(t) for t in parts[section]]
        figures = _charts(snapshot, section)
        # charts before the long lists they summarise, after the short tables they draw
        body = body[:1] + figures + body[1:] if section == WARNINGS else body + figures
        sections.append(f"<section id=\"part-{i}\"><h2>{_e(section)}</h2>\n" + "\n".join(body) + "</section>")
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="generator" content="政治生态分析研判看板">
<meta name="data-version" content="{_e(snapshot.data_version)}">
<title>{_e(snapshot.title)}</title>
<style>{css}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
{chr(10).join(sections)}
</body>
</html>
"""
    return page.encode("utf-8")

