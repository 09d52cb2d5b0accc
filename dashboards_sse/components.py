"""Components: what a dashboard shows. Each validates pushed values and renders itself purely.

A component's *state* is the plain JSON data it shows (a Stat's value, a Chart's window of
points). ``update(state, raw)`` turns the previous state and a pushed value into the new state;
``render(state)`` turns a state into HTML with the same template on first render and on every push.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypedDict, Unpack

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import charts
from .exceptions import InvalidValue
from .types import Owner, Pushed, State
from .values import as_number, as_point, as_points, as_text, describe

Provider = Callable[..., Any]  # () -> value, or (scope object) -> value on a scoped dashboard
ModelRef = Any  # a model class or an "app_label.ModelName" string
# What a model instance's change touches on a scoped dashboard: the name of a field holding its
# scope's object (or key), or a callable returning objects or keys.
ScopeOf = str | Callable[[Any], Any]
RefreshOn = Sequence[ModelRef] | Mapping[ModelRef, ScopeOf]


class ComponentOptions(TypedDict, total=False):
    """The keywords every component takes (see :class:`Component`)."""

    label: str | None
    value: Provider | None
    refresh_on: RefreshOn
    refresh_every: timedelta | float | None
    max_rate: float | None
    template_name: str | None

MAX_TEXT_CHARS = 2_000


def format_number(number: float | int, decimals: int | None = None) -> str:
    """Thousands separators; floats keep at most two decimals unless ``decimals`` is given."""
    if decimals is not None:
        return f"{number:,.{decimals}f}"
    if isinstance(number, int):
        return f"{number:,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


class Component:
    """Base class: a named, typed part of a :class:`~dashboards_sse.Dashboard`."""

    kind: str = "component"  # per class; an adapter's component may set its own
    template_name: str

    def __init__(
        self,
        *,
        label: str | None = None,
        value: Provider | None = None,
        refresh_on: RefreshOn = (),
        refresh_every: timedelta | float | None = None,
        max_rate: float | None = None,
        template_name: str | None = None,
    ) -> None:
        self.label = label
        self.provider = value
        # Models whose saves and deletes re-run this component's provider (see model_sync.py),
        # each with what it maps an instance to on a scoped dashboard (None: unscoped).
        self.refresh_on: tuple[tuple[ModelRef, ScopeOf | None], ...] = (
            tuple(refresh_on.items())
            if isinstance(refresh_on, Mapping)
            else tuple((ref, None) for ref in refresh_on)
        )
        # Seconds between scheduled refreshes (contrib.celery.beat_schedule), None for none.
        if isinstance(refresh_every, timedelta):
            refresh_every = refresh_every.total_seconds()
        if refresh_every is not None and refresh_every <= 0:
            raise ValueError(f"refresh_every must be positive, not {refresh_every}.")
        self.refresh_every = refresh_every
        # Most events per second viewers are sent for this component (None: every push). Faster
        # pushes are coalesced: the state is stored at once, its newest version sent per slot.
        if max_rate is not None and not 0 < max_rate <= 1000:
            raise ValueError(f"max_rate must be between 0 and 1000 per second, not {max_rate}.")
        self.max_rate = max_rate
        if template_name is not None:
            self.template_name = template_name
        self.name = ""
        self.dashboard: Owner | None = None  # set when its Dashboard class is defined

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.label is None:
            self.label = name.replace("_", " ").capitalize()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.qualified_name}>"

    @property
    def qualified_name(self) -> str:
        slug = self.dashboard.slug if self.dashboard else "?"
        return f"{slug}.{self.name}"

    @property
    def element_id(self) -> str:
        slug = self.dashboard.slug if self.dashboard else "unbound"
        return "dsse-" + f"{slug}-{self.name}".replace(".", "-").replace("_", "-")

    def where(self) -> str:
        """Prefix for error messages: which dashboard and component."""
        dashboard = self.dashboard.slug if self.dashboard else "?"
        return f"dashboard {dashboard!r}, {self.kind} {self.name!r}"

    # -- values ---------------------------------------------------------------------------
    def update(self, state: State | None, raw: Any) -> State:
        """Validate ``raw`` and return the new state. Raises InvalidValue."""
        raise NotImplementedError

    # -- rendering ------------------------------------------------------------------------
    def get_context(self, state: State | None) -> dict[str, Any]:
        return {"component": self, "state": state, "label": self.label}

    def render(self, state: State | None) -> SafeString:
        """Pure: state in, HTML out (auto-escaped template, no request needed)."""
        return SafeString(render_to_string(self.template_name, self.get_context(state)))

    # -- pushing --------------------------------------------------------------------------
    def push(self, value: Any) -> Pushed:
        """Push one value to this component (see :func:`dashboards_sse.push`)."""
        if self.dashboard is None:
            raise InvalidValue(f"{self!r} is not declared on a Dashboard.")
        return self.dashboard.push(**{self.name: value})


class Stat(Component):
    """A single figure with a label, unit, and optional change and note.

    Push a number (or text with ``text=True``), or a mapping
    ``{"value": 12, "change": 3.5, "note": "vs yesterday"}``.
    """

    kind = "stat"
    template_name = "dashboards_sse/components/stat.html"

    def __init__(
        self,
        *,
        unit: str = "",
        decimals: int | None = None,
        text: bool = False,
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        self.unit = unit
        self.decimals = decimals
        self.text = text

    def push(
        self, value: Any, *, change: float | str | None = None, note: str | None = None
    ) -> Pushed:
        if change is None and note is None:
            return super().push(value)
        return super().push({"value": value, "change": change, "note": note})

    def update(self, state: State | None, raw: Any) -> State:
        where = self.where()
        if isinstance(raw, Mapping):
            unknown = set(raw) - {"value", "change", "note"}
            if unknown or "value" not in raw:
                raise InvalidValue(
                    f"{where}: a mapping needs 'value' and may have 'change' and 'note', "
                    f"got keys {sorted(map(str, raw))}."
                )
            value, change, note = raw["value"], raw.get("change"), raw.get("note")
        else:
            value, change, note = raw, None, None
        if self.text and isinstance(value, str):
            value = as_text(value, where, MAX_TEXT_CHARS)
        else:
            what = "a number or text" if self.text else "a number"
            value = as_number(value, where, what)
        if change is not None and not isinstance(change, str):
            change = as_number(change, where + " change", "a number or text")
        elif change is not None:
            change = as_text(change, where + " change", MAX_TEXT_CHARS)
        if note is not None:
            note = as_text(note, where + " note", MAX_TEXT_CHARS)
        return {"value": value, "change": change, "note": note}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        if state is None:
            return context
        value, change = state["value"], state.get("change")
        context["display"] = (
            value if isinstance(value, str) else format_number(value, self.decimals)
        )
        if isinstance(change, int | float):
            context["change_display"] = ("+" if change > 0 else "") + format_number(
                change, self.decimals
            )
            context["trend"] = "up" if change > 0 else "down" if change < 0 else "flat"
        elif change:
            context["change_display"] = change
            context["trend"] = "flat"
        context["note"] = state.get("note")
        return context


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
