"""SSEStat and SSEChart: django-dashboards components that update over SSE.

Each renders the component's normal django-dashboards HTML (its own template, CSS classes,
icon, link) inside a ``[data-dsse-live]`` element naming the dashboard's stream and the
component's event; ``django_dashboards.js`` opens one stream per page for all of them. A push
renders the same HTML from a *copy* of the class-level instance (``dataclasses.replace``):
django-dashboards shares one instance per declaration between every request and dashboard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from dashboards.component import Chart, Stat
from dashboards.component.stat import StatData
from dashboards.config import Config
from django.http import HttpRequest
from django.template import Context
from django.utils.html import format_html

from ...components import MAX_TEXT_CHARS, Component, format_number
from ...dashboard import Dashboard, Target, get_dashboard
from ...exceptions import InvalidValue
from ...snapshot import provided_state, read_page, stream_attrs
from ...types import State
from ...values import as_number, as_text
from . import figures


def _page(board: Target, request: HttpRequest | None) -> tuple[str, dict[str, State]]:
    """The event id and states a page shows (``snapshot.read_page``), read once per request:
    every SSE component of the page shares one stream and so one starting point."""
    pages: dict[str, tuple[str, dict[str, State]]] = (
        {} if request is None else request.__dict__.setdefault("_dashboards_sse_pages", {})
    )
    if board.channel not in pages:
        pages[board.channel] = read_page(board)
    return pages[board.channel]


# Loaded by django-dashboards' page with the dashboard's media, after its htmx.
SCRIPTS = ("dashboards_sse/dashboards_sse.js", "dashboards_sse/django_dashboards.js")
STYLES = {"all": ("dashboards_sse/django_dashboards.css",)}


@dataclasses.dataclass
class LiveComponent:
    """What SSEStat and SSEChart add to their django-dashboards component (a mixin placed
    before it, so these methods win and ``super()`` reaches the upstream component)."""

    # Most events per second sent to viewers (None: every push); see dashboards_sse.Stat.
    max_rate: float | None = None
    # Scheduled refreshes (contrib.celery.beat_schedule, refresh --every) of the component's
    # value= / get_<name>_value, and models whose saves refresh it (model_sync).
    refresh_every: timedelta | float | None = None
    refresh_on: Sequence[Any] = ()

    live_kind: ClassVar[str] = ""
    upstream_name: ClassVar[str] = ""  # whose DASHBOARDS_COMPONENT_CLASSES defaults apply

    def __post_init__(self) -> None:
        # django-dashboards picks default CSS classes by class name: give ours Stat's/Chart's.
        defaults = Config().DASHBOARDS_COMPONENT_CLASSES.get(self.upstream_name)
        css = self.css_classes  # type: ignore[has-type]
        if css is None:
            self.css_classes = defaults
        elif isinstance(css, dict) and isinstance(defaults, dict):
            self.css_classes = {**defaults, **css}
        super().__post_init__()  # type: ignore[misc]
        name = type(self).__name__
        if self.defer is not None or self.defer_url is not None:  # type: ignore[attr-defined]
            raise ValueError(f"{name} renders inline and updates over SSE: drop defer/defer_url.")
        # The same checks as dashboards_sse's own components, at declaration time.
        Component(max_rate=self.max_rate, refresh_every=self.refresh_every)
        # Pushed-only components show a placeholder until the first push (and django-dashboards
        # would log "has no value or defer set" on every page view without one).
        self.pushed_only = self.value is None  # type: ignore[has-type]
        if self.pushed_only:
            self.value = self.placeholder()

    # -- page ---------------------------------------------------------------------------
    def render(
        self, context: Context, htmx: bool | None = None, call_deferred: bool = False
    ) -> str:
        dashboard, name = self.twin()
        board: Target = dashboard
        if dashboard.is_scoped():  # a ModelDashboard: this page's object has its own stream
            board = dashboard.for_(self.page_object(context))
        request = context.get("request") if context is not None else None
        event_id, states = _page(board, request)
        state = states.get(name)
        # Nothing pushed yet: the provider's value, computed as a push would (no request), but
        # not stored, so a chart's counters stay unknown and its first event redraws it.
        shown = state if state is not None else provided_state(board, board.get_component(name))
        value = self.placeholder() if shown is None else self.live_value(shown)
        # `value` is a field of django-dashboards' (untyped) Component: unknown to mypy
        inner = dataclasses.replace(self, value=value).upstream_html(context)  # type: ignore[call-arg]
        return format_html(
            '<div class="dsse-live dsse-live-{}" data-dsse-live data-dsse-stream="{}" '
            'data-dsse-event="{}" {}{}>{}</div>',
            self.live_kind,
            board.stream_url(),
            name,
            stream_attrs(event_id),
            self.live_attrs(state),
            inner,
        )

    def page_object(self, context: Context | None) -> Any:
        """The object of the ModelDashboard page being rendered."""
        found = getattr(self, "object", None)
        if found is None and context is not None:
            found = getattr(context.get("dashboard"), "object", None)
        if found is None:
            raise LookupError(f"{self!r}: a ModelDashboard's component renders with its object.")
        return found

    def twin(self) -> tuple[type[Dashboard], str]:
        """The twin dashboard this SSE component belongs to, and its name there. The twin is
        made by the registry finder of ``bridge.py`` on the first lookup."""
        upstream = self.dashboard  # type: ignore[attr-defined]
        if upstream is None:
            raise LookupError(f"{self!r} is not declared on a django-dashboards Dashboard.")
        board = get_dashboard(upstream)
        for name, bridged in board.components.items():
            if getattr(bridged, "upstream", None) is self:
                return board, name
        return board, board.get_component(self.key).name  # type: ignore[attr-defined]

    def upstream_html(self, context: Context) -> str:
        """The component's own django-dashboards HTML, for this instance's value."""
        return str(super().render(context, htmx=False, call_deferred=True))  # type: ignore[misc]

    def live_attrs(self, state: State | None) -> str:
        return ""

    # -- implemented per component ------------------------------------------------------
    def placeholder(self) -> Any:
        raise NotImplementedError

    def live_update(self, state: State | None, raw: Any, where: str) -> State:
        """Validate a pushed value; return the new state. Raises InvalidValue."""
        raise NotImplementedError

    def live_value(self, state: State) -> Any:
        """The django-dashboards ``value`` that renders ``state``."""
        raise NotImplementedError

    def live_event(self, state: State) -> str:
        """What viewers receive for ``state``."""
        raise NotImplementedError


@dataclasses.dataclass
class SSEStat(LiveComponent, Stat):
    """django-dashboards' Stat, live. Push a number (formatted with ``decimals`` and ``unit``),
    text, a ``StatData``, or a mapping of StatData's fields (``value`` may stand for ``text``)::

        live_cpu = SSEStat(unit="%", decimals=1)
        push(Ops, live_cpu={"value": 42.5, "change_by": 3.2, "sub_text": "vs 1 min ago"})
    """

    decimals: int | None = None
    unit: str = ""

    live_kind: ClassVar[str] = "stat"
    upstream_name: ClassVar[str] = "Stat"

    class Media:
        js = SCRIPTS
        css = STYLES

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"text", "value", "change_by", "change_by_text", "sub_text", "change_by_display"}
    )

    def __post_init__(self) -> None:
        if hasattr(self.value, "serialize"):
            raise ValueError(
                "SSEStat shows StatData: give it a StatData, a number, text or a callable "
                "returning one (stat serializers render a template of their own)."
            )
        super().__post_init__()

    def placeholder(self) -> StatData:
        return StatData(text="\N{EN DASH}")

    def live_update(self, state: State | None, raw: Any, where: str) -> State:
        if isinstance(raw, StatData):
            fields = ("text", "change_by", "change_by_text", "sub_text")
            raw = {name: getattr(raw, name) for name in fields}
        if isinstance(raw, Mapping):
            keys = set(map(str, raw))
            if keys - self.FIELDS or len(keys & {"text", "value"}) != 1:
                raise InvalidValue(
                    f"{where}: a mapping needs one of 'text' or 'value' and may have "
                    f"'change_by', 'change_by_text' and 'sub_text', got keys {sorted(keys)}."
                )
            main = raw.get("text", raw.get("value"))
        else:
            main, raw = raw, {}
        if isinstance(main, str):
            text = as_text(main, where, MAX_TEXT_CHARS)
        else:
            text = format_number(as_number(main, where, "a number or text"), self.decimals)
            text += self.unit
        change_by = raw.get("change_by")
        if change_by is not None:
            change_by = as_number(change_by, where + " change_by")
        change_by_text, sub_text = raw.get("change_by_text"), raw.get("sub_text")
        return {
            "text": text,
            "change_by": change_by,
            "change_by_text": None
            if change_by_text is None
            else as_text(change_by_text, where + " change_by_text", MAX_TEXT_CHARS),
            "sub_text": "" if sub_text is None else as_text(sub_text, where + " sub_text", 500),
        }

    def live_value(self, state: State) -> StatData:
        return StatData(**state)

    def live_event(self, state: State) -> str:
        instance = dataclasses.replace(self, value=self.live_value(state))  # type: ignore[call-arg]
        return instance.upstream_html(Context())


@dataclasses.dataclass
class SSEChart(LiveComponent, Chart):
    """django-dashboards' Chart (Plotly), live. Push points to append them, windowed::

        traffic = SSEChart(window=120)
        push(Ops, traffic=512)                          # y now, on trace 0
        push(Ops, traffic={"traces": {"in": [(t, 5)], "out": [(t, 3)]}})
        push(Ops, traffic=TrafficSerializer.serialize())  # or any figure: replaces it

    ``figure`` is the (empty) figure points are appended to until a whole figure is pushed.
    """

    window: int = 60
    figure: dict[str, Any] | None = None

    live_kind: ClassVar[str] = "chart"
    upstream_name: ClassVar[str] = "Chart"

    class Media:
        js = ("dashboards/vendor/js/plotly.min.js", *SCRIPTS)
        css = STYLES

    def __post_init__(self) -> None:
        if not 2 <= self.window <= figures.MAX_POINTS:
            raise ValueError(
                f"SSEChart window must be between 2 and {figures.MAX_POINTS}, not {self.window}."
            )
        super().__post_init__()

    def placeholder(self) -> str:
        return figures.script_json(self.base_figure())

    def base_figure(self) -> dict[str, Any]:
        if self.figure is None:
            return figures.empty_figure(self.verbose_name or self.key or "")
        return figures.as_figure(self.figure, f"{type(self).__name__} figure")

    def live_update(self, state: State | None, raw: Any, where: str) -> State:
        if figures.is_figure(raw):
            return figures.replaced(state, figures.as_figure(raw, where))
        added = figures.additions(raw, where)
        base = state or figures.replaced(None, self.base_figure())
        return figures.appended(base, added, self.window, where)

    def live_value(self, state: State) -> str:
        return figures.script_json(state["figure"])

    def live_attrs(self, state: State | None) -> str:
        shown = None if state is None else {k: state[k] for k in ("generation", "appended")}
        return format_html(
            ' data-dsse-chart-target="{}" data-dsse-chart="{}"',
            self.template_id,
            figures.script_json(shown),
        )

    def live_event(self, state: State) -> str:
        return figures.script_json(
            {
                "target": self.template_id,
                "window": self.window,
                "generation": state["generation"],
                "appended": state["appended"],
                "figure": state["figure"],
                "config": {
                    "displayModeBar": "hover" if self.displayModeBar else False,
                    "staticPlot": bool(self.staticPlot),
                    "responsive": bool(self.responsive),
                },
            }
        )
