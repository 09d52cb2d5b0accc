"""``python -m bench.throughput [--quick]``: how fast one process publishes with 100 viewers
attached, and whether every viewer got every update once and in order, side by side:

- ``batch``: ``with batch():`` 50 ``push()`` calls, one per Stat of the 50-Stat ``load.wide``
  dashboard, in a loop. A *component update* is one component's new value in one ``push()``
  call: a batch is 50 of them and goes out as one SSE event (one id) to each viewer.
- ``push``: a plain ``push("load.load", value=i)`` loop, one component update per call and per
  event.
- ``send_event``: the raw stack: django-eventstream's ``send_event(channel, "value", html,
  async_publish=False)`` loop (the Stat's HTML rendered per call, as a raw publisher of HTML
  would), to the channel of ``load.raw``, a dashboard ``push()`` never touches; its viewers read
  django-eventstream's own view on that channel. Same storage, same Pushpin, same channel shape.

One stack (Pushpin from our ``pushpin/`` config in front of Django under uvicorn, bench.stack),
``--viewers`` (100) SSE viewers per variant in one bench.viewers process each (``--events --ids``:
every event parsed, its id recorded as it arrived; connections never retried). The publisher is
this process. Each run publishes for ``--seconds``, then waits until every viewer has every
event of the run (or ``--drain-timeout``); variants take turns, the order rotated per repeat;
medians over repeats are reported.

Per run and variant, from the ids stored on the channel before and after the run (consecutive:
one per event) and the ids each viewer received: *duplicates* (an id a viewer got again),
*gaps* (an id a viewer never got), *out of order* (a first receipt of an id lower than one the
viewer had already received). These are raw SSE events, not what the browser client would apply
(it drops ids at or below the last one applied). Also: Django requests during the run (Pushpin's
recover fetches), Pushpin CPU, and how long after the publisher stopped the last viewer had
everything (``drain``). Writes ``<out>/<date>-throughput[-quick].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import analysis, lifecycle
from .handles import Viewers, open_viewers
from .micro import cpu_now
from .multipush import wait_quiet
from .output import sayer, targets_table
from .stack import Stack, make_template_db

VARIANTS = ("batch", "push", "send_event")
LABELS = {
    "batch": "batch() of 50 push() calls",
    "push": "push() loop",
    "send_event": "send_event(async_publish=False) loop",
}
PATHS = {
    "batch": "/dashboards/load.wide/stream/",
    "push": "/dashboards/load.load/stream/",
    "send_event": "/bench/raw-send-event/stream/",
}
PROFILES: dict[str, dict[str, Any]] = {
    "full": {"seconds": 5.0, "repeats": 5},
    "quick": {"seconds": 2.0, "repeats": 3},
}
# Targets of issue 16, item 4.
BATCH_TARGET = 3000.0  # component updates/s from one process with batch()
STATUS_S = 0.1


say = sayer("throughput")


Step = Callable[[int], int]  # publish round i; returns the component updates it made


def publishers() -> tuple[dict[str, Step], dict[str, str]]:
    """The three loops' steps and the django-eventstream channel each publishes to (this
    process runs Django with the stack's settings)."""
    from django_eventstream import send_event

    from dashboards_sse import batch, push

    from .project.dashboards import WIDE_STATS, Load, RawLoad, Wide

    names = [f"s{i}" for i in range(WIDE_STATS)]
    stat = RawLoad.value

    def batched(i: int) -> int:
        with batch():
            for name in names:
                push("load.wide", **{name: i})
        return WIDE_STATS

    def plain(i: int) -> int:
        push("load.load", value=i)
        return 1

    def raw(i: int) -> int:
        html = str(stat.render(stat.update(None, i)))
        send_event(RawLoad.channel, "value", html, async_publish=False, json_encode=False)
        return 1

    steps = {"batch": batched, "push": plain, "send_event": raw}
    channels = {"batch": Wide.channel, "push": Load.channel, "send_event": RawLoad.channel}
    return steps, channels


def current_id(channel: str) -> int:
    from django_eventstream.utils import get_storage

    return int(get_storage().get_current_id(channel))


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = Stack("pushpin", template, rundir / "tp")
        self.viewers: dict[str, Viewers] = {}
        self.connect: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
        self.round = 0

    def start(self) -> None:
        lifecycle.start_publishing(self.stack)
        self.steps, self.channels = publishers()
        for variant in VARIANTS:  # one event on each channel before anyone connects
            self.steps[variant](self.next_round())

    def next_round(self) -> int:
        self.round += 1
        return self.round

    def open_viewers(self) -> None:
        a = self.args
        extra = ("--events", "--ids", "--retries", "0", "--status-interval", str(STATUS_S))
        for variant in VARIANTS:
            viewers, connect = open_viewers(
                self.stack.env(),
                self.stack.workdir,
                self.stack.proxy_port,
                PATHS[variant],
                a.viewers,
                a.connect_rate,
                a.inflight,
                variant,
                extra,
            )
            self.viewers[variant] = viewers
            self.connect[variant] = connect
            status = dict(viewers.status)
            say(f"{variant}: {status['ok']} viewers open, {status['failed']} refused")
        wait_quiet(self.stack, 1.5, 30)  # Pushpin's recover request ~1 s after each new stream

    def run(self, variant: str) -> dict[str, Any]:
        viewers, stack, step = self.viewers[variant], self.stack, self.steps[variant]
        channel = self.channels[variant]
        time.sleep(2 * STATUS_S)
        status0 = dict(viewers.status)
        first = current_id(channel) + 1
        requests0, pushpin0 = stack.django_requests(), stack.cpu("pushpin")
        updates = calls = 0
        errors: list[str] = []
        cpu0, start = cpu_now(), time.monotonic()
        while time.monotonic() - start < self.args.seconds:
            try:
                updates += step(self.next_round())
            except Exception as exc:  # a failed publish is a measured result
                errors.append(f"{type(exc).__name__}: {exc}")
            calls += 1
        elapsed, cpu = time.monotonic() - start, cpu_now() - cpu0
        last = current_id(channel)
        events = last - first + 1
        target = status0["records"] + status0["open"] * events
        drain_start = time.monotonic()
        viewers.wait_records(target, self.args.drain_timeout)
        drain = time.monotonic() - drain_start
        time.sleep(2 * STATUS_S)
        status1 = dict(viewers.status)
        return {
            "seconds": round(elapsed, 3),
            "calls": calls,
            "updates": updates,
            "updates_per_s": round(updates / elapsed, 1),
            "events": events,
            "events_per_s": round(events / elapsed, 1),
            "publisher_cpu_ms_per_update": round(1000 * cpu / max(1, updates), 4),
            "first_id": first,
            "last_id": last,
            "open": status0["open"],
            "drain_s": round(drain, 2),
            "drained": status1["records"] >= target,
            "django_requests": stack.django_requests() - requests0,
            "pushpin_cpu_s": round(stack.cpu("pushpin") - pushpin0, 3),
            "publish_errors": len(errors),
            "publish_error_examples": errors[:3],
            "dropped": status1["dropped"] - status0["dropped"],
        }

    def measure(self) -> None:
        for repeat in range(self.args.repeats):
            order = VARIANTS[repeat % 3 :] + VARIANTS[: repeat % 3]
            for variant in order:
                run = self.run(variant)
                self.runs[variant].append(run)
                say(
                    f"repeat {repeat + 1}/{self.args.repeats} {variant}: "
                    f"{run['updates_per_s']:,.0f} updates/s, {run['events_per_s']:,.0f} events/s, "
                    f"drain {run['drain_s']} s, {run['django_requests']} Django requests"
                )

    def stop(self) -> dict[str, dict[str, Any]]:
        finals = {variant: viewers.finish() for variant, viewers in self.viewers.items()}
        self.stack.stop()
        return finals


def integrity(records: analysis.Records, first: int, last: int, viewers: int) -> dict[str, int]:
    """Duplicates, gaps and out-of-order receipts of ids ``first..last`` over ``viewers``
    viewers (ids in receipt order per viewer, as the viewer process recorded them)."""
    mask = (records.seq >= first) & (records.seq <= last)
    conn, ids = records.conn[mask], records.seq[mask]
    order = np.argsort(conn, kind="stable")  # per viewer, receipt order kept
    conn, ids = conn[order], ids[order]
    received = len(ids)
    duplicates = gaps = out_of_order = 0
    viewers_clean = 0
    bounds = np.flatnonzero(np.diff(conn)) + 1
    expected = last - first + 1
    seen_viewers = 0
    for chunk in np.split(ids, bounds) if len(ids) else []:
        seen_viewers += 1
        unique = np.unique(chunk)
        dup = len(chunk) - len(unique)
        # the first receipt of each id, in receipt order; out of order: below an earlier one
        _, first_index = np.unique(chunk, return_index=True)
        firsts = chunk[np.sort(first_index)]
        running = np.maximum.accumulate(firsts)
        late = int((firsts[1:] < running[:-1]).sum()) if len(firsts) > 1 else 0
        gap = expected - len(unique)
        duplicates, out_of_order, gaps = duplicates + dup, out_of_order + late, gaps + gap
        viewers_clean += not (dup or late or gap)
    gaps += expected * max(0, viewers - seen_viewers)  # viewers that got nothing at all
    return {
        "expected": expected * viewers,
        "received": received,
        "duplicates": duplicates,
        "gaps": gaps,
        "out_of_order": out_of_order,
        "viewers_clean": viewers_clean,
    }


def median(values: list[Any], digits: int = 1) -> Any:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), digits) if found else None


def summarize(variant: str, runs: list[dict[str, Any]], connect: dict[str, Any]) -> dict:
    keys = ("expected", "received", "duplicates", "gaps", "out_of_order")
    totals = {key: sum(run["integrity"][key] for run in runs) for key in keys}
    return {
        "label": LABELS[variant],
        "runs": len(runs),
        "updates_per_s": median([run["updates_per_s"] for run in runs]),
        "updates_per_s_runs": [run["updates_per_s"] for run in runs],
        "events_per_s": median([run["events_per_s"] for run in runs]),
        "publisher_cpu_ms_per_update": median(
            [run["publisher_cpu_ms_per_update"] for run in runs], 3
        ),
        "drain_s_max": max((run["drain_s"] for run in runs), default=None),
        "all_drained": all(run["drained"] for run in runs),
        "django_requests": sum(run["django_requests"] for run in runs),
        "pushpin_cpu_ms_per_event": median(
            [1000 * run["pushpin_cpu_s"] / max(1, run["events"]) for run in runs]
        ),
        "publish_errors": sum(run["publish_errors"] for run in runs),
        "dropped": sum(run["dropped"] for run in runs),
        "viewers_open": min((run["open"] for run in runs), default=0),
        "viewers_refused": connect["failed"],
        **totals,
    }


def judge(variants: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    b, p, s = variants["batch"], variants["push"], variants["send_event"]
    damage = {v: x["duplicates"] + x["out_of_order"] + x["gaps"] for v, x in variants.items()}
    return [
        {
            "target": f"batch() ≥ {BATCH_TARGET:,.0f} component updates/s, one process",
            "measured": f"{b['updates_per_s']:,.0f}/s",
            "met": (b["updates_per_s"] or 0) >= BATCH_TARGET,
        },
        {
            "target": "plain push() loop ≥ send_event(async_publish=False) loop",
            "measured": f"{p['updates_per_s']:,.0f}/s vs {s['updates_per_s']:,.0f}/s",
            "met": (p["updates_per_s"] or 0) >= (s["updates_per_s"] or 0),
        },
        {
            "target": "every viewer got every update once, in order (0 duplicates, gaps, "
            "out of order)",
            "measured": ", ".join(f"{v}: {n}" for v, n in damage.items()),
            "met": not any(damage.values()),
        },
    ]


def report(result: dict[str, Any]) -> str:
    v, o = result["variants"], result["options"]
    lines = [
        f"# Publisher throughput with viewers attached ({result['date']}, {result['profile']})",
        "",
        f"One publisher process (this bench), Pushpin + Django (uvicorn, 1 worker, SQLite), "
        f"{o['viewers']} SSE viewers per variant (bench.viewers, raw events, no retries), "
        f"{o['repeats']} runs of {o['seconds']:g} s per variant, variants interleaved; medians "
        "of runs, integrity summed over runs. "
        + lifecycle.measured_commit(result["code"])
        + f"; {result['machine'].get('nproc', '?')} CPUs shared with the viewers.",
        "",
        *targets_table(result["targets"]),
    ]
    lines += ["", "| | " + " | ".join(LABELS[x] for x in VARIANTS) + " |"]
    lines += ["|---|" + "--:|" * len(VARIANTS)]
    rows: list[tuple[str, str]] = [
        ("component updates/s (median)", "updates_per_s"),
        ("updates/s per run", "updates_per_s_runs"),
        ("SSE events/s", "events_per_s"),
        ("publisher CPU ms per update", "publisher_cpu_ms_per_update"),
        ("viewer-events expected", "expected"),
        ("received", "received"),
        ("duplicates", "duplicates"),
        ("gaps (never received)", "gaps"),
        ("out of order", "out_of_order"),
        ("last viewer complete after publisher stopped, max s", "drain_s_max"),
        ("Django requests during runs (recover fetches)", "django_requests"),
        ("Pushpin CPU ms per event", "pushpin_cpu_ms_per_event"),
        ("publish errors", "publish_errors"),
        ("viewers open / refused", "viewers_open"),
    ]
    for label, key in rows:
        cells = []
        for x in VARIANTS:
            value = v[x][key]
            if key == "viewers_open":
                value = f"{value} / {v[x]['viewers_refused']}"
            elif isinstance(value, list):
                value = ", ".join(f"{n:,.0f}" for n in value)
            elif isinstance(value, float):
                value = f"{value:,.3g}" if value < 100 else f"{value:,.0f}"
            elif isinstance(value, int):
                value = f"{value:,}"
            cells.append(str(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = lifecycle.parser("python -m bench.throughput", __doc__, "3 runs of 2 s per variant")
    parser.add_argument("--viewers", type=int, default=100, help="viewers per variant")
    parser.add_argument("--seconds", type=float, help="publishing time per run")
    parser.add_argument("--repeats", type=int, help="runs per variant (interleaved)")
    parser.add_argument("--drain-timeout", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--connect-rate", type=float, default=200, help="new viewers per second")
    parser.add_argument("--inflight", type=int, default=100, help="max connects pending")
    args, name = lifecycle.parse(parser, argv, PROFILES)
    bench_run = lifecycle.begin("throughput", name)
    say(f"{name}: {args.viewers} viewers per variant, {args.repeats} x {args.seconds:g} s")
    with bench_run.work_dir() as rundir:
        bench = Bench(args, make_template_db(rundir), rundir)
        try:
            bench.start()
            bench.open_viewers()
            bench.measure()
        finally:
            finals = bench.stop()
        variants = {}
        for variant in VARIANTS:
            records = analysis.Records(bench.viewers[variant].prefix)
            for run in bench.runs[variant]:
                run["integrity"] = integrity(records, run["first_id"], run["last_id"], run["open"])
            variants[variant] = summarize(variant, bench.runs[variant], bench.connect[variant])
            variants[variant]["final_status"] = finals[variant]
    options = {
        "viewers": args.viewers,
        "seconds": args.seconds,
        "repeats": args.repeats,
        "batch_pushes": 50,
        "connect_rate": args.connect_rate,
        "retries": 0,
        "drain_timeout_s": args.drain_timeout,
    }
    result = {
        **bench_run.header(options),
        "connect": bench.connect,
        "variants": variants,
        "targets": judge(variants),
        "runs": bench.runs,
    }
    bench_run.write(args.out, result, report(result))


if __name__ == "__main__":
    main()
