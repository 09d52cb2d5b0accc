"""Micro-benchmarks in their own process (Django set up with the bench settings):

  python -m bench.micro throughput --seconds S   component updates/s of ONE publisher process
                                                 through push() to the running Pushpin + DB
  python -m bench.micro render --count N         Stat.render(state) time per call

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(step: Callable[[int], int], seconds: float) -> dict[str, Any]:
    """Call ``step(i)`` (returns the component updates it made) for ``seconds``."""
    updates = calls = 0
    cpu0, start = cpu_now(), time.monotonic()
    while time.monotonic() - start < seconds:
        updates += step(calls)
        calls += 1
    elapsed, cpu = time.monotonic() - start, cpu_now() - cpu0
    return {
        "updates": updates,
        "calls": calls,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed, 1),
        "cpu_per_update_ms": round(1000 * cpu / max(1, updates), 4),
    }


def throughput(seconds: float, repeats: int) -> dict[str, Any]:
    import dashboards_sse
    from dashboards_sse import push

    from .project.dashboards import WIDE_STATS

    names = [f"s{i}" for i in range(WIDE_STATS)]

    def plain(i: int) -> int:  # one push() per component update
        push("load.wide", **{names[i % WIDE_STATS]: i})
        return 1

    def multi(i: int) -> int:  # one push() carrying every component: one transaction, one POST
        push("load.wide", **{name: i for name in names})
        return WIDE_STATS

    variants: dict[str, Callable[[int], int]] = {"plain": plain, "multi_component": multi}
    batch = getattr(dashboards_sse, "batch", None)
    if batch is not None:

        def batched(i: int) -> int:  # 50 separate push() calls, one transaction and POST
            with batch():
                for name in names:
                    push("load.wide", **{name: i})
            return WIDE_STATS

        variants["batch"] = batched
    out: dict[str, Any] = {"batch_available": batch is not None, "stats": WIDE_STATS}
    for label, step in variants.items():
        runs = [timed(step, seconds) for _ in range(repeats)]
        out[label] = {
            "updates_per_s": statistics.median(r["updates_per_s"] for r in runs),
            "cpu_per_update_ms": statistics.median(r["cpu_per_update_ms"] for r in runs),
            "runs": runs,
        }
    return out


def render(count: int) -> dict[str, Any]:
    from dashboards_sse.registry import get_dashboard

    stat = get_dashboard("load.load").get_component("value")
    states = [stat.update(None, i * 37) for i in range(count)]
    for state in states[:200]:  # warm: templates compiled and cached
        stat.render(state)
    times = []
    for state in states:
        start = time.perf_counter_ns()
        stat.render(state)
        times.append(time.perf_counter_ns() - start)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p / 100 * len(times)))] / 1e6, 4)

    return {
        "count": count,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(times[-1] / 1e6, 4),
        "mean_ms": round(sum(times) / count / 1e6, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.micro")
    parser.add_argument("what", choices=("throughput", "render"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    django.setup()
    if args.what == "throughput":
        result = throughput(args.seconds, args.repeats)
    else:
        result = render(args.count)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
