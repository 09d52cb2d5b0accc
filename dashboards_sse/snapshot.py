"""What a page shows on first render: the latest stored states plus the event id to resume from.

The event id is read *before* the states: an update that lands in between is both rendered and
replayed (the same HTML twice, harmless), never neither — the Mercure bootstrap pattern.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

from .models import ComponentState

if TYPE_CHECKING:
    from .components import Component
    from .dashboard import Dashboard

logger = logging.getLogger("dashboards_sse")


@dataclass(frozen=True)
class RenderedComponent:
    component: Component
    html: SafeString


@dataclass(frozen=True)
class Snapshot:
    dashboard: type[Dashboard]
    last_event_id: str
    components: list[RenderedComponent]


def current_event_id(dashboard: type[Dashboard]) -> str:
    from django_eventstream.utils import get_storage, make_id

    return str(make_id({dashboard.channel: get_storage().get_current_id(dashboard.channel)}))


def take_snapshot(dashboard: type[Dashboard], names: list[str] | None = None) -> Snapshot:
    last_event_id = current_event_id(dashboard)
    wanted = names if names is not None else list(dashboard.components)
    states = dict(
        ComponentState.objects.filter(dashboard=dashboard.slug, component__in=wanted).values_list(
            "component", "state"
        )
    )
    rendered = []
    for name in wanted:
        component = dashboard.get_component(name)
        state = states.get(name)
        if state is None:
            state = provided_state(dashboard, component)
        rendered.append(RenderedComponent(component, component.render(state)))
    return Snapshot(dashboard, last_event_id, rendered)


def provided_state(dashboard: type[Dashboard], component: Component) -> dict | None:
    """Nothing pushed yet: ask the provider, if any. A failing provider shows a placeholder
    (logged), never a server error."""
    provider = dashboard.get_provider(component.name)
    if provider is None:
        return None
    try:
        return component.update(None, provider())
    except Exception:
        logger.exception("dashboards_sse: provider for %s failed", component.qualified_name)
        return None
