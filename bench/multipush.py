"""``python -m bench.multipush [--quick]``: what one push of 7 components costs Pushpin, as 7
per-component SSE events (before) and as what ``push()`` publishes today (ours), side by side.

One stack (Pushpin from our ``pushpin/`` config in front of Django under uvicorn, bench.stack)
and two sets of N viewers (bench.viewers ``--events``: every SSE event parsed, the ones with an
id counted per viewer), one set on each of two identical 7-Stat dashboards of bench/project:

- ``before``: ``multi.before``. The bench itself stores 7 events in django-eventstream's tables
  (one transaction, one bulk insert) and POSTs 7 items in django-eventstream's wire format, one
  per component, to Pushpin's publish endpoint in one request: what ``push()`` sent before one
  push became one message. Ids and prev-ids chain from the ids stored on the channel the
  stream view subscribes viewers to (read from Django's own GRIP answer), so Pushpin sees no
  gap and asks Django for nothing; Django's request counter checks it.
- ``after``: ``push("multi.after", orders=..., ...)`` through dashboards_sse, as users do.

Pushes are closed-loop: each waits until every connected viewer has all 7 figures (or a
timeout), then a short gap. Variants alternate in repeated runs (order flipped every repeat);
medians over runs are reported. Per variant: Pushpin CPU per push (utime+stime of the runner and
its condure, zurl, pushpin-proxy and pushpin-handler from /proc, before/after each run),
deliveries (SSE events with an id) per viewer per push, time until a viewer / all viewers have a
push, lost deliveries (refused viewers count as lost: connections are never retried) and
Django's requests during the runs. Writes ``<out>/<date>-multipush[-quick].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np

from . import analysis, lifecycle, procs
from .handles import Viewers, open_viewers
from .output import number as _n
from .output import sayer
from .project import MULTI_COMPONENTS
from .stack import Stack, make_template_db

VARIANTS = ("before", "after")
LABELS = {"before": "per-component events (before)", "after": "one message per push (ours)"}
SLUGS = {"before": "multi.before", "after": "multi.after"}
PROFILES: dict[str, dict[str, Any]] = {
    "full": {"viewers": 1000, "pushes": 20, "repeats": 5, "idle_s": 5.0, "timeout": 10.0},
    "quick": {"viewers": 1000, "pushes": 4, "repeats": 3, "idle_s": 2.0, "timeout": 5.0},
}
K = len(MULTI_COMPONENTS)  # 7 components per push
GAP_S = 0.1  # after the last viewer got a push, before the next one
STATUS_S = 0.05  # viewer status lines: how soon a complete push is noticed


say = sayer("multipush")


def figure(seq: int, index: int) -> int:
    """The value of component ``index`` in push ``seq``: the viewers read both back."""
    return seq * 10 + index


# -- the two publishers (this process runs Django with the stack's settings) ---------------------
class PerComponentEvents:
    """Variant 1: the K items of one push as the old ``push()`` built them (see the module
    docstring), stored and published by the bench; their HTML rendered by the same Stats."""

    def __init__(self, stack: Stack, grip_channel: str) -> None:
        import requests
        from django.db import transaction
        from django_eventstream.utils import get_storage, sse_encode_event

        from .project.dashboards import MultiBefore

        self.atomic = transaction.atomic
        self.encode = sse_encode_event
        self.storage = get_storage()
        self.grip_channel = grip_channel  # Pushpin's: events-<quoted django-eventstream name>
        self.channel = unquote(grip_channel.removeprefix("events-"))
        self.url = f"http://127.0.0.1:{stack.publish_port}/publish/"
        self.session = requests.Session()
        self.components = [(name, getattr(MultiBefore, name)) for name in MULTI_COMPONENTS]

    def html(self, component: Any, value: int) -> str:
        return str(component.render(component.update(None, value)))

    def send(self, seq: int) -> None:
        html = [
            (name, self.html(c, figure(seq, i))) for i, (name, c) in enumerate(self.components)
        ]
        ids = self.store(html)
        items = [
            {
                "channel": self.grip_channel,
                "id": str(event_id),
                "prev-id": str(event_id - 1),
                "formats": {
                    "http-stream": {
                        "content": self.encode(name, text, event_id="%I", escape=True),
                        "content-filters": ["build-id"],
                    }
                },
            }
            for (name, text), event_id in zip(html, ids, strict=True)
        ]
        body = json.dumps({"items": items}, separators=(",", ":"))
        response = self.session.post(
            self.url, data=body, headers={"Content-Type": "application/json"}, timeout=5
        )
        response.raise_for_status()

    def store(self, events: list[tuple[str, str]]) -> list[int]:
        """The old push()'s store: one transaction, the channel's counter locked, one bulk
        insert of the rows django-eventstream's ``append_event`` would write (JSON data,
        consecutive ``eid``; the ``eid=0`` placeholder on a new channel)."""
        from django.core.serializers.json import DjangoJSONEncoder
        from django_eventstream.models import Event, EventCounter

        encode = DjangoJSONEncoder().encode
        with self.atomic():
            EventCounter.get_or_create(self.channel)
            counter = EventCounter.objects.select_for_update().get(name=self.channel)
            first = counter.value + 1
            rows = [
                Event(channel=self.channel, type=kind, data=encode(data), eid=eid)
                for eid, (kind, data) in enumerate(events, start=first)
            ]
            if counter.value == 0:
                rows.insert(0, Event(channel=self.channel, type="", data="", eid=0))
            Event.objects.bulk_create(rows)
            counter.value += len(events)
            counter.save(update_fields=["value", "updated"])
        return list(range(first, first + len(events)))

    def last_id(self) -> int:
        return int(self.storage.get_current_id(self.channel))


class Push:
    """Variant 2: ``push()`` of K components through dashboards_sse."""

    def send(self, seq: int) -> None:
        from dashboards_sse import push

        push(SLUGS["after"], **{n: figure(seq, i) for i, n in enumerate(MULTI_COMPONENTS)})


def grip_channels(stack: Stack, path: str) -> list[tuple[str, str | None]]:
    """The channels (and prev-ids) Django tells Pushpin to hold a new stream of ``path`` on:
    a request signed like Pushpin's (``Grip-Sig``) gets Django's GRIP answer itself."""
    import jwt

    token = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, stack.key, "HS256")
    connection = http.client.HTTPConnection("127.0.0.1", stack.django_port, timeout=10)
    try:
        connection.request("GET", path, headers={"Grip-Sig": token, "Accept": "text/event-stream"})
        response = connection.getresponse()
        response.read()
        header = response.getheader("Grip-Channel") or ""
    finally:
        connection.close()
    if response.status != 200 or not header:
        raise RuntimeError(f"no GRIP answer for {path}: HTTP {response.status}")
    out = []
    for part in header.split(","):
        name, *params = [p.strip() for p in part.split(";")]
        prev = next((p.split("=", 1)[1] for p in params if p.startswith("prev-id=")), None)
        out.append((name, prev))
    return out


def stream_path(slug: str) -> str:
    return f"/dashboards/{slug}/stream/"


# -- measuring ----------------------------------------------------------------------------------
def pushpin_cpu(pids: list[int]) -> dict[str, float]:
    """CPU seconds per Pushpin process name (runner ``pushpin``, condure, zurl, proxy, handler)."""
    out: dict[str, float] = {}
    for pid in pids:
        name = procs.name(pid)
        out[name] = out.get(name, 0.0) + procs.cpu_seconds(pid)
    return out


def wait_quiet(stack: Stack, quiet_s: float, timeout: float) -> int:
    """Until Django's request count has not moved for ``quiet_s`` (Pushpin's recover request
    comes ~1 s after each new stream); returns the count."""
    deadline = time.monotonic() + timeout
    last, since = stack.django_requests(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = stack.django_requests()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return last


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = Stack("pushpin", template, rundir / "mp")
        self.viewers: dict[str, Viewers] = {}
        self.seq = 0
        self.connect: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
        self.facts: dict[str, Any] = {}
        self.idle_rate = 0.0  # Pushpin CPU seconds per second, nothing published

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def start(self) -> None:
        stack = self.stack
        lifecycle.start_publishing(stack)
        channels = grip_channels(stack, stream_path(SLUGS["before"]))
        events = [name for name, _ in channels if name.startswith("events-")]
        if len(events) != 1:
            raise RuntimeError(f"expected one events- channel for multi.before: {channels}")
        self.before = PerComponentEvents(stack, events[0])
        self.senders = {"before": self.before, "after": Push()}
        # Both channels get one push before anyone connects: a stream's hold then carries a
        # prev-id (and the build-id filter), as on any dashboard that was ever pushed.
        for sender in self.senders.values():
            sender.send(0)
        prev = dict(grip_channels(stack, stream_path(SLUGS["before"])))[self.before.grip_channel]
        if prev != str(self.before.last_id()):
            raise RuntimeError(
                f"Django holds {self.before.grip_channel} at prev-id {prev} but its storage is "
                f"at {self.before.last_id()}: the per-component items would not chain"
            )
        self.facts["before_channel"] = self.before.grip_channel
        html = self.before.html(self.before.components[0][1], figure(1000, 0))
        self.facts["component_html_bytes"] = len(html.encode())

    def open_viewers(self) -> None:
        a = self.args
        requests0 = self.stack.django_requests()
        port, extra = self.stack.proxy_port, ("--events", "--retries", "0")
        extra += ("--status-interval", str(STATUS_S))
        for variant in VARIANTS:  # one set after the other, each at the connect rate
            viewers, connect = open_viewers(
                self.stack.env(),
                self.stack.workdir,
                port,
                stream_path(SLUGS[variant]),
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
        # Pushpin asks Django once per new stream (the hold) and once ~1 s later (recover):
        # the runs start when that has stopped.
        self.facts["django_requests_connecting"] = wait_quiet(self.stack, 1.5, 30) - requests0

    def idle(self) -> None:
        """Pushpin's background CPU with every viewer held and nothing published."""
        pids = self.stack.pids("pushpin")
        cpu0, t0 = sum(pushpin_cpu(pids).values()), time.monotonic()
        time.sleep(self.args.idle_s)
        cpu = sum(pushpin_cpu(pids).values()) - cpu0
        self.idle_rate = cpu / (time.monotonic() - t0)
        self.facts["pushpin_idle_cpu_ms_per_s"] = round(1000 * self.idle_rate, 2)

    def one_push(self, variant: str, seq: int, target: int) -> tuple[float, str | None]:
        t = time.monotonic()
        try:
            self.senders[variant].send(seq)
        except Exception as exc:  # a failed push is a measured result
            return t, f"{type(exc).__name__}: {exc}"
        self.viewers[variant].wait_records(target, self.args.timeout)
        time.sleep(GAP_S)
        return t, None

    def run(self, variant: str, pushes: int) -> dict[str, Any]:
        viewers, stack = self.viewers[variant], self.stack
        pids = stack.pids("pushpin")
        time.sleep(2 * STATUS_S)
        status0 = dict(viewers.status)
        open_ = status0["open"]
        cpu0, requests0 = pushpin_cpu(pids), stack.django_requests()
        client0, t0 = procs.cpu_seconds(viewers.pid), time.monotonic()
        done: list[list[float]] = []
        errors: list[str] = []
        for _ in range(pushes):
            seq = self.next_seq()
            target = status0["records"] + open_ * K * (len(done) + 1)
            t, error = self.one_push(variant, seq, target)
            if error:
                errors.append(error)
            else:
                done.append([seq, t])
        time.sleep(2 * STATUS_S)
        status1 = dict(viewers.status)
        cpu1, requests1 = pushpin_cpu(pids), stack.django_requests()
        elapsed = time.monotonic() - t0
        cpu = {name: cpu1.get(name, 0.0) - cpu0.get(name, 0.0) for name in cpu1}
        total = sum(cpu.values())
        n = max(1, len(done))
        events = status1["events"] - status0["events"]
        return {
            "pushes": done,
            "push_errors": errors,
            "open": open_,
            "seconds": round(elapsed, 2),
            "pushpin_cpu_s": round(total, 3),
            "pushpin_cpu_ms_per_push": round(1000 * total / n, 2),
            "pushpin_cpu_ms_per_push_net_of_idle": round(
                1000 * max(0.0, total - self.idle_rate * elapsed) / n, 2
            ),
            "pushpin_cpu_ms_per_push_by_process": {
                name: round(1000 * v / n, 2) for name, v in sorted(cpu.items())
            },
            "events": events,
            "deliveries_per_viewer_per_push": round(events / max(1, open_) / n, 3),
            "bytes_per_viewer_per_push": round(
                (status1["event_bytes"] - status0["event_bytes"]) / max(1, open_) / n, 1
            ),
            "pushpin_cpu_us_per_delivery": round(1e6 * total / events, 1) if events else None,
            "django_requests": requests1 - requests0,
            "client_cpu_s": round(procs.cpu_seconds(viewers.pid) - client0, 3),
            "dropped": status1["dropped"] - status0["dropped"],
        }

    def measure(self) -> None:
        a = self.args
        for variant in VARIANTS:  # warm-up push, not kept
            status = self.viewers[variant].status
            self.one_push(variant, self.next_seq(), status["records"] + status["open"] * K)
        for repeat in range(a.repeats):
            order = VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                run = self.run(variant, a.pushes)
                self.runs[variant].append(run)
                say(
                    f"repeat {repeat + 1}/{a.repeats} {variant}: "
                    f"{run['deliveries_per_viewer_per_push']:.2f} deliveries/viewer/push, "
                    f"Pushpin {run['pushpin_cpu_ms_per_push']:.0f} ms CPU/push, "
                    f"{run['django_requests']} Django requests"
                )

    def stop(self) -> dict[str, dict[str, Any]]:
        finals = {}
        for variant, viewers in self.viewers.items():
            finals[variant] = viewers.finish()
        self.stack.stop()
        return finals


def arrival(records: analysis.Records, run: dict[str, Any], requested: int) -> dict[str, Any]:
    """From one run's records: when each viewer had all K figures of each push, and losses."""
    pushes = run["pushes"]
    if not pushes:
        none = {"p50": None, "p99": None, "max": None}
        return {
            "viewer_ms": analysis.percentiles(np.array([])),
            "all_viewers_ms": {"pushes": 0, "incomplete": 0, **none},
            "lost": dict.fromkeys(LOST_KEYS, 0),
        }
    seqs = np.array([int(p[0]) for p in pushes])
    first, span = int(seqs.min()), int(seqs.max() - seqs.min() + 1)
    pushed_at = np.full(span, np.nan)
    pushed_at[seqs - first] = [p[1] for p in pushes]
    seq, part = records.seq // 10, records.seq % 10
    mask = (seq >= first) & (seq < first + span) & (part < K)
    conn, local, part, t = records.conn[mask], seq[mask] - first, part[mask], records.t[mask]
    key = (conn.astype(np.int64) * span + local) * K + part
    _, index = np.unique(key, return_index=True)  # first receipt of each figure
    duplicates = int(mask.sum() - len(index))
    conn, local, t = conn[index], local[index], t[index]
    pair = conn.astype(np.int64) * span + local  # (viewer, push)
    order = np.lexsort((t, pair))
    pair, t = pair[order], t[order]
    pairs, starts, counts = np.unique(pair, return_index=True, return_counts=True)
    complete = counts == K
    last = t[starts + counts - 1][complete]  # the push's last figure at that viewer
    push_of = (pairs % span)[complete]
    latency = last - pushed_at[push_of]
    per_push = []
    for i in range(span):
        if np.isnan(pushed_at[i]):
            continue
        got = latency[push_of == i]
        per_push.append(float(got.max()) if len(got) >= run["open"] and len(got) else None)
    whole = [v for v in per_push if v is not None]
    expected = requested * len(pushes)
    return {
        "viewer_ms": analysis.percentiles(latency),
        "all_viewers_ms": {
            "pushes": len(per_push),
            "incomplete": len(per_push) - len(whole),
            **(
                {
                    "p50": round(1000 * float(np.percentile(whole, 50)), 2),
                    "p99": round(1000 * float(np.percentile(whole, 99)), 2),
                    "max": round(1000 * max(whole), 2),
                }
                if whole
                else {"p50": None, "p99": None, "max": None}
            ),
        },
        "lost": {
            "viewer_pushes_expected": expected,
            "viewer_pushes_complete": int(complete.sum()),
            "viewer_pushes_lost": expected - int(complete.sum()),
            "figures_lost": expected * K - len(index),
            "duplicates": duplicates,
        },
    }


LOST_KEYS = (
    "viewer_pushes_expected",
    "viewer_pushes_complete",
    "viewer_pushes_lost",
    "figures_lost",
    "duplicates",
)


def per_viewer(prefix: Path, bench: Bench) -> dict[str, Any]:
    """Each viewer's own count of events with an id over the whole session (the warm-up push
    and every run), per push: the spread behind the per-run averages."""
    variant = prefix.name.removeprefix("viewers-")
    pushes = 1 + sum(len(run["pushes"]) for run in bench.runs[variant])
    counts = np.fromfile(f"{prefix}.events", dtype=np.int32)
    got = counts[counts > 0] / pushes
    return {
        "pushes": pushes,
        "viewers_with_events": len(got),
        "min": round(float(got.min()), 3) if len(got) else None,
        "median": round(float(np.median(got)), 3) if len(got) else None,
        "max": round(float(got.max()), 3) if len(got) else None,
    }


def median(values: list[Any]) -> Any:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 3) if found else None


def summarize(variant: str, runs: list[dict[str, Any]], connect: dict[str, Any]) -> dict:
    by_process: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run["pushpin_cpu_ms_per_push_by_process"].items():
            by_process.setdefault(name, []).append(value)
    lost = {key: sum(run["arrival"]["lost"][key] for run in runs) for key in LOST_KEYS}
    return {
        "label": LABELS[variant],
        "runs": len(runs),
        "pushes": sum(len(run["pushes"]) for run in runs),
        "push_errors": sum(len(run["push_errors"]) for run in runs),
        "viewers_open": median([run["open"] for run in runs]),
        "viewers_refused": connect["failed"],
        "deliveries_per_viewer_per_push": median(
            [run["deliveries_per_viewer_per_push"] for run in runs]
        ),
        "bytes_per_viewer_per_push": median([run["bytes_per_viewer_per_push"] for run in runs]),
        "pushpin_cpu_ms_per_push": median([run["pushpin_cpu_ms_per_push"] for run in runs]),
        "pushpin_cpu_ms_per_push_net_of_idle": median(
            [run["pushpin_cpu_ms_per_push_net_of_idle"] for run in runs]
        ),
        "pushpin_cpu_ms_per_push_runs": [run["pushpin_cpu_ms_per_push"] for run in runs],
        "pushpin_cpu_ms_per_push_by_process": {k: median(v) for k, v in by_process.items()},
        "pushpin_cpu_us_per_delivery": median(
            [run["pushpin_cpu_us_per_delivery"] for run in runs]
        ),
        "viewer_has_push_ms_p50": median([run["arrival"]["viewer_ms"]["p50"] for run in runs]),
        "viewer_has_push_ms_p99": median([run["arrival"]["viewer_ms"]["p99"] for run in runs]),
        "all_viewers_ms_p50": median([run["arrival"]["all_viewers_ms"]["p50"] for run in runs]),
        "all_viewers_ms_p99": median([run["arrival"]["all_viewers_ms"]["p99"] for run in runs]),
        "pushes_not_reaching_all": sum(
            run["arrival"]["all_viewers_ms"].get("incomplete", 0) for run in runs
        ),
        "lost": lost,
        "django_requests": sum(run["django_requests"] for run in runs),
        "dropped": sum(run["dropped"] for run in runs),
        "client_cpu_ms_per_push": median(
            [1000 * run["client_cpu_s"] / max(1, len(run["pushes"])) for run in runs]
        ),
    }


def log_tails(workdir: Path, lines: int = 30) -> dict[str, list[str]]:
    """The servers' last warnings and errors (Pushpin logs every request at INFO)."""
    out = {}
    for name in ("django", "pushpin", "viewers-before", "viewers-after"):
        path = workdir / f"{name}.log"
        if path.exists():
            found = path.read_text(errors="replace").splitlines()
            if name == "pushpin":
                found = [x for x in found if not x.startswith("[INFO]") or " 50" in x]
            out[name] = found[-lines:]
    return out


def ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def main(argv: list[str] | None = None) -> None:
    parser = lifecycle.parser(
        "python -m bench.multipush", __doc__, "4 pushes x 3 repeats, < 1 min"
    )
    parser.add_argument("--viewers", type=int, help="viewers per variant (default 1000)")
    parser.add_argument("--pushes", type=int, help="pushes per run")
    parser.add_argument("--repeats", type=int, help="runs per variant (interleaved)")
    parser.add_argument("--connect-rate", type=float, default=400, help="new viewers per second")
    parser.add_argument("--inflight", type=int, default=200, help="max connects pending")
    args, name = lifecycle.parse(parser, argv, PROFILES)
    bench_run = lifecycle.begin("multipush", name)
    say(
        f"{name}: {args.viewers} viewers per variant, {args.pushes} pushes x {args.repeats} "
        f"repeats, RLIMIT_NOFILE {bench_run.nofile}, work dir {bench_run.dir}"
    )
    with bench_run.work_dir() as rundir:
        bench = Bench(args, make_template_db(rundir), rundir)
        try:
            bench.start()
            bench.open_viewers()
            bench.idle()
            bench.measure()
        finally:
            finals = bench.stop()
        variants = {}
        for variant in VARIANTS:
            records = analysis.Records(bench.viewers[variant].prefix)
            for run in bench.runs[variant]:
                run["arrival"] = arrival(records, run, args.viewers)
            variants[variant] = summarize(variant, bench.runs[variant], bench.connect[variant])
            variants[variant]["final_status"] = finals[variant]
            variants[variant]["per_viewer"] = per_viewer(bench.viewers[variant].prefix, bench)
        troubled = any(c["failed"] or c["errors"] for c in bench.connect.values())
        logs = log_tails(bench.stack.workdir) if troubled else {}
    before, after = variants["before"], variants["after"]
    options = {
        "viewers": args.viewers,
        "pushes": args.pushes,
        "repeats": args.repeats,
        "components": K,
        "connect_rate": args.connect_rate,
        "inflight": args.inflight,
        "retries": 0,
        "gap_s": GAP_S,
        "timeout_s": args.timeout,
        "idle_s": args.idle_s,
    }
    result = {
        **bench_run.header(options),
        "connect": bench.connect,
        "facts": bench.facts,
        "variants": variants,
        "ratios": {
            "pushpin_cpu_per_push": ratio(
                before["pushpin_cpu_ms_per_push"], after["pushpin_cpu_ms_per_push"]
            ),
            "pushpin_cpu_per_push_net_of_idle": ratio(
                before["pushpin_cpu_ms_per_push_net_of_idle"],
                after["pushpin_cpu_ms_per_push_net_of_idle"],
            ),
            "deliveries_per_viewer_per_push": ratio(
                before["deliveries_per_viewer_per_push"], after["deliveries_per_viewer_per_push"]
            ),
            "all_viewers_p50": ratio(before["all_viewers_ms_p50"], after["all_viewers_ms_p50"]),
            "all_viewers_p99": ratio(before["all_viewers_ms_p99"], after["all_viewers_ms_p99"]),
        },
        "runs": {v: bench.runs[v] for v in VARIANTS},
        "logs": logs,  # the servers' last lines when a viewer could not connect
    }
    bench_run.write(args.out, result, report(result))


def table(result: dict[str, Any]) -> list[str]:
    v, r = result["variants"], result["ratios"]
    b, a = v["before"], v["after"]

    def lost(x: dict[str, Any]) -> str:
        n = x["lost"]
        return (
            f"{n['viewer_pushes_lost']:,} / {n['viewer_pushes_expected']:,} "
            f"({x['viewers_refused']} refused viewers)"
        )

    def spread(x: dict[str, Any]) -> str:
        p = x["per_viewer"]
        return f"{_n(p['min'], 2)} / {_n(p['median'], 2)} / {_n(p['max'], 2)}"

    def by_process(x: dict[str, Any]) -> str:
        found = sorted(x["pushpin_cpu_ms_per_push_by_process"].items())
        return ", ".join(f"{p} {ms:.0f}" for p, ms in found if round(ms))

    lines: list[tuple[str, Any, Any, Any]] = [
        ("**deliveries (events with an id) per viewer per push**, measured",
         _n(b["deliveries_per_viewer_per_push"], 2), _n(a["deliveries_per_viewer_per_push"], 2),
         r["deliveries_per_viewer_per_push"]),
        ("the same, per viewer: min / median / max over viewers", spread(b), spread(a), None),
        ("**Pushpin CPU ms per push** (median of runs)", b["pushpin_cpu_ms_per_push"],
         a["pushpin_cpu_ms_per_push"], r["pushpin_cpu_per_push"]),
        ("Pushpin CPU ms per push, idle background subtracted",
         b["pushpin_cpu_ms_per_push_net_of_idle"], a["pushpin_cpu_ms_per_push_net_of_idle"],
         r["pushpin_cpu_per_push_net_of_idle"]),
        ("Pushpin CPU ms per push, by process", by_process(b), by_process(a), None),
        ("Pushpin CPU µs per delivery", b["pushpin_cpu_us_per_delivery"],
         a["pushpin_cpu_us_per_delivery"], None),
        ("all viewers have the push, p50 ms", b["all_viewers_ms_p50"], a["all_viewers_ms_p50"],
         r["all_viewers_p50"]),
        ("all viewers have the push, p99 ms", b["all_viewers_ms_p99"], a["all_viewers_ms_p99"],
         r["all_viewers_p99"]),
        ("a viewer has the push, p50 ms", b["viewer_has_push_ms_p50"],
         a["viewer_has_push_ms_p50"], None),
        ("a viewer has the push, p99 ms", b["viewer_has_push_ms_p99"],
         a["viewer_has_push_ms_p99"], None),
        ("lost viewer-pushes / expected", lost(b), lost(a), None),
        ("duplicate figures", b["lost"]["duplicates"], a["lost"]["duplicates"], None),
        ("Django requests during the runs (must be ~0)", b["django_requests"],
         a["django_requests"], None),
        ("viewer connections dropped during the runs", b["dropped"], a["dropped"], None),
        ("pushes measured (failed)", f"{b['pushes']} ({b['push_errors']})",
         f"{a['pushes']} ({a['push_errors']})", None),
        ("bytes per viewer per push (events with an id)", b["bytes_per_viewer_per_push"],
         a["bytes_per_viewer_per_push"], None),
        ("viewer process CPU ms per push", b["client_cpu_ms_per_push"],
         a["client_cpu_ms_per_push"], None),
    ]  # fmt: skip
    rows = [
        f"| | {LABELS['before']} | {LABELS['after']} | before / after |",
        "|---|--:|--:|--:|",
    ]
    for label, before, after, times in lines:
        rows.append(
            f"| {label} | {_n(before)} | {_n(after)} | {_n(times, 2) + 'x' if times else ''} |"
        )
    return rows


def report(result: dict[str, Any]) -> str:
    o, v = result["options"], result["variants"]
    rows = table(result)
    runs = [
        f"- {LABELS[name]}: "
        + ", ".join(f"{x:.0f}" for x in v[name]["pushpin_cpu_ms_per_push_runs"])
        for name in VARIANTS
    ]
    facts, c, code = result["facts"], result["connect"], result["code"]
    machine_info = result["machine"]
    return "\n".join(
        [
            f"# Pushpin CPU per push of {o['components']} components at {o['viewers']:,} viewers "
            f"({result['date']}, {result['profile']})",
            "",
            *verdict(result),
            "",
            *rows,
            *(
                [
                    "",
                    "Quick profile: few pushes per variant. With the same code on both sides it "
                    "measured CPU ratios of 0.84-1.15x here (the full profile 0.97x): read a "
                    "quick ratio within ~15 % of 1 as noise.",
                ]
                if result["profile"] == "quick"
                else []
            ),
            "",
            "Pushpin CPU ms per push, each run (in the order run, variants interleaved):",
            "",
            *runs,
            "",
            "## How it was measured",
            "",
            f"- One stack on this machine ({machine_info['nproc']} cores, shared with the client "
            "and noisy; load average at start "
            f"{', '.join(f'{x:.2f}' for x in machine_info['loadavg_at_start'])}): Pushpin "
            "from our `pushpin/` config (bench.stack) in front of Django under uvicorn (one "
            "worker); the bench process itself publishes (Django with the bench settings). "
            f"Code: commit {code['commit']}"
            + (
                " with uncommitted changes in dashboards_sse/."
                if code["dashboards_sse_modified"]
                else "."
            ),
            f"- Two dashboards of {o['components']} Stats each (bench/project/dashboards.py), "
            f"{o['viewers']:,} SSE viewers on each through Pushpin, held for the whole run: "
            "`python -m bench.viewers --events` (raw HTTP/1.1 asyncio client, uvloop; every SSE "
            "event parsed, events with an `id:` line counted per viewer, figures read from "
            "one-component HTML or `dsse-update` JSON alike). Ramp: each set opened at "
            f"{o['connect_rate']:g} new connections/s (at most {o['inflight']} pending), one "
            f"set after the other (took {c['before']['seconds']:g} s and "
            f"{c['after']['seconds']:g} s: Django answers each hold). Refused or failed "
            "connections are **not retried**: such a viewer counts as lost for every push and "
            f"is reported (refused: before {refused(c['before'])}, after "
            f"{refused(c['after'])}). Django served {facts['django_requests_connecting']:,} "
            "requests while viewers connected (a hold and a recover per stream); the runs "
            "start once it has been quiet for 1.5 s.",
            f"- {o['pushes']} pushes per run, {o['repeats']} runs per variant, variants "
            "alternating (order flipped every repeat), one warm-up push each first (not kept); "
            "medians over runs. Each push waits until every open viewer has all "
            f"{o['components']} figures (or {o['timeout_s']:g} s), then {o['gap_s']:g} s.",
            "- per-component events (before): per push the bench renders the "
            f"{o['components']} Stats, stores {o['components']} events in django-eventstream's "
            "tables (one transaction, one bulk insert, as the old `push()`; no component "
            f"states) and POSTs {o['components']} items in one request to Pushpin's publish "
            f"endpoint: channel `{facts['before_channel']}` (read from Django's own GRIP answer "
            "for that stream), `id`/`prev-id` chained from the stored ids, `http-stream` "
            "content from `django_eventstream.utils.sse_encode_event(name, html, "
            'event_id="%I", escape=True)` with the `build-id` filter. Django\'s hold for that '
            "stream was checked to carry the stored id as prev-id (no gap for Pushpin to "
            "recover).",
            '- one message per push (ours): `push("multi.after", orders=..., ...)` of '
            f"{o['components']} values through dashboards_sse, whatever it publishes.",
            "- Pushpin CPU: utime+stime from /proc/<pid>/stat (10 ms ticks) of the runner and "
            "its condure, zurl, pushpin-proxy and pushpin-handler, read before and after each "
            "run, divided by its pushes. It includes Pushpin's idle background over the run "
            f"({facts['pushpin_idle_cpu_ms_per_s']:g} ms/s, measured for "
            f"{o['idle_s']:g} s with every viewer held and nothing published); the 'idle "
            "background subtracted' row takes that rate times the run's duration off.",
            "- Deliveries per viewer per push: events with an id the viewer set received during "
            "the run / viewers open / pushes, counted by the client (not assumed); per viewer: "
            "each viewer's own count over the session (warm-up push included) / its pushes.",
            "- 'A viewer has the push': time.monotonic() right before the push (render, store "
            "and publish included) to the receipt of its last figure at that viewer "
            "(CLOCK_MONOTONIC is system-wide); 'all viewers': the same for the last viewer, "
            "per push (a push that did not reach every open viewer has none: before "
            f"{v['before']['pushes_not_reaching_all']}, after "
            f"{v['after']['pushes_not_reaching_all']}). Lost: viewer-pushes (a viewer missing "
            "any figure of a push), refused viewers included.",
            "- Django requests during the runs (bench.project.middleware's counter) must be ~0: "
            "more would mean Pushpin asked Django to recover a gap.",
            "",
        ]
    )


def refused(connect: dict[str, Any]) -> str:
    errors = ", ".join(f"{n} {why}" for why, n in sorted(connect["errors"].items()))
    return f"{connect['failed']}" + (f" ({errors})" if errors else "")


def verdict(result: dict[str, Any]) -> list[str]:
    """What the measurement says, and anything that makes it doubtful."""
    v, k = result["variants"], result["options"]["components"]
    before = v["before"]["deliveries_per_viewer_per_push"] or 0.0
    after = v["after"]["deliveries_per_viewer_per_push"] or 0.0
    if abs(after - 1) < 0.05:
        meaning = "publishes one SSE event per push"
    elif abs(after - k) < 0.05:
        meaning = f"still publishes one SSE event per component ({k} per push)"
    else:
        meaning = f"publishes neither 1 nor {k} events per push"
    lines = [
        f"Measured deliveries per viewer per push: **{before:.2f}** per-component (before), "
        f"**{after:.2f}** `push()` (ours): `push()` {meaning}. Pushpin CPU per push "
        f"before / after: **{_n(result['ratios']['pushpin_cpu_per_push'], 2)}x**."
    ]
    warnings = []
    if abs(before - k) >= 0.05:
        warnings.append(f"the per-component variant delivered {before:.2f} events, not {k}")
    for name in VARIANTS:
        x = v[name]
        if x["django_requests"] > max(2, 0.01 * x["pushes"] * (x["viewers_open"] or 1)):
            warnings.append(f"{name}: Django served {x['django_requests']} requests in the runs")
        if x["lost"]["viewer_pushes_lost"]:
            warnings.append(f"{name}: {x['lost']['viewer_pushes_lost']} viewer-pushes lost")
        if x["push_errors"]:
            warnings.append(f"{name}: {x['push_errors']} pushes failed")
    if warnings:
        lines += ["", "**Check:** " + "; ".join(warnings) + "."]
    return lines


if __name__ == "__main__":
    main()
