"""push(): validate, render once, store, publish once — whatever the number of viewers.

Order matters for "never lose an update": the new state and its event are written in one
database transaction first (so a reconnecting client can replay them and a new page renders
them), then every item goes to Pushpin in a single POST. Inside an outer transaction the POST
waits for the commit, so viewers never see a state that is rolled back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.db import transaction

from . import conf
from .exceptions import InvalidValue, PublishError
from .registry import get_dashboard
from .transport import publish_items

if TYPE_CHECKING:
    from .dashboard import Dashboard

logger = logging.getLogger("dashboards_sse")


# Lists that dashboards_sse.testing.capture_pushes() is recording into; while any is active,
# pushes are validated, rendered and stored as usual but nothing is sent to Pushpin.
_captures: list[list[Pushed]] = []


@dataclass
class Pushed:
    """What one push stored and published."""

    dashboard: str
    values: dict[str, Any] = field(default_factory=dict)  # as given to push()
    html: dict[str, str] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    event_ids: dict[str, int] = field(default_factory=dict)
    published: bool = False


def push(dashboard: str | type[Dashboard], /, **values: Any) -> Pushed:
    """Push new values to components of one dashboard::

        push("shop.sales", orders=1285, revenue=48120)

    Raises UnknownDashboard, UnknownComponent or InvalidValue before anything is stored, and
    PublishError when Pushpin does not accept the stored update in time.
    """
    board = get_dashboard(dashboard)
    if not values:
        raise InvalidValue(f"dashboard {board.slug!r}: push needs at least one component=value.")
    components = {name: board.get_component(name) for name in values}
    config = conf.get_settings()
    result = Pushed(dashboard=board.slug, values=dict(values))

    from django_eventstream.utils import get_storage

    from .models import ComponentState

    storage = get_storage()
    with transaction.atomic():
        rows = {
            row.component: row
            for row in ComponentState.objects.select_for_update().filter(
                dashboard=board.slug, component__in=list(values)
            )
        }
        for name, raw in values.items():
            component = components[name]
            row = rows.get(name)
            state = component.update(row.state if row else None, raw)
            html = str(component.render(state))
            size = len(html.encode())
            if size > config.max_html_bytes:
                raise InvalidValue(
                    f"{component.where()}: rendered HTML of {size} bytes exceeds "
                    f"MAX_HTML_BYTES ({config.max_html_bytes})."
                )
            result.states[name], result.html[name] = state, html
        for name, html in result.html.items():
            event = storage.append_event(board.channel, name, html)
            result.event_ids[name] = event.id
            ComponentState.objects.update_or_create(
                dashboard=board.slug,
                component=name,
                defaults={"state": result.states[name], "event_id": event.id},
            )

    if _captures:  # dashboards_sse.testing.capture_pushes(): record instead of publishing
        for capture in _captures:
            capture.append(result)
        return result
    items = [
        pushpin_item(board.channel, name, html, result.event_ids[name], config.grip_prefix)
        for name, html in result.html.items()
    ]
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _publish_after_commit(items, config, board.slug))
    else:
        publish_items(items, config)
        result.published = config.publish_url is not None
    return result


def _publish_after_commit(items: list[dict[str, Any]], config: conf.Settings, slug: str) -> None:
    try:
        publish_items(items, config)
    except PublishError:
        # Too late to raise to the caller; the stored events replay on reconnect.
        logger.exception("dashboards_sse: publishing to %r after commit failed", slug)


def pushpin_item(channel: str, event_type: str, html: str, event_id: int, prefix: str) -> dict:
    """One Pushpin publish item in django-eventstream's wire format, so live events and events
    replayed from storage are byte-identical (``%I`` becomes the stream's composite event id)."""
    from django_eventstream.utils import sse_encode_event

    content = sse_encode_event(event_type, html, event_id="%I", escape=True)
    return {
        "channel": events_channel(channel, prefix),
        "id": str(event_id),
        "prev-id": str(event_id - 1),
        "formats": {"http-stream": {"content": content, "content-filters": ["build-id"]}},
    }


def events_channel(channel: str, prefix: str) -> str:
    """The GRIP channel django-eventstream subscribes a stream of ``channel`` to."""
    return f"{prefix}events-{quote(channel)}"


def user_item(user_id: str, channel: str, body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """An id-less item for django-eventstream's per-user channel (every stream holds one),
    delivered only to that user's streams of ``channel`` (its ``require-sub`` filter)."""
    return {
        "channel": f"{prefix}user-{user_id}",
        "meta": {"require_sub": events_channel(channel, prefix)},
        "formats": {"http-stream": body},
    }
