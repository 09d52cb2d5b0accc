"""push(): validate, render once, store, publish once — whatever the number of viewers.

Order matters for "never lose an update": the new state and its event are written in one
database transaction first (so a reconnecting client can replay them and a new page renders
them), then every item goes to Pushpin in a single POST. Inside an outer transaction the POST
waits for the commit, so viewers never see a state that is rolled back.

``batch()`` widens "one" to many pushes: one transaction, one bulk insert of events per channel,
one POST. A component with ``max_rate`` is coalesced: a push inside its interval stores the state
and marks it pending; ``coalesce.py`` publishes the newest pending state when the slot opens.

Concurrent writers (several processes): a state is read, updated (a Chart appends) and written
back, so two pushes to one component must not interleave. Every write of a dashboard's states
happens under the lock of its channel's event counter, which the write needs anyway, taken
*before* the states are read: a per-dashboard mutex that also covers the first push, when there
is no state row yet to lock. A batch over several dashboards locks their counters up front in
channel order (``events.lock_counters``), so opposite batches cannot deadlock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.db import transaction

from .. import conf
from ..exceptions import InvalidValue, PublishError
from ..registry import get_dashboard
from . import coalesce
from .grip import publish_items
from .store import append_events, lock_counters

if TYPE_CHECKING:
    from django_eventstream.models import EventCounter

    from ..components import Component, State
    from ..dashboard import Dashboard
    from ..models import ComponentState

logger = logging.getLogger("dashboards_sse")


# Lists that dashboards_sse.testing.capture_pushes() is recording into; while any is active,
# pushes are validated, rendered and stored as usual but nothing is sent to Pushpin.
_captures: list[list[Pushed]] = []

# The pushes of the innermost open batch() in this context (thread or task).
_batch: ContextVar[list[tuple[type[Dashboard], Pushed]] | None] = ContextVar(
    "dashboards_sse_batch", default=None
)


@dataclass
class Pushed:
    """What one push stored and published."""

    dashboard: str
    values: dict[str, Any] = field(default_factory=dict)  # as given to push()
    html: dict[str, str] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    event_ids: dict[str, int] = field(default_factory=dict)
    published: bool = False
    # Components held back by their max_rate: stored now, sent with a later event.
    deferred: list[str] = field(default_factory=list)


def push(dashboard: str | type[Dashboard], /, **values: Any) -> Pushed:
    """Push new values to components of one dashboard::

        push("shop.sales", orders=1285, revenue=48120)

    Raises UnknownDashboard, UnknownComponent or InvalidValue before anything is stored, and
    PublishError when Pushpin does not accept the stored update in time. Inside ``batch()``
    the value is checked now and stored and published when the batch ends.
    """
    board = get_dashboard(dashboard)
    if not values:
        raise InvalidValue(f"dashboard {board.slug!r}: push needs at least one component=value.")
    components = [board.get_component(name) for name in values]
    result = Pushed(dashboard=board.slug, values=dict(values))
    pending = _batch.get()
    if pending is None:
        _store_and_publish([(board, result)])
    else:
        for component, raw in zip(components, values.values(), strict=True):
            component.update(None, raw)  # fail at the faulty push, not at the end of the batch
        pending.append((board, result))
    return result


@contextmanager
def batch() -> Iterator[list[Pushed]]:
    """Store and publish every ``push()`` in the block together: one transaction, one POST::

        with batch():
            for sensor in sensors:
                push("plant.floor", **sensor.readings())

    Pushes to one component in a batch become one event carrying its newest state (a Chart
    keeps every point). All or nothing: an exception in the block stores nothing. Yields the
    list of :class:`Pushed`, filled in when the block ends. A nested batch joins the outer
    one: its pushes are stored and published when the outermost batch ends.
    """
    outer = _batch.get()
    if outer is not None:
        start, inner = len(outer), []
        yield inner
        inner.extend(result for _, result in outer[start:])
        return
    entries: list[tuple[type[Dashboard], Pushed]] = []
    results: list[Pushed] = []
    token = _batch.set(entries)
    try:
        yield results
    finally:
        _batch.reset(token)
    results.extend(result for _, result in entries)
    if entries:
        _store_and_publish(entries)


def flush_pending(slug: str, names: list[str], *, force: bool = False) -> Pushed | None:
    """Publish the pending (coalesced) states of ``names`` whose slot has opened, or all of
    them with ``force``. Returns what was published, or None when nothing was pending."""
    board = get_dashboard(slug)
    result = Pushed(dashboard=board.slug)
    config = conf.get_settings()
    with transaction.atomic():
        (counter,) = lock_counters([board.channel]).values()
        rows = _rows(board, names)
        now = time.time()
        due, later = [], {}
        for name, row in rows.items():
            if not row.pending:
                continue  # published meanwhile, by this or another process
            opens = _slot_opens(board.get_component(name), row)
            if force or opens <= now:
                due.append(name)
            else:
                later[name] = opens
        states = {name: rows[name].state for name in due}
        items = _emit(board, states, due, now, config, [result], counter)
        if later:
            transaction.on_commit(lambda: coalesce.schedule(board.slug, later))
    if not due:
        return None
    _send(items, [result], config, board.slug)
    return result


def _store_and_publish(entries: list[tuple[type[Dashboard], Pushed]]) -> None:
    config = conf.get_settings()
    items: list[dict[str, Any]] = []
    by_board: dict[type[Dashboard], list[Pushed]] = {}
    for board, result in entries:
        by_board.setdefault(board, []).append(result)
    with transaction.atomic():
        counters = lock_counters(board.channel for board in by_board)
        for board, results in by_board.items():
            items += _store(board, results, config, counters[board.channel])
    slugs = ", ".join(board.slug for board in by_board)
    _send(items, [result for _, result in entries], config, slugs)


def _store(
    board: type[Dashboard], results: list[Pushed], config: conf.Settings, counter: EventCounter
) -> list[dict]:
    """Apply ``results``' values in order; emit one event per component that is due.
    The caller holds ``counter``'s lock (the dashboard's channel)."""
    names = list(dict.fromkeys(name for result in results for name in result.values))
    rows = _rows(board, names)
    states: dict[str, State | None] = {
        name: rows[name].state if name in rows else None for name in names
    }
    for result in results:
        for name, raw in result.values.items():
            states[name] = board.get_component(name).update(states[name], raw)
            result.states[name] = states[name]
    now = time.time()
    # capture_pushes() holds nothing back: every push is rendered, so tests do not depend on time
    held = {
        name: opens
        for name in names
        if not _captures
        and name in rows
        and (opens := _slot_opens(board.get_component(name), rows[name])) > now
    }
    due = [name for name in names if name not in held]
    items = _emit(board, states, due, now, config, results, counter)
    if held:
        for name in held:
            _model().objects.filter(pk=rows[name].pk).update(state=states[name], pending=True)
        for result in results:
            result.deferred = [name for name in result.values if name in held]
        transaction.on_commit(lambda: coalesce.schedule(board.slug, held))
    return items


def _emit(
    board: type[Dashboard],
    states: dict[str, Any],
    names: list[str],
    now: float,
    config: conf.Settings,
    results: list[Pushed],
    counter: EventCounter,
) -> list[dict[str, Any]]:
    """Render ``names`` once each, store their events and states, and return Pushpin items."""
    if not names:
        return []
    html = {name: _render(board.get_component(name), states[name], config) for name in names}
    stored = append_events(board.channel, [(n, html[n]) for n in names], counter)
    event_ids = dict(zip(names, stored, strict=True))
    ComponentState = _model()
    ComponentState.objects.bulk_create(
        [
            ComponentState(
                dashboard=board.slug,
                component=name,
                state=states[name],
                event_id=event_ids[name],
                published_at=now,
                pending=False,
            )
            for name in names
        ],
        update_conflicts=True,
        unique_fields=["dashboard", "component"],
        update_fields=["state", "event_id", "published_at", "pending", "updated"],
    )
    for result in results:
        for name in result.values or names:
            if name in event_ids:
                result.html[name], result.event_ids[name] = html[name], event_ids[name]
                result.states.setdefault(name, states[name])
    return [
        pushpin_item(board.channel, name, html[name], event_ids[name], config.grip_prefix)
        for name in names
    ]


def _render(component: Component, state: State | None, config: conf.Settings) -> str:
    html = str(component.render(state))
    size = len(html.encode())
    if size > config.max_html_bytes:
        raise InvalidValue(
            f"{component.where()}: rendered HTML of {size} bytes exceeds "
            f"MAX_HTML_BYTES ({config.max_html_bytes})."
        )
    return html


def _rows(board: type[Dashboard], names: list[str]) -> dict[str, ComponentState]:
    """The stored states of ``names``; read under the channel's counter lock (no row locks:
    a missing row could not be locked, and the counter lock covers them all)."""
    rows = _model().objects.filter(dashboard=board.slug, component__in=names)
    return {row.component: row for row in rows}


def _slot_opens(component: Component, row: ComponentState) -> float:
    """When ``component`` may next be sent (Unix time); 0 when it is not rate limited."""
    if not component.max_rate or row.published_at is None:
        return 0.0
    return row.published_at + 1.0 / component.max_rate


def _model() -> type[ComponentState]:
    from ..models import ComponentState

    return ComponentState


def _send(
    items: list[dict], results: list[Pushed], config: conf.Settings, dashboards: str
) -> None:
    if _captures:  # dashboards_sse.testing.capture_pushes(): record instead of publishing
        for capture in _captures:
            capture.extend(results)
        return
    if not items:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _publish_after_commit(items, config, dashboards))
        return
    publish_items(items, config)
    for result in results:
        result.published = config.publishes and bool(result.event_ids)


def _publish_after_commit(
    items: list[dict[str, Any]], config: conf.Settings, dashboards: str
) -> None:
    try:
        publish_items(items, config)
    except PublishError:
        # Too late to raise to the caller; the stored events replay on reconnect.
        logger.exception("dashboards_sse: publishing to %r after commit failed", dashboards)


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
