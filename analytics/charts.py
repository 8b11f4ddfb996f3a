"""DataFrame → Plotly figure, shared by the pages and the exports: one look, one set of colours.

Every chart has a Chinese title and axis labels; colours are fixed per source,
grade and deadline band so the same thing looks the same everywhere.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.config import scoring_config

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, SimHei, sans-serif"
SOURCE_COLORS = {
    "巡视巡察": "#B22222", "审计": "#1F77B4", "日常监督": "#2CA02C", "专项监督": "#FF7F0E",
    "信访举报": "#9467BD", "沟通会商": "#8C564B", "自查自纠": "#17BECF", "其他": "#7F7F7F",
}
BAND_COLORS = {"逾期": "#C62828", "yellow": "#F9A825", "green": "#2E7D32"}
PALETTE = ["#B22222", "#1F77B4", "#2CA02C", "#FF7F0E", "#9467BD", "#8C564B", "#17BECF", "#BCBD22", "#E377C2",
           "#7F7F7F"]
SERIES_COLORS = {"问题总数": "#1F77B4", "新增": "#FF7F0E", "销号": "#2CA02C", "逾期": "#C62828", "复发": "#9467BD",
                 "销号率": "#2CA02C", "整改完成率": "#1F77B4", "按期整改率": "#FF7F0E",
                 "应完成": "#1F77B4", "已完成": "#2CA02C", "完成率": "#2CA02C"}


def color_for(name: str, index: int = 0) -> str:
    """A stable colour for a source or a series name, else one from the palette."""
    return SOURCE_COLORS.get(name) or SERIES_COLORS.get(name) or PALETTE[index % len(PALETTE)]


def _layout(fig: go.Figure, title: str, x: str | None = None, y: str | None = None, height: int = 380) -> go.Figure:
    # many series: legend on the right; a few: one row above the plot, clear of the axis titles
    many = len(fig.data) > 5
    legend = ({"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left"} if many else
              {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        font={"family": FONT, "size": 13}, height=height,
        margin={"l": 60, "r": 150 if many else 30, "t": 80, "b": 60}, legend=legend,
        plot_bgcolor="white", hovermode="closest",
    )
    if x is not None:
        fig.update_xaxes(title_text=x, showgrid=False)
    if y is not None:
        fig.update_yaxes(title_text=y, gridcolor="#EEEEEE")
    return fig


def empty(title: str, message: str = "暂无数据") -> go.Figure:
    """A titled chart that says there is nothing to show, instead of an empty frame."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 16, "color": "#888888"}, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title)


def lines(frame: pd.DataFrame, x: str, series: dict[str, str], title: str, x_title: str, y_title: str,
          percent: bool = False) -> go.Figure:
    """One line per column in ``series`` (column → legend name)."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    for i, (column, name) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=frame[x], y=frame[column], name=name, mode="lines+markers",
                                 line={"color": color_for(name, i), "width": 2}))
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, title, x_title, y_title)


def stacked_bars(frame: pd.DataFrame, x: str, y: str, stack: str, title: str, x_title: str, y_title: str,
                 order: list[str] | None = None) -> go.Figure:
    """Bars of ``y`` per ``x``, stacked by ``stack`` (sources keep their colours)."""
    if frame.empty:
        return empty(title)
    fig = go.Figure()
    names = order or sorted(frame[stack].dropna().unique())
    for i, name in enumerate(names):
        part = frame[frame[stack] == name]
        if not part.empty:
            fig.add_trace(go.Bar(x=part[x], y=part[y], name=str(name), marker_color=color_for(str(name), i)))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, x_title, y_title)


def grouped_bars(frame: pd.DataFrame, x: str, series: dict[str, str], title: str, x_title: str,
                 y_title: str, horizontal: bool = False) -> go.Figure:
    """Side-by-side bars, one per column in ``series``; horizontal for long category names."""
    if frame.empty:
        return empty(title)
    if horizontal:
        fig = go.Figure([go.Bar(y=frame[x], x=frame[c], name=n, orientation="h", marker_color=color_for(n, i))
                         for i, (c, n) in enumerate(series.items())])
        fig.update_layout(barmode="group")
        fig.update_yaxes(autorange="reversed")
        return _layout(fig, title, y_title, x_title, height=max(360, 34 * len(frame) + 140))
    fig = go.Figure([go.Bar(x=frame[x], y=frame[c], name=n, marker_color=color_for(n, i))
                     for i, (c, n) in enumerate(series.items())])
    fig.update_layout(barmode="group")
    return _layout(fig, title, x_title, y_title)


def bars(frame: pd.DataFrame, x: str, y: str, title: str, x_title: str, y_title: str,
         colors: list[str] | None = None, percent: bool = False, horizontal: bool = False) -> go.Figure:
    """Simple bars, optionally with a colour per bar (grades, bands)."""
    if frame.empty:
        return empty(title)
    bar = (go.Bar(y=frame[x], x=frame[y], orientation="h") if horizontal else go.Bar(x=frame[x], y=frame[y]))
    bar.marker.color = colors or PALETTE[1]
    bar.text = [f"{v:.0%}" if percent else f"{v:g}" for v in frame[y].fillna(0)]
    bar.textposition = "outside"
    bar.cliponaxis = False  # value labels past the axis end stay visible
    fig = go.Figure(bar)
    top = float(frame[y].max()) if frame[y].notna().any() else 1.0
    value_axis = fig.update_xaxes if horizontal else fig.update_yaxes
    if percent:
        value_axis(tickformat=".0%", range=[0, 1.12])
    else:
        value_axis(range=[0, top * 1.12 if top > 0 else 1])
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        return _layout(fig, title, y_title, x_title, height=max(320, 28 * len(frame) + 120))
    return _layout(fig, title, x_title, y_title)


def heatmap(frame: pd.DataFrame, x: str, y: str, z: str, title: str, x_title: str, y_title: str,
            x_order: list[str] | None = None, colorscale: str = "Reds", zmin: float | None = None,
            zmax: float | None = None, text_format: str = "{:g}") -> go.Figure:
    """A y × x grid of z (long-form input); missing cells stay blank."""
    if frame.empty:
        return empty(title)
    grid = frame.pivot_table(index=y, columns=x, values=z, aggfunc="sum")
    if x_order:
        grid = grid.reindex(columns=[c for c in x_order if c in grid.columns])
    text = [[("" if pd.isna(v) else text_format.format(v)) for v in row] for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=list(grid.columns), y=list(grid.index), colorscale=colorscale,
                               zmin=zmin, zmax=zmax, text=text, texttemplate="%{text}", hoverongaps=False,
                               colorbar={"title": {"text": z if z.isascii() else ""}}))
    return _layout(fig, title, x_title, y_title, height=max(360, 30 * len(grid.index) + 160))


def radar(scores: dict[str, dict[str, float]], title: str, low: float = 0, high: float = 100) -> go.Figure:
    """One closed polygon per series (e.g. a unit and the company) over the dimension names."""
    if not scores:
        return empty(title)
    fig = go.Figure()
    for i, (name, dims) in enumerate(scores.items()):
        labels = list(dims)
        values = [dims[d] for d in labels]
        fig.add_trace(go.Scatterpolar(r=[*values, values[0]], theta=[*labels, labels[0]], name=name,
                                      fill="toself", opacity=0.6, line={"color": PALETTE[i % len(PALETTE)]}))
    # ticks between two spokes, first spoke at the top, room at the sides for the long dimension names
    fig.update_layout(polar={
        "radialaxis": {"range": [low, high], "gridcolor": "#DDDDDD", "angle": 22.5, "tickfont": {"size": 10}},
        "angularaxis": {"rotation": 90, "direction": "clockwise", "tickfont": {"size": 12}},
    })
    fig = _layout(fig, title, height=500)
    fig.update_layout(margin={"l": 130, "r": 130, "t": 90, "b": 40})
    return fig


def grade_colors(grades: pd.Series) -> list[str]:
    """The configured colour of each grade name."""
    by_name = {g.name: g.color for g in scoring_config().grades}
    return [by_name.get(g, "#7F7F7F") for g in grades]
