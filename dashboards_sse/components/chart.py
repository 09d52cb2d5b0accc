"""Chart: a windowed series drawn as server-rendered inline SVG."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar, Literal, Unpack

from .. import charts
from ..exceptions import InvalidValue
from ..types import Pushed, State
from ..values import as_number, as_point, as_points, describe
from .base import Component, ComponentOptions, format_number


class Chart(Component):
    """A windowed series drawn as server-rendered inline SVG.

    Push a number (a new point at the current time), a point ``(x, y)``, or a mapping
    ``{"point": (x, y)}``, ``{"points": [...]}`` (append) or ``{"series": [...]}`` (replace).
    x is a number or a datetime. ``window=60`` keeps the newest 60 points, server-side;
    ``window=timedelta(minutes=2)`` keeps the points within 2 minutes of the newest one and
    draws the x axis over those 2 minutes. A line breaks where points are further apart than
    ``gap`` (a timedelta or seconds; default "auto": 3 x the median spacing; None: never).

    Several lines on one scale, with a legend: ``Chart(series=["p50", "p95", "p99"])``; push a
    mapping of series to any of the above (``{"p50": 12, "p95": 40}``: each a point now).
    ``style="bar"`` draws one series as bars.
    """

    kind = "chart"
    template_name = "dashboards_sse/components/chart.html"
    MAX_WINDOW = 5_000
    # The mapping forms a push may take (the keywords of push() build them).
    FORMS: ClassVar[tuple[str, ...]] = ("point", "points", "series")
    STYLES: ClassVar[tuple[str, ...]] = ("line", "bar")
    MAX_SERIES: ClassVar[int] = 8

    def __init__(
        self,
        *,
        unit: str = "",
        window: int | timedelta = 60,
        gap: timedelta | float | Literal["auto"] | None = "auto",
        decimals: int | None = None,
        y_min: float | None = None,
        y_max: float | None = None,
        series: Sequence[str] = (),
        style: str = "line",
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        names = tuple(series)
        if len(names) > self.MAX_SERIES or len(set(names)) < len(names):
            raise ValueError(f"Chart series: at most {self.MAX_SERIES} names, once each.")
        for name in names:
            if not (isinstance(name, str) and name.isidentifier()) or name in self.FORMS:
                raise ValueError(f"Chart series names are identifiers, not {name!r}.")
        if style not in self.STYLES:
            raise ValueError(f"Chart style is one of {', '.join(self.STYLES)}, not {style!r}.")
        if style == "bar" and names:
            raise ValueError("A bar chart draws one series: drop series= or style='bar'.")
        self.series = names
        self.style = style
        # A time window (seconds of x) or a number of points; either way at most MAX_WINDOW.
        self.window_seconds: float | None = None
        if isinstance(window, timedelta):
            if window <= timedelta(0):
                raise ValueError(f"Chart window must be a positive duration, not {window}.")
            self.window_seconds = window.total_seconds()
            window = self.MAX_WINDOW
        elif isinstance(window, bool) or not isinstance(window, int):
            raise ValueError(f"Chart window is a number of points or a timedelta, not {window!r}.")
        if not 2 <= window <= self.MAX_WINDOW:
            raise ValueError(
                f"Chart window must be between 2 and {self.MAX_WINDOW}, not {window}."
            )
        if isinstance(gap, timedelta):
            gap = gap.total_seconds()
        if (
            gap != "auto"
            and gap is not None
            and not (isinstance(gap, int | float) and not isinstance(gap, bool) and gap > 0)
        ):
            raise ValueError(
                f"Chart gap is a positive timedelta or number, 'auto' or None, not {gap!r}."
            )
        self.gap = gap
        self.unit = unit
        self.window = window
        self.decimals = decimals
        self.y_min = y_min
        self.y_max = y_max

    def push(
        self,
        value: Any = None,
        *,
        point: Any = None,
        points: Any = None,
        series: Any = None,
    ) -> Pushed:
        # The keywords become the mapping form update() reads: one grammar, parsed there.
        forms = {"point": point, "points": points, "series": series}
        given = {key: body for key, body in forms.items() if body is not None}
        if (value is not None) + len(given) != 1:
            raise InvalidValue(
                f"{self.where()}: push exactly one of value, point=, points= or series=."
            )
        return super().push(value if value is not None else given)

    def update(self, state: State | None, raw: Any) -> State:
        if not self.series:
            previous = [tuple(p) for p in (state or {}).get("points", [])]
            return {"points": self._apply(previous, raw, self.where())}
        if not isinstance(raw, Mapping) or not raw:
            raise InvalidValue(
                f"{self.where()}: push a mapping of series ({', '.join(self.series)}) to "
                f"values, got {describe(raw)}."
            )
        unknown = set(map(str, raw)) - set(self.series)
        if unknown:
            raise InvalidValue(
                f"{self.where()}: unknown series {', '.join(sorted(unknown))}; the chart has "
                f"{', '.join(self.series)}."
            )
        shown = dict((state or {}).get("series", {}))
        for name, value in raw.items():
            previous = [tuple(p) for p in shown.get(name, [])]
            shown[name] = self._apply(previous, value, f"{self.where()} series {name!r}")
        return {"series": {name: shown.get(name, []) for name in self.series}}

    def _apply(self, previous: list[tuple[Any, ...]], raw: Any, where: str) -> list[list[Any]]:
        """One series' new points: ``raw`` in the single-series grammar applied to them."""
        if isinstance(raw, Mapping) and set(raw) == {"x", "y"}:
            points = [*previous, as_point(raw, where)]
        elif isinstance(raw, Mapping):
            if len(raw) != 1 or next(iter(raw)) not in self.FORMS:
                raise InvalidValue(
                    f"{where}: a mapping has exactly one key of 'point', 'points' or 'series', "
                    f"got keys {sorted(map(str, raw))}."
                )
            ((key, body),) = raw.items()
            if key == "point":
                points = [*previous, as_point(body, where)]
            elif key == "points":
                points = previous + as_points(body, where, self.MAX_WINDOW)
            else:
                points = as_points(body, where, self.MAX_WINDOW)
        elif isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
            points = [*previous, (time.time(), as_number(raw, where))]
        elif isinstance(raw, list | tuple):
            points = [*previous, as_point(raw, where)]
        else:
            raise InvalidValue(
                f"{where}: expected a number, a point (x, y) or a mapping with 'point', "
                f"'points' or 'series', got {describe(raw)}."
            )
        points.sort(key=lambda p: p[0])
        if self.window_seconds is not None and points:
            # Relative to the newest point, not the clock: state in, state out, the same on
            # replay; a chart whose publisher stopped keeps its last window (and goes stale).
            oldest = points[-1][0] - self.window_seconds
            points = [p for p in points if p[0] >= oldest]
        return [list(p) for p in points[-self.window :]]

    def _x_range(self, newest: float) -> tuple[float, float] | None:
        """A time window's x axis: the whole window, ending at the newest point."""
        if self.window_seconds is None:
            return None
        return (newest - self.window_seconds, newest)

    def _gap(self, points: list[tuple[Any, ...]]) -> float | None:
        if self.gap == "auto":
            return charts.auto_gap([p[0] for p in points])
        return self.gap

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        if self.series or self.style == "bar":
            shown = (state or {}).get("series") or {"": (state or {}).get("points", [])}
            series = {name: [(p[0], p[1]) for p in points] for name, points in shown.items()}
            newest = max((points[-1][0] for points in series.values() if points), default=None)
            context["series_plot"] = charts.plot_series(
                series,
                bars=self.style == "bar",
                y_min=self.y_min,
                y_max=self.y_max,
                x_range=None if newest is None else self._x_range(newest),
                gaps={name: self._gap(points) for name, points in series.items()},
            )
            context["legend"] = [
                {
                    "name": name,
                    "index": index,
                    "latest": format_number(points[-1][1], self.decimals) if points else "—",
                }
                for index, (name, points) in enumerate(series.items(), start=1)
                if name
            ]
            last = [points[-1][1] for points in series.values() if points]
            if self.style == "bar" and last:
                context["latest"] = format_number(last[-1], self.decimals)
            return context
        points = [tuple(p) for p in (state or {}).get("points", [])]
        context["plot"] = charts.plot_line(
            points,
            y_min=self.y_min,
            y_max=self.y_max,
            x_range=self._x_range(points[-1][0]) if points else None,
            gap=self._gap(points),
        )
        if points:
            last_y = points[-1][1]
            context["latest"] = format_number(last_y, self.decimals)
        return context
