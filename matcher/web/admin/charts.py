"""Charts drawn on the server as inline SVG: no script, no other host, readable without CSS.

Each function turns figures into plain geometry (rectangles, points, labels) that the
template `admin/_charts.html` writes out as SVG elements.
"""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 12, 40


@dataclass(frozen=True)
class Bar:
    """One bar: position, size, value, its series and a tooltip."""

    x: float
    y: float
    width: float
    height: float
    value: int
    series: str
    title: str


@dataclass(frozen=True)
class Tick:
    """A label on an axis."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A whole chart: bars, an optional line, axis ticks and grid lines."""

    width: int
    height: int
    bars: list[Bar]
    line: str
    points: list[tuple[float, float, int, str]]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def _y_ticks(top: int, plot_h: float) -> list[Tick]:
    return [Tick(LEFT - 6, TOP + plot_h - plot_h * k / 4, str(top * k // 4)) for k in range(5)]


def monthly_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    line: tuple[str, Sequence[int]] | None = None,
) -> Chart:
    """Grouped bars per month (e.g. started, ended), with an optional line (running)."""
    values = [v for _name, vs in series for v in vs] + (list(line[1]) if line else [])
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    bars = []
    for k, (_name, vs) in enumerate(series):
        for i, v in enumerate(vs):
            h = plot_h * v / top
            x = LEFT + i * slot + slot * 0.1 + k * bar_w
            bars.append(Bar(x, TOP + plot_h - h, bar_w - 1, h, v, f"s{k}", f"{labels[i]}: {v}"))
    points = []
    if line:
        for i, v in enumerate(line[1]):
            x = LEFT + i * slot + slot / 2
            points.append((x, TOP + plot_h - plot_h * v / top, v, f"{labels[i]}: {v}"))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _v, _t in points)
    x_ticks = [
        Tick(LEFT + i * slot + slot / 2, HEIGHT - BOTTOM + 16, t) for i, t in enumerate(labels)
    ]
    return Chart(WIDTH, HEIGHT, bars, path, points, x_ticks, _y_ticks(top, plot_h))


def horizontal_chart(rows: Sequence[tuple[str, Sequence[int]]], width: int = 420) -> Chart:
    """Horizontal bars, one group per row (e.g. a language: newcomers, volunteers)."""
    per_row = max((len(vs) for _label, vs in rows), default=1)
    row_h = 10 + 14 * per_row
    label_w = 120
    height = TOP + row_h * len(rows) + 8
    top = _nice_max(max((v for _label, vs in rows for v in vs), default=0))
    plot_w = width - label_w - RIGHT - 30
    bars, ticks = [], []
    for i, (label, vs) in enumerate(rows):
        y0 = TOP + i * row_h
        ticks.append(Tick(label_w - 8, y0 + row_h / 2 + 4, label))
        for k, v in enumerate(vs):
            w = plot_w * v / top
            bars.append(Bar(label_w, y0 + 4 + k * 14, w, 12, v, f"s{k}", f"{label}: {v}"))
    return Chart(width, height, bars, "", [], [], ticks)
