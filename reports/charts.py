"""Server-rendered SVG charts: the geometry is computed here, templates/reports/includes/ draws it with classes
from static/css/reports.css (no inline styles, no script, nothing from a CDN)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 20, 8, 150


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten not below `value` (at least 1): a readable top of the axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)


@dataclass(frozen=True)
class Line:
    name: str
    css_class: str
    points: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # the first and last day's labels stay inside the chart


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM


def line_chart(days: Sequence[date], series: Sequence[tuple[str, str, Sequence[int]]]) -> LineChart:
    """One line per (name, css class, values by day)."""
    top = nice_ceiling(max((max(values, default=0) for _, _, values in series), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return round(TOP + plot_height * (1 - value / top), 1)

    lines = [
        Line(
            name=name,
            css_class=css_class,
            points=" ".join(f"{round(LEFT + index * step, 1)},{y(value)}" for index, value in enumerate(values)),
        )
        for name, css_class, values in series
    ]
    y_ticks = [Tick(position=y(value), label=str(value)) for value in (0, top // 2, top) if value or top]
    picked = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    x_ticks = [
        Tick(
            position=round(LEFT + index * step, 1),
            label=f"{days[index]:%d %b}",
            anchor="start" if index == 0 else "end" if index == len(days) - 1 else "middle",
        )
        for index in picked
    ]
    return LineChart(width=WIDTH, height=HEIGHT, lines=lines, y_ticks=y_ticks, x_ticks=x_ticks)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    text_y: int
    value_x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    label_width: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 6


def bar_chart(rows: Sequence[tuple[str, int]]) -> BarChart:
    top = max((value for _, value in rows), default=0) or 1
    plot_width = WIDTH - LABEL_WIDTH - 60
    bars = []
    for index, (label, value) in enumerate(rows):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            Bar(
                label=label,
                value=value,
                y=y,
                width=(width := round(plot_width * value / top, 1)),
                text_y=y + BAR_HEIGHT - 5,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return BarChart(width=WIDTH, height=BAR_GAP + len(rows) * (BAR_HEIGHT + BAR_GAP), bars=bars)
