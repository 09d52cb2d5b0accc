"""``python -m bench.blip [--quick] [--viewers N] ...``: Pushpin blips under held viewers (issue
16, item 6): are their reconnects spread, is every viewer back within 30 s, nothing lost, no 5xx
from Django, and Django's peak request rate bounded?

One stack (bench.stack, mode ``pushpin``: Django under uvicorn, our ``pushpin/run``; Django's
application wrapped by bench.status_asgi, which counts its responses by status). A publisher
process (bench.publisher) is started, then ``--viewers`` SSE viewers connect at
``--connect-rate``/s (bench.viewers ``--reconnect --events --ids --retries 0``: a refused
*initial* connect stays out and is reported; a viewer whose open stream drops reconnects like
the browser client: bench.backoff's mirror of ``reconnectDelay``, ``--spread-ms`` before the
first attempt, ``Last-Event-ID`` of the last event it received). Then the publisher pushes
``--rate`` updates/s throughout, and ``--repeats`` times: ``--before`` s of steady pushes,
Pushpin stopped with SIGTERM (by its PID; SIGKILL would leave its services running), ``--down``
s with no Pushpin, Pushpin started again on the same ports (until it answers a stream), until
every viewer dropped is open again (or ``--recover-timeout`` s), ``--after`` s of steady pushes.
A thread samples Django's request counter (bench.project.middleware's shared file) and its 5xx
count at 10 Hz; the viewers record every reconnect attempt and every drop -> open again.

Per blip: viewers dropped; per-viewer back time (drop -> open again: p50/p99/max, the fraction
back within 30 s, when the last was back); reconnect attempts and Django requests, peak per
100 ms and per 1 s, against what the backoff arithmetic predicts for the measured outage
(bench.reconnects.first_successes; and without the spread); Django's 5xx. Over the drill: every
update published (the event ids stored on the channel from the first push to the last) must
reach every viewer open at the start exactly once, replays included: lost (never received),
duplicates, out of order. Writes ``<out>/<date>-blip[-quick].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from . import lifecycle, machine, procs, statuses
from .analysis import Records
from .backoff import BASE_MS, MAX_MS, Backoff
from .handles import Publisher, Viewers
from .lifecycle import code_version
from .multipush import wait_quiet
from .output import number, sayer, targets_table, write_results
from .reconnects import (
    back_summary,
    back_times,
    counter_peak,
    event_peak,
    first_successes,
    histogram,
)
from .stack import STREAM_PATH, Stack, make_template_db, run_dir
from .throughput import current_id, integrity

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES: dict[str, dict[str, Any]] = {
    # after: Pushpin closes a stream whose recovery fetches failed ~80 s after a storm; the
    # client then replays what it missed: a shorter drill counts that as lost
    "full": {"viewers": 10_000, "connect_rate": 200.0, "repeats": 2, "before": 5.0, "after": 45.0},
    "quick": {"viewers": 300, "connect_rate": 300.0, "repeats": 2, "before": 3.0, "after": 4.0},
}
PROJECT_APP = "bench.project.asgi:application"
COUNTING_APP = "bench.status_asgi:application"
BACK_WITHIN_S = 30.0  # the requirement: every viewer back within 30 s
PEAK_TOLERANCE = 1.25  # measured peak per 1 s vs the arithmetic's, before "not bounded"
MODEL_DRAWS = 20
SAMPLE_S = 0.1
TIMELINE_S = (-1.0, 15.0)  # the report's per-second timeline, around each SIGTERM

say = sayer("blip")


class BlipStack(Stack):
    """bench.stack's stack with Django's responses counted by status (bench.status_asgi) and
    Pushpin stopped and started again on the same ports."""

    @property
    def status_file(self) -> Path:
        return self.workdir / "statuses.count"

    def env(self) -> dict[str, str]:
        env = super().env()
        env[statuses.ENV] = str(self.status_file)
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        if name == "django":  # the same uvicorn command, the counting wrapper as its app
            if PROJECT_APP not in args:
                raise RuntimeError(f"bench.stack no longer serves {PROJECT_APP}: {args}")
            args = [COUNTING_APP if arg == PROJECT_APP else arg for arg in args]
        return super()._spawn(name, args, env)

    def django_statuses(self) -> dict[str, int]:
        return statuses.read(self.status_file)

    def blip(self, down_s: float) -> dict[str, Any]:
        """SIGTERM to Pushpin's runner, ``down_s`` s without it, start it again; when each
        step happened (monotonic) and whether its services were all gone before the start."""
        process = self.processes.pop("pushpin")
        services = procs.tree(process.pid)
        terminated = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
            exited_on_sigterm = True
        except subprocess.TimeoutExpired:
            exited_on_sigterm = False
        exited = time.monotonic()
        left = [pid for pid in services if alive(pid)]
        procs.stop(process)  # SIGKILLs its process group only if something is left
        time.sleep(down_s)
        started = time.monotonic()
        self._start_pushpin()  # same ports; returns once Pushpin answers a stream (200)
        return {
            "sigterm": terminated,
            "exited_on_sigterm": exited_on_sigterm,
            "stop_s": round(exited - terminated, 3),
            "services_left_after_exit": [procs.name(pid) for pid in left],
            "start": started,
            "ready": time.monotonic(),
            "pushpin_pids": procs.tree(self.processes["pushpin"].pid),
        }


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Sampler(threading.Thread):
    """Django's request counter, its status counts and the viewers' status, every 100 ms."""

    def __init__(self, stack: BlipStack, viewers: Viewers) -> None:
        super().__init__(daemon=True)
        self.stack, self.viewers = stack, viewers
        self.done = threading.Event()
        self.samples: list[tuple[float, ...]] = []

    def run(self) -> None:
        due = time.monotonic()
        while not self.done.is_set():
            now = time.monotonic()
            codes, status = self.stack.django_statuses(), self.viewers.status
            self.samples.append(
                (
                    now,
                    self.stack.django_requests(),
                    codes["responses"],
                    codes["5xx"],
                    codes["raised"],
                    status.get("open", 0),
                    status.get("down", 0),
                    status.get("reconnects", 0),
                )
            )
            due = max(due + SAMPLE_S, time.monotonic())
            self.done.wait(due - time.monotonic())

    def columns(self) -> dict[str, np.ndarray]:
        names = ("t", "requests", "responses", "5xx", "raised", "open", "down", "reconnects")
        data = np.array(self.samples, dtype=np.float64).reshape(-1, len(names))
        return {name: data[:, i] for i, name in enumerate(names)}


class Pusher(threading.Thread):
    """The publisher process pushing ``rate`` updates/s until stopped: each push one command
    (a push blocked on a missing Pushpin delays the next, it never bunches them)."""

    def __init__(self, publisher: Publisher, rate: float) -> None:
        super().__init__(daemon=True)
        self.publisher, self.rate = publisher, rate
        self.done = threading.Event()
        self.pushes: list[list[float]] = []  # [seq, t] of each push() that returned
        self.calls: list[tuple[float, float, int]] = []  # (start, seconds, errors)

    def run(self) -> None:
        due = time.monotonic()
        while not self.done.is_set():
            started = time.monotonic()
            result = self.publisher.run(1.0, 1.0)  # one push
            self.pushes += result["pushes"]
            self.calls.append((started, time.monotonic() - started, result["errors"]))
            due = max(due + 1 / self.rate, time.monotonic())
            self.done.wait(due - time.monotonic())

    @property
    def errors(self) -> int:
        return sum(errors for _, _, errors in self.calls)


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = BlipStack("pushpin", template, rundir / "bl")
        self.blips: list[dict[str, Any]] = []
        self.connect: dict[str, Any] = {}
        self.publisher: Publisher | None = None
        self.viewers: Viewers | None = None
        self.sampler: Sampler | None = None
        self.pusher: Pusher | None = None
        self.first_id = self.last_id = 0
        self.records0 = 0

    def start(self) -> None:
        import django

        a = self.args
        self.stack.start()
        os.environ.update(self.stack.env())  # this process reads the channel's ids
        django.setup()
        from .project.dashboards import Load

        self.channel = Load.channel
        self.publisher = Publisher(self.stack.env(), self.stack.workdir, "push")
        extra = ("--reconnect", "--events", "--ids", "--retries", "0")
        extra += ("--status-interval", str(SAMPLE_S), "--spread-ms", f"{a.spread_ms:g}")
        started = time.monotonic()
        self.viewers = Viewers(
            self.stack.env(), self.stack.workdir, self.stack.proxy_port, STREAM_PATH,
            a.viewers, False, a.connect_rate, a.inflight, "blip", extra,
        )  # fmt: skip
        settled = self.viewers.wait_settled(a.viewers, a.viewers / a.connect_rate * 2 + 30)
        status = dict(self.viewers.status)
        self.connect = {
            "seconds": round(time.monotonic() - started, 2),
            "settled": settled,
            **{k: status[k] for k in ("attempted", "ok", "failed", "pending", "errors")},
        }
        say(f"{status['ok']} of {a.viewers} viewers open, {status['failed']} refused")
        wait_quiet(self.stack, 2.0, 60 + a.viewers / 100)  # Pushpin's recovers after the ramp
        self.sampler = Sampler(self.stack, self.viewers)
        self.pusher = Pusher(self.publisher, a.rate)

    def run(self) -> None:
        a, viewers, sampler, pusher = self.args, self.viewers, self.sampler, self.pusher
        assert viewers is not None and sampler is not None and pusher is not None
        sampler.start()
        time.sleep(2 * SAMPLE_S)
        self.records0 = viewers.status["records"]
        self.first_id = current_id(self.channel) + 1
        pusher.start()
        try:
            for repeat in range(a.repeats):
                time.sleep(a.before)
                self.blips.append(self.blip(repeat))
                time.sleep(a.after)
        finally:
            pusher.done.set()
            pusher.join(30)
        self.last_id = current_id(self.channel)
        events = self.last_id - self.first_id + 1
        target = self.records0 + self.connect["ok"] * events
        viewers.wait_records(target, a.drain_timeout)
        time.sleep(1.0)  # late duplicates are counted too
        sampler.done.set()
        sampler.join(5)

    def blip(self, repeat: int) -> dict[str, Any]:
        a, viewers = self.args, self.viewers
        assert viewers is not None
        before = dict(viewers.status)
        say(f"blip {repeat + 1}/{a.repeats}: SIGTERM to Pushpin, {before['open']} viewers open")
        timing = self.stack.blip(a.down)
        say(
            f"Pushpin stopped in {timing['stop_s']} s, back streaming "
            f"{timing['ready'] - timing['sigterm']:.2f} s after the SIGTERM"
        )
        deadline = timing["sigterm"] + a.recover_timeout
        while time.monotonic() < deadline:  # every viewer dropped open again
            status = viewers.status
            if status["dropped"] > before["dropped"] and status["down"] == 0:
                break
            time.sleep(SAMPLE_S)
        after = dict(viewers.status)
        say(
            f"{after['dropped'] - before['dropped']} dropped, {after['down']} still down "
            f"{time.monotonic() - timing['sigterm']:.1f} s after the SIGTERM"
        )
        return {
            **timing,
            "open_before": before["open"],
            "dropped": after["dropped"] - before["dropped"],
            "down_at_end_of_wait": after["down"],
        }

    def stop(self) -> dict[str, Any]:
        final: dict[str, Any] = {}
        if self.viewers is not None:
            final = self.viewers.finish()
        if self.publisher is not None:
            self.publisher.stop()
        self.stack.stop()
        return final


# -- analysis --------------------------------------------------------------------------------
def storm_model(dropped: int, down_s: float, spread_ms: float) -> dict[str, Any]:
    """What the backoff arithmetic predicts for ``dropped`` viewers and an outage of
    ``down_s``: peaks of first successful attempts, the highest of ``MODEL_DRAWS`` random
    draws (a storm of a few hundred viewers varies from draw to draw), with the spread and
    without it (``spread`` 0: the base alone)."""
    found = {}
    for name, spread in (("spread", spread_ms), ("no_spread", 0.0)):
        options = Backoff(BASE_MS, MAX_MS, spread)
        draws = [first_successes(dropped, down_s, options, seed) for seed in range(MODEL_DRAWS)]
        found[name] = {
            "peak_per_100ms": max(event_peak(arrivals, 0.1) for arrivals in draws),
            "peak_per_s": max(event_peak(arrivals, 1.0) for arrivals in draws),
            "last_s": round(max(float(a.max()) for a in draws), 2) if dropped else None,
            # viewers back later than the requirement by the arithmetic alone, per draw
            "beyond_within_s": round(
                sum(int((a > BACK_WITHIN_S).sum()) for a in draws) / MODEL_DRAWS, 2
            ),
        }
    return found


def analyze_blip(
    blip: dict[str, Any],
    end: float,
    samples: dict[str, np.ndarray],
    attempts: np.ndarray,
    back: dict[str, np.ndarray],
    spread_ms: float,
) -> dict[str, Any]:
    """One blip's figures, from its SIGTERM to ``end`` (the next blip's, or the drill's end)."""
    start = blip["sigterm"]
    gone = back_times(back["conn"], back["drop"], back["open"], start, end)
    in_window = (samples["t"] >= start - SAMPLE_S) & (samples["t"] < end)
    t, requests = samples["t"][in_window], samples["requests"][in_window]
    window_attempts = attempts[(attempts >= start) & (attempts < end)]
    reopened = back["open"][(back["open"] >= start) & (back["open"] < end)]
    shown = (samples["t"] >= start + TIMELINE_S[0] - SAMPLE_S) & (samples["t"] < end)
    outage = blip["ready"] - start
    model = storm_model(len(gone), outage, spread_ms)
    django_peak_s = counter_peak(t, requests, 1.0)
    return {
        "pushpin": {
            "exited_on_sigterm": blip["exited_on_sigterm"],
            "stop_s": blip["stop_s"],
            "services_left_after_exit": blip["services_left_after_exit"],
            "down_s": round(blip["start"] - start, 3),
            "restart_s": round(blip["ready"] - blip["start"], 3),
            "sigterm_to_streaming_s": round(outage, 3),
        },
        "open_before": blip["open_before"],
        "dropped": blip["dropped"],
        **back_summary(gone, start, BACK_WITHIN_S),
        "reconnect_attempts": len(window_attempts),
        "reconnect_peak_per_100ms": event_peak(window_attempts, 0.1),
        "reconnect_peak_per_s": event_peak(window_attempts, 1.0),
        "reopened_peak_per_100ms": event_peak(reopened, 0.1),
        "reopened_peak_per_s": event_peak(reopened, 1.0),
        "django_requests": int(requests[-1] - requests[0]) if len(requests) else 0,
        "django_peak_per_100ms": counter_peak(t, requests, 0.1),
        "django_peak_per_s": django_peak_s,
        "django_5xx": delta(samples["5xx"][in_window]),
        "django_raised": delta(samples["raised"][in_window]),
        "model": model,
        "django_peak_bounded": django_peak_s
        <= PEAK_TOLERANCE * max(1, model["spread"]["peak_per_s"]),
        "sample_interval_max_s": round(float(np.diff(t).max()), 3) if len(t) > 1 else None,
        "timeline": {
            "seconds_from_sigterm": list(np.arange(*TIMELINE_S).round(1).tolist()),
            "reconnect_attempts": histogram(
                window_attempts - start, TIMELINE_S[0], TIMELINE_S[1], 1.0
            ),
            "streams_opened_again": histogram(reopened - start, TIMELINE_S[0], TIMELINE_S[1], 1.0),
            "django_requests": per_second(samples["t"][shown] - start, samples["requests"][shown]),
            "viewers_open": per_second(samples["t"][shown] - start, samples["open"][shown], False),
        },
    }


def delta(values: np.ndarray) -> int:
    return int(values[-1] - values[0]) if len(values) else 0


def per_second(t: np.ndarray, values: np.ndarray, rise: bool = True) -> list[int | None]:
    """A sampled counter over the timeline's seconds: its rise in each second (``rise``), or
    its value at each second's end; None past the samples."""
    found: list[int | None] = []
    for second in np.arange(*TIMELINE_S):
        at_end = np.searchsorted(t, second + 1.0, side="right") - 1
        at_start = np.searchsorted(t, second, side="right") - 1
        if at_end < 0 or t[-1] < second + 1.0 - SAMPLE_S:
            found.append(None)
        elif rise:
            found.append(int(values[at_end] - values[max(0, at_start)]))
        else:
            found.append(int(values[at_end]))
    return found


def read_back(prefix: Path) -> dict[str, np.ndarray]:
    return {
        "conn": np.fromfile(f"{prefix}.back.conn", dtype=np.int32),
        "drop": np.fromfile(f"{prefix}.back.drop", dtype=np.float64),
        "open": np.fromfile(f"{prefix}.back.open", dtype=np.float64),
        "attempts": np.fromfile(f"{prefix}.back.attempts", dtype=np.int32),
    }


def summarize(bench: Bench, final: dict[str, Any]) -> dict[str, Any]:
    assert bench.viewers is not None and bench.sampler is not None and bench.pusher is not None
    prefix = bench.viewers.prefix
    samples = bench.sampler.columns()
    attempts = np.fromfile(f"{prefix}.reconnects.t", dtype=np.float64)
    back = read_back(prefix)
    ends = [b["sigterm"] for b in bench.blips[1:]] + [float("inf")]
    blips = [
        analyze_blip(blip, end, samples, attempts, back, bench.args.spread_ms)
        for blip, end in zip(bench.blips, ends, strict=True)
    ]
    delivery = integrity(Records(prefix), bench.first_id, bench.last_id, bench.connect["ok"])
    pusher = bench.pusher
    push_seconds = [seconds for _, seconds, _ in pusher.calls]
    return {
        "connect": bench.connect,
        "updates": {
            "first_id": bench.first_id,
            "last_id": bench.last_id,
            "events": bench.last_id - bench.first_id + 1,
            "push_calls": len(pusher.calls),
            "push_errors": pusher.errors,
            "push_seconds_max": round(max(push_seconds), 3) if push_seconds else None,
        },
        "delivery": delivery,
        "lost": delivery["gaps"] + bench.connect["failed"] * (bench.last_id - bench.first_id + 1),
        "viewers_never_back": sum(b["never_back"] for b in blips),
        "refused_updates": bench.connect["failed"] * (bench.last_id - bench.first_id + 1),
        "django_responses": delta(samples["responses"]),  # counted by bench.status_asgi
        "django_statuses_whole_run": bench.stack.django_statuses(),  # the ramp included
        "django_5xx": delta(samples["5xx"]),
        "django_raised": delta(samples["raised"]),
        "viewer_errors": final.get("errors", {}),
        "reconnect_errors": final.get("reconnect_errors", {}),
        "blips": blips,
    }


def judge(summary: dict[str, Any]) -> list[dict[str, Any]]:
    blips, delivery = summary["blips"], summary["delivery"]
    back = [b["back_within_fraction"] for b in blips]
    peaks = ", ".join(
        f"{b['django_peak_per_s']:g}/s (arithmetic {b['model']['spread']['peak_per_s']}/s)"
        for b in blips
    )
    refused = summary["connect"]["failed"]
    return [
        {
            "target": f"every viewer back within {BACK_WITHIN_S:g} s",
            "measured": ", ".join(
                f"{number(100 * f if f is not None else None, 2)} % (max "
                f"{number(b['back_max_s'], 2)} s)"
                for f, b in zip(back, blips, strict=True)
            ),
            "met": bool(blips) and all(f == 1 for f in back),
        },
        {
            "target": "0 lost (every update to every viewer, replays included)",
            "measured": f"{summary['lost']:,} lost: {summary['delivery']['gaps']:,} never "
            f"received by viewers open at the start, {summary['refused_updates']:,} by the "
            f"{refused:,} refused at the start",
            "met": summary["lost"] == 0,
        },
        {
            "target": "exactly once, in order",
            "measured": f"{delivery['duplicates']:,} duplicates, "
            f"{delivery['out_of_order']:,} out of order",
            "met": delivery["duplicates"] == 0 and delivery["out_of_order"] == 0,
        },
        {
            "target": "no 5xx from Django",
            "measured": f"{summary['django_5xx']} 5xx, {summary['django_raised']} raised, of "
            f"{summary['django_responses']:,} responses",
            "met": summary["django_5xx"] == 0 and summary["django_raised"] == 0,
        },
        {
            "target": f"Django's peak requests per 1 s ≤ {PEAK_TOLERANCE:g} x the backoff "
            "arithmetic's for the measured outage",
            "measured": peaks,
            "met": bool(blips) and all(b["django_peak_bounded"] for b in blips),
        },
    ]


def report(result: dict[str, Any]) -> str:
    o, s = result["options"], result["summary"]
    c, u = s["connect"], s["updates"]
    lines = [
        f"# Pushpin blips under {o['viewers']:,} viewers ({result['date']}, {result['profile']})",
        "",
        f"`{result['command']}`: {o['viewers']:,} SSE viewers (bench.viewers, raw sockets, "
        f"ramp {o['connect_rate']:g}/s, no retries of the initial connect: {c['ok']:,} open, "
        f"{c['failed']:,} refused), reconnecting like the browser client (bench.backoff: "
        f"spread {o['spread_ms']:g} ms, base {BASE_MS} ms, max {MAX_MS:,} ms, "
        f"`Last-Event-ID`); {u['events']} updates at {o['rate']:g}/s (push() from "
        f"bench.publisher); {o['repeats']} blips: {o['before']:g} s of pushes, Pushpin SIGTERM, "
        f"{o['down']:g} s down, started again on the same ports, every viewer back, "
        f"{o['after']:g} s of pushes. Django's request and 5xx counters sampled at 10 Hz. "
        + lifecycle.measured_commit(result["code"])
        + f"; client, Django and Pushpin on the same {result['machine'].get('nproc', '?')} CPUs.",
        "",
        *targets_table(result["targets"]),
    ]
    rows: list[tuple[str, Any]] = [
        ("Pushpin exited on SIGTERM, s", stop_cell),
        ("SIGTERM → Pushpin streaming again, s", lambda b: b["pushpin"]["sigterm_to_streaming_s"]),
        ("viewers open before / dropped", lambda b: f"{b['open_before']:,} / {b['dropped']:,}"),
        ("back p50 / p99 / max, s", back_cells),
        (f"back within {BACK_WITHIN_S:g} s", lambda b: percent(b["back_within_fraction"])),
        ("all back, s after SIGTERM", lambda b: number(b["all_back_s"], 2)),
        ("reconnect attempts", lambda b: f"{b['reconnect_attempts']:,}"),
        ("reconnects peak per 100 ms / per 1 s", peak_cells("reconnect")),
        ("streams open again, peak per 100 ms / per 1 s", peak_cells("reopened")),
        ("Django requests", lambda b: f"{b['django_requests']:,}"),
        ("Django peak per 100 ms / per 1 s", peak_cells("django")),
        ("arithmetic, spread: peak per 100 ms / per 1 s", model_cells("spread")),
        ("arithmetic, no spread: peak per 100 ms / per 1 s", model_cells("no_spread")),
        (
            f"arithmetic, spread: last back, s / back after {BACK_WITHIN_S:g} s",
            lambda b: (
                f"{b['model']['spread']['last_s']} / {b['model']['spread']['beyond_within_s']}"
            ),
        ),
        ("Django 5xx / raised", lambda b: f"{b['django_5xx']} / {b['django_raised']}"),
    ]
    blips = s["blips"]
    lines += ["", "| blip | " + " | ".join(str(i + 1) for i in range(len(blips))) + " |"]
    lines += ["|---|" + "--:|" * len(blips)]
    lines += [
        f"| {label} | " + " | ".join(str(cell(b)) for b in blips) + " |" for label, cell in rows
    ]
    d = s["delivery"]
    lines += [
        "",
        "Back: per viewer, from its stream dropping to a stream open again (stream-open "
        "received). Reconnects: the viewers' attempts (refused ones included), each timed; "
        "Django: its request counter, sampled. Peaks are sliding windows. Arithmetic: "
        "bench.backoff's delays for the viewers dropped, all dropping at the SIGTERM, attempts "
        "failing until Pushpin streamed again (the measured outage), the first successful "
        f"attempts counted, the highest of {MODEL_DRAWS} random draws (viewers back after "
        f"{BACK_WITHIN_S:g} s: their mean); *no spread*: the same with the base ({BASE_MS} ms) "
        "alone.",
        "",
        f"Updates: ids {u['first_id']} to {u['last_id']} ({u['events']}), "
        f"{u['push_errors']} push() calls raised (stored: replayed on reconnect), the slowest "
        f"took {number(u['push_seconds_max'], 2)} s. Deliveries: {d['expected']:,} expected, "
        f"{d['received']:,} received, {d['gaps']:,} never received, {d['duplicates']:,} "
        f"duplicates, {d['out_of_order']:,} out of order; {d['viewers_clean']:,} viewers got "
        "every update exactly once.",
        "",
        f"Viewer errors (every attempt): {s['viewer_errors'] or 'none'}; of reconnect attempts: "
        f"{s['reconnect_errors'] or 'none'}.",
        "",
    ]
    first = blips[0]["timeline"] if blips else None
    if first:
        seconds = first["seconds_from_sigterm"]
        lines += [
            "Blip 1, per second from the SIGTERM:",
            "",
            "| s | " + " | ".join(f"{x:g}" for x in seconds) + " |",
            "|---|" + "--:|" * len(seconds),
        ]
        for label, key in (
            ("reconnect attempts", "reconnect_attempts"),
            ("streams open again", "streams_opened_again"),
            ("Django requests", "django_requests"),
            ("viewers open (at the end)", "viewers_open"),
        ):
            lines.append(f"| {label} | " + " | ".join(number(x) for x in first[key]) + " |")
        lines.append("")
    return "\n".join(lines)


def stop_cell(b: dict[str, Any]) -> str:
    pushpin = b["pushpin"]
    cell = f"{pushpin['stop_s']:g}" if pushpin["exited_on_sigterm"] else "no: SIGKILL"
    left = pushpin["services_left_after_exit"]
    return cell + (f" (left running: {', '.join(left)})" if left else "")


def back_cells(b: dict[str, Any]) -> str:
    cells = " / ".join(number(b.get(k), 2) for k in ("back_p50_s", "back_p99_s", "back_max_s"))
    return cells + (f" ({b['never_back']} never)" if b["never_back"] else "")


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{100 * fraction:.2f} %"


def peak_cells(kind: str) -> Any:
    return lambda b: f"{number(b[f'{kind}_peak_per_100ms'])} / {number(b[f'{kind}_peak_per_s'])}"


def model_cells(name: str) -> Any:
    return lambda b: f"{b['model'][name]['peak_per_100ms']} / {b['model'][name]['peak_per_s']}"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.blip", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 viewers (< 2 min)")
    parser.add_argument("--viewers", type=int, default=None)
    parser.add_argument("--connect-rate", type=float, default=None, help="new viewers per s")
    parser.add_argument("--repeats", type=int, default=None, help="blips")
    parser.add_argument("--before", type=float, default=None, help="s of pushes before a blip")
    parser.add_argument("--after", type=float, default=None, help="s of pushes once all back")
    parser.add_argument("--rate", type=float, default=1.0, help="updates per second")
    parser.add_argument(
        "--down", type=float, default=1.0, help="s between Pushpin's exit and start"
    )
    parser.add_argument("--spread-ms", type=float, default=3_000, help="RECONNECT_SPREAD_MS")
    parser.add_argument("--inflight", type=int, default=200, help="max connects pending")
    parser.add_argument("--recover-timeout", type=float, default=120.0, help="s per blip")
    parser.add_argument("--drain-timeout", type=float, default=20.0, help="s after the last push")
    parser.add_argument("--keep", action="store_true", help="keep the run dir (logs, records)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for name, value in PROFILES["quick" if args.quick else "full"].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    profile = "quick" if args.quick else "full"
    started, code = time.monotonic(), code_version()
    procs.raise_nofile()
    rundir = run_dir()
    say(f"{profile}: {args.viewers:,} viewers, {args.repeats} blips; run dir {rundir}")
    bench = Bench(args, make_template_db(rundir), rundir)
    try:
        bench.start()
        bench.run()
    except BaseException:
        with contextlib.suppress(Exception):
            bench.stop()
        say(f"failed: logs kept in {rundir}")
        raise
    final = bench.stop()
    summary = summarize(bench, final)
    if not args.keep:
        shutil.rmtree(rundir, ignore_errors=True)
    result = {
        "date": date.today().isoformat(),
        "profile": profile,
        "command": lifecycle.command_line("bench.blip", args, PROFILES),
        "elapsed_s": round(time.monotonic() - started, 1),
        "options": {k: v for k, v in vars(args).items() if k not in ("out", "keep")},
        "method": {
            "client": "bench.viewers (asyncio, raw sockets), --reconnect --events --ids",
            "ramp_per_s": args.connect_rate,
            "viewers": args.viewers,
            "updates_per_s": args.rate,
            "repeats": args.repeats,
            "retries": "0 of the initial connect; reconnects after a drop: unlimited, "
            "bench.backoff",
        },
        "machine": machine.info(),
        "code": code,
        "summary": summary,
        "targets": judge(summary),
    }
    result["blips_raw"] = bench.blips
    stem = args.out / f"{result['date']}-blip{'-quick' if args.quick else ''}"
    write_results(stem, result, report(result))
    say(f"wrote {stem}.json and .md ({result['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
