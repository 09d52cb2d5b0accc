"""The base of every component: a named, typed part of a dashboard that validates pushed values
and renders itself purely.

A component's *state* is the plain JSON data it shows (a Stat's value, a Chart's window of
points). ``update(state, raw)`` turns the previous state and a pushed value into the new state;
``render(state)`` turns a state into HTML with the same template on first render and on every push.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypedDict

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ..exceptions import InvalidValue
from ..types import Action, Owner, Pushed, State

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
    stale_after: timedelta | float | None
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
        stale_after: timedelta | float | None = None,
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
        # Seconds after its last update that the page marks this component stale (None: never):
        # its publisher is expected to push at least that often.
        if isinstance(stale_after, timedelta):
            stale_after = stale_after.total_seconds()
        if stale_after is not None and (isinstance(stale_after, bool) or not stale_after > 0):
            raise ValueError(f"stale_after must be a positive duration, not {stale_after!r}.")
        self.stale_after = stale_after
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

    def actions(self, before: State | None, after: State) -> list[Action] | None:
        """What viewers are sent for a change from ``before`` to ``after``: None (here) sends
        ``render(after)`` to replace the component's content; a list component sends the item
        actions that turn the shown list into the new one, so a push costs the same bytes
        however long the list is."""
        return None

    # -- pushing --------------------------------------------------------------------------
    def push(self, value: Any) -> Pushed:
        """Push one value to this component (see :func:`dashboards_sse.push`)."""
        if self.dashboard is None:
            raise InvalidValue(f"{self!r} is not declared on a Dashboard.")
        return self.dashboard.push(**{self.name: value})
