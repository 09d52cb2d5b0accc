"""Chart: a windowed series drawn as server-rendered inline SVG."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Unpack

from .. import charts
from ..exceptions import InvalidValue
from ..types import Pushed, State
from ..values import as_number, as_point, as_points, describe
from .base import Component, ComponentOptions, format_number


class Chart(Component):
    """A windowed series drawn as server-rendered inline SVG.

    Push a number (a new point at the current time), a point ``(x, y)``, or a mapping
    ``{"point": (x, y)}``, ``{"points": [...]}`` (append) or ``{"series": [...]}`` (replace).
    x is a number or a datetime; the newest ``window`` points are kept, server-side.
    """

    kind = "chart"
    template_name = "dashboards_sse/components/chart.html"
    MAX_WINDOW = 5_000
    # The mapping forms a push may take (the keywords of push() build them).
    FORMS: ClassVar[tuple[str, ...]] = ("point", "points", "series")

    def __init__(
        self,
        *,
        unit: str = "",
        window: int = 60,
        decimals: int | None = None,
        y_min: float | None = None,
        y_max: float | None = None,
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        if not 2 <= window <= self.MAX_WINDOW:
            raise ValueError(
                f"Chart window must be between 2 and {self.MAX_WINDOW}, not {window}."
            )
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
        where = self.where()
        previous = [tuple(p) for p in (state or {}).get("points", [])]
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
        return {"points": [list(p) for p in points[-self.window :]]}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        points = [tuple(p) for p in (state or {}).get("points", [])]
        context["plot"] = charts.plot_line(points, y_min=self.y_min, y_max=self.y_max)
        if points:
            last = points[-1][1]
            context["latest"] = format_number(last, self.decimals)
        return context
