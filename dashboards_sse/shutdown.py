"""Server shutdown as embedded streams see it: they end when the server is asked to stop.

uvicorn's first SIGINT or SIGTERM stops accepting connections and then waits for every open
response to finish (``--timeout-graceful-shutdown`` is unset by default: no limit) without
telling the application: no ``http.disconnect`` reaches a streaming response, and the lifespan
``shutdown`` comes only after the connections have closed (Django's ASGI handler does not speak
lifespan anyway). An embedded stream never finishes by itself, so one open tab kept the server
up until a second Ctrl-C forced it.

The signal is the one thing the application can observe at that moment. The first embedded
stream of a process (on the main thread: the event loop's under ASGI) puts a handler in front of
the server's own SIGINT and SIGTERM handlers that records the request and then calls the handler
it replaced, so the server's behaviour is unchanged; streams end at their next poll. Only
Python-level handlers are chained (a server that installed one means to shut down gracefully,
and asyncio's ``add_signal_handler`` is one too); a default or ignored disposition is left
alone. Threaded WSGI servers serve streams off the main thread, where nothing can be installed:
``runserver`` needs nothing, since its request threads are daemons and Ctrl-C ends the process.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

WATCHED_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[int, FrameType | None], Any]

_requested = threading.Event()


def requested() -> bool:
    """Whether this process was asked to stop since a stream started watching."""
    return _requested.is_set()


class ChainedHandler:
    """Records a shutdown request, then runs the handler it replaced."""

    def __init__(self, previous: Handler) -> None:
        self.previous = previous

    def __call__(self, signum: int, frame: FrameType | None) -> Any:
        _requested.set()
        return self.previous(signum, frame)


def watch_signals() -> None:
    """Chain onto the process's SIGINT and SIGTERM handlers once (a no-op off the main thread,
    for a signal with no Python handler, and when already chained)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in WATCHED_SIGNALS:
        current = signal.getsignal(signum)
        if isinstance(current, ChainedHandler) or not callable(current):
            continue
        signal.signal(signum, ChainedHandler(current))
