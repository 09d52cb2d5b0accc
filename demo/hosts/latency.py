"""How long the publisher's own pushes take, for the "Push latency" chart (p50, p95, p99).

Each round of ``refresh --every 1`` ends its batch by storing every update in one transaction
and publishing it to Pushpin in one POST (embedded mode: storing only). :class:`PushTimes`
keeps the wall-clock time of the newest rounds and gives their percentiles, in milliseconds:
measured here, on this machine, each second.
"""

from __future__ import annotations

import math
from collections import deque

PERCENTILES = (50, 95, 99)


def percentile(ordered: list[float], rank: int) -> float:
    """The nearest-rank percentile of a sorted, non-empty list."""
    return ordered[max(math.ceil(rank / 100 * len(ordered)) - 1, 0)]


class PushTimes:
    """The newest ``keep`` push durations (seconds)."""

    def __init__(self, keep: int = 60) -> None:
        self.times: deque[float] = deque(maxlen=keep)

    def add(self, seconds: float) -> None:
        self.times.append(seconds)

    def percentiles(self) -> dict[str, float] | None:
        """``{"p50": ms, "p95": ms, "p99": ms}`` of the kept durations; None before the first."""
        if not self.times:
            return None
        ordered = sorted(self.times)
        return {f"p{rank}": round(1000 * percentile(ordered, rank), 2) for rank in PERCENTILES}


push_times = PushTimes()
