"""The browser client's reconnect delay, in Python for the load client (bench.viewers
``--reconnect``): a mirror of ``reconnectDelay`` in dashboards_sse.js, held equal to it under
Node by tests/test_bench_backoff.py.

A live stream that drops waits ``random() * max(base, spread)`` before its first reconnect (a
Pushpin restart drops every viewer at once: the spread keeps them from coming back together);
a failed first connect waits up to ``base``. Each further failed attempt doubles the ceiling, up
to ``max``; the delay is always full jitter under it.
"""

from __future__ import annotations

import random as random_module
from collections.abc import Callable
from dataclasses import dataclass

# The browser's values: data-dsse-backoff-* (base and max are the client's defaults, spread is
# settings RECONNECT_SPREAD_MS).
BASE_MS = 500
MAX_MS = 30_000
SPREAD_MS = 3_000


@dataclass(frozen=True)
class Backoff:
    base: float = BASE_MS
    max: float = MAX_MS
    spread: float = SPREAD_MS


def reconnect_delay(
    attempt: int,
    from_live: bool,
    options: Backoff,
    random: Callable[[], float] = random_module.random,
) -> float:
    """Milliseconds before reconnect ``attempt`` (1 for the first after a drop or refusal);
    ``from_live``: this streak of failures began with an open stream dropping."""
    first = max(options.base, options.spread) if from_live else options.base
    ceiling = min(options.max, first * 2 ** (attempt - 1))
    return random() * ceiling
