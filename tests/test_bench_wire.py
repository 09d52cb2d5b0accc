"""bench.wire's SSE parsers: the raw stack's ``send_event`` events and our ``dsse-update``
messages give the same sequence numbers, as the bench viewers record them."""

from __future__ import annotations

import json

import pytest
from django_eventstream.utils import sse_encode_event

from bench import wire
from dashboards_sse import Stat

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
OPEN = b"event: stream-open\ndata:\n\n"
CHANNEL = "dashboard.load.load"


class Pool:
    """What a viewer protocol calls back (bench.viewers.Pool), recorded."""

    def __init__(self, record_ids: bool = False) -> None:
        self.record_ids = record_ids
        self.records: list[tuple[int, int]] = []
        self.opened_ids: list[int] = []
        self.failures: list[str] = []
        self.deliveries = 0

    def record(self, cid: int, seq: int, t: float) -> None:
        self.records.append((cid, seq))

    def opened(self, cid: int, client: object) -> None:
        self.opened_ids.append(cid)

    def failed_attempt(self, cid: int, why: str) -> None:
        self.failures.append(why)

    def delivered(self, cid: int, size: int) -> None:
        self.deliveries += 1


def stat_html(seq: int) -> str:
    stat = Stat(label="Sequence")
    return str(stat.render(stat.update(None, seq)))


def raw_event(seq: int, event_id: int, json_encode: bool = False) -> bytes:
    """What django-eventstream sends a viewer for ``send_event(channel, "value", html)``."""
    data = json.dumps(stat_html(seq)) if json_encode else stat_html(seq)
    return sse_encode_event("value", data, event_id=f"{CHANNEL}:{event_id}").encode()


def ours(seq: int, event_id: int) -> bytes:
    """Our ``dsse-update`` message for the same Stat (one update)."""
    message = {"updates": [{"component": "value", "html": stat_html(seq)}]}
    return sse_encode_event("dsse-update", json.dumps(message), f"{CHANNEL}:{event_id}").encode()


def feed(kind: type[wire.StreamViewer], chunks: list[bytes], pool: Pool) -> None:
    viewer = kind(3, b"GET / HTTP/1.1\r\n\r\n", pool.record, pool)
    for chunk in chunks:
        viewer.data_received(chunk)


@pytest.mark.parametrize("kind", [wire.StreamViewer, wire.EventViewer])
@pytest.mark.parametrize("json_encode", [False, True])
def test_raw_send_event_events_give_the_sequence_numbers(
    kind: type[wire.StreamViewer], json_encode: bool
) -> None:
    pool = Pool()
    body = OPEN + raw_event(1234, 41, json_encode) + raw_event(1235, 42, json_encode)
    feed(kind, [HEAD, body[:50], body[50:]], pool)  # split mid-event, as TCP may
    assert pool.opened_ids == [3] and not pool.failures
    assert pool.records == [(3, 1234), (3, 1235)]


@pytest.mark.parametrize("kind", [wire.StreamViewer, wire.EventViewer])
def test_raw_and_ours_are_read_the_same_way(kind: type[wire.StreamViewer]) -> None:
    raw, mine = Pool(), Pool()
    feed(kind, [HEAD, OPEN + raw_event(7, 1)], raw)
    feed(kind, [HEAD, OPEN + ours(7, 1)], mine)
    assert raw.records == mine.records == [(3, 7)]


def test_raw_events_are_counted_and_their_ids_recorded() -> None:
    pool = Pool(record_ids=True)
    feed(wire.EventViewer, [HEAD, OPEN + raw_event(5, 41) + raw_event(6, 42)], pool)
    assert pool.deliveries == 2
    assert pool.records == [(3, 41), (3, 42)]  # the numbers the ids end with


def test_a_refused_stream_is_a_failed_attempt_with_its_status() -> None:
    pool = Pool()
    feed(wire.StreamViewer, [b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"], pool)
    assert pool.failures == ["HTTP 502"] and not pool.opened_ids and not pool.records
