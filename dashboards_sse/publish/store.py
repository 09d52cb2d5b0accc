"""What a push writes: component states and django-eventstream's events, in a few queries.

``DjangoModelStorage.append_event`` costs about five queries per event (counter lookup, lock,
insert, counter save, trim scan). A push of many components (or a batch of pushes) takes one
counter lock and one bulk insert per channel instead. The rows are exactly what
``append_event`` writes (JSON-encoded data, consecutive ``eid`` per channel, the ``eid=0``
placeholder on a new channel), so django-eventstream replays them unchanged.

The counter row is also the lock of everything stored for its channel (see pipeline.py): taken
first, in channel order, and created race-free — django-eventstream's ``get_or_create`` catches
the IntegrityError of a concurrent create, which on PostgreSQL aborts the whole transaction.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from django_eventstream.models import Event, EventCounter

    from ..models import ComponentState

# django-eventstream keeps events 24 h (its EVENT_TIMEOUT); trim at most once a minute per
# process rather than scanning on every append.
RETENTION = datetime.timedelta(hours=24)
TRIM_INTERVAL = 60.0
_last_trim = 0.0


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
    several channels at once never deadlock one another."""
    EventCounter = _models().EventCounter

    names = sorted(set(channels))
    if not names:
        return {}
    found = set(EventCounter.objects.filter(name__in=names).values_list("name", flat=True))
    if missing := [name for name in names if name not in found]:
        # ON CONFLICT DO NOTHING: a concurrent first push may create the same row. Inserted
        # before this call locks any counter, so waiting for that push's commit closes no cycle.
        EventCounter.objects.bulk_create(
            [EventCounter(name=name) for name in missing], ignore_conflicts=True
        )
    locked = EventCounter.objects.select_for_update().filter(name__in=names).order_by("name")
    return {counter.name: counter for counter in locked}


def append_events(
    channel: str, events: Sequence[tuple[str, str]], counter: EventCounter | None = None
) -> list[int]:
    """Store ``(event_type, data)`` pairs on ``channel``; return their ids, in order.
    ``counter`` is the channel's counter when the caller holds its lock already."""
    Event = _models().Event

    if not events:
        return []
    with transaction.atomic():
        if counter is None:
            counter = lock_counters([channel])[channel]
        first = counter.value + 1
        encode = DjangoJSONEncoder().encode
        rows = [
            Event(channel=channel, type=kind, data=encode(data), eid=eid)
            for eid, (kind, data) in enumerate(events, start=first)
        ]
        if counter.value == 0:
            # django-eventstream's placeholder that lets a client resume from id 0
            rows.insert(0, Event(channel=channel, type="", data="", eid=0))
        Event.objects.bulk_create(rows)
        counter.value += len(events)
        counter.save(update_fields=["value", "updated"])
    _maybe_trim()
    return list(range(first, first + len(events)))


def _maybe_trim() -> None:
    global _last_trim
    now = time.monotonic()
    if now - _last_trim < TRIM_INTERVAL:
        return
    _last_trim = now
    _models().Event.objects.filter(created__lt=timezone.now() - RETENTION).delete()


def read_states(slug: str, scope: str, names: Iterable[str]) -> dict[str, ComponentState]:
    """The stored states of ``names`` and every pending (coalesced) state of the board (a
    dashboard and scope), by component. Read under the channel's counter lock: no row locks
    (a missing row could not be locked, and the counter lock covers them all)."""
    rows = _models().ComponentState.objects.filter(
        Q(component__in=list(names)) | Q(pending=True), dashboard=slug, scope=scope
    )
    return {row.component: row for row in rows}


def save_states(
    slug: str,
    scope: str,
    states: dict[str, Any],
    event_ids: dict[str, int],
    published_at: float,
) -> None:
    """Store ``states`` as sent in the events ``event_ids`` (nothing pending any more)."""
    ComponentState = _models().ComponentState
    ComponentState.objects.bulk_create(
        [
            ComponentState(
                dashboard=slug,
                scope=scope,
                component=name,
                state=state,
                event_id=event_ids[name],
                published_at=published_at,
                pending=False,
            )
            for name, state in states.items()
        ],
        update_conflicts=True,
        unique_fields=["dashboard", "scope", "component"],
        update_fields=["state", "event_id", "published_at", "pending", "updated"],
    )


def hold_states(rows: dict[str, ComponentState], states: dict[str, Any]) -> None:
    """Store ``states`` of existing ``rows`` as pending: sent when their slot opens."""
    held = []
    for name, state in states.items():
        row = rows[name]
        row.state, row.pending = state, True
        held.append(row)
    _models().ComponentState.objects.bulk_update(held, ["state", "pending"])
