"""One session: a fresh stack of one mode, N viewers connected once, then one measurement
window per update rate (repeated where cheap), each turned into a point."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import analysis, procs
from .handles import Publisher, Viewers
from .stack import Stack

SERVERS = {
    "pushpin": ("django", "pushpin"),
    "raw": ("django", "pushpin"),
    "redis": ("django", "redis"),
}
PUBLISHER_TARGETS = {"redis": "redis", "raw": "send_event"}  # the others: push()
CLIENT_SATURATED = 0.85  # of one core: the asyncio client is single-threaded
CLIENT_SKIP = 1.5  # predicted cores for the next rate above which the window is skipped


@dataclass
class Plan:
    mode: str
    viewers: int
    rates: list[float]
    duration: float
    repeats: int = 1
    connect_rate: float = 400
    inflight: int = 200
    retries: int = 0  # the viewers never retry: a refused connection is reported as refused
    settle: float = 2.5  # Pushpin's recover request comes ~1 s after each hold
    drain: float = 10.0  # longest wait for a window's last deliveries
    deadline: float = float("inf")  # time.monotonic() after which windows are skipped
    pushpin_env: dict[str, str] = field(default_factory=dict)  # pushpin/run settings to try

    @property
    def stream(self) -> bool:
        return self.mode != "polling"


def servers(mode: str) -> tuple[str, ...]:
    return SERVERS.get(mode, ("django",))


def snapshot(stack: Stack, viewers: Viewers) -> dict[str, Any]:
    snap = {f"{name}_cpu": stack.cpu(name) for name in servers(stack.mode)}
    snap.update(
        t=time.monotonic(),
        requests=stack.django_requests(),
        client_cpu=procs.cpu_seconds(viewers.pid),
        status=dict(viewers.status),
    )
    return snap


def window(
    plan: Plan, stack: Stack, viewers: Viewers, publisher: Publisher, rate: float
) -> dict[str, Any]:
    before = snapshot(stack, viewers)
    result = publisher.run(rate, plan.duration)
    if plan.stream:
        expected = before["status"]["open"] * len(result["pushes"])
        viewers.wait_records(before["status"]["records"] + expected, plan.drain)
    else:
        time.sleep(1.5)  # a poll cycle and a margin for the last values
    after = snapshot(stack, viewers)
    elapsed = after["t"] - before["t"]
    pushes = max(1, len(result["pushes"]))
    raw: dict[str, Any] = {
        "pushes": result["pushes"],
        "open": before["status"]["open"],
        "window_s": round(elapsed, 2),
        "push_errors": result["errors"],
        "publisher_late_max_ms": round(result["late_max"] * 1000, 1),
        "dropped_in_window": after["status"]["dropped"] - before["status"]["dropped"],
        "publisher": {
            "cpu_s": round(result["cpu"], 4),
            "cpu_per_update_ms": round(1000 * result["cpu"] / pushes, 3),
        },
        "client": {
            "cpu_s": round(after["client_cpu"] - before["client_cpu"], 2),
            "cpu_pct": round(100 * (after["client_cpu"] - before["client_cpu"]) / elapsed, 1),
        },
    }
    requests = after["requests"] - before["requests"]  # read-outs are not counted
    for name in servers(stack.mode):
        cpu = after[f"{name}_cpu"] - before[f"{name}_cpu"]
        raw[name] = {"cpu_s": round(cpu, 2), "cpu_per_update_ms": round(1000 * cpu / pushes, 3)}
    raw["django"]["requests"] = requests
    raw["django"]["requests_per_viewer_s"] = round(
        requests / max(1, before["status"]["open"]) / elapsed, 4
    )
    if not plan.stream:
        polls = after["status"]["polls"] - before["status"]["polls"]
        errors = after["status"]["poll_errors"] - before["status"]["poll_errors"]
        raw["polls"] = {"count": polls, "errors": errors, "per_s": round(polls / elapsed, 1)}
    raw["client"]["saturated"] = raw["client"]["cpu_pct"] >= 100 * CLIENT_SATURATED
    return raw


def memory(stack: Stack) -> dict[str, int]:
    out = {name: stack.rss_kb(name) for name in servers(stack.mode)}
    if "pushpin" in out:  # where Pushpin's memory goes: condure, zurl, proxy, handler
        for pid in stack.pids("pushpin"):
            key = f"pushpin/{procs.name(pid)}"
            out[key] = out.get(key, 0) + procs.rss_kb(pid)
    return out


def run(plan: Plan, template_db: Path, workdir: Path) -> list[dict[str, Any]]:
    """Every rate of the plan as a point (measured, or skipped with the reason)."""
    stack = Stack(plan.mode, template_db, workdir, pushpin_env=plan.pushpin_env)
    viewers: Viewers | None = None
    publisher: Publisher | None = None
    windows: list[tuple[float, list[dict[str, Any]]]] = []
    skipped: dict[float, str] = {}
    try:
        stack.start()
        target = PUBLISHER_TARGETS.get(plan.mode, "push")
        publisher = Publisher(stack.env(), workdir, target)
        time.sleep(0.5)
        rss_before = memory(stack)
        port, path = stack.viewer_target()
        started = time.monotonic()
        # Polling clients are pending until their first response: capping them would pace
        # the ramp by a saturated server, not by the connect rate.
        inflight = plan.inflight if plan.stream else plan.viewers
        viewers = Viewers(
            stack.env(),
            workdir,
            port,
            path,
            plan.viewers,
            not plan.stream,
            plan.connect_rate,
            inflight,
            f"{plan.viewers}",
            ("--retries", str(plan.retries)),
        )
        # Polling viewers count as connected at their first response; a saturated Django is
        # slow to serve them all: give up sooner there (the point then fails).
        timeout = plan.viewers / plan.connect_rate * (2 if plan.stream else 1) + (
            20 if plan.stream else 10
        )
        settled = viewers.wait_settled(plan.viewers, timeout)
        status = dict(viewers.status)
        connect = {
            "seconds": round(time.monotonic() - started, 1),
            "settled": settled,
            **{k: status[k] for k in ("ok", "failed", "retried", "pending", "errors")},
        }
        time.sleep(plan.settle)
        rss_at_n = memory(stack)
        client_pct = None
        previous_rate = None
        for rate in plan.rates:
            if time.monotonic() > plan.deadline:
                skipped[rate] = "time budget of the run exhausted"
                continue
            if client_pct is not None and previous_rate:
                predicted = client_pct / 100 * rate / previous_rate
                if predicted > CLIENT_SKIP:
                    skipped[rate] = (
                        f"client process would need ~{predicted:.1f} cores "
                        f"({client_pct:.0f}% of one at {previous_rate:g}/s)"
                    )
                    continue
            runs = [window(plan, stack, viewers, publisher, rate) for _ in range(plan.repeats)]
            client_pct = statistics.median(r["client"]["cpu_pct"] for r in runs)
            previous_rate = rate
            windows.append((rate, runs))
    finally:
        if viewers is not None:
            viewers.finish()
        if publisher is not None:
            publisher.stop()
        stack.stop()
    records = analysis.Records(viewers.prefix) if viewers is not None and windows else None
    points = []
    for rate, runs in windows:
        assert records is not None
        for raw in runs:
            raw.update(analysis.deliveries(records, raw.pop("pushes"), raw["open"], plan.stream))
        point = merge(runs)
        point.update(mode=plan.mode, viewers=plan.viewers, rate=rate, duration=plan.duration)
        point.update(connect=connect, memory=memory_point(rss_before, rss_at_n, status["ok"]))
        failures = analysis.verdict(point, plan.stream)
        point.update(ok=not failures, failures=failures)
        points.append(point)
    for rate, reason in skipped.items():
        points.append(
            {
                "mode": plan.mode,
                "viewers": plan.viewers,
                "rate": rate,
                "skipped": reason,
                "ok": None,
            }
        )
    return points


def memory_point(before: dict[str, int], at_n: dict[str, int], connections: int) -> dict:
    out: dict[str, Any] = {}
    for name in before.keys() & at_n.keys():
        grown = at_n[name] - before[name]
        out[name] = {
            "rss_kb_before": before[name],
            "rss_kb_at_n": at_n[name],
            "kb_per_connection": round(grown / connections, 2) if connections else None,
        }
    return out


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Repeated windows: medians of latency and CPU figures, sums of deliveries."""
    if len(runs) == 1:
        return {**runs[0], "repeats": 1}
    point = dict(runs[-1])
    point["repeats"] = len(runs)
    point["latency_ms"] = _median_dicts([r["latency_ms"] for r in runs])
    for section in ("publisher", "client", "django", "pushpin", "redis", "polls"):
        if section in point:
            point[section] = _median_dicts([r[section] for r in runs])
    if "deliveries" in point:
        total = {
            k: sum(r["deliveries"][k] for r in runs)
            for k in ("expected", "received", "lost", "duplicates")
        }
        total["lost_pct"] = (
            round(100 * total["lost"] / total["expected"], 4) if total["expected"] else 0
        )
        point["deliveries"] = total
    for key in ("push_errors", "dropped_in_window"):
        point[key] = sum(r[key] for r in runs)
    point["runs"] = [
        {
            "p50": r["latency_ms"]["p50"],
            "p99": r["latency_ms"]["p99"],
            "django_cpu_s": r["django"]["cpu_s"],
        }
        for r in runs
    ]
    return point


def _median_dicts(items: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in items[0].items():
        values = [i[key] for i in items if i.get(key) is not None]
        if isinstance(value, bool):
            out[key] = any(values)
        elif isinstance(value, int | float) and values:
            out[key] = round(statistics.median(values), 4)
        else:
            out[key] = value
    return out
