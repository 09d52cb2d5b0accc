from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_eventstream.models import Event, EventCounter
from django_eventstream.storage import DjangoModelStorage

from dashboards_sse.models import ComponentState
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


@pytest.fixture
def known_counters(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """This test's own set of counters the process knows exist."""
    known: set[str] = set()
    monkeypatch.setattr(store, "_known_counters", known)
    return known


def test_a_known_counter_is_locked_in_one_query(
    known_counters: set[str],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        django_assert_num_queries(3),  # lookup, create, lock
    ):
        store.lock_counters(["k"])
    assert known_counters == {"k"}
    with transaction.atomic(), django_assert_num_queries(1):
        assert store.lock_counters(["k"])["k"].value == 0


def test_a_counter_of_a_rolled_back_transaction_is_not_known(
    known_counters: set[str], django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        store.lock_counters(["gone"])
        raise RuntimeError
    assert callbacks == [] and known_counters == set()


def test_a_known_counter_deleted_since_is_created_again(known_counters: set[str]) -> None:
    store.append_events("flushed", [("x", 1)])
    known_counters.add("flushed")
    EventCounter.objects.filter(name="flushed").delete()  # e.g. a test database flushed
    with transaction.atomic():
        counters = store.lock_counters(["flushed"])
    assert [(name, c.value) for name, c in counters.items()] == [("flushed", 0)]
    assert EventCounter.objects.filter(name="flushed").exists()
    assert "flushed" not in known_counters


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


def test_writes_of_many_channels_are_a_few_queries(
    django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "_last_trim", time.monotonic())  # no trim in the count
    store.append_events("old", [("x", 1)])
    before = EventCounter.objects.get(name="old").updated
    channels = ["old"] + [f"new{i}" for i in range(40)]
    with transaction.atomic():
        writes = store.Writes(store.lock_counters(channels))
        for channel in channels:
            assert writes.append(channel, [("a", 1), ("b", 2)])[-1] == writes.last_id(channel)
            writes.save("d", channel, {"c": {"v": 1}}, {"c": writes.last_id(channel)}, 1.0)
        with django_assert_num_queries(3):  # events, counters, states
            writes.flush()

    counters = dict(EventCounter.objects.values_list("name", "value"))
    assert counters == {"old": 3, **{f"new{i}": 2 for i in range(40)}}
    assert EventCounter.objects.get(name="old").updated > before
    assert DjangoModelStorage().get_current_id("new7") == 2
    assert [e.id for e in DjangoModelStorage().get_events("new7", 0)] == [1, 2]
    assert [e.id for e in DjangoModelStorage().get_events("old", 1)] == [2, 3]
    assert ComponentState.objects.get(scope="old").event_id == 3


def test_held_states_keep_what_was_sent() -> None:
    ComponentState.objects.create(
        dashboard="d", scope="", component="c", state={"v": 1}, event_id=4, published_at=2.0
    )
    with transaction.atomic():
        writes = store.Writes(store.lock_counters(["ch"]))
        rows = store.read_states([("d", "", ["c"])])["d", ""]
        writes.hold(rows, {"c": {"v": 2}})
        writes.flush()

    row = ComponentState.objects.get()
    assert (row.state, row.pending, row.event_id, row.published_at) == ({"v": 2}, True, 4, 2.0)


def test_read_states_of_several_boards() -> None:
    def row(scope: str, component: str, pending: bool = False) -> ComponentState:
        return ComponentState(
            dashboard="d", scope=scope, component=component, state={}, pending=pending
        )

    ComponentState.objects.bulk_create(
        [row("a", "x"), row("a", "y"), row("a", "z", pending=True), row("b", "y"), row("c", "x")]
    )
    found = store.read_states([("d", "a", ["x"]), ("d", "b", ["x", "y"]), ("e", "a", ["x"])])

    assert {key: sorted(rows) for key, rows in found.items()} == {
        ("d", "a"): ["x", "z"],  # y is neither asked for nor pending
        ("d", "b"): ["y"],
        ("e", "a"): [],
    }


def test_read_states_gives_whole_rows_in_one_query(django_assert_num_queries: Any) -> None:
    stored = ComponentState.objects.create(
        dashboard="d",
        scope="",
        component="x",
        state={"value": 1.5, "points": [[1, 2]]},
        event_id=7,
        published_at=12.5,
    )
    ComponentState.objects.create(dashboard="d", scope="s", component="x", state={})
    with django_assert_num_queries(1):
        found = store.read_states([("d", "", ["x", "missing"])])
    (row,) = found["d", ""].values()
    assert (row.pk, row.state, row.event_id, row.published_at, row.pending, row.updated) == (
        stored.pk,
        {"value": 1.5, "points": [[1, 2]]},
        7,
        12.5,
        False,
        stored.updated,
    )
