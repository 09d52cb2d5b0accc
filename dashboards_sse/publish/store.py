"""What a push writes: component states and django-eventstream's events, in a few queries.

``DjangoModelStorage.append_event`` costs about five queries per event (counter lookup, lock,
insert, counter save, trim scan). A push of many components, or a batch of pushes to any number
of dashboards and scopes, takes one lock of their counters, one read of their states and, in
``Writes.flush``, one bulk insert of events, one upsert of counters and one of states (a batch
of 1,000 scoped pushes: 25 queries, was 6,000). The rows are exactly what
``append_event`` writes (JSON-encoded data, consecutive ``eid`` per channel, the ``eid=0``
placeholder on a new channel), so django-eventstream replays them unchanged.

The counter row is also the lock of everything stored for its channel (see pipeline.py): taken
first, in channel order, and created race-free — django-eventstream's ``get_or_create`` catches
the IntegrityError of a concurrent create, which on PostgreSQL aborts the whole transaction.
"""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone

from ..sql import CompiledQuery, compile_queryset

if TYPE_CHECKING:
    from django_eventstream.models import Event, EventCounter

    from ..models import ComponentState

# django-eventstream keeps events 24 h (its EVENT_TIMEOUT); trim at most once a minute per
# process rather than scanning on every append.
RETENTION = datetime.timedelta(hours=24)
TRIM_INTERVAL = 60.0
# Rows (and ``IN`` values) per statement: under SQLite's oldest limit of 999 parameters.
BULK_ROWS = 500
_last_trim = 0.0
# Channels whose event counter this process has seen committed. Counters are never deleted, so
# locking those is one query (a SELECT ... FOR UPDATE) instead of a lookup, then the lock.
_known_counters: set[str] = set()


def _models() -> Models:
    """The models this module writes, from the app registry: the package imports this module
    while Django loads its apps (``INSTALLED_APPS``), before any models module can be imported."""
    return Models(
        apps.get_model("django_eventstream", "Event"),
        apps.get_model("django_eventstream", "EventCounter"),
        apps.get_model("dashboards_sse", "ComponentState"),
    )


class Models(NamedTuple):
    Event: type[Event]
    EventCounter: type[EventCounter]
    ComponentState: type[ComponentState]


def lock_counters(channels: Iterable[str]) -> dict[str, EventCounter]:
    """Lock the event counters of ``channels`` until the transaction ends, creating missing
    ones. Call inside ``transaction.atomic()``. Locks are taken in name order, so writers of
    several channels at once never deadlock one another. One query for counters this process
    knows exist, three for new ones."""
    EventCounter = _models().EventCounter

    names = sorted(set(channels))
    if not names:
        return {}
    if _known_counters.issuperset(names):
        locked = _select_locked(EventCounter, names)
        if len(locked) == len(names):
            return locked
        # A counter was deleted behind this process (a test database flushed): the slow path,
        # holding some locks already; only a concurrent first push of the same channel could
        # then deadlock, which the database detects and raises.
        _known_counters.difference_update(names)
    found = set(EventCounter.objects.filter(name__in=names).values_list("name", flat=True))
    if missing := [name for name in names if name not in found]:
        # ON CONFLICT DO NOTHING: a concurrent first push may create the same row. Inserted
        # before this call locks any counter, so waiting for that push's commit closes no cycle.
        EventCounter.objects.bulk_create(
            [EventCounter(name=name) for name in missing], ignore_conflicts=True
        )
    locked = _select_locked(EventCounter, names)
    # Known once committed: a counter created in a transaction that rolls back does not exist.
    transaction.on_commit(lambda: _known_counters.update(locked))
    return locked


def _select_locked(model: type[EventCounter], names: list[str]) -> dict[str, EventCounter]:
    """The existing counters of ``names``, locked in name order."""
    rows = model.objects.select_for_update().filter(name__in=names).order_by("name")
    return {counter.name: counter for counter in rows}


class Writes:
    """What one push, batch or flush stores, written by :meth:`flush` in a few queries whatever
    the number of boards: one bulk insert of events, one update of the counters, one upsert of
    the states, one update of the held ones. Ids are taken from counters the caller has locked
    (``lock_counters``), so they are known before anything is written."""

    def __init__(self, counters: dict[str, EventCounter]) -> None:
        self.counters = counters
        self._events: list[Event] = []
        self._touched: dict[str, EventCounter] = {}
        self._states: dict[tuple[str, str, str], ComponentState] = {}
        self._held: list[ComponentState] = []

    def append(self, channel: str, events: Sequence[tuple[str, Any]]) -> list[int]:
        """Queue ``(event_type, data)`` pairs on ``channel``; return their ids, in order."""
        if not events:
            return []
        Event = _models().Event
        counter = self.counters[channel]
        first = counter.value + 1
        if counter.value == 0:
            # django-eventstream's placeholder that lets a client resume from id 0
            self._events.append(Event(channel=channel, type="", data="", eid=0))
        encode = DjangoJSONEncoder().encode
        self._events += [
            Event(channel=channel, type=kind, data=encode(data), eid=eid)
            for eid, (kind, data) in enumerate(events, start=first)
        ]
        counter.value += len(events)
        self._touched[channel] = counter
        return list(range(first, first + len(events)))

    def last_id(self, channel: str) -> int:
        """The id of the newest event of ``channel``, queued ones included."""
        value: int = self.counters[channel].value
        return value

    def save(
        self,
        slug: str,
        scope: str,
        states: dict[str, Any],
        event_ids: dict[str, int],
        published_at: float,
    ) -> None:
        """Queue ``states`` as sent in the events ``event_ids`` (nothing pending any more)."""
        ComponentState = _models().ComponentState
        for name, state in states.items():
            self._states[slug, scope, name] = ComponentState(
                dashboard=slug,
                scope=scope,
                component=name,
                state=state,
                event_id=event_ids[name],
                published_at=published_at,
                pending=False,
            )

    def hold(self, rows: dict[str, ComponentState], states: dict[str, Any]) -> None:
        """Queue ``states`` of existing ``rows`` as pending: sent when their slot opens."""
        ComponentState = _models().ComponentState
        for name, state in states.items():
            row = rows[name]
            row.state, row.pending = state, True
            # a new instance: an upsert of one with its primary key would conflict on that key
            self._held.append(
                ComponentState(
                    dashboard=row.dashboard,
                    scope=row.scope,
                    component=row.component,
                    state=state,
                    event_id=row.event_id,
                    published_at=row.published_at,
                    pending=True,
                )
            )

    def flush(self) -> None:
        """Write everything queued. Call inside the transaction holding the counters' locks."""
        models = _models()
        # Upserts rather than bulk_update(): Django builds its CASE expression per row, about
        # 0.9 ms a row, more than everything else a push costs.
        if self._events:
            models.Event.objects.bulk_create(self._events, batch_size=BULK_ROWS)
            now = timezone.now()  # set by hand: an upsert does not apply auto_now
            models.EventCounter.objects.bulk_create(
                [
                    models.EventCounter(name=name, value=counter.value, updated=now)
                    for name, counter in self._touched.items()
                ],
                batch_size=BULK_ROWS,
                update_conflicts=True,
                unique_fields=["name"],
                update_fields=["value", "updated"],
            )
        for rows, fields in (
            (self._states.values(), ["state", "event_id", "published_at", "pending", "updated"]),
            (self._held, ["state", "pending", "updated"]),
        ):
            if rows:
                models.ComponentState.objects.bulk_create(
                    list(rows),
                    batch_size=BULK_ROWS,
                    update_conflicts=True,
                    unique_fields=["dashboard", "scope", "component"],
                    update_fields=fields,
                )
        wrote = bool(self._events)
        self._events, self._touched, self._states, self._held = [], {}, {}, []
        if wrote:
            _maybe_trim()


def append_events(
    channel: str, events: Sequence[tuple[str, str]], counter: EventCounter | None = None
) -> list[int]:
    """Store ``(event_type, data)`` pairs on ``channel``; return their ids, in order.
    ``counter`` is the channel's counter when the caller holds its lock already."""
    if not events:
        return []
    with transaction.atomic():
        counters = {channel: counter} if counter else lock_counters([channel])
        writes = Writes(counters)
        ids = writes.append(channel, events)
        writes.flush()
    return ids


def _maybe_trim() -> None:
    global _last_trim
    now = time.monotonic()
    if now - _last_trim < TRIM_INTERVAL:
        return
    _last_trim = now
    _models().Event.objects.filter(created__lt=timezone.now() - RETENTION).delete()


def read_states(
    boards: Iterable[tuple[str, str, Iterable[str]]],
) -> dict[tuple[str, str], dict[str, ComponentState]]:
    """The stored states of the boards ``(slug, scope, names)``: each one's ``names`` and
    every pending (coalesced) state, by component, keyed by ``(slug, scope)``. One query per
    dashboard and ``BULK_ROWS`` scopes. Read under the channels' counter locks: no row locks (a
    missing row could not be locked, and the counter lock covers them all)."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for slug, scope, names in boards:
        wanted.setdefault((slug, scope), set()).update(names)
    scopes_by_slug: dict[str, list[str]] = {}
    for slug, scope in wanted:
        scopes_by_slug.setdefault(slug, []).append(scope)
    found: dict[tuple[str, str], dict[str, ComponentState]] = {key: {} for key in wanted}
    model = _models().ComponentState
    alias = router.db_for_read(model)
    for slug, scopes in scopes_by_slug.items():
        names = sorted(set().union(*(wanted[slug, scope] for scope in scopes)))
        for start in range(0, len(scopes), BULK_ROWS):
            chunk = scopes[start : start + BULK_ROWS]
            query = _states_query(alias, len(chunk), len(names))
            rows = model.objects.db_manager(alias).raw(
                query.sql, query.bind([slug, *chunk, *names])
            )
            for row in rows:
                if row.pending or row.component in wanted[slug, row.scope]:
                    found[slug, row.scope][row.component] = row
    return found


@functools.lru_cache(maxsize=256)
def _states_query(alias: str, scopes: int, names: int) -> CompiledQuery:
    """``read_states``' query for ``scopes`` scopes of one dashboard and ``names`` components,
    compiled once per shape: building it with the ORM on every push cost a third of a
    millisecond, a tenth of a push (bench/throughput.py)."""
    slug = "dashboards_sse:dashboard"
    scope_stand_ins = [f"dashboards_sse:scope{n}" for n in range(scopes)]
    name_stand_ins = [f"dashboards_sse:component{n}" for n in range(names)]
    wanted = Q(component__in=name_stand_ins) | Q(pending=True)
    states = _models().ComponentState.objects.using(alias)
    queryset = states.filter(wanted, dashboard=slug, scope__in=scope_stand_ins)
    return compile_queryset(queryset, [slug, *scope_stand_ins, *name_stand_ins])
