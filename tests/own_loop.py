"""Running a coroutine from a synchronous test whatever this thread runs: once the browser
tests' session-scoped Playwright fixture has started, the main thread has an event loop
running, and ``asyncio.run`` (or asgiref's ``async_to_sync``) refuses to start another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """``function(*args)`` run to completion on a new event loop in a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(function(*args))).result()
