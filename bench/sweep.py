"""The sweep: viewers x modes x rates, side by side in one run, where the machine holds.

Sessions run in order of N, then mode, so every mode sees the machine in the same state at the
same N. A baseline (mode, rate) stops growing N after its first failing point; in a full run
its limit is then bracketed by up to ``refine`` extra sessions between the last N that held
and the first that failed. Pushpin (ours) and the raw stack it is measured against run every N:
their failures are results too.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import session
from .stack import PUSHPIN_MODES, PYTHON, REPO, Stack

EVERY_N = PUSHPIN_MODES  # ours and the raw stack: side by side at every N, failing or not


@dataclass
class Options:
    modes: list[str]
    viewers: list[int]
    rates: list[float]
    duration: float
    repeats_small: int = 1  # repeats for sessions of at most 1,000 viewers (cheap)
    refine: int = 0
    budget_s: float = 20 * 60
    connect_rate: float = 400
    inflight: int = session.Plan.inflight  # most connects not yet answered
    settle: float = 2.5
    drain: float = 10.0
    baseline_min_viewers: int = 0  # quick: baselines only at the larger N
    retries: int = 0  # the viewers never retry a refused connection (it is reported)
    log: Any = field(default=sys.stderr, repr=False)


def say(options: Options, message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=options.log, flush=True)


def run_sweep(options: Options, template_db: Path, rundir: Path) -> list[dict[str, Any]]:
    deadline = time.monotonic() + options.budget_s
    points: list[dict[str, Any]] = []
    held: dict[tuple[str, float], int] = {}  # largest N that held
    failed: dict[tuple[str, float], int] = {}  # first N that failed (baselines stop there)
    counter = 0

    def session_at(mode: str, n: int, rates: list[float]) -> None:
        nonlocal counter
        counter += 1
        plan = session.Plan(
            mode=mode,
            viewers=n,
            rates=rates,
            duration=options.duration,
            repeats=options.repeats_small if n <= 1000 else 1,
            connect_rate=options.connect_rate,
            inflight=options.inflight,
            retries=options.retries,
            settle=options.settle,
            drain=options.drain,
            deadline=deadline,
        )
        say(options, f"{mode}: {n} viewers, rates {rates}")
        try:
            got = session.run(plan, template_db, rundir / f"s{counter}")
        except Exception as exc:  # a session that breaks is a result: record it, go on
            traceback.print_exc(file=options.log)
            got = [
                {
                    "mode": mode,
                    "viewers": n,
                    "rate": r,
                    "ok": False,
                    "failures": [f"session error: {exc}"],
                }
                for r in rates
            ]
        for point in got:
            key = (mode, point["rate"])
            if point.get("ok"):
                held[key] = max(held.get(key, 0), n)
            elif point.get("ok") is False:
                failed[key] = min(failed.get(key, n), n)
            say(options, summary(point))
        points.extend(got)

    for n in options.viewers:
        for mode in options.modes:
            rates = [r for r in options.rates if mode in EVERY_N or (mode, r) not in failed]
            for r in options.rates:
                if r not in rates:
                    points.append(stopped(mode, n, r, failed[(mode, r)]))
            if not rates:
                continue
            if mode not in EVERY_N and n < options.baseline_min_viewers:
                points += [
                    {
                        "mode": mode,
                        "viewers": n,
                        "rate": r,
                        "ok": None,
                        "skipped": "quick profile: baselines at "
                        f"{options.baseline_min_viewers:,} viewers only",
                    }
                    for r in rates
                ]
                continue
            if time.monotonic() > deadline:
                points += [
                    {
                        "mode": mode,
                        "viewers": n,
                        "rate": r,
                        "ok": None,
                        "skipped": "time budget of the run exhausted",
                    }
                    for r in rates
                ]
                continue
            session_at(mode, n, rates)

    for _ in range(options.refine):
        for (mode, rate), bad in sorted(failed.items()):
            good = held.get((mode, rate), 0)
            if mode in EVERY_N or not good or bad / good < 3 or time.monotonic() > deadline:
                continue
            middle = round_n(math.sqrt(good * bad))
            if middle in (good, bad):
                continue
            session_at(mode, middle, [rate])  # moves held or failed towards each other
    return points


def round_n(n: float) -> int:
    """Two significant digits (316 -> 320)."""
    digits = max(0, int(math.log10(n)) - 1)
    return int(round(n / 10**digits) * 10**digits)


def stopped(mode: str, n: int, rate: float, at: int) -> dict[str, Any]:
    return {
        "mode": mode,
        "viewers": n,
        "rate": rate,
        "ok": None,
        "skipped": f"not run: this mode already failed at {at} viewers",
    }


def summary(point: dict[str, Any]) -> str:
    head = f"  {point['mode']:8} N={point['viewers']:<6} {point['rate']:g}/s: "
    if point.get("skipped"):
        return head + "skipped, " + point["skipped"]
    if "latency_ms" not in point:
        return head + "; ".join(point.get("failures", []))
    lat, lost = point["latency_ms"], point.get("deliveries", {}).get("lost", "-")
    verdict = "held" if point["ok"] else "FAILED: " + "; ".join(point["failures"])
    return (
        head + f"p50 {lat['p50']} ms p99 {lat['p99']} ms lost {lost} "
        f"django cpu {point['django']['cpu_s']} s req {point['django']['requests']} "
        f"client {point['client']['cpu_pct']}% -> {verdict}"
    )


def micro(
    options: Options, template_db: Path, rundir: Path, seconds: float, repeats: int, renders: int
) -> dict[str, Any]:
    """Publisher throughput against a running Pushpin + DB, and render time."""
    stack = Stack("pushpin", template_db, rundir / "micro")
    out: dict[str, Any] = {}
    try:
        stack.start()
        for what, extra in (
            ("throughput", ["--seconds", str(seconds), "--repeats", str(repeats)]),
            ("render", ["--count", str(renders)]),
        ):
            say(options, f"micro-benchmark: {what}")
            done = subprocess.run(
                [PYTHON, "-m", "bench.micro", what, *extra],
                cwd=REPO,
                env=stack.env(),
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode:
                out[what] = {"error": done.stderr.strip()[-2000:]}
            else:
                out[what] = json.loads(done.stdout.strip().splitlines()[-1])
            say(options, f"  {what}: {json.dumps(out[what])[:300]}")
    finally:
        stack.stop()
    return out


def buffers(options: Options, template_db: Path, rundir: Path, viewers: int) -> dict[str, Any]:
    """Pushpin's RSS per held connection and p99 with condure's buffers at upstream's 8192
    bytes and at our 4096, side by side (pushpin/run's PUSHPIN_CLIENT_BUFFER_SIZE)."""
    out: dict[str, Any] = {"viewers": viewers}
    for size in ("8192", "4096"):
        say(options, f"tuning: client_buffer_size={size}, {viewers} viewers")
        plan = session.Plan(
            mode="pushpin",
            viewers=viewers,
            rates=[1],
            duration=options.duration,
            connect_rate=options.connect_rate,
            settle=options.settle,
            drain=options.drain,
            pushpin_env={"PUSHPIN_CLIENT_BUFFER_SIZE": size},
        )
        (point,) = session.run(plan, template_db, rundir / f"buffer{size}")
        out[size] = {
            "ok": point.get("ok"),
            "memory": point.get("memory", {}),
            "latency_ms": point.get("latency_ms"),
            "lost": point.get("deliveries", {}).get("lost"),
        }
    return out
