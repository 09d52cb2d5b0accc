from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone
from django_eventstream.models import Event

from dashboards_sse import embedded, push, shutdown
from dashboards_sse.conf import Settings, get_settings
from dashboards_sse.embedded import KEEP_ALIVE, PREAMBLE, EmbeddedStream
from dashboards_sse.publish import wire

CHANNEL = "dashboard.testapp.ops"
pytestmark = pytest.mark.django_db


def config(keep_alive: float = 60.0) -> Settings:
    return dataclasses.replace(get_settings(), keep_alive=keep_alive, embedded_poll_interval=0)


def stream(
    last_id: int | None, keep_alive: float = 60.0, allowed: Callable[[], bool] = lambda: True
) -> EmbeddedStream:
    return EmbeddedStream(CHANNEL, last_id, config(keep_alive), allowed)


def updates(html: dict[str, str]) -> list[wire.Update]:
    return [wire.replace(name, text) for name, text in html.items()]


def test_no_last_id_starts_at_current() -> None:
    current = push("testapp.ops", cpu=1).event_ids["cpu"]
    live = stream(None)
    assert live.step() == ("", False)
    assert live.last_id == current
    later = push("testapp.ops", cpu=2).event_ids["cpu"]
    body, stop = live.step()
    assert not stop
    assert body.startswith(f"event: dsse-update\nid: {CHANNEL}:{later}\n")
    assert live.last_id == later


def test_no_events_yet() -> None:
    live = stream(None)
    assert live.step() == ("", False)
    assert live.last_id == 0
    event_id = push("testapp.ops", cpu=1).event_ids["cpu"]
    assert live.step()[0].startswith(f"event: dsse-update\nid: {CHANNEL}:{event_id}\n")


def test_catch_up() -> None:
    first = push("testapp.ops", cpu=1, status="up")
    second = push("testapp.ops", cpu=2)
    live = stream(first.event_id - 1)
    body, stop = live.step()
    assert not stop
    assert body == "".join(  # the same message as live, one per push
        f"event: dsse-update\nid: {CHANNEL}:{result.event_id}\n"
        f"data: {wire.message(updates(result.html), result.sent_at)}\n\n"
        for result in (first, second)
    )
    assert live.last_id == second.event_id
    assert live.caught_up
    assert live.step() == ("", False)


def test_catch_up_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "BATCH", 2)
    first = push("testapp.ops", cpu=1, status="x", latency=1).event_id
    push("testapp.ops", cpu=2)
    push("testapp.ops", latency=2)
    live = stream(first - 1)
    body, _ = live.step()
    assert body.count("event: ") == 2
    assert not live.caught_up
    body, _ = live.step()
    assert body.startswith(f"event: dsse-update\nid: {CHANNEL}:{first + 2}\n")
    assert '"component":"latency"' in body
    assert live.caught_up


def test_reset_on_unknown_id() -> None:
    current = push("testapp.ops", cpu=1).event_ids["cpu"]
    live = stream(current + 100)
    body, stop = live.step()
    assert not stop
    assert body == (
        f'event: stream-reset\nid: {CHANNEL}:{current}\ndata: {{"channels": ["{CHANNEL}"]}}\n\n'
    )
    assert live.last_id == current
    assert live.step() == ("", False)


def test_keep_alive_after_idle() -> None:
    live = stream(None, keep_alive=5)
    assert live.step() == ("", False)
    live.last_sent = time.monotonic() - 6
    assert live.step() == (KEEP_ALIVE, False)
    assert live.step() == ("", False)


def test_no_keep_alive_with_events() -> None:
    live = stream(None, keep_alive=5)
    live.step()
    push("testapp.ops", cpu=1)
    live.last_sent = time.monotonic() - 6
    body, _ = live.step()
    assert body.startswith("event: dsse-update\n")
    assert KEEP_ALIVE not in body


def test_permission_not_rechecked_before_interval() -> None:
    calls: list[int] = []

    def allowed() -> bool:
        calls.append(1)
        return False

    live = stream(None, allowed=allowed)
    assert live.step() == ("", False)
    assert calls == []


def test_permission_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "PERMISSION_RECHECK_SECONDS", 0)
    calls: list[int] = []

    def allowed() -> bool:
        calls.append(1)
        return True

    live = stream(None, allowed=allowed)
    assert live.step() == ("", False)
    assert calls == [1]


def test_permission_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "PERMISSION_RECHECK_SECONDS", 0)
    event_id = push("testapp.ops", cpu=1).event_ids["cpu"]
    live = stream(event_id - 1, allowed=lambda: False)
    body, stop = live.step()
    assert stop
    assert body.startswith(f"event: dsse-update\nid: {CHANNEL}:{event_id}\n")
    assert body.endswith(
        "event: stream-error\nid: error\n"
        'data: {"condition": "forbidden", "text": "Permission denied."}\n\n'
    )


def test_iterate_sync_stops_on_permission_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "PERMISSION_RECHECK_SECONDS", 0)
    chunks = list(stream(None, allowed=lambda: False))
    assert len(chunks) == 2
    assert chunks[0] == PREAMBLE
    assert chunks[1].startswith("event: stream-error\n")


def test_iterate_async_stops_on_permission_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "PERMISSION_RECHECK_SECONDS", 0)

    async def collect() -> list[str]:
        return [chunk async for chunk in stream(None, allowed=lambda: False)]

    chunks = async_to_sync(collect)()
    assert len(chunks) == 2
    assert chunks[0] == PREAMBLE
    assert chunks[1].startswith("event: stream-error\n")


def test_idle_client_gets_next_event_after_trim() -> None:
    last = push("testapp.ops", cpu=1).event_ids["cpu"]
    live = stream(last)
    assert live.step() == ("", False)
    Event.objects.update(created=timezone.now() - timedelta(days=2))  # a quiet weekend
    following = push("testapp.ops", cpu=2).event_ids["cpu"]  # trims the old events
    body, _ = live.step()
    assert body.startswith(f"event: dsse-update\nid: {CHANNEL}:{following}\n")


@pytest.fixture
def stop_requested(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """This process's shutdown flag, fresh and unset (set it to ask the server to stop)."""
    flag = threading.Event()
    monkeypatch.setattr(shutdown, "_requested", flag)
    return flag


def test_iterate_sync_ends_on_shutdown(stop_requested: threading.Event) -> None:
    chunks = iter(stream(None))
    assert next(chunks) == PREAMBLE
    stop_requested.set()
    assert list(chunks) == []


def test_iterate_async_ends_on_shutdown(stop_requested: threading.Event) -> None:
    async def collect() -> list[str]:
        received = []
        async for chunk in stream(None):
            received.append(chunk)
            stop_requested.set()  # the server is asked to stop once the stream is open
        return received

    assert async_to_sync(collect)() == [PREAMBLE]


def test_iterate_ends_on_shutdown_while_idle(stop_requested: threading.Event) -> None:
    live = EmbeddedStream(
        CHANNEL, None, dataclasses.replace(config(), embedded_poll_interval=0.05), lambda: True
    )
    chunks = iter(live)
    assert next(chunks) == PREAMBLE
    threading.Timer(0.3, stop_requested.set).start()
    started = time.monotonic()
    assert list(chunks) == []  # polled an idle channel until then
    assert 0.25 <= time.monotonic() - started < 2
