"""Raw HTTP/1.1 client protocols for the viewer process: an SSE stream reader and a keep-alive
poller. asyncio Protocols, not streams: one data_received call per delivery, a few bytes
operations, so one process can hold 10,000 viewers on a shared 2-core machine."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

# The Stat's rendered number; the publisher pushes its sequence number (1,234 -> 1234).
NUMBER = re.compile(rb'dsse-number\\?">([0-9,]+)<')
STREAM_OPEN = b"event: stream-open"
# The number at the end of an event id (``dashboard.load.load:42`` -> 42; a composite id of
# several channels ends with the last one's).
EVENT_NUMBER = re.compile(rb":([0-9]+)$")


# bench/items.py's tables: a row's ``rev`` cell (``r<push>``), the push that last changed it;
# the same in an event's HTML or JSON data (no quote or escape in it).
REVISION = re.compile(rb">r([0-9]+)</td>")


def seqs_in(data: bytes) -> list[int]:
    return [int(m.group(1).replace(b",", b"")) for m in NUMBER.finditer(data)]


def newest_revision(data: bytes) -> int | None:
    """The newest row revision in ``data`` (a table row, or a whole table), if any."""
    found = REVISION.findall(data)
    return max(map(int, found)) if found else None


class Response:
    """Incremental response parser: head, then a body by Content-Length, chunks or close."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.status = 0
        self.head_done = False
        self.chunked = False
        self.length: int | None = None  # bytes of body left (Content-Length)
        self.chunk_left = 0
        self.need_crlf = False
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Body bytes made available by ``data`` (``done`` set at the end of a response)."""
        self.buf += data
        if not self.head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return b""
            lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            del self.buf[: end + 4]
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                key, _, value = line.partition(":")
                key, value = key.strip().lower(), value.strip().lower()
                if key == "transfer-encoding" and "chunked" in value:
                    self.chunked = True
                elif key == "content-length":
                    self.length = int(value)
            self.head_done = True
        if self.chunked:
            return self._chunks()
        if self.length is not None:
            body = bytes(self.buf[: self.length])
            del self.buf[: len(body)]
            self.length -= len(body)
            self.done = self.length == 0
            return body
        body = bytes(self.buf)
        self.buf.clear()
        return body

    def _chunks(self) -> bytes:
        buf, pos, out = self.buf, 0, []
        while True:
            if self.chunk_left:
                take = min(self.chunk_left, len(buf) - pos)
                if not take:
                    break
                out.append(bytes(buf[pos : pos + take]))
                pos += take
                self.chunk_left -= take
                self.need_crlf = self.chunk_left == 0
            elif self.need_crlf:
                if len(buf) - pos < 2:
                    break
                pos += 2
                self.need_crlf = False
            else:
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    break
                size = int(bytes(buf[pos:end]).split(b";")[0], 16)
                pos = end + 2
                if size == 0:
                    self.done = True
                    break
                self.chunk_left = size
        del buf[:pos]
        return b"".join(out)


Record = Callable[[int, int, float], None]


class StreamViewer(asyncio.Protocol):
    """One SSE connection: records (viewer, seq, receipt time) for every event carrying a Stat."""

    def __init__(self, cid: int, request: bytes, record: Record, pool: Any) -> None:
        self.cid, self.request, self.record, self.pool = cid, request, record, pool
        self.response = Response()
        self.text = b""
        self.opened = False
        self.last_event_id: bytes | None = None  # EventViewer: the id of the last event
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        body = self.response.feed(data)
        if self.response.head_done and self.response.status != 200:
            self.pool.failed_attempt(self.cid, f"HTTP {self.response.status}")
            self.close()
            return
        if not body:
            return
        text = self.text + body
        end = text.rfind(b"\n\n")
        if end < 0:
            self.text = text
            return
        complete, self.text = text[:end], text[end + 2 :]
        self.events_received(complete, now)

    def events_received(self, complete: bytes, now: float) -> None:
        """Whole events arrived (``complete``: one or more, without the last blank line)."""
        if not self.opened and STREAM_OPEN in complete:
            self.opened = True
            self.pool.opened(self.cid, self)
        for seq in seqs_in(complete):
            self.record(self.cid, seq, now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.opened:
            self.pool.dropped(self.cid)
        elif not self.response.head_done or self.response.status == 200:
            self.pool.failed_attempt(self.cid, "closed before stream-open")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Poller(asyncio.Protocol):
    """One polling client on a keep-alive connection: GET every ``interval`` seconds on a fixed
    cadence; records the first time it sees each new sequence number."""

    def __init__(
        self, cid: int, request: bytes, record: Record, pool: Any, interval: float, first: float
    ) -> None:
        self.cid, self.request, self.record, self.pool = cid, request, record, pool
        self.interval = interval
        self.due = first  # loop time of the next poll
        self.last = -1
        self.body = b""
        self.response = Response()
        self.transport: asyncio.Transport | None = None
        self.handle: asyncio.TimerHandle | None = None
        self.seen_ok = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        loop = asyncio.get_running_loop()
        self.handle = loop.call_at(self.due, self.poll)

    def poll(self) -> None:
        if self.transport is None:
            return
        self.response, self.body = Response(), b""
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.body += self.response.feed(data)
        if not self.response.done:
            return
        self.pool.polled(self.cid, self.response.status == 200)
        if self.response.status == 200:
            if not self.seen_ok:
                self.seen_ok = True
                self.pool.opened(self.cid, self)
            for seq in seqs_in(self.body):
                if seq > self.last:
                    self.last = seq
                    self.record(self.cid, seq, now)
        loop = asyncio.get_running_loop()
        self.due = max(self.due + self.interval, loop.time())  # fixed cadence, never bursts
        self.handle = loop.call_at(self.due, self.poll)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.handle is not None:
            self.handle.cancel()
        if self.seen_ok:
            self.pool.dropped(self.cid)
        else:
            self.pool.failed_attempt(self.cid, "closed before first response")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class EventViewer(StreamViewer):
    """An SSE connection that parses every event (bench/multipush.py): counts the events
    carrying an ``id:`` line (deliveries) and their bytes, and records one (viewer, number,
    receipt time) per Stat figure in an event's data, whether the event is one component's HTML
    or a ``dsse-update`` message (JSON: ``{"updates": [{"html": ...}, ...]}``); for an event
    with table rows (bench/items.py) one record, the newest row revision in it. With the pool's
    ``record_ids`` (bench.viewers ``--ids``) each event with an id is recorded once instead, as
    the number its id ends with: what arrived on the wire, duplicates and order included.
    The last id received is kept (``last_event_id``): bench.viewers ``--reconnect`` sends it as
    ``Last-Event-ID``, as a browser resumes."""

    def events_received(self, complete: bytes, now: float) -> None:
        for block in complete.split(b"\n\n"):
            self._event(block, now)

    def _event(self, block: bytes, now: float) -> None:
        kind, data, has_id, event_id = b"", [], False, b""
        for line in block.split(b"\n"):
            field, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if field == b"data":
                data.append(value)
            elif field == b"id":
                has_id, event_id = True, value
            elif field == b"event":
                kind = value
        if kind == b"stream-open":
            if not self.opened:
                self.opened = True
                self.pool.opened(self.cid, self)
            return
        if has_id:
            self.last_event_id = event_id  # what a reconnect resumes from (--reconnect)
            self.pool.delivered(self.cid, len(block) + 2)
            if self.pool.record_ids:
                number = EVENT_NUMBER.search(event_id)
                if number is not None:
                    self.record(self.cid, int(number.group(1)), now)
                return
        body = b"\n".join(data)
        revision = newest_revision(body)  # a table's rows: one figure, the newest push
        if revision is not None:
            self.record(self.cid, revision, now)
            return
        for seq in seqs_in(message_html(body)):
            self.record(self.cid, seq, now)


def message_html(data: bytes) -> bytes:
    """The HTML an event carries: its data, or the html of each update of a JSON message."""
    if not data.startswith(b"{"):
        return data
    try:
        message = json.loads(data)
        return "\n".join(str(u.get("html", "")) for u in message["updates"]).encode()
    except (ValueError, KeyError, TypeError, AttributeError):
        return data
