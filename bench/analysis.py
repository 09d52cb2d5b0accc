"""From raw records to one measured point: deliveries, losses, latency percentiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

P99_LIMIT_S = 5.0
LOST_LIMIT = 0.01


class Records:
    """The viewer process's (viewer id, seq, receipt time) arrays, in receipt order."""

    def __init__(self, prefix: Path) -> None:
        self.conn = np.fromfile(f"{prefix}.conn", dtype=np.int32)
        self.seq = np.fromfile(f"{prefix}.seq", dtype=np.int32)
        self.t = np.fromfile(f"{prefix}.t", dtype=np.float64)


def percentiles(values_s: np.ndarray) -> dict[str, float | int | None]:
    if not len(values_s):
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    p50, p90, p99 = np.percentile(values_s, [50, 90, 99]) * 1000
    return {
        "count": len(values_s),
        "p50": round(float(p50), 2),
        "p90": round(float(p90), 2),
        "p99": round(float(p99), 2),
        "max": round(float(values_s.max()) * 1000, 2),
    }


def deliveries(
    records: Records, pushes: list[list[float]], viewers_open: int, stream: bool
) -> dict[str, Any]:
    """Latency (push call -> receipt) of the first receipt of each (viewer, seq) of this
    window; for streams also expected / received / lost / duplicates."""
    if not pushes:
        return {"latency_ms": percentiles(np.array([]))}
    seqs = np.array([int(p[0]) for p in pushes])
    first, last = int(seqs.min()), int(seqs.max())
    pushed_at = np.full(last - first + 1, np.nan)
    pushed_at[seqs - first] = [p[1] for p in pushes]
    mask = (records.seq >= first) & (records.seq <= last)
    conn, seq, t = records.conn[mask], records.seq[mask] - first, records.t[mask]
    key = conn.astype(np.int64) * (last - first + 1) + seq
    _, index = np.unique(key, return_index=True)  # first receipt of each pair
    latency = t[index] - pushed_at[seq[index]]
    latency = latency[~np.isnan(latency)]
    result: dict[str, Any] = {"latency_ms": percentiles(latency)}
    if stream:
        expected = viewers_open * len(pushes)
        received = len(latency)
        result["deliveries"] = {
            "expected": expected,
            "received": received,
            "lost": max(0, expected - received),
            "lost_pct": round(100 * max(0, expected - received) / expected, 4) if expected else 0,
            "duplicates": int(mask.sum() - len(index)),
        }
    else:
        viewers = max(1, viewers_open)
        result["observed"] = {
            "values_seen": len(latency),
            "per_viewer": round(len(latency) / viewers, 2),
            "of_pushed": len(pushes),
        }
    return result


def verdict(point: dict[str, Any], stream: bool) -> list[str]:
    """Why a point failed (empty: it held): errors, > 1% lost, p99 > 5 s."""
    why = []
    connect = point["connect"]
    if connect["failed"]:
        why.append(f"{connect['failed']} viewers could not connect")
    if not connect["settled"]:
        why.append(f"{connect['pending']} viewers not served within {connect['seconds']:.0f} s")
    if point.get("dropped_in_window"):
        why.append(f"{point['dropped_in_window']} connections dropped")
    if point["push_errors"]:
        why.append(f"{point['push_errors']} pushes failed")
    lat = point["latency_ms"]
    if not lat["count"]:
        why.append("nothing received")
    elif lat["p99"] > P99_LIMIT_S * 1000:
        why.append(f"p99 {lat['p99'] / 1000:.1f} s > {P99_LIMIT_S:g} s")
    if stream and point["deliveries"]["lost_pct"] > LOST_LIMIT * 100:
        why.append(f"{point['deliveries']['lost_pct']:.1f}% lost")
    polls = point.get("polls")
    if polls and polls["errors"] > LOST_LIMIT * max(1, polls["count"]):
        why.append(f"{polls['errors']} poll errors")
    return why
