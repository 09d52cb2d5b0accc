"""Publishing coalesced states when their slot opens: one timer thread per process.

A push inside a component's ``max_rate`` interval stores the state with ``pending=True`` and
asks the pipeline's :class:`Timer` to publish it when the interval ends. The timer knows nothing
of publishing: the pipeline hands it its flush function, which re-reads the row under a lock, so
the newest state wins whichever process stored it, and a flush that finds nothing pending
(another process, or a later push of the same dashboard, published it first) does nothing. At
interpreter exit every pending state this process scheduled is published at once, so a
short-lived script loses nothing.
"""

from __future__ import annotations

import atexit
import heapq
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

logger = logging.getLogger("dashboards_sse")

# flush(board, component names, force=...): publish those that are due (all, with force).
Flush = Callable[..., object]
Board = Any  # hashable: a board of types.Board (a class, or a scoped dashboard's target)


class Timer:
    def __init__(self, flush: Flush) -> None:
        self.flush = flush
        self.lock = threading.Condition()
        # (slot opens at, order, board, component); order breaks ties (boards don't compare)
        self.heap: list[tuple[float, int, Board, str]] = []
        self.scheduled: dict[tuple[Board, str], float] = {}
        self.order = 0
        self.owner_pid = 0  # the process whose thread serves the heap (a forked child: its own)
        self.atexit_registered = False

    def schedule(self, board: Board, opens: dict[str, float]) -> None:
        """Flush ``board``'s pending components at the given Unix times (earliest kept)."""
        with self.lock:
            if self.owner_pid != os.getpid():
                self.heap.clear()
                self.scheduled.clear()
                self.owner_pid = os.getpid()
                thread = threading.Thread(target=self._run, name="dashboards_sse-coalesce")
                thread.daemon = True
                thread.start()
            if not self.atexit_registered:
                atexit.register(self.flush_all)
                self.atexit_registered = True
            for name, when in opens.items():
                key = (board, name)
                if key in self.scheduled and self.scheduled[key] <= when:
                    continue
                self.scheduled[key] = when
                self.order += 1
                heapq.heappush(self.heap, (when, self.order, board, name))
            self.lock.notify()

    def forget(self) -> None:
        """Drop everything scheduled (tests)."""
        with self.lock:
            self.heap.clear()
            self.scheduled.clear()

    def flush_all(self) -> None:
        """Publish everything this process has scheduled, now (used at exit and in tests)."""
        with self.lock:
            keys = list(self.scheduled)
            self.heap.clear()
            self.scheduled.clear()
        self._flush(keys, force=True)

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.heap or self.heap[0][0] > time.time():
                    self.lock.wait(None if not self.heap else self.heap[0][0] - time.time())
                now = time.time()
                keys = []
                while self.heap and self.heap[0][0] <= now:
                    when, _, board, name = heapq.heappop(self.heap)
                    if self.scheduled.get((board, name)) == when:
                        del self.scheduled[(board, name)]
                        keys.append((board, name))
            self._flush(keys, force=False)

    def _flush(self, keys: list[tuple[Board, str]], *, force: bool) -> None:
        by_board: dict[Board, list[str]] = {}
        for board, name in keys:
            by_board.setdefault(board, []).append(name)
        for board, names in by_board.items():
            try:
                self.flush(board, names, force=force)
            except Exception:
                # The state stays stored and pending: the next push of it publishes it.
                logger.exception(
                    "dashboards_sse: publishing coalesced %s %s failed", board.channel, names
                )
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # this thread's own connections only
