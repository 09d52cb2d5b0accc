"""bench/hold.py's arithmetic, pure: request counts binned and windowed (waves), per-update
delivery delays, and what Pushpin's log says about each request it sent Django.

Times are seconds on one clock (the harness converts Pushpin's wall-clock log times to
CLOCK_MONOTONIC, the clock of the viewers' receipts and the publisher's pushes).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

BIN_S = 0.1  # the counter is sampled at 10 Hz: windows are whole numbers of these bins
LATE_S = 1.0  # an update later than this at a viewer is late (issue 16's bound)


# -- request counts ------------------------------------------------------------------------------
def counter_bins(
    times: Sequence[float], counts: Sequence[int], start: float, end: float, bin_s: float = BIN_S
) -> np.ndarray:
    """Requests per ``bin_s`` bin over [start, end) from samples of a cumulative counter
    (``times`` ascending): the increase since the previous sample goes to the bin of the
    sample that saw it."""
    t = np.asarray(times, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    n = max(0, int(np.ceil(round((end - start) / bin_s, 9))))
    if len(t) < 2 or not n:
        return np.zeros(n, dtype=np.int64)
    increase, seen_at = np.diff(c), t[1:]
    keep = (seen_at >= start) & (seen_at < end)
    index = ((seen_at[keep] - start) / bin_s).astype(np.int64)
    return np.bincount(index, weights=increase[keep], minlength=n)[:n].astype(np.int64)


def event_bins(
    times: Iterable[float], start: float, end: float, bin_s: float = BIN_S
) -> np.ndarray:
    """Events (e.g. requests in Pushpin's log) per ``bin_s`` bin over [start, end)."""
    t = np.fromiter(times, dtype=np.float64)
    n = max(0, int(np.ceil(round((end - start) / bin_s, 9))))
    t = t[(t >= start) & (t < end)]
    index = ((t - start) / bin_s).astype(np.int64)
    return np.bincount(index, minlength=n)[:n].astype(np.int64)


def per_second(bins: np.ndarray, bin_s: float = BIN_S) -> list[int]:
    """Bins summed per whole second (the last second may be partial)."""
    k = max(1, round(1 / bin_s))
    padded = np.concatenate([bins, np.zeros(-len(bins) % k, dtype=bins.dtype)])
    return [int(x) for x in padded.reshape(-1, k).sum(axis=1)]


def busiest_window(bins: np.ndarray, width: int) -> tuple[int, int]:
    """The most events in any ``width`` consecutive bins, and the first bin of that window
    (the whole series when it is shorter)."""
    if not len(bins):
        return 0, 0
    width = max(1, min(width, len(bins)))
    cumulative = np.concatenate([[0], np.cumsum(bins)])
    sums = cumulative[width:] - cumulative[:-width]
    first = int(np.argmax(sums))
    return int(sums[first]), first


def waves(bins: np.ndarray, windows_s: Iterable[float], bin_s: float = BIN_S) -> dict[str, Any]:
    """Per window length: the most requests in any such window and when it began (seconds
    from the first bin)."""
    found = {}
    for seconds in windows_s:
        width = max(1, round(seconds / bin_s))
        most, first = busiest_window(bins, width)
        found[f"{width * bin_s:g}s"] = {"requests": most, "at_s": round(first * bin_s, 1)}
    return found


# -- deliveries ----------------------------------------------------------------------------------
@dataclass
class Delays:
    """Per push (in push order): when, how many viewers got it, its p99 and max delay; and
    every first receipt's delay."""

    seq: np.ndarray
    pushed_at: np.ndarray
    received: np.ndarray
    p99_s: np.ndarray  # NaN: nobody received it
    max_s: np.ndarray
    late_viewers: np.ndarray  # viewers that got it more than LATE_S after the push
    all_s: np.ndarray
    duplicates: int
    viewers_complete: int  # viewers that received every push


def delays(
    conn: np.ndarray, seq: np.ndarray, t: np.ndarray, pushes: Sequence[Sequence[float]]
) -> Delays:
    """From the viewers' (viewer, seq, receipt time) records, in receipt order, and the
    publisher's ``[seq, push time]`` pairs: each (viewer, push)'s first receipt minus the
    push time. Records of other seqs are ignored."""
    order = np.argsort([p[0] for p in pushes], kind="stable")
    seqs = np.array([int(pushes[i][0]) for i in order], dtype=np.int64)
    pushed = np.array([float(pushes[i][1]) for i in order], dtype=np.float64)
    if not len(seqs):
        empty = np.array([], dtype=np.float64)
        return Delays(seqs, pushed, seqs, empty, empty, seqs, empty, 0, 0)
    slot = np.searchsorted(seqs, seq)
    slot = np.clip(slot, 0, len(seqs) - 1)
    ours = seqs[slot] == seq
    conn, slot, t = conn[ours].astype(np.int64), slot[ours], t[ours]
    key = conn * len(seqs) + slot
    _, first = np.unique(key, return_index=True)  # the first receipt of each (viewer, push)
    slot_first, delay = slot[first], t[first] - pushed[slot[first]]
    received = np.bincount(slot_first, minlength=len(seqs))
    p99 = np.full(len(seqs), np.nan)
    most = np.full(len(seqs), np.nan)
    by_slot = np.argsort(slot_first, kind="stable")
    bounds = np.searchsorted(slot_first[by_slot], np.arange(len(seqs) + 1))
    for i in range(len(seqs)):
        chunk = delay[by_slot[bounds[i] : bounds[i + 1]]]
        if len(chunk):
            p99[i] = np.percentile(chunk, 99)
            most[i] = chunk.max()
    late = np.bincount(slot_first[delay > LATE_S], minlength=len(seqs))
    per_viewer = np.bincount(conn[first]) if len(first) else np.array([], dtype=np.int64)
    return Delays(
        seq=seqs,
        pushed_at=pushed,
        received=received,
        p99_s=p99,
        max_s=most,
        late_viewers=late,
        all_s=delay,
        duplicates=int(len(key) - len(first)),
        viewers_complete=int((per_viewer == len(seqs)).sum()),
    )


def delay_summary(found: Delays, viewers: int) -> dict[str, Any]:
    """The figures of issue 16's bound: delay p50/p99/max over all deliveries, the worst
    update's p99, updates and deliveries later than LATE_S, lost (never received by a
    viewer open when the hold began) and duplicates."""
    expected = viewers * len(found.seq)
    received = len(found.all_s)

    def ms(seconds: float) -> float | None:
        return None if np.isnan(seconds) else round(1000 * float(seconds), 1)

    worst = int(np.nanargmax(found.p99_s)) if received else None
    return {
        "pushes": len(found.seq),
        "expected": expected,
        "received": received,
        "lost": max(0, expected - received),
        "duplicates": found.duplicates,
        "viewers_complete": found.viewers_complete,
        "delay_ms": {
            "p50": ms(np.percentile(found.all_s, 50)) if received else None,
            "p99": ms(np.percentile(found.all_s, 99)) if received else None,
            "max": ms(found.all_s.max()) if received else None,
        },
        "worst_update_p99_ms": ms(found.p99_s[worst]) if worst is not None else None,
        "worst_update_seq": int(found.seq[worst]) if worst is not None else None,
        "updates_late": int((found.late_viewers > 0).sum()),
        "deliveries_late": int(found.late_viewers.sum()),
    }


# -- Pushpin's log -------------------------------------------------------------------------------
LOG_LINE = re.compile(
    r"^\[\w+\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[(\w+)\] (.*)$"
)  # [INFO] 2026-12-01 15:22:36.971 [zurl] IN id=..., GET http://...
ZURL_IN = re.compile(r"^IN id=([^,\s]+), (\w+) (\S+)")
ZURL_OUT = re.compile(r"^OUT id=(\S+) code=(\d+)")
HANDLER_REQUEST = re.compile(r"^GET (\S+) .*?(?:code=(\d+)|( error))")


@dataclass
class Upstream:
    """One request Pushpin sent Django (zurl's IN line), and its answer's status (OUT)."""

    t: float  # wall clock, seconds since the epoch
    next_link: bool  # a held stream's next link (``link=next``), else a client's request
    token_exp: int | None  # the es-meta token's expiry the link carried, if any
    code: int | None = None


@dataclass
class PushpinLog:
    upstream: list[Upstream] = field(default_factory=list)
    # every stream whose next link the handler followed: (wall time, status or None on error)
    session_updates: list[tuple[float, int | None]] = field(default_factory=list)


def log_time(stamp: str) -> float:
    """Pushpin's log time (local wall clock, ms) as seconds since the epoch."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def token_expiry(uri: str) -> int | None:
    """The ``exp`` claim of the es-meta token in a next link, read without verifying it
    (only Django can, and does)."""
    token = parse_qs(urlsplit(uri).query).get("es-meta", [""])[0]
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return int(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return None


def read_pushpin_log(lines: Iterable[str]) -> PushpinLog:
    """Pushpin's requests to Django (zurl IN/OUT) and the handler's next-link fetches per
    stream, from its log at log_level 2 (our pushpin/run's)."""
    found = PushpinLog()
    by_id: dict[str, Upstream] = {}
    for line in lines:
        match = LOG_LINE.match(line)
        if match is None:
            continue
        stamp, part, message = match.groups()
        if part == "zurl":
            request = ZURL_IN.match(message)
            if request is not None:
                rid, _method, uri = request.groups()
                is_next = "link=next" in uri
                item = Upstream(log_time(stamp), is_next, token_expiry(uri) if is_next else None)
                found.upstream.append(item)
                by_id[rid] = item
                continue
            answer = ZURL_OUT.match(message)
            if answer is not None and answer.group(1) in by_id:
                by_id.pop(answer.group(1)).code = int(answer.group(2))
        elif part == "handler":
            fetched = HANDLER_REQUEST.match(message)
            if fetched is not None and "link=next" in fetched.group(1):
                code = int(fetched.group(2)) if fetched.group(2) else None
                found.session_updates.append((log_time(stamp), code))
    return found


def read_pushpin_log_file(path: Path) -> PushpinLog:
    with open(path, encoding="utf-8", errors="replace") as log:
        return read_pushpin_log(log)


def next_link_summary(log: PushpinLog, start: float, end: float) -> dict[str, Any]:
    """Over [start, end) (wall clock): Pushpin's requests to Django by kind, the next links'
    answers, and how close to expiry their tokens were."""
    upstream = [u for u in log.upstream if start <= u.t < end]
    links = [u for u in upstream if u.next_link]
    remaining = [u.token_exp - u.t for u in links if u.token_exp is not None]
    codes = Counter(str(u.code) if u.code is not None else "none" for u in links)
    updates = [(t, code) for t, code in log.session_updates if start <= t < end]
    return {
        "upstream_requests": len(upstream),
        "next_link_requests": len(links),
        "other_requests": len(upstream) - len(links),
        "next_link_codes": dict(sorted(codes.items())),
        "next_links_refused": sum(1 for u in links if u.code is not None and u.code != 200),
        "expired_tokens_sent": sum(1 for r in remaining if r < 0),
        "token_remaining_min_s": round(min(remaining), 1) if remaining else None,
        "stream_updates": len(updates),
        "stream_updates_failed": sum(1 for _, code in updates if code != 200),
    }
