"""DataFrame → Plotly figure, shared by the pages and the exports: one look, one set of colours.

Every chart has a Chinese title and axis labels; colours are fixed per source,
grade and deadline band so the same thing looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

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


def _count_axis(update: Callable[..., object], values: pd.Series | list) -> None:
    """Whole-number ticks on an axis of counts: never 0.5 of a problem. Plotly picks steps of 0.5 for a small
    range, so up to 10 the step is 1; above it Plotly's own steps are whole already."""
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").dropna()
    if numbers.empty or not (numbers == numbers.round()).all():
        return  # not counts (scores, shares): Plotly's ticks as they are
    top = float(numbers.max())
    update(tickformat=",d", rangemode="tozero", **({"dtick": 1} if top <= 10 else {}))


def text_px(text: object, size: int = 13) -> int:
    """About how wide a label is drawn, in px: a Chinese (or full-width) character is as wide as the type is high,
    a Latin letter or digit about 0.6 of it."""
    return round(sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in str(text)))


def _labels_px(labels: object) -> int:
    return max((text_px(v) for v in pd.Series(list(labels), dtype=object).dropna()), default=0)


def _layout(fig: go.Figure, title: str, x: str | None = None, y: str | None = None, height: int = 380,
            left: int | None = None, bottom: int | None = None) -> go.Figure:
    """Title, font, legend and margins. ``left``/``bottom``: px the category labels need there, reserved up front:
    Plotly's own automatic margins measure the labels once they are drawn, which a PDF printed before the Chinese
    font has loaded catches too small (the names then print cut off)."""
    # many series: legend on the right; a few: one row above the plot, clear of the axis titles
    many = len(fig.data) > 5
    legend = ({"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left"} if many else
              {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
        font={"family": FONT, "size": 13}, height=height,
        margin={"l": max(60, (left or 0) + 45), "r": 150 if many else 30, "t": 80,
                "b": max(60, (bottom or 0) + 45)},
        legend=legend, plot_bgcolor="white", hovermode="closest",
    )
    if x is not None:
        fig.update_xaxes(title_text=x, showgrid=False)
    if y is not None:
        fig.update_yaxes(title_text=y, gridcolor="#EEEEEE")
    return fig


# ---- 核心结论: one sentence per chart saying what it shows, from the same data (pure; the builders attach it) ----

def conclusion(fig: go.Figure) -> str | None:
    """The chart's 核心结论, as its builder attached it (None for a figure made elsewhere)."""
    meta = fig.layout.meta
    return meta.get("conclusion") if isinstance(meta, dict) else None


def _with_conclusion(fig: go.Figure, sentence: str) -> go.Figure:
    fig.update_layout(meta={"conclusion": sentence})
    return fig


def _value(v: object, percent: bool) -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"{float(v):.1%}" if percent else f"{float(v):g}"


def _move(now: float, before: float, percent: bool) -> str:
    if percent:
        diff = round(now * 100, 1) - round(before * 100, 1)
        return "持平" if abs(diff) < 0.05 else f"{'上升' if diff > 0 else '下降'}{abs(diff):.1f}个百分点"
    diff = now - before
    return "持平" if diff == 0 else f"{'增加' if diff > 0 else '减少'}{abs(diff):g}"


def lines_conclusion(frame: pd.DataFrame, x: str, series: dict[str, str], percent: bool = False) -> str:
    """The last point of each series and its move on the point before: 2025Q2问题总数233，较2025Q1增加39。"""
    if frame.empty:
        return "暂无数据。"
    last = frame.iloc[-1]
    parts = []
    for column, name in series.items():
        now = last[column]
        text = f"{name}{_value(now, percent)}"
        if len(frame) > 1 and not pd.isna(now) and not pd.isna(frame.iloc[-2][column]):
            text += f"，较{frame.iloc[-2][x]}{_move(float(now), float(frame.iloc[-2][column]), percent)}"
        parts.append(text)
    return f"{last[x]}：" + "；".join(parts) + "。"


def bars_conclusion(frame: pd.DataFrame, x: str, y: str, percent: bool = False) -> str:
    """The highest and the lowest bar: 最高为采购部（53），最低为党群工作部（11）。"""
    known = frame[frame[y].notna()] if not frame.empty else frame
    if known.empty:
        return "暂无数据。"
    order = known.sort_values(y, kind="stable")
    top, low = order.iloc[-1], order.iloc[0]
    if len(known) == 1 or top[y] == low[y]:
        return f"{'、'.join(map(str, known[x]))}均为{_value(top[y], percent)}。"
    return f"最高为{top[x]}（{_value(top[y], percent)}），最低为{low[x]}（{_value(low[y], percent)}）。"


def grouped_bars_conclusion(frame: pd.DataFrame, x: str, series: dict[str, str]) -> str:
    """Per series, where it is highest."""
    if frame.empty:
        return "暂无数据。"
    parts = []
    for column, name in series.items():
        known = frame[frame[column].notna()]
        if not known.empty:
            top = known.loc[known[column].idxmax()]
            parts.append(f"{name}最高为{top[x]}（{_value(top[column], float(known[column].max()) <= 1)}）")
    return "；".join(parts) + "。" if parts else "暂无数据。"


def stacked_bars_conclusion(frame: pd.DataFrame, x: str, y: str, stack: str) -> str:
    """The largest stack, and its largest part."""
    if frame.empty:
        return "暂无数据。"
    totals = frame.groupby(x, sort=False)[y].sum()
    top = totals.idxmax()
    part = frame[frame[x] == top].sort_values(y, ascending=False, kind="stable").iloc[0]
    return f"{top}合计最多（{totals[top]:g}），其中{part[stack]}{part[y]:g}。"


def heatmap_conclusion(frame: pd.DataFrame, x: str, y: str, z: str, text_format: str = "{:g}",
                       low_is_worse: bool = False) -> str:
    """The cell that stands out: the largest (or, for scores, the lowest)."""
    known = frame[frame[z].notna()] if not frame.empty else frame
    if known.empty:
        return "暂无数据。"
    cell = known.loc[known[z].idxmin() if low_is_worse else known[z].idxmax()]
    return f"{'最低' if low_is_worse else '最突出'}的是{cell[y]}的「{cell[x]}」（{text_format.format(cell[z])}）。"


def radar_conclusion(scores: dict[str, dict[str, float]]) -> str:
    """The first series' weakest and strongest dimensions."""
    if not scores:
        return "暂无数据。"
    name, dims = next(iter(scores.items()))
    if not dims:
        return "暂无数据。"
    low = min(dims, key=lambda d: dims[d])
    high = max(dims, key=lambda d: dims[d])
    return f"{name}得分最低的方面为「{low}」（{dims[low]:.1f}），最高的为「{high}」（{dims[high]:.1f}）。"


def empty(title: str, message: str = "暂无数据") -> go.Figure:
    """A titled chart that says there is nothing to show, instead of an empty frame."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 16, "color": "#888888"}, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _with_conclusion(_layout(fig, title), f"{message}。")


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
    else:
        _count_axis(fig.update_yaxes, frame[list(series)].stack())
    return _with_conclusion(_layout(fig, title, x_title, y_title), lines_conclusion(frame, x, series, percent))


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
    # the categories in the frame's order (quarters oldest first), not in the order the traces happen to meet them
    fig.update_xaxes(categoryorder="array", categoryarray=list(dict.fromkeys(frame[x])))
    _count_axis(fig.update_yaxes, frame.groupby(x)[y].sum())  # the stacks' heights
    return _with_conclusion(_layout(fig, title, x_title, y_title), stacked_bars_conclusion(frame, x, y, stack))


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
        _count_axis(fig.update_xaxes, frame[list(series)].stack())
        return _with_conclusion(_layout(fig, title, y_title, x_title, height=max(360, 34 * len(frame) + 140),
                                        left=_labels_px(frame[x])), grouped_bars_conclusion(frame, x, series))
    fig = go.Figure([go.Bar(x=frame[x], y=frame[c], name=n, marker_color=color_for(n, i))
                     for i, (c, n) in enumerate(series.items())])
    fig.update_layout(barmode="group")
    _count_axis(fig.update_yaxes, frame[list(series)].stack())
    return _with_conclusion(_layout(fig, title, x_title, y_title), grouped_bars_conclusion(frame, x, series))


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
        _count_axis(value_axis, frame[y])
    sentence = bars_conclusion(frame, x, y, percent)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        return _with_conclusion(_layout(fig, title, y_title, x_title, height=max(320, 28 * len(frame) + 120),
                                        left=_labels_px(frame[x])), sentence)
    return _with_conclusion(_layout(fig, title, x_title, y_title), sentence)


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
    # long column names slant (as Plotly would slant them anyway, but with the room for them reserved)
    longest = _labels_px(grid.columns)
    slanted = longest > 4 * 13
    if slanted:
        fig.update_xaxes(tickangle=-30)
    fig = _layout(fig, title, x_title, y_title, height=max(360, 30 * len(grid.index) + 160) + (longest // 2),
                  left=_labels_px(grid.index), bottom=longest // 2 + 10 if slanted else None)
    # a green-to-red scale of scores reads low as worse; counts read high as more
    return _with_conclusion(fig, heatmap_conclusion(frame, x, y, z, text_format,
                                                    low_is_worse=colorscale not in ("Reds", "Blues", "Oranges")))


# The radar's series: the unit looked at in the app's own red (.streamlit/config.toml primaryColor), what it is
# compared with in a quiet blue; both on white, as on the pages
RADAR_COLORS = ("#B22222", "#1F77B4", "#2CA02C", "#FF7F0E")
RADAR_WRAP = 7  # characters per line of a dimension's name where the chart is narrow (a page's column)


def _tint(colour: str, alpha: float) -> str:
    """A #RRGGBB colour as rgba() with this opacity: a fill that lets the grid and the other polygon show through."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def wrap_label(name: str, width: int | None) -> str:
    """A long name on lines of about equal length, none over ``width`` characters (None: as it is)."""
    if not width or len(name) <= width:
        return name
    lines = -(-len(name) // width)
    size = -(-len(name) // lines)
    return "<br>".join(name[i:i + size] for i in range(0, len(name), size))


def radar(scores: dict[str, dict[str, float]], title: str, low: float = 0, high: float = 100,
          wrap: int | None = None) -> go.Figure:
    """One closed polygon per series (the unit first, then what it is compared with) over the dimension names,
    in RADAR_COLORS; ``wrap``: break names longer than that onto lines (a narrow chart), else room is made for them
    whole at the sides. The legend sits below, clear of the top spoke's name."""
    if not scores:
        return empty(title)
    fig = go.Figure()
    longest = 0
    # drawn last first, so that the unit's polygon lies on top of what it is compared with; listed first first
    for i, (name, dims) in reversed(list(enumerate(scores.items()))):
        labels = list(dims)
        values = [dims[d] for d in labels]
        shown = [wrap_label(d, wrap) for d in labels]
        longest = max([longest, *(max(len(part) for part in s.split("<br>")) for s in shown)])
        colour = RADAR_COLORS[i % len(RADAR_COLORS)]
        fig.add_trace(go.Scatterpolar(r=[*values, values[0]], theta=[*shown, shown[0]], name=name,
                                      customdata=[*labels, labels[0]], fill="toself", legendrank=i + 1,
                                      line={"color": colour, "width": 2}, fillcolor=_tint(colour, 0.25),
                                      hovertemplate="%{customdata}：%{r:.1f}<extra>%{fullData.name}</extra>"))
    # ticks between two spokes, first spoke at the top, white as the pages' charts
    fig.update_layout(polar={
        "bgcolor": "white",
        "radialaxis": {"range": [low, high], "gridcolor": "#DDDDDD", "linecolor": "#BBBBBB", "angle": 22.5,
                       "tickfont": {"size": 10, "color": "#666666"}},
        "angularaxis": {"rotation": 90, "direction": "clockwise", "tickfont": {"size": 12}, "gridcolor": "#DDDDDD",
                        "linecolor": "#BBBBBB"},
    })
    fig = _layout(fig, title, height=520)
    # room at the sides for the names (about 13 px a character at 12 px type), the legend in a row below
    side = 30 + 13 * longest
    fig.update_layout(margin={"l": side, "r": side, "t": 90, "b": 70},
                      legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.06, "yanchor": "top"})
    return _with_conclusion(fig, radar_conclusion(scores))
