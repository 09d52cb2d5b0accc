from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_eventstream.models import Event, EventCounter
from django_eventstream.storage import DjangoModelStorage

from dashboards_sse.publish import store

pytestmark = pytest.mark.django_db


def test_ids_are_consecutive_and_replayable_by_django_eventstream() -> None:
    ids = store.append_events("c", [("cpu", "<b>1</b>"), ("ram", {"x": [1, 2]})])

    assert ids == [1, 2]
    storage = DjangoModelStorage()
    assert storage.get_current_id("c") == 2
    replayed = storage.get_events("c", 0)
    assert [(e.id, e.type, e.data) for e in replayed] == [
        (1, "cpu", "<b>1</b>"),
        (2, "ram", {"x": [1, 2]}),
    ]


def test_rows_match_django_eventstream_append_event() -> None:
    DjangoModelStorage().append_event("theirs", "cpu", "<b>1</b>")
    store.append_events("ours", [("cpu", "<b>1</b>")])

    def rows(channel: str) -> list[tuple[Any, ...]]:
        return list(
            Event.objects.filter(channel=channel)
            .order_by("eid")
            .values_list("eid", "type", "data")
        )

    assert rows("ours") == rows("theirs")  # the eid=0 placeholder included


def test_continues_after_django_eventstream_and_back() -> None:
    storage = DjangoModelStorage()
    storage.append_event("c", "a", 1)
    assert store.append_events("c", [("b", 2), ("c", 3)]) == [2, 3]
    assert storage.append_event("c", "d", 4).id == 4
    assert [e.id for e in storage.get_events("c", 1)] == [2, 3, 4]


def test_channels_count_separately() -> None:
    store.append_events("a", [("x", 1)])
    assert store.append_events("b", [("x", 1), ("y", 2)]) == [1, 2]
    assert dict(EventCounter.objects.values_list("name", "value")) == {"a": 1, "b": 2}


def test_lock_counters_creates_missing_ones_in_channel_order() -> None:
    EventCounter.objects.create(name="b", value=5)
    with transaction.atomic():
        counters = store.lock_counters(["b", "a", "b"])

    assert [(name, c.value) for name, c in counters.items()] == [("a", 0), ("b", 5)]
    assert EventCounter.objects.count() == 2


def test_append_events_to_a_counter_locked_by_the_caller() -> None:
    store.append_events("c", [("a", 1)])
    with transaction.atomic():
        (counter,) = store.lock_counters(["c"]).values()
        assert store.append_events("c", [("b", 2), ("c", 3)], counter) == [2, 3]

    assert EventCounter.objects.get(name="c").value == counter.value == 3


def test_nothing_to_append() -> None:
    assert store.append_events("c", []) == []
    assert not EventCounter.objects.exists()


def test_trims_events_older_than_a_day(monkeypatch: pytest.MonkeyPatch) -> None:
    store.append_events("c", [("old", 1)])
    Event.objects.filter(eid=1).update(created=timezone.now() - datetime.timedelta(hours=25))
    monkeypatch.setattr(store, "_last_trim", 0.0)

    store.append_events("c", [("new", 2)])

    assert list(Event.objects.filter(channel="c").values_list("eid", flat=True)) == [0, 2]


def test_trim_runs_at_most_once_a_minute() -> None:
    store.append_events("c", [("x", 1)])  # trims, and remembers when
    Event.objects.update(created=timezone.now() - datetime.timedelta(hours=25))
    store.append_events("c", [("y", 2)])
    assert Event.objects.filter(channel="c").count() == 3  # not scanned again yet
