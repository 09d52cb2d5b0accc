"""What a page shows on first render: the latest stored states plus the event id to resume from.

The event id is read *before* the states: an update that lands in between is both rendered and
replayed (the same HTML twice, harmless: the client applies an event only if it is newer than
the page), never neither — the Mercure bootstrap pattern.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_eventstream.utils import get_storage, make_id

from .components import Component
from .conf import get_settings
from .dashboard import Target
from .freshness import age_text, is_stale
from .models import ComponentState
from .types import State

logger = logging.getLogger("dashboards_sse")


@dataclass(frozen=True)
class RenderedComponent:
    component: Component
    html: SafeString
    element_id: str
    updated: float | None = None  # Unix time of the state shown (None: no state)
    rendered_at: float = 0.0

    @property
    def updated_ms(self) -> int | None:
        return None if self.updated is None else round(self.updated * 1000)

    @property
    def stale_after_ms(self) -> int | None:
        stale_after = self.component.stale_after
        return None if stale_after is None else round(stale_after * 1000)

    @property
    def age(self) -> str:
        return "" if self.updated is None else age_text(self.rendered_at - self.updated)

    @property
    def stale(self) -> bool:
        age = None if self.updated is None else self.rendered_at - self.updated
        return is_stale(age, self.component.stale_after, 0.0)


@dataclass(frozen=True)
class Snapshot:
    dashboard: Target
    last_event_id: str
    components: list[RenderedComponent]
    rendered_at: float = 0.0

    @property
    def rendered_at_ms(self) -> int:
        return round(self.rendered_at * 1000)


def current_event_id(dashboard: Target) -> str:
    return str(make_id({dashboard.channel: get_storage().get_current_id(dashboard.channel)}))


def read_page(dashboard: Target, names: list[str] | None = None) -> tuple[str, dict[str, State]]:
    """The event id a page resumes from, then the stored states of ``names`` (default: all),
    in that order (see above)."""
    last_event_id, rows = _read_rows(dashboard, names)
    return last_event_id, {name: state for name, (state, _) in rows.items()}


def _read_rows(
    dashboard: Target, names: list[str] | None
) -> tuple[str, dict[str, tuple[State, float]]]:
    """read_page with each state's update time (Unix time)."""
    last_event_id = current_event_id(dashboard)
    rows = ComponentState.objects.filter(dashboard=dashboard.slug, scope=dashboard.scope_key)
    if names is not None:
        rows = rows.filter(component__in=names)
    found = rows.values_list("component", "state", "updated")
    return last_event_id, {name: (state, at.timestamp()) for name, state, at in found}


def take_snapshot(dashboard: Target, names: list[str] | None = None) -> Snapshot:
    last_event_id, rows = _read_rows(dashboard, names)
    now = time.time()
    rendered = []
    for name in names if names is not None else list(dashboard.components):
        component = dashboard.get_component(name)
        state, updated = rows.get(name, (None, None))
        if state is None:  # a provider's value is as of now
            state = provided_state(dashboard, component)
            updated = None if state is None else now
        html = component.render(state)
        element_id = dashboard.element_id(component)
        rendered.append(RenderedComponent(component, html, element_id, updated, now))
    return Snapshot(dashboard, last_event_id, rendered, now)


def provided_state(dashboard: Target, component: Component) -> State | None:
    """Nothing pushed yet: ask the provider, if any. A failing provider shows a placeholder
    (logged), never a server error."""
    try:
        provider = dashboard.get_provider(component.name)
        return None if provider is None else component.update(None, provider())
    except Exception:
        logger.exception("dashboards_sse: provider for %s failed", component.qualified_name)
        return None


def stream_attrs(last_event_id: str) -> SafeString:
    """The attributes the client script reads off a stream's element: where to resume from
    and its reconnect backoff (written once for our roots and the adapter's elements)."""
    config = get_settings()
    return format_html(
        'data-dsse-last-event-id="{}" data-dsse-backoff-base="{}" data-dsse-backoff-max="{}" '
        'data-dsse-backoff-spread="{}"',
        last_event_id,
        config.reconnect_base_ms,
        config.reconnect_max_ms,
        config.reconnect_spread_ms,
    )
