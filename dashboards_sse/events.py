"""Appending many events to django-eventstream's database storage in a few queries.

``DjangoModelStorage.append_event`` costs about five queries per event (counter lookup, lock,
insert, counter save, trim scan). A push of many components (or a batch of pushes) takes one
counter lock and one bulk insert per channel instead. The rows are exactly what
``append_event`` writes (JSON-encoded data, consecutive ``eid`` per channel, the ``eid=0``
placeholder on a new channel), so django-eventstream replays them unchanged.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

# django-eventstream keeps events 24 h (its EVENT_TIMEOUT); trim at most once a minute per
# process rather than scanning on every append.
RETENTION = datetime.timedelta(hours=24)
TRIM_INTERVAL = 60.0
_last_trim = 0.0


def append_events(channel: str, events: Sequence[tuple[str, str]]) -> list[int]:
    """Store ``(event_type, data)`` pairs on ``channel``; return their ids, in order."""
    from django_eventstream.models import Event, EventCounter

    if not events:
        return []
    with transaction.atomic():
        EventCounter.get_or_create(channel)  # race-safe create, outside the lock
        counter = EventCounter.objects.select_for_update().get(name=channel)
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
