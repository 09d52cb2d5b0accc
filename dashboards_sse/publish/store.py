"""Appending many events to django-eventstream's database storage in a few queries.

``DjangoModelStorage.append_event`` costs about five queries per event (counter lookup, lock,
insert, counter save, trim scan). A push of many components (or a batch of pushes) takes one
counter lock and one bulk insert per channel instead. The rows are exactly what
``append_event`` writes (JSON-encoded data, consecutive ``eid`` per channel, the ``eid=0``
placeholder on a new channel), so django-eventstream replays them unchanged.

The counter row is also the lock of everything stored for its channel (see publish.py): taken
first, in channel order, and created race-free — django-eventstream's ``get_or_create`` catches
the IntegrityError of a concurrent create, which on PostgreSQL aborts the whole transaction.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from django_eventstream.models import EventCounter

# django-eventstream keeps events 24 h (its EVENT_TIMEOUT); trim at most once a minute per
# process rather than scanning on every append.
RETENTION = datetime.timedelta(hours=24)
TRIM_INTERVAL = 60.0
_last_trim = 0.0


def lock_counters(channels: Iterable[str]) -> dict[str, EventCounter]:
    """Lock the event counters of ``channels`` until the transaction ends, creating missing
    ones. Call inside ``transaction.atomic()``. Locks are taken in name order, so writers of
    several channels at once never deadlock one another."""
    from django_eventstream.models import EventCounter

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
    from django_eventstream.models import Event

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
    from django_eventstream.models import Event

    Event.objects.filter(created__lt=timezone.now() - RETENTION).delete()
