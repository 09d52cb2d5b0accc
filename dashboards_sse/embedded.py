"""Embedded mode: Django holds the stream itself, for quick starts without Pushpin.

Events are read from django-eventstream's storage, so pushes from any process arrive (its own
in-memory listeners only see pushes made inside the serving process). Under ASGI a stream is a
coroutine; under WSGI (``runserver``) it holds one thread per viewer. Each viewer polls the
database: for real audiences run Pushpin, which holds connections without Django. A stream
ends when the server is asked to stop (``shutdown.py``: uvicorn would otherwise wait for it).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator

from asgiref.sync import sync_to_async
from django_eventstream.event import Event
from django_eventstream.models import Event as StoredEvent
from django_eventstream.storage import EventDoesNotExist
from django_eventstream.utils import get_storage, make_id, sse_encode_event

from . import shutdown
from .conf import Settings
from .publish.wire import forbidden_event

# Same preamble as Pushpin mode: padding defeats proxy buffering, then "stream-open".
PREAMBLE = ":" + " " * 2048 + "\n\nevent: stream-open\ndata:\n\n"
KEEP_ALIVE = "event: keep-alive\ndata:\n\n"
PERMISSION_RECHECK_SECONDS = 30.0
BATCH = 100


class EmbeddedStream:
    """Iterate (sync, WSGI) or async-iterate (ASGI) to stream a channel's events."""

    def __init__(
        self,
        channel: str,
        last_id: int | None,
        config: Settings,
        still_allowed: Callable[[], bool],
        recheck_seconds: float | None = None,  # default: PERMISSION_RECHECK_SECONDS
        denied_text: str = "Permission denied.",
    ) -> None:
        self.channel = channel
        self.last_id = last_id
        self.config = config
        self.still_allowed = still_allowed
        self.recheck_seconds = recheck_seconds
        self.denied_text = denied_text
        self.last_sent = self.last_check = time.monotonic()
        self.caught_up = False

    def step(self) -> tuple[str, bool]:
        """One look at storage: (body to send, stop?). Runs in a thread under ASGI."""
        storage = get_storage()
        body = ""
        events: list[Event] = []
        if self.last_id is None:
            self.last_id = storage.get_current_id(self.channel)
        else:
            try:
                events = storage.get_events(self.channel, self.last_id, limit=BATCH)
            except EventDoesNotExist as exc:
                trimmed = _after_trimmed(self.channel, self.last_id)
                if trimmed is None:  # history expired: tell the client to reload
                    self.last_id = int(exc.current_id)
                    body += sse_encode_event(
                        "stream-reset",
                        {"channels": [self.channel]},
                        event_id=make_id({self.channel: self.last_id}),
                        json_encode=True,
                    )
                    trimmed = []
                events = trimmed
        for event in events:
            self.last_id = event.id
            body += sse_encode_event(
                event.type, event.data, event_id=make_id({self.channel: event.id})
            )
        self.caught_up = len(events) < BATCH
        now = time.monotonic()
        recheck = self.recheck_seconds
        if recheck is None:  # read on use: tests shorten it
            recheck = PERMISSION_RECHECK_SECONDS
        if now - self.last_check >= recheck:
            self.last_check = now
            if not self.still_allowed():
                return body + forbidden_event(self.denied_text), True
        if not body and now - self.last_sent >= self.config.keep_alive:
            body = KEEP_ALIVE
        if body:
            self.last_sent = now
        return body, False

    def __iter__(self) -> Iterator[str]:
        shutdown.watch_signals()
        yield PREAMBLE
        while not shutdown.requested():
            body, stop = self.step()
            if body:
                yield body
            if stop:
                return
            if self.caught_up:
                time.sleep(self.config.embedded_poll_interval)

    async def __aiter__(self) -> AsyncIterator[str]:
        shutdown.watch_signals()
        step = sync_to_async(self.step)
        yield PREAMBLE
        while not shutdown.requested():
            body, stop = await step()
            if body:
                yield body
            if stop:
                return
            if self.caught_up:
                await asyncio.sleep(self.config.embedded_poll_interval)


def _after_trimmed(channel: str, last_id: int) -> list[Event] | None:
    """Events after ``last_id`` when only ``last_id`` itself was trimmed from storage (a quiet
    channel's history expires, yet an up-to-date client has missed nothing); None on a real gap.
    django-eventstream's storage insists on finding ``last_id`` and would reset the client."""
    rows = list(
        StoredEvent.objects.filter(channel=channel, eid__gt=last_id).order_by("eid")[:BATCH]
    )
    if not rows or rows[0].eid != last_id + 1:
        return None
    return [Event(channel, row.type, json.loads(row.data), id=row.eid) for row in rows]
