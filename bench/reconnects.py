"""Reading a reconnect storm (bench/blip.py): how long each viewer was gone, the peak rate of
events and of a sampled counter, and what the client's backoff arithmetic predicts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backoff import Backoff, reconnect_delay


def event_peak(times: Sequence[float] | np.ndarray, window: float) -> int:
    """The most events (their times, in seconds) within any ``window`` seconds (a sliding
    window starting at each event, so no binning splits a burst in two)."""
    ts = np.sort(np.asarray(times, dtype=np.float64))
    if not len(ts):
        return 0
    inside = np.searchsorted(ts, ts + window, side="left") - np.arange(len(ts))
    return int(inside.max())


def counter_peak(
    t: Sequence[float] | np.ndarray, counts: Sequence[float] | np.ndarray, window: float
) -> float:
    """The most a cumulative counter sampled at times ``t`` rose within ``window`` seconds:
    from each sample to the first one at least ``window`` later, the rise scaled to ``window``
    (a late sample spreads a burst over its longer interval rather than inventing one)."""
    ts, cs = np.asarray(t, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    later = np.searchsorted(ts, ts + window * 0.999, side="left")
    start = np.flatnonzero(later < len(ts))
    if not len(start):
        return 0.0
    end = later[start]
    rise = (cs[end] - cs[start]) * window / (ts[end] - ts[start])
    return round(float(rise.max()), 1)


def back_times(
    conn: np.ndarray, dropped: np.ndarray, opened: np.ndarray, start: float, end: float
) -> dict[int, tuple[float, float]]:
    """Per viewer that dropped within [start, end): (its first drop there, when it was open
    again after its last drop there; NaN if never). A viewer that came back and dropped again
    counts from its first drop to its final return."""
    mask = (dropped >= start) & (dropped < end)
    order = np.lexsort((dropped[mask], conn[mask]))  # by viewer, then by drop time
    c, d, o = conn[mask][order], dropped[mask][order], opened[mask][order]
    found: dict[int, tuple[float, float]] = {}
    for viewer, drop, back in zip(c.tolist(), d.tolist(), o.tolist(), strict=True):
        first = found[viewer][0] if viewer in found else drop
        found[viewer] = (first, back)
    return found


def back_summary(
    gone: dict[int, tuple[float, float]], since: float, within: float
) -> dict[str, Any]:
    """Per-viewer seconds from drop to open again (p50/p99/max, NaN: never back), the fraction
    back within ``within`` s, and when the last one was back, in seconds after ``since``."""
    if not gone:
        return {"viewers": 0, "never_back": 0, "back_within_fraction": None, "all_back_s": None}
    drops = np.array([d for d, _ in gone.values()])
    opens = np.array([o for _, o in gone.values()])
    seconds = opens - drops
    back = seconds[~np.isnan(seconds)]
    never = int(np.isnan(seconds).sum())
    p50, p99 = np.percentile(back, [50, 99]) if len(back) else (np.nan, np.nan)
    return {
        "viewers": len(gone),
        "never_back": never,
        "back_p50_s": rounded(p50),
        "back_p99_s": rounded(p99),
        "back_max_s": rounded(back.max()) if len(back) else None,
        "back_within_s": within,
        "back_within_fraction": round(float((back <= within).sum()) / len(gone), 4),
        "all_back_s": None if never else rounded(opens.max() - since),
    }


def rounded(value: Any, digits: int = 3) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)


def first_successes(n: int, down_s: float, options: Backoff, seed: int = 1) -> np.ndarray:
    """The backoff arithmetic's storm: ``n`` viewers drop at 0 and each reconnects by
    ``reconnect_delay`` (``fromLive``), attempts before ``down_s`` (the proxy still down)
    failing; the time of each viewer's first attempt at or after ``down_s``, in seconds."""
    rng = random.Random(seed)
    found = np.empty(n)
    for viewer in range(n):
        t, attempt = 0.0, 1
        while True:
            t += reconnect_delay(attempt, True, options, rng.random) / 1000
            if t >= down_s:
                break
            attempt += 1
        found[viewer] = t
    return found


def histogram(times: np.ndarray, start: float, end: float, width: float) -> list[int]:
    """Events per ``width`` s from ``start`` to ``end`` (a report's timeline)."""
    edges = np.arange(start, end + width / 2, width)
    counts, _ = np.histogram(times, bins=edges)
    return [int(x) for x in counts]
