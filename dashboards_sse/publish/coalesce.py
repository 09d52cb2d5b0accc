"""Publishing coalesced states when their slot opens: one timer thread per process.

A push inside a component's ``max_rate`` interval stores the state with ``pending=True`` and
asks this module to publish it when the interval ends. The flush re-reads the row under a
lock, so the newest state wins whichever process stored it, and a flush that finds nothing
pending (another process published first) does nothing. At interpreter exit every pending
state this process scheduled is published at once, so a short-lived script loses nothing.
"""

from __future__ import annotations

import atexit
import heapq
import logging
import os
import threading
import time

logger = logging.getLogger("dashboards_sse")

_lock = threading.Condition()
_heap: list[tuple[float, str, str]] = []  # (slot opens at, dashboard slug, component)
_scheduled: dict[tuple[str, str], float] = {}
_owner_pid = 0  # the process whose thread serves _heap (a forked child starts its own)
_atexit_registered = False


def schedule(slug: str, opens: dict[str, float]) -> None:
    """Publish ``slug``'s pending components at the given Unix times (earliest kept)."""
    global _owner_pid, _atexit_registered
    with _lock:
        if _owner_pid != os.getpid():
            _heap.clear()
            _scheduled.clear()
            _owner_pid = os.getpid()
            threading.Thread(target=_run, name="dashboards_sse-coalesce", daemon=True).start()
        if not _atexit_registered:
            atexit.register(flush_all)
            _atexit_registered = True
        for name, when in opens.items():
            key = (slug, name)
            if key in _scheduled and _scheduled[key] <= when:
                continue
            _scheduled[key] = when
            heapq.heappush(_heap, (when, slug, name))
        _lock.notify()


def flush_all() -> None:
    """Publish everything this process has scheduled, now (used at exit and in tests)."""
    with _lock:
        keys = list(_scheduled)
        _heap.clear()
        _scheduled.clear()
    _flush(keys, force=True)


def _run() -> None:
    while True:
        with _lock:
            while not _heap or _heap[0][0] > time.time():
                _lock.wait(None if not _heap else _heap[0][0] - time.time())
            now = time.time()
            keys = []
            while _heap and _heap[0][0] <= now:
                when, slug, name = heapq.heappop(_heap)
                if _scheduled.get((slug, name)) == when:
                    del _scheduled[(slug, name)]
                    keys.append((slug, name))
        _flush(keys, force=False)


def _flush(keys: list[tuple[str, str]], *, force: bool) -> None:
    from django.db import connections

    from .pipeline import flush_pending

    by_slug: dict[str, list[str]] = {}
    for slug, name in keys:
        by_slug.setdefault(slug, []).append(name)
    for slug, names in by_slug.items():
        try:
            flush_pending(slug, names, force=force)
        except Exception:
            # The state stays stored and pending: the next push of it publishes it.
            logger.exception("dashboards_sse: publishing coalesced %s %s failed", slug, names)
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()  # this thread's own connections only
