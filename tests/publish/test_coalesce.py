from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.db import OperationalError
from django_eventstream.models import Event

from dashboards_sse import Stat, push
from dashboards_sse.models import ComponentState
from dashboards_sse.publish import flush_pending
from dashboards_sse.publish.pipeline import timer
from dashboards_sse.testing import capture_pushes
from tests.conftest import PublishServer
from tests.testapp.dashboards import Sensors

SLUG = "testapp.sensors"
INTERVAL = 0.5  # Sensors' components have max_rate=2


@pytest.fixture(autouse=True)
def forget_schedule() -> Any:
    yield
    timer.forget()


def messages() -> list[list[tuple[str, str]]]:
    """Every stored event on the Sensors channel, oldest first: its (component, html)."""
    rows = Event.objects.filter(channel="dashboard." + SLUG, eid__gt=0).order_by("eid")
    updates = [json.loads(json.loads(row.data))["updates"] for row in rows]
    return [[(update["component"], update["html"]) for update in message] for message in updates]


def sent() -> list[tuple[str, str]]:
    """(component, html) of every update sent on the Sensors channel, oldest first."""
    return [update for message in messages() for update in message]


def row(name: str) -> ComponentState:
    return ComponentState.objects.get(dashboard=SLUG, component=name)


def hold_then_open_the_slot() -> None:
    """Sensors.temperature: 1 sent, 2 held, then its slot opens (as if 1/max_rate passed)."""
    push(SLUG, temperature=1)
    push(SLUG, temperature=2)  # held
    ComponentState.objects.filter(component="temperature").update(
        published_at=time.time() - INTERVAL - 0.01
    )


def test_max_rate_must_be_positive_and_sane() -> None:
    for bad in (0, -1, 5_000):
        with pytest.raises(ValueError, match="max_rate"):
            Stat(max_rate=bad)


@pytest.mark.django_db(transaction=True)
def test_pushes_inside_the_interval_are_held_then_the_newest_is_sent(
    settings: Any, publish_server: PublishServer
) -> None:
    settings.GRIP_URL = publish_server.url

    first = push(SLUG, temperature=20)
    second = push(SLUG, temperature=21)
    third = push(SLUG, temperature=22)

    assert first.event_ids and first.published and first.deferred == []
    assert second.deferred == ["temperature"] and not second.event_ids and not second.published
    assert third.deferred == ["temperature"]
    assert len(sent()) == 1 and len(publish_server.requests) == 1
    assert row("temperature").state["value"] == 22 and row("temperature").pending  # stored

    timer.flush_all()

    assert [html for _, html in sent()][1].count(">22<") == 1  # only the newest, once
    assert len(sent()) == 2 and len(publish_server.requests) == 2
    assert not row("temperature").pending


@pytest.mark.django_db(transaction=True)
def test_the_timer_sends_the_newest_state_when_the_slot_opens() -> None:
    start = time.monotonic()  # before the first push: its slot opens INTERVAL after it is sent
    push(SLUG, temperature=1)
    push(SLUG, temperature=2)
    push(SLUG, temperature=3)

    deadline = start + 5
    while time.monotonic() < deadline:
        try:
            if len(sent()) >= 2:
                break
        except OperationalError:  # the test database is shared-cache SQLite: a read while the
            pass  # timer thread writes fails at once ("table is locked") instead of waiting
        time.sleep(0.02)

    elapsed = time.monotonic() - start
    assert len(sent()) == 2, "the held state was never sent"
    assert ">3<" in sent()[1][1]
    assert elapsed >= INTERVAL * 0.8  # not before its slot (clock granularity aside)


@pytest.mark.django_db(transaction=True)
def test_unlimited_components_are_sent_at_once_beside_held_ones() -> None:
    push(SLUG, temperature=1)
    result = push(SLUG, temperature=2, door="open")
    assert result.deferred == ["temperature"]
    assert list(result.event_ids) == ["door"]
    assert [kind for kind, _ in sent()] == ["temperature", "door"]


@pytest.mark.django_db(transaction=True)
def test_a_held_state_joins_the_next_message_once_its_slot_opens() -> None:
    hold_then_open_the_slot()
    joined = push(SLUG, door="closed")  # the slot has opened: one message carries both
    assert [[name for name, _ in message] for message in messages()] == [
        ["temperature"],
        ["door", "temperature"],
    ]
    assert ">2<" in messages()[1][1][1] and joined.event_ids == {"door": 2}
    assert not row("temperature").pending
    assert flush_pending(SLUG, ["temperature"]) is None  # the timer finds nothing left


@pytest.mark.django_db(transaction=True)
def test_a_chart_keeps_every_held_point() -> None:
    for x in range(5):
        push(SLUG, trace=(x, x * 10))
    timer.flush_all()
    assert row("trace").state["points"] == [[x, x * 10] for x in range(5)]
    assert [kind for kind, _ in sent()] == ["trace", "trace"]


@pytest.mark.django_db(transaction=True)
def test_a_push_after_the_interval_sends_and_clears_pending() -> None:
    hold_then_open_the_slot()
    push(SLUG, temperature=3)
    assert not row("temperature").pending
    assert flush_pending(SLUG, ["temperature"]) is None  # nothing left to send
    assert len(sent()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_flush_sends_what_is_stored_whoever_stored_it() -> None:
    push(SLUG, temperature=1)
    push(SLUG, temperature=2)  # held here...
    ComponentState.objects.filter(component="temperature").update(  # ...newer from elsewhere
        state={"value": 99, "change": None, "note": None}
    )
    flushed = flush_pending(SLUG, ["temperature"], force=True)
    assert flushed is not None and ">99<" in flushed.html["temperature"]


@pytest.mark.django_db(transaction=True)
def test_a_flush_before_the_slot_reschedules() -> None:
    push(SLUG, temperature=1)
    push(SLUG, temperature=2)
    assert flush_pending(SLUG, ["temperature"]) is None
    assert (Sensors, "temperature") in timer.scheduled
    assert len(sent()) == 1


@pytest.mark.django_db
def test_captured_pushes_are_never_held() -> None:
    with capture_pushes() as pushes:
        push(SLUG, temperature=1)
        push(SLUG, temperature=2)
    assert ">2<" in pushes.html(SLUG, "temperature")
    assert all(not p.deferred for p in pushes)
