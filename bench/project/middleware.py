"""Counts the requests Django serves so the harness can read them per measurement window.

The count is exposed two ways: at ``/bench/stats/`` (answered here, uncounted, before Django)
and, when ``BENCH_COUNTER_FILE`` is set, as 8 bytes in that file through a shared mmap. The
harness reads the file: an HTTP read-out queues behind the very load it measures (a saturated
polling server answered it ~20 s late), the file is exact at any instant.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from dashboards_sse.asgi import ASGIApp, Receive, Scope, Send

STATS_PATH = "/bench/stats/"
COUNTER = struct.Struct("<Q")
count = 0
_shared: mmap.mmap | None = None


def _open_shared() -> mmap.mmap | None:
    path = os.environ.get("BENCH_COUNTER_FILE")
    if not path:
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, COUNTER.size)
        return mmap.mmap(fd, COUNTER.size)
    finally:
        os.close(fd)


def _count() -> None:
    global count
    count += 1
    if _shared is not None:
        COUNTER.pack_into(_shared, 0, count)


class RequestCounter:
    """ASGI middleware outside everything Django runs (stream_fast_path included), so it
    counts every request Django serves and adds no thread hop to the stack it measures."""

    def __init__(self, application: ASGIApp) -> None:
        global _shared
        if _shared is None:
            _shared = _open_shared()
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == STATS_PATH:
                await _send_json(send, {"requests": count})
                return
            _count()
        await self.application(scope, receive, send)


async def _send_json(send: Send, data: dict[str, Any]) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def read(path: str | os.PathLike[str]) -> int:
    """The count from the harness's side (0 before the first request)."""
    try:
        with open(path, "rb") as counter:
            data = counter.read(COUNTER.size)
    except FileNotFoundError:
        return 0
    return COUNTER.unpack(data)[0] if len(data) == COUNTER.size else 0


class GripLinkTimeout:
    """``BENCH_GRIP_LINK_TIMEOUT=N`` (bench/scoped.py ``--grip-link-timeout``): adds
    ``timeout=N`` to the next link of every GRIP hold answer that has none. Without it Pushpin
    refreshes each held stream's next link every 120 s, through a handler limiter of 10
    refreshes a second (see docs/performance.md, scoped dashboards): a what-if for that."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.timeout = int(os.environ["BENCH_GRIP_LINK_TIMEOUT"])
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _add(self, response: Any) -> Any:
        link = response.get("Grip-Link") if hasattr(response, "get") else None
        if link and "rel=next" in link and "timeout=" not in link:
            response["Grip-Link"] = f"{link}; timeout={self.timeout}"
        return response

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        return self._add(self.get_response(request))

    async def _acall(self, request: Any) -> Any:
        return self._add(await self.get_response(request))
