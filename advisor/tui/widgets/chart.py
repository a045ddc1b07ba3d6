"""A small column chart drawn with Unicode eighth blocks: groups of bars along an x axis.

`render_columns` is a pure function from numbers to lines of Rich `Text` (tested without a
terminal); `ColumnChart` is the widget that draws it at its current size. Missing values
(None) draw as a `×` on the axis — for the charts that means "does not fit in memory".
A threshold (a latency target) draws as a dashed line behind the bars. Only for display:
no numbers are computed here beyond scaling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.text import Text
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS_WIDTH = 9


@dataclass(frozen=True)
class ChartData:
    """Series of values over shared x labels, with how to scale and label them."""

    x_labels: tuple[str, ...]
    series: tuple[tuple[float | None, ...], ...]
    colors: tuple[str, ...]
    fmt: Callable[[float], str] = field(default=lambda v: f"{v:.3g}")
    log: bool = False
    threshold: float | None = None


def _scale(data: ChartData) -> tuple[float, float] | None:
    values = [v for s in data.series for v in s if v is not None and v > 0]
    if data.threshold is not None:
        values.append(data.threshold)
    if not values:
        return None
    high = max(values) * 1.05
    low = min(values) / 1.5 if data.log else 0.0
    return low, high


def _fraction(value: float, low: float, high: float, log: bool) -> float:
    if log:
        value, low, high = math.log(max(value, 1e-300)), math.log(low), math.log(high)
    return min(1.0, max(0.0, (value - low) / (high - low))) if high > low else 1.0


def _column(value: float | None, rows: int, low: float, high: float, log: bool) -> list[str]:
    """Characters of one bar from the top row down; '×' on the base when missing."""
    if value is None:
        return [" "] * (rows - 1) + ["×"]
    eighths = max(1, round(_fraction(value, low, high, log) * rows * 8))
    cells = []
    for row in range(rows):  # row 0 is the top
        below = (rows - 1 - row) * 8
        cells.append(EIGHTHS[min(8, max(0, eighths - below))])
    return cells


def render_columns(data: ChartData, width: int, height: int) -> list[Text]:
    """The chart as `height` lines of at most `width` cells (axis labels included)."""
    scale = _scale(data)
    if scale is None or height < 3:
        return [Text("no data", style="dim")]
    low, high = scale
    rows = height - 1  # last line holds the x labels
    groups, n = len(data.x_labels), max(1, len(data.series))
    bar = max(1, min(3, (width - AXIS_WIDTH - groups) // max(1, groups * n)))
    group_width = bar * n + 1
    columns = [[_column(s[i] if i < len(s) else None, rows, low, high, data.log) for s in data.series]
               for i in range(groups)]
    marker = _threshold_row(data, rows, low, high)
    lines = []
    for row in range(rows):
        line = Text(_axis_label(row, rows, low, high, data), style="dim")
        for group in columns:
            for index, col in enumerate(group):
                char = col[row]
                if char == " " and row == marker:
                    line.append("╌" * bar, style="red")
                else:
                    line.append(char * bar, style=data.colors[index % len(data.colors)])
            line.append("╌" if row == marker else " ", style="red")
        lines.append(line)
    lines.append(_x_axis(data.x_labels, group_width))
    return lines


def _threshold_row(data: ChartData, rows: int, low: float, high: float) -> int | None:
    if data.threshold is None:
        return None
    return rows - 1 - min(rows - 1, int(_fraction(data.threshold, low, high, data.log) * rows))


def _axis_label(row: int, rows: int, low: float, high: float, data: ChartData) -> str:
    if row == 0:
        text = data.fmt(high)
    elif row == rows - 1:
        text = data.fmt(low) if data.log else "0"
    elif row == rows // 2:
        mid = math.sqrt(low * high) if data.log else (low + high) / 2
        text = data.fmt(mid)
    else:
        text = ""
    return text[: AXIS_WIDTH - 2].rjust(AXIS_WIDTH - 2) + " ┤"


def _x_axis(labels: tuple[str, ...], group_width: int) -> Text:
    line = Text(" " * AXIS_WIDTH, style="dim")
    for label in labels:
        line.append(label[:group_width].ljust(group_width), style="dim")
    return line


class ColumnChart(Widget):
    """Draws `ChartData` to fit the widget; set `data` to redraw."""

    DEFAULT_CSS = """
    ColumnChart { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: ChartData | None = None

    def show(self, data: ChartData | None) -> None:
        self._data = data
        self.refresh()

    def render(self) -> Text:
        if self._data is None:
            return Text("")
        lines = render_columns(self._data, self.size.width, self.size.height)
        return Text("\n").join(lines)
