"""Geometry for server-rendered SVG charts: points in, SVG coordinates and axis ticks out.

The SVG is the plot area alone, stretched to its box (``preserveAspectRatio="none"``, strokes
that do not scale): its text would stretch with it, so tick labels are HTML placed by percent
(``Tick.percent``) and stay readable at any size, a phone's or a wall screen's.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

WIDTH = 1000
HEIGHT = 300
# x values above this are taken as Unix timestamps and labelled as times of day.
EPOCH_THRESHOLD = 1e9
# A line breaks where consecutive points are further apart than this many times the series'
# median spacing (gap="auto"), once it has enough points for a median to mean something.
AUTO_GAP_FACTOR = 3
AUTO_GAP_MIN_POINTS = 4
MAX_TICKS = 5
# Steps of a time axis, in seconds: whole seconds, minutes, hours, days.
TIME_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip

Point = tuple[float, float]


@dataclass(frozen=True)
class Tick:
    label: str
    percent: float  # along its axis: from the left (x) or from the bottom (y)
    at: float  # SVG coordinate of its grid line (y ticks) or position (x ticks)

    @property
    def align(self) -> str:
        """How its label sits on its place: an x label at an edge stays inside the plot."""
        return "start" if self.percent < 6 else "end" if self.percent > 94 else "middle"


@dataclass(frozen=True)
class Axes:
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def y_top_label(self) -> str:
        return self.y_ticks[-1].label

    @property
    def y_bottom_label(self) -> str:
        return self.y_ticks[0].label


class _Labelled:
    """A plot's y-axis end labels, read off its axes (the templates use both)."""

    axes: Axes

    @property
    def y_top_label(self) -> str:
        return self.axes.y_top_label

    @property
    def y_bottom_label(self) -> str:
        return self.axes.y_bottom_label


@dataclass(frozen=True)
class LinePlot(_Labelled):
    width: int
    height: int
    line: str  # every point, "x,y x,y ..."
    segments: list[str]  # the line broken at gaps: one <polyline points> each
    area: str  # a closed path under each segment, for <path d>
    axes: Axes
    x_first_label: str
    x_last_label: str
    last_x: float
    last_y: float
    count: int


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value (value > 0): a readable step."""
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)


def _label(value: float, step: float | None = None) -> str:
    """A tick's label: as many decimals as its axis' step needs (0.002 steps: three), else
    at most two; thousands separated."""
    decimals = 2
    if step is not None:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        if not math.isclose(step / 10.0**-decimals % 1, 0, abs_tol=1e-6):
            decimals += 1  # a 2.5 step: 0.25, 0.5, 0.75
    if abs(value) >= 1000 and decimals <= 2:
        return f"{value:,.0f}"
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text.lstrip("-") == "0" else text


def is_time(x: float) -> bool:
    return x > EPOCH_THRESHOLD


def _x_label(x: float, step: float | None = None) -> str:
    if not is_time(x):
        return _label(x, step)
    step = step or 1
    moment = datetime.fromtimestamp(x, tz=timezone.get_current_timezone())
    if step >= 86400:
        return moment.strftime("%d %b")
    return moment.strftime("%H:%M" if step >= 60 else "%H:%M:%S")


def _multiples(low: float, high: float, step: float, offset: float = 0.0) -> list[float]:
    """The multiples of ``step`` (shifted by ``offset``) within [low, high]."""
    first = math.ceil((low + offset) / step - 1e-9) * step - offset
    count = math.floor((high - first) / step + 1e-9) + 1
    return [first + i * step for i in range(max(count, 0))]


def y_scale(
    ys: list[float], y_min: float | None, y_max: float | None
) -> tuple[float, float, float]:
    """The y axis (low, high, step): from zero (non-negative data) or a readable floor to a
    readable top, both multiples of a 1/2/2.5/5 step giving 3 to 5 ticks; y_min and y_max,
    when given, are kept as they are."""
    low = y_min if y_min is not None else (0.0 if min(ys) >= 0 else min(ys))
    high = y_max if y_max is not None else max(ys)
    if high <= low:  # flat data, or data entirely outside a fixed bound: keep the fixed one
        if y_max is None:
            high = low + (abs(low) or 1)
        elif y_min is None:
            low = high - (abs(high) or 1)
        else:
            low, high = low - 1, high + 1
    step = nice_ceiling((high - low) / (MAX_TICKS - 1))
    while True:
        top = high if y_max is not None else math.ceil(high / step - 1e-9) * step
        bottom = low if y_min is not None else math.floor(low / step + 1e-9) * step
        if len(_multiples(bottom, top, step)) <= MAX_TICKS:
            return bottom, top, step
        step = nice_ceiling(step * 1.01)


def x_step(low: float, high: float) -> tuple[float, float]:
    """A readable step for an x axis from ``low`` to ``high`` (time: whole seconds, minutes,
    hours in the current timezone) and the offset its ticks are multiples from."""
    span = (high - low) or 1.0
    if is_time(low):
        offset = datetime.fromtimestamp(low, tz=timezone.get_current_timezone()).utcoffset()
        seconds = offset.total_seconds() if offset else 0.0
        step = next((s for s in TIME_STEPS if span / s <= MAX_TICKS - 1), TIME_STEPS[-1])
        return float(step), seconds
    return nice_ceiling(span / (MAX_TICKS - 1)), 0.0


def auto_gap(xs: list[float]) -> float | None:
    """Where a series breaks: more than AUTO_GAP_FACTOR x its median spacing (None: too few
    points to tell a gap from irregular pushes)."""
    if len(xs) < AUTO_GAP_MIN_POINTS:
        return None
    spacing = statistics.median(b - a for a, b in itertools.pairwise(xs))
    return AUTO_GAP_FACTOR * spacing if spacing > 0 else None


def split_at_gaps(points: list[Point], gap: float | None) -> list[list[Point]]:
    """``points`` as runs with no spacing over ``gap`` (one run when gap is None)."""
    runs: list[list[Point]] = []
    for point in points:
        if runs and (gap is None or point[0] - runs[-1][-1][0] <= gap):
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


class _Frame:
    """Data coordinates to SVG coordinates, and the axes' ticks."""

    def __init__(
        self,
        xs: list[float],
        ys: list[float],
        y_min: float | None,
        y_max: float | None,
        x_range: tuple[float, float] | None,
    ) -> None:
        self.low, self.high, self.y_step = y_scale(ys, y_min, y_max)
        self.x_low, self.x_high = x_range if x_range is not None else (min(xs), max(xs))
        self.single = self.x_high == self.x_low

    def sx(self, x: float) -> float:
        if self.single:
            return float(WIDTH)
        return (x - self.x_low) / (self.x_high - self.x_low) * WIDTH

    def sy(self, y: float) -> float:
        clamped = min(max(y, self.low), self.high)
        return HEIGHT - (clamped - self.low) / (self.high - self.low) * HEIGHT

    def coords(self, points: list[Point]) -> list[tuple[float, float]]:
        return [(round(self.sx(x), 1), round(self.sy(y), 1)) for x, y in points]

    def axes(self) -> Axes:
        span = self.high - self.low
        ys: list[tuple[float, float | None]] = [
            (y, self.y_step) for y in _multiples(self.low, self.high, self.y_step)
        ]
        # a fixed bound that is no multiple of the step (y_max=2.5 with steps of 1) is labelled
        # too, as it is, unless it would crowd the tick next to it
        for bound in (self.low, self.high):
            if all(abs(bound - y) >= self.y_step * 0.4 for y, _ in ys):
                ys.append((bound, None))
        y_ticks = [
            Tick(_label(y, step), round((y - self.low) / span * 100, 2), round(self.sy(y), 1))
            for y, step in sorted(ys)
        ]
        if not self.single:
            step, offset = x_step(self.x_low, self.x_high)
            xs = _multiples(self.x_low, self.x_high, step, offset)
        else:
            step, xs = 1.0, [self.x_low]
        x_ticks = [
            Tick(_x_label(x, step), round(self.sx(x) / WIDTH * 100, 2), round(self.sx(x), 1))
            for x in xs
        ]
        return Axes(y_ticks, x_ticks)


def _joined(coords: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in coords)


def plot_line(
    points: list[Point],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
    x_range: tuple[float, float] | None = None,
    gap: float | None = None,
) -> LinePlot | None:
    """Scale points into the plot box, the line broken where points are more than ``gap``
    apart; ``x_range`` fixes the x axis (a time window); None when there is nothing to draw."""
    if not points:
        return None
    frame = _Frame([p[0] for p in points], [p[1] for p in points], y_min, y_max, x_range)
    coords = frame.coords(points)
    segments, area = [], []
    start = 0
    for run in split_at_gaps(points, gap):
        part = coords[start : start + len(run)]
        start += len(run)
        segments.append(_joined(part))
        area.append(
            f"M{part[0][0]},{HEIGHT} "
            + " ".join(f"L{x},{y}" for x, y in part)
            + f" L{part[-1][0]},{HEIGHT} Z"
        )
    return LinePlot(
        width=WIDTH,
        height=HEIGHT,
        line=_joined(coords),
        segments=segments,
        area=" ".join(area),
        axes=frame.axes(),
        x_first_label=_x_label(points[0][0]),
        x_last_label=_x_label(points[-1][0]),
        last_x=coords[-1][0],
        last_y=coords[-1][1],
        count=len(points),
    )


@dataclass(frozen=True)
class SeriesLine:
    name: str
    index: int  # 1-based: the CSS class of its colour (dsse-series-1...)
    line: str  # every point
    segments: list[str]  # broken at gaps
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
class SeriesPlot(_Labelled):
    """Several series on one scale, or one series as bars."""

    width: int
    height: int
    lines: list[SeriesLine]
    bars: list[Bar]
    axes: Axes
    x_first_label: str
    x_last_label: str
    count: int


def plot_series(
    series: dict[str, list[Point]],
    *,
    bars: bool = False,
    y_min: float | None = None,
    y_max: float | None = None,
    x_range: tuple[float, float] | None = None,
    gaps: dict[str, float | None] | None = None,
) -> SeriesPlot | None:
    """Scale several series into one plot box (a shared y scale and x range), each line broken
    at its ``gaps`` entry, or one series as bars; None when there is nothing to draw."""
    every = [point for points in series.values() for point in points]
    if not every:
        return None
    frame = _Frame([p[0] for p in every], [p[1] for p in every], y_min, y_max, x_range)
    lines, drawn = [], []
    for index, (name, points) in enumerate(series.items(), start=1):
        if not points:
            continue
        gap = (gaps or {}).get(name)
        runs = [frame.coords(run) for run in split_at_gaps(points, gap)]
        coords = [c for run in runs for c in run]
        lines.append(
            SeriesLine(
                name,
                index,
                _joined(coords),
                [_joined(run) for run in runs],
                coords[-1][0],
                coords[-1][1],
                len(points),
            )
        )
    if bars:
        (points,) = series.values()
        slot = WIDTH / len(points)
        base = frame.sy(0.0) if frame.low < 0 < frame.high else HEIGHT
        for i, (_, y) in enumerate(points):
            top_y = frame.sy(y)
            drawn.append(
                Bar(
                    x=round(i * slot + slot * 0.15, 1),
                    y=round(min(top_y, base), 1),
                    width=round(slot * 0.7, 1),
                    height=round(abs(base - top_y), 1),
                )
            )
        lines = []
    axes = frame.axes()
    if bars:  # bars sit in slots by order: label up to MAX_TICKS of them, evenly picked
        (points,) = series.values()
        every_nth = math.ceil(len(points) / MAX_TICKS)
        spacing = (points[-1][0] - points[0][0]) / (len(points) - 1) if len(points) > 1 else 1
        axes = Axes(
            axes.y_ticks,
            [
                Tick(_x_label(x, spacing), round((i + 0.5) / len(points) * 100, 2), drawn[i].x)
                for i, (x, _) in enumerate(points)
                if i % every_nth == 0
            ],
        )
    xs = sorted(p[0] for p in every)
    return SeriesPlot(
        width=WIDTH,
        height=HEIGHT,
        lines=lines,
        bars=drawn,
        axes=axes,
        x_first_label=_x_label(xs[0]),
        x_last_label=_x_label(xs[-1]),
        count=len(every),
    )
