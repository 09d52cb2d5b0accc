"""push(): validate, render once, store, publish once — whatever the number of viewers.

Order matters for "never lose an update": the new states and their event are written in one
database transaction first (so a reconnecting client can replay them and a new page renders
them), then the event goes to Pushpin in a single POST. Inside an outer transaction the POST
waits for the commit, so viewers never see a state that is rolled back.

One push is one SSE message (``wire.py``): every component it changed, rendered once, in one
event with one id, so each viewer costs Pushpin one delivery per push, not one per component.
``batch()`` widens "one" to many pushes: one transaction, one event per board (its components'
newest states), one POST. A component with ``max_rate`` is coalesced: a push inside its interval
stores the state and marks it pending; the newest pending state is sent when the slot opens, in
the next message of its board (a later push, or the coalescing timer's flush).

Concurrent writers (several processes): a state is read, updated (a Chart appends) and written
back, so two pushes to one component must not interleave. Every write of a board's states
happens under the lock of its channel's event counter, which the write needs anyway, taken
*before* the states are read: a per-board mutex that also covers the first push, when there
is no state row yet to lock. A batch over several boards locks their counters up front in
channel order (``store.lock_counters``), so opposite batches cannot deadlock.

This module never names ``Dashboard``: a *board* (``types.Board``: slug, channel, components)
flows through it.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction

from .. import conf
from ..exceptions import InvalidValue, NotPublishedWarning, PublishError
from ..registry import get_dashboard
from ..types import Board, Part, Pushed, State
from . import store, wire
from .coalesce import Timer
from .grip import publish_items

if TYPE_CHECKING:
    from ..models import ComponentState

logger = logging.getLogger("dashboards_sse")

# Lists that recording() fills (dashboards_sse.testing.capture_pushes); while any is open,
# pushes are validated, rendered and stored as usual but nothing is sent to Pushpin. Read once
# per push and passed down.
_recorders: list[list[Pushed]] = []

# The pushes of the innermost open batch() in this context (thread or task).
_batch: ContextVar[list[tuple[Board, Pushed]] | None] = ContextVar(
    "dashboards_sse_batch", default=None
)


def push(dashboard: str | type | Board, /, **values: Any) -> Pushed:
    """Push new values to components of one dashboard::

        push("shop.sales", orders=1285, revenue=48120)

    Raises UnknownDashboard, UnknownComponent or InvalidValue before anything is stored, and
    PublishError when Pushpin does not accept the stored update in time. Inside ``batch()``
    the value is checked now and stored and published when the batch ends.
    """
    board = _target(dashboard)
    if not values:
        raise InvalidValue(f"dashboard {board.slug!r}: push needs at least one component=value.")
    components = [board.get_component(name) for name in values]
    result = Pushed(dashboard=board.slug, values=dict(values), scope_key=board.scope_key)
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

    Pushes to one dashboard in a batch become one event carrying each component's newest
    state (a Chart keeps every point). All or nothing: an exception in the block stores
    nothing. Yields the list of :class:`Pushed`, filled in when the block ends. A nested batch
    joins the outer one: its pushes are stored and published when the outermost batch ends.
    """
    outer = _batch.get()
    if outer is not None:
        start = len(outer)
        inner: list[Pushed] = []
        yield inner
        inner.extend(result for _, result in outer[start:])
        return
    entries: list[tuple[Board, Pushed]] = []
    results: list[Pushed] = []
    token = _batch.set(entries)
    try:
        yield results
    finally:
        _batch.reset(token)
    results.extend(result for _, result in entries)
    if entries:
        _store_and_publish(entries)


def republish(items: list[dict[str, Any]]) -> None:
    """Publish again what a push could not (``PublishError.items``): its stored events,
    unchanged, so nothing is stored twice (pushing the values again would append a Chart's
    point twice). Raises PublishError as ``push()`` does."""
    publish_items(items, conf.get_settings())


Recorder = TypeVar("Recorder", bound=list[Pushed])


@contextmanager
def recording(into: Recorder) -> Iterator[Recorder]:
    """Record the pushes of the block into ``into`` instead of publishing them (and never
    hold one back for its ``max_rate``, so tests do not depend on time)."""
    _recorders.append(into)
    try:
        yield into
    finally:
        _recorders.remove(into)


def flush_pending(board: str | Board, names: list[str], *, force: bool = False) -> Pushed | None:
    """Publish the pending (coalesced) states of ``board`` whose slot has opened, ``names``
    at once with ``force``. Returns what was published, or None when nothing was pending."""
    board = _target(board)
    result = Pushed(dashboard=board.slug, scope_key=board.scope_key)
    config = conf.get_settings()
    recorders = tuple(_recorders)
    with transaction.atomic():
        writes = store.Writes(store.lock_counters([board.channel]))
        rows = store.read_states([(board.slug, board.scope_key, names)])[
            board.slug, board.scope_key
        ]
        now = time.time()
        forced = set(names) if force else set()
        due = _opened(board, rows, now, forced)
        later = {
            name: _slot_opens(board.get_component(name), rows[name])
            for name in names
            if name in rows and rows[name].pending and name not in due
        }
        states = {name: rows[name].state for name in due}
        items = _emit(board, states, due, now, config, [result], writes)
        writes.flush()
        if later:
            transaction.on_commit(lambda: timer.schedule(board, later))
    if not due:
        return None
    _send(items, [result], config, board.slug, recorders)
    return result


def _target(board: str | type | Board) -> Board:
    """The board to push to; a scoped dashboard is not one (its ``for_(object)`` is)."""
    found = get_dashboard(board)
    if not found.channel:
        raise InvalidValue(
            f"dashboard {found.slug!r} is scoped (a stream per object): push to one of its "
            "objects, e.g. push(Dashboard.for_(obj), ...) or Dashboard.for_(obj).push(...)."
        )
    return found


def _store_and_publish(entries: list[tuple[Board, Pushed]]) -> None:
    config = conf.get_settings()
    recorders = tuple(_recorders)
    items: list[dict[str, Any]] = []
    by_board: dict[Board, list[Pushed]] = {}
    for board, result in entries:
        by_board.setdefault(board, []).append(result)
    with transaction.atomic():
        writes = store.Writes(store.lock_counters(board.channel for board in by_board))
        stored = store.read_states(
            (board.slug, board.scope_key, _names(results)) for board, results in by_board.items()
        )
        for board, results in by_board.items():
            rows = stored[board.slug, board.scope_key]
            items += _store(board, results, rows, config, writes, bool(recorders))
        writes.flush()
    slugs = ", ".join(board.slug for board in by_board)
    _send(items, [result for _, result in entries], config, slugs, recorders)


def _names(results: list[Pushed]) -> list[str]:
    """The components ``results`` push to, in first-push order."""
    return list(dict.fromkeys(name for result in results for name in result.values))


def _store(
    board: Board,
    results: list[Pushed],
    rows: dict[str, ComponentState],
    config: conf.Settings,
    writes: store.Writes,
    recording: bool,
) -> list[dict[str, Any]]:
    """Apply ``results``' values to the stored ``rows`` in order; queue one event with every
    component that is due. The caller holds the lock of the board's channel."""
    names = _names(results)
    states: dict[str, State | None] = {
        name: rows[name].state if name in rows else None for name in names
    }
    # What viewers were last sent of each component (not a state held back by max_rate): a
    # list component sends the item actions from there to the new state.
    sent = {
        name: state for name, state in states.items() if not (name in rows and rows[name].pending)
    }
    for result in results:
        for name, raw in result.values.items():
            states[name] = board.get_component(name).update(states[name], raw)
            result.states[name] = states[name]
    now = time.time()
    # recording() holds nothing back: every push is rendered, so tests do not depend on time
    held = {
        name: opens
        for name in names
        if not recording
        and name in rows
        and (opens := _slot_opens(board.get_component(name), rows[name])) > now
    }
    # Coalesced states of other components whose slot has opened join this message.
    joining = [name for name in _opened(board, rows, now) if name not in states]
    states.update((name, rows[name].state) for name in joining)
    due = [name for name in names if name not in held] + joining
    items = _emit(board, states, due, now, config, results, writes, sent)
    if held:
        writes.hold(rows, {name: states[name] for name in held})
        for result in results:
            result.deferred = [name for name in result.values if name in held]
        transaction.on_commit(lambda: timer.schedule(board, held))
    return items


def _opened(
    board: Board,
    rows: dict[str, ComponentState],
    now: float,
    forced: AbstractSet[str] = frozenset(),
) -> list[str]:
    """The pending components of ``rows`` whose slot has opened (or that are ``forced``)."""
    return [
        name
        for name, row in rows.items()
        if row.pending
        and name in board.components  # a row left by a component since removed stays put
        and (name in forced or _slot_opens(board.get_component(name), row) <= now)
    ]


def _emit(
    board: Board,
    states: dict[str, Any],
    names: list[str],
    now: float,
    config: conf.Settings,
    results: list[Pushed],
    writes: store.Writes,
    sent: dict[str, State | None] | None = None,
) -> list[dict[str, Any]]:
    """Render ``names`` once each into one message, queue it and the states, and return
    its Pushpin item (a message over ``wire.MAX_MESSAGE_BYTES`` is split, an event each).
    A component whose ``sent`` state is known may send item actions instead of its HTML."""
    if not names:
        return []
    html: dict[str, str] = {}
    updates: list[wire.Update] = []
    for name in names:
        component = board.get_component(name)
        actions = (
            None
            if sent is None or name not in sent
            else component.actions(sent[name], states[name])
        )
        if actions is None:  # the whole content
            html[name] = _render(component, states[name], config)
            updates.append(wire.replace(name, html[name]))
            continue
        for action in actions:
            _check_size(component, action.get("html", ""), config)
        updates += [wire.item_action(name, action) for action in actions]
        html[name] = "".join(action.get("html", "") for action in actions)
    # A list push that changed nothing on screen (no actions) sends nothing, and a message
    # with no update is no event.
    messages = wire.messages(updates, now) if updates else []
    ids = writes.append(board.channel, [(wire.UPDATE_EVENT, data) for data, _ in messages])
    event_ids = {
        name: event_id
        for (_, members), event_id in zip(messages, ids, strict=True)
        for name in members
    }
    saved = {name: states[name] for name in names}
    # a state no event carried (nothing changed on screen) is as of the channel's last event
    last_id = writes.last_id(board.channel)
    as_of = {name: event_ids.get(name, last_id) for name in names}
    writes.save(board.slug, board.scope_key, saved, as_of, now)
    for result in results:
        for name in result.values or names:
            if name in event_ids:
                result.html[name], result.event_ids[name] = html[name], event_ids[name]
                result.sent_at = now
                result.states.setdefault(name, states[name])
    return [
        wire.event_item(board.channel, wire.UPDATE_EVENT, data, event_id, config.grip_prefix)
        for (data, _), event_id in zip(messages, ids, strict=True)
    ]


def _render(component: Part, state: State | None, config: conf.Settings) -> str:
    html = str(component.render(state))
    _check_size(component, html, config)
    return html


def _check_size(component: Part, html: str, config: conf.Settings) -> None:
    size = len(html.encode())
    if size > config.max_html_bytes:
        raise InvalidValue(
            f"{component.where()}: rendered HTML of {size} bytes exceeds "
            f"MAX_HTML_BYTES ({config.max_html_bytes})."
        )


def _slot_opens(component: Part, row: ComponentState) -> float:
    """When ``component`` may next be sent (Unix time); 0 when it is not rate limited."""
    if not component.max_rate or row.published_at is None:
        return 0.0
    return row.published_at + 1.0 / component.max_rate


def _send(
    items: list[dict[str, Any]],
    results: list[Pushed],
    config: conf.Settings,
    dashboards: str,
    recorders: tuple[list[Pushed], ...],
) -> None:
    if recorders:  # recording(): record instead of publishing
        for recorder in recorders:
            recorder.extend(results)
        return
    if not items:
        return
    if not config.publishes:
        _stored_only(config, dashboards)
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _publish_after_commit(items, config, dashboards))
        return
    publish_items(items, config)
    for result in results:
        result.published = bool(result.event_ids)


# What a process without a GRIP proxy is told (once): its updates reach embedded streams only.
NO_PROXY = "no GRIP_URL or GRIP_PROXIES in this process's settings"
_told_embedded = False


def _stored_only(config: conf.Settings, dashboards: str) -> None:
    """An update stored with no proxy to publish to. In embedded mode that is delivery (the
    streams Django serves read the storage); with PUSHPIN_REQUIRED no stream can show it."""
    global _told_embedded
    if config.pushpin_required:
        warnings.warn(
            f"dashboards_sse: the update of {dashboards} is stored but not published: "
            f"{NO_PROXY}, and PUSHPIN_REQUIRED is True, so no stream shows it. Set GRIP_URL "
            "to Pushpin's publish endpoint (system check dashboards_sse.W004).",
            NotPublishedWarning,
            stacklevel=5,  # push()'s caller
        )
    elif not _told_embedded:
        _told_embedded = True
        logger.info(
            "dashboards_sse: %s: updates are stored and reach the streams Django serves itself "
            "(embedded mode), not pages served through Pushpin.",
            NO_PROXY,
        )


def _publish_after_commit(
    items: list[dict[str, Any]], config: conf.Settings, dashboards: str
) -> None:
    try:
        publish_items(items, config)
    except PublishError:
        # Too late to raise to the caller; the stored events replay on reconnect.
        logger.exception("dashboards_sse: publishing to %r after commit failed", dashboards)


# The coalescing timer of this process, handed the flush it calls when a slot opens.
timer = Timer(flush_pending)
