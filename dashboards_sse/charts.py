"""Geometry for server-rendered SVG charts: points in, SVG coordinates and axis labels out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

WIDTH = 320
HEIGHT = 120
PAD_LEFT = 40
PAD_RIGHT = 8
PAD_TOP = 8
PAD_BOTTOM = 18
# x values above this are taken as Unix timestamps and labelled as times of day.
EPOCH_THRESHOLD = 1e9


@dataclass(frozen=True)
class LinePlot:
    width: int
    height: int
    line: str  # "x,y x,y ..." for <polyline points>
    area: str  # closed path under the line for <path d>
    y_top_label: str
    y_bottom_label: str
    x_first_label: str
    x_last_label: str
    last_x: float
    last_y: float
    count: int
    plot_left: int = PAD_LEFT
    plot_right: int = WIDTH - PAD_RIGHT
    plot_top: int = PAD_TOP
    plot_bottom: int = HEIGHT - PAD_BOTTOM


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value (value > 0): a readable axis top."""
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)


def _label(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _x_label(x: float) -> str:
    if x > EPOCH_THRESHOLD:
        moment = datetime.fromtimestamp(x, tz=timezone.get_current_timezone())
        return moment.strftime("%H:%M:%S")
    return _label(x)


def plot_line(
    points: list[tuple[float, float]], *, y_min: float | None = None, y_max: float | None = None
) -> LinePlot | None:
    """Scale points into the plot box; None when there is nothing to draw."""
    if not points:
        return None
    xs = [p[0] for p in points]
    low, high = _y_range([p[1] for p in points], y_min, y_max)
    x_low, x_high = xs[0], xs[-1]
    x_span = (x_high - x_low) or 1.0
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM

    def sx(x: float) -> float:
        if len(points) == 1:
            return float(right)
        return left + (x - x_low) / x_span * (right - left)

    def sy(y: float) -> float:
        clamped = min(max(y, low), high)
        return bottom - (clamped - low) / (high - low) * (bottom - top)

    coords = [(round(sx(x), 1), round(sy(y), 1)) for x, y in points]
    line = " ".join(f"{x},{y}" for x, y in coords)
    area = f"M{coords[0][0]},{bottom} " + " ".join(f"L{x},{y}" for x, y in coords)
    area += f" L{coords[-1][0]},{bottom} Z"
    return LinePlot(
        width=WIDTH,
        height=HEIGHT,
        line=line,
        area=area,
        y_top_label=_label(high),
        y_bottom_label=_label(low),
        x_first_label=_x_label(x_low),
        x_last_label=_x_label(x_high),
        last_x=coords[-1][0],
        last_y=coords[-1][1],
        count=len(points),
    )


@dataclass(frozen=True)
class SeriesLine:
    name: str
    index: int  # 1-based: the CSS class of its colour (dsse-series-1...)
    line: str
    last_x: float
    last_y: float
    count: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class SeriesPlot:
    """Several series on one scale, or one series as bars."""

    width: int
    height: int
    lines: list[SeriesLine]
    bars: list[Bar]
    y_top_label: str
    y_bottom_label: str
    x_first_label: str
    x_last_label: str
    count: int
    plot_left: int = PAD_LEFT
    plot_right: int = WIDTH - PAD_RIGHT
    plot_top: int = PAD_TOP
    plot_bottom: int = HEIGHT - PAD_BOTTOM


def _y_range(ys: list[float], y_min: float | None, y_max: float | None) -> tuple[float, float]:
    """The y axis: from zero (non-negative data) or a readable floor to a readable top."""
    low, high = y_min, y_max
    if low is None:
        low = 0.0 if min(ys) >= 0 else -nice_ceiling(-min(ys))
    if high is None:
        high = nice_ceiling(max(ys)) if max(ys) > 0 else max(ys)
    if high <= low:  # flat data, or data entirely outside a fixed bound: keep the fixed one
        if y_max is None:
            high = low + (abs(low) or 1)
        elif y_min is None:
            low = high - (abs(high) or 1)
        else:
            low, high = low - 1, high + 1
    return low, high


def plot_series(
    series: dict[str, list[tuple[float, float]]],
    *,
    bars: bool = False,
    y_min: float | None = None,
    y_max: float | None = None,
) -> SeriesPlot | None:
    """Scale several series into one plot box (a shared y scale and x range), or one series
    as bars; None when there is nothing to draw."""
    every = [point for points in series.values() for point in points]
    if not every:
        return None
    low, high = _y_range([p[1] for p in every], y_min, y_max)
    x_low, x_high = min(p[0] for p in every), max(p[0] for p in every)
    x_span = (x_high - x_low) or 1.0
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM

    def sx(x: float) -> float:
        return float(right) if x_high == x_low else left + (x - x_low) / x_span * (right - left)

    def sy(y: float) -> float:
        return bottom - (min(max(y, low), high) - low) / (high - low) * (bottom - top)

    lines, drawn = [], []
    for index, (name, points) in enumerate(series.items(), start=1):
        if not points:
            continue
        coords = [(round(sx(x), 1), round(sy(y), 1)) for x, y in points]
        line = " ".join(f"{x},{y}" for x, y in coords)
        lines.append(SeriesLine(name, index, line, coords[-1][0], coords[-1][1], len(points)))
    if bars:
        (points,) = series.values()
        slot = (right - left) / len(points)
        base = sy(max(low, 0.0)) if low < 0 < high else bottom
        for i, (_, y) in enumerate(points):
            top_y = sy(y)
            drawn.append(
                Bar(
                    x=round(left + i * slot + slot * 0.15, 1),
                    y=round(min(top_y, base), 1),
                    width=round(slot * 0.7, 1),
                    height=round(abs(base - top_y), 1),
                )
            )
        lines = []
    return SeriesPlot(
        width=WIDTH,
        height=HEIGHT,
        lines=lines,
        bars=drawn,
        y_top_label=_label(high),
        y_bottom_label=_label(low),
        x_first_label=_x_label(x_low),
        x_last_label=_x_label(x_high),
        count=len(every),
    )
