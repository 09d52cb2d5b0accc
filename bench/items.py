"""``python -m bench.items [--quick]``: what one changed row of a 500-row table costs on the wire
and in Pushpin, sent as one row action (ours) and as the whole table (before), side by side.

One stack (Pushpin from our ``pushpin/`` config in front of Django under uvicorn, bench.stack;
this process publishes, Django with the stack's settings) and two sets of N viewers (bench.viewers
``--events``: every SSE event parsed, the ones with an id counted per viewer with their bytes;
``--retries 0``: a refused viewer stays out and counts as lost), one set on each of two
dashboards of bench/project with the same 500-row ``Table`` (hosts: name, cpu, memory, rev; key
``id``; no ``order_by``, so a changed row keeps its place; limit 500):

- ``after``, row action (ours): ``items.after``, a plain ``Table``. Each push is
  ``ItemsAfter.hosts.push(row)`` of ONE changed row, which dashboards_sse sends as one
  ``insert`` item action (the row's HTML and the key it goes before) in the push's single
  ``dsse-update`` message.
- ``before``, whole table (before): ``items.before``, the same Table with ``actions()`` returning
  None (``WholeTable``: what any component without item actions does), given the same pushes
  through the same ``push()``: each push's message is one ``replace`` with the whole table's
  HTML. Stored and chained by dashboards_sse itself, so Pushpin never sees a gap. Its ~93 KB
  exceed the default ``MAX_HTML_BYTES`` (64 KB): this process raises it for the run.

Both tables first get their 500 rows as one whole set (before anyone connects). What each
variant really sends is checked on the wire: one probe connection per dashboard through Pushpin
reads the warm-up push's event and records its actions (``facts.wire``). Pushes are closed-loop:
each waits until every open viewer has it (the row's ``rev`` cell carries the push's number;
the client records the newest rev of each event), or a timeout, then a short gap. Variants
alternate in repeated runs (order flipped every repeat); medians over runs. Per variant: bytes
per event and per viewer per push (counted by the client), Pushpin CPU per push (utime+stime of
the runner and its condure, zurl, pushpin-proxy and pushpin-handler from /proc, before/after
each run), deliveries per viewer per push, time until a viewer / all viewers have a push,
lost viewer-pushes (refused viewers included), the ``push()`` call's own duration and Django's
requests during the runs. Writes ``<out>/<date>-items[-quick].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from . import analysis, lifecycle, procs
from .handles import Viewers, open_viewers
from .multipush import log_tails, pushpin_cpu, ratio, refused, wait_quiet
from .output import number as _n
from .output import sayer
from .project import ITEMS_ROWS
from .stack import Stack, make_template_db
from .wire import Response

VARIANTS = ("before", "after")
LABELS = {"before": "whole table (before)", "after": "row action (ours)"}
SLUGS = {"before": "items.before", "after": "items.after"}
PROFILES: dict[str, dict[str, Any]] = {
    "full": {"viewers": 200, "pushes": 30, "repeats": 5, "idle_s": 5.0, "timeout": 10.0},
    "quick": {"viewers": 50, "pushes": 4, "repeats": 3, "idle_s": 2.0, "timeout": 5.0},
}
GAP_S = 0.1  # after the last viewer got a push, before the next one
STATUS_S = 0.05  # viewer status lines: how soon a complete push is noticed
# The whole table's HTML (~93 KB) is over the default MAX_HTML_BYTES (64 KB); the 'before'
# variant could not be pushed at all without this (this process only: it is the publisher).
MAX_HTML_BYTES = 512 * 1024


say = sayer("items")


def stream_path(slug: str) -> str:
    return f"/dashboards/{slug}/stream/"


def row(index: int, seq: int) -> dict[str, Any]:
    """Host ``index`` as push ``seq`` leaves it (seq 0: the initial set). Constant widths: the
    bytes of a row do not drift with the push number (rev aside)."""
    return {
        "id": index,
        "name": f"web-{index:03d}",
        "cpu": round(10 + (index * 3.7 + seq * 7.3) % 89, 1),
        "memory": 1000 + (index * 131 + seq * 977) % 8000,
        "rev": f"r{seq}",
    }


def changed_index(seq: int) -> int:
    return (seq * 37) % ITEMS_ROWS  # spread over the table


# -- a probe: what one event really carries, read through Pushpin ------------------------------
class Probe:
    """One SSE connection of our own through Pushpin; ``next_event()`` returns the next event
    with an id (its text, without the blank line that ends it)."""

    def __init__(self, port: int, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        self.sock.sendall((request + "Cache-Control: no-cache\r\n\r\n").encode())
        self.response = Response()
        self.text = b""
        self.blocks: list[bytes] = []
        while not any(b"event: stream-open" in block for block in self.blocks):
            self._read()
        self.blocks.clear()

    def _read(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise RuntimeError("probe: stream closed")
        self.text += self.response.feed(data)
        if self.response.head_done and self.response.status != 200:
            raise RuntimeError(f"probe: HTTP {self.response.status}")
        *complete, self.text = self.text.split(b"\n\n")
        self.blocks += complete

    def next_event(self) -> bytes:
        while True:
            while self.blocks:
                block = self.blocks.pop(0)
                if any(line.startswith(b"id:") for line in block.split(b"\n")):
                    return block
            self._read()

    def close(self) -> None:
        self.sock.close()


def describe_event(block: bytes) -> dict[str, Any]:
    """An event's type, size (as the viewers count it) and each update's action, key and HTML
    bytes (the HTML itself left out)."""
    kind, data = "", []
    for line in block.split(b"\n"):
        field, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if field == b"event":
            kind = value.decode()
        elif field == b"data":
            data.append(value)
    message = json.loads(b"\n".join(data))
    updates = [
        {
            **{k: v for k, v in update.items() if k != "html"},
            "html_bytes": len(update.get("html", "").encode()),
        }
        for update in message["updates"]
    ]
    return {"event": kind, "event_bytes": len(block) + 2, "updates": updates}


# -- measuring ----------------------------------------------------------------------------------
class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = Stack("pushpin", template, rundir / "it")
        self.viewers: dict[str, Viewers] = {}
        self.probes: dict[str, Probe] = {}
        self.seq = 0
        self.seen = dict.fromkeys(VARIANTS, 0)  # pushes each set of viewers was sent
        # Each table's rows as last pushed (the whole-list check pushes them all again).
        self.rows = {v: [row(i, 0) for i in range(ITEMS_ROWS)] for v in VARIANTS}
        self.connect: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
        self.facts: dict[str, Any] = {}
        self.idle_rate = 0.0  # Pushpin CPU seconds per second, nothing published
        self.runs_started: datetime | None = None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def start(self) -> None:
        lifecycle.start_publishing(self.stack)
        from django.test import override_settings

        from dashboards_sse import conf

        from .project.dashboards import ItemsAfter, ItemsBefore

        self.facts["max_html_bytes_default"] = conf.get_settings().max_html_bytes
        override_settings(DASHBOARDS_SSE={"MAX_HTML_BYTES": MAX_HTML_BYTES}).enable()
        self.tables = {"before": ItemsBefore.hosts, "after": ItemsAfter.hosts}
        initial = {}
        for variant, table in self.tables.items():  # the whole set once, before anyone connects
            pushed = table.push(self.rows[variant])
            initial[variant] = stored_event(pushed, table)
        table = self.tables["before"]
        state = table.update(None, self.rows["before"])
        self.facts.update(
            rows=ITEMS_ROWS,
            table_html_bytes=len(str(table.render(state)).encode()),
            row_html_bytes=len(table.render_item(state["items"][1]).encode()),
            max_html_bytes_in_run=MAX_HTML_BYTES,
            initial_set=initial,
        )

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
            # when the set was open (the runs' logs are read against it)
            connect["opened_at"] = datetime.now().strftime("%H:%M:%S.%f")[:-3]
            self.connect[variant] = connect
            status = dict(viewers.status)
            say(f"{variant}: {status['ok']} viewers open, {status['failed']} refused")
        for variant in VARIANTS:  # before the quiet wait: their hold and recover come first
            self.probes[variant] = Probe(port, stream_path(SLUGS[variant]))
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

    def send(self, variant: str, seq: int) -> float:
        """One changed row pushed to the variant's table; the push() call's duration (s)."""
        changed = row(changed_index(seq), seq)
        t = time.monotonic()
        self.tables[variant].push(changed)
        took = time.monotonic() - t
        self.rows[variant][changed["id"]] = changed
        return took

    def one_push(self, variant: str, seq: int, target: int) -> tuple[float, float, str | None]:
        t = time.monotonic()
        try:
            took = self.send(variant, seq)
        except Exception as exc:  # a failed push is a measured result
            return t, 0.0, f"{type(exc).__name__}: {exc}"
        self.seen[variant] += 1
        self.viewers[variant].wait_records(target, self.args.timeout)
        time.sleep(GAP_S)
        return t, took, None

    def warm_up(self) -> None:
        """One push per variant (not kept), read on the wire by the probes; then, on the
        row-action table, the whole set pushed again as a list with one row changed: what
        dashboards_sse sends for that (a diff of the list, not the table)."""
        wire: dict[str, Any] = {}
        for variant in VARIANTS:
            status = self.viewers[variant].status
            _, _, error = self.one_push(
                variant, self.next_seq(), status["records"] + status["open"]
            )
            if error:
                raise RuntimeError(f"warm-up push to {variant} failed: {error}")
            wire[variant] = describe_event(self.probes[variant].next_event())
        seq = self.next_seq()
        rows = self.rows["after"]
        rows[changed_index(seq)] = row(changed_index(seq), seq)
        status = self.viewers["after"].status
        self.tables["after"].push(rows)
        self.seen["after"] += 1
        wire["after_whole_list_pushed"] = describe_event(self.probes["after"].next_event())
        self.viewers["after"].wait_records(status["records"] + status["open"], self.args.timeout)
        for probe in self.probes.values():
            probe.close()
        self.facts["wire"] = wire
        for name, event in wire.items():
            actions = ", ".join(f"{u['action']} ({u['html_bytes']:,} B)" for u in event["updates"])
            say(f"on the wire, {name}: {event['event_bytes']:,} bytes, {actions}")

    def run(self, variant: str, pushes: int) -> dict[str, Any]:
        viewers, stack = self.viewers[variant], self.stack
        pids = stack.pids("pushpin")
        time.sleep(2 * STATUS_S)
        status0 = dict(viewers.status)
        open_ = status0["open"]
        cpu0, requests0 = pushpin_cpu(pids), stack.django_requests()
        client0, t0 = procs.cpu_seconds(viewers.pid), time.monotonic()
        done: list[list[float]] = []
        took: list[float] = []
        errors: list[str] = []
        for _ in range(pushes):
            seq = self.next_seq()
            target = status0["records"] + open_ * (len(done) + 1)
            t, call, error = self.one_push(variant, seq, target)
            if error:
                errors.append(error)
            else:
                done.append([seq, t])
                took.append(call)
        time.sleep(2 * STATUS_S)
        status1 = dict(viewers.status)
        cpu1, requests1 = pushpin_cpu(pids), stack.django_requests()
        elapsed = time.monotonic() - t0
        cpu = {name: cpu1.get(name, 0.0) - cpu0.get(name, 0.0) for name in cpu1}
        total = sum(cpu.values())
        n = max(1, len(done))
        events = status1["events"] - status0["events"]
        event_bytes = status1["event_bytes"] - status0["event_bytes"]
        return {
            "pushes": done,
            "push_errors": errors,
            "open": open_,
            "seconds": round(elapsed, 2),
            "push_call_ms": [round(1000 * x, 2) for x in took],
            "pushpin_cpu_s": round(total, 3),
            "pushpin_cpu_ms_per_push": round(1000 * total / n, 2),
            "pushpin_cpu_ms_per_push_net_of_idle": round(
                1000 * max(0.0, total - self.idle_rate * elapsed) / n, 2
            ),
            "pushpin_cpu_ms_per_push_by_process": {
                name: round(1000 * v / n, 2) for name, v in sorted(cpu.items())
            },
            "events": events,
            "event_bytes": event_bytes,
            "bytes_per_event": round(event_bytes / events, 1) if events else None,
            "deliveries_per_viewer_per_push": round(events / max(1, open_) / n, 3),
            "bytes_per_viewer_per_push": round(event_bytes / max(1, open_) / n, 1),
            "pushpin_cpu_us_per_delivery": round(1e6 * total / events, 1) if events else None,
            "pushpin_cpu_ns_per_byte": (
                round(1e9 * total / event_bytes, 2) if event_bytes else None
            ),
            "django_requests": requests1 - requests0,
            "client_cpu_s": round(procs.cpu_seconds(viewers.pid) - client0, 3),
            "dropped": status1["dropped"] - status0["dropped"],
        }

    def measure(self) -> None:
        a = self.args
        self.warm_up()
        self.runs_started = datetime.now()  # Pushpin's log: local wall-clock time
        for repeat in range(a.repeats):
            order = VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                run = self.run(variant, a.pushes)
                self.runs[variant].append(run)
                say(
                    f"repeat {repeat + 1}/{a.repeats} {variant}: "
                    f"{run['bytes_per_event'] or 0:,.0f} bytes/event, "
                    f"{run['deliveries_per_viewer_per_push']:.2f} deliveries/viewer/push, "
                    f"Pushpin {run['pushpin_cpu_ms_per_push']:.1f} ms CPU/push, "
                    f"{run['django_requests']} Django requests"
                )

    def stop(self) -> dict[str, dict[str, Any]]:
        for probe in self.probes.values():
            probe.close()
        finals = {}
        for variant, viewers in self.viewers.items():
            finals[variant] = viewers.finish()
        self.stack.stop()
        return finals


def stored_event(pushed: Any, table: Any) -> dict[str, Any]:
    """The stored event of a push (byte-identical to what Pushpin was sent): its size and each
    update's action."""
    from django_eventstream.models import Event

    event_id = pushed.event_ids[table.name]
    event = Event.objects.get(channel=table.dashboard.channel, eid=event_id)
    message = json.loads(json.loads(event.data))
    actions: dict[str, int] = {}
    for update in message["updates"]:
        actions[update["action"]] = actions.get(update["action"], 0) + 1
    return {"data_bytes": len(json.loads(event.data).encode()), "actions": actions}


def origin_requests(log: Path, since: datetime | None) -> dict[str, Any]:
    """The requests Pushpin's handler sent Django from ``since`` on (a recover after a gap, a
    refresh of a stream's next link, a reconnect), as its log shows them (one line per stream
    session: Pushpin may serve many sessions with one request): how many per stream path,
    when (first, last) and one example without the signed meta."""
    found: list[tuple[datetime, str]] = []
    if since is not None and log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if "[handler] GET" not in line:
                continue
            with contextlib.suppress(ValueError, IndexError):
                at = datetime.strptime(" ".join(line.split()[1:3]), "%Y-%m-%d %H:%M:%S.%f")
                if at >= since:
                    found.append((at, re.sub(r"&?es-meta=[^ &]+", "", line)))
    paths: dict[str, int] = {}
    for _, line in found:
        path = urlsplit(line.split(" GET ", 1)[1].split()[0]).path
        paths[path] = paths.get(path, 0) + 1
    stamp = "%H:%M:%S.%f"
    return {
        "count": len(found),
        "by_path": paths,
        "first_at": found[0][0].strftime(stamp)[:-3] if found else None,
        "last_at": found[-1][0].strftime(stamp)[:-3] if found else None,
        "example": found[0][1] if found else None,
    }


def arrival(records: analysis.Records, run: dict[str, Any], requested: int) -> dict[str, Any]:
    """From one run's records: when each viewer had each push, and losses."""
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
    mask = (records.seq >= first) & (records.seq < first + span)
    conn, local, t = records.conn[mask], records.seq[mask] - first, records.t[mask]
    key = conn.astype(np.int64) * span + local
    _, index = np.unique(key, return_index=True)  # first receipt of each (viewer, push)
    duplicates = int(mask.sum() - len(index))
    local, t = local[index], t[index]
    keep = ~np.isnan(pushed_at[local])  # a failed push's number: not measured
    local, latency = local[keep], (t - pushed_at[local])[keep]
    per_push = []
    for i in range(span):
        if np.isnan(pushed_at[i]):
            continue
        got = latency[local == i]
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
            "viewer_pushes_complete": len(latency),
            "viewer_pushes_lost": expected - len(latency),
            "duplicates": duplicates,
        },
    }


LOST_KEYS = (
    "viewer_pushes_expected",
    "viewer_pushes_complete",
    "viewer_pushes_lost",
    "duplicates",
)


def per_viewer(prefix: Path, pushes: int) -> dict[str, Any]:
    """Each viewer's own count of events with an id over the whole session (warm-up pushes
    and every run), per push it was sent: the spread behind the per-run averages."""
    counts = np.fromfile(f"{prefix}.events", dtype=np.int32)
    got = counts[counts > 0] / max(1, pushes)
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
    calls = [ms for run in runs for ms in run["push_call_ms"]]

    def of_runs(name: str) -> Any:
        return median([run[name] for run in runs])

    return {
        "label": LABELS[variant],
        "runs": len(runs),
        "pushes": sum(len(run["pushes"]) for run in runs),
        "push_errors": sum(len(run["push_errors"]) for run in runs),
        "viewers_open": of_runs("open"),
        "viewers_refused": connect["failed"],
        "bytes_per_event": of_runs("bytes_per_event"),
        "bytes_per_viewer_per_push": of_runs("bytes_per_viewer_per_push"),
        "deliveries_per_viewer_per_push": of_runs("deliveries_per_viewer_per_push"),
        "pushpin_cpu_ms_per_push": of_runs("pushpin_cpu_ms_per_push"),
        "pushpin_cpu_ms_per_push_net_of_idle": of_runs("pushpin_cpu_ms_per_push_net_of_idle"),
        "pushpin_cpu_ms_per_push_runs": [run["pushpin_cpu_ms_per_push"] for run in runs],
        "pushpin_cpu_ms_per_push_by_process": {k: median(v) for k, v in by_process.items()},
        "pushpin_cpu_us_per_delivery": of_runs("pushpin_cpu_us_per_delivery"),
        "pushpin_cpu_ns_per_byte": of_runs("pushpin_cpu_ns_per_byte"),
        "push_call_ms_p50": round(float(np.percentile(calls, 50)), 2) if calls else None,
        "push_call_ms_p99": round(float(np.percentile(calls, 99)), 2) if calls else None,
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


def main(argv: list[str] | None = None) -> None:
    parser = lifecycle.parser("python -m bench.items", __doc__, "50 viewers, 4 pushes x 3 repeats")
    parser.add_argument("--viewers", type=int, help="viewers per variant (default 200)")
    parser.add_argument("--pushes", type=int, help="pushes per run")
    parser.add_argument("--repeats", type=int, help="runs per variant (interleaved)")
    parser.add_argument("--connect-rate", type=float, default=400, help="new viewers per second")
    parser.add_argument("--inflight", type=int, default=200, help="max connects pending")
    args, name = lifecycle.parse(parser, argv, PROFILES)
    bench_run = lifecycle.begin("items", name)
    say(
        f"{name}: {args.viewers} viewers per variant, {args.pushes} pushes x {args.repeats} "
        f"repeats, {ITEMS_ROWS} rows, RLIMIT_NOFILE {bench_run.nofile}, work dir {bench_run.dir}"
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
            variants[variant]["per_viewer"] = per_viewer(
                bench.viewers[variant].prefix, bench.seen[variant]
            )
        troubled = any(c["failed"] or c["errors"] for c in bench.connect.values())
        logs = log_tails(bench.stack.workdir) if troubled else {}
        bench.facts["pushpin_origin_requests_in_runs"] = origin_requests(
            bench.stack.workdir / "pushpin.log", bench.runs_started
        )
    before, after = variants["before"], variants["after"]

    def times(key: str) -> float | None:
        return ratio(before[key], after[key])

    options = {
        "viewers": args.viewers,
        "pushes": args.pushes,
        "repeats": args.repeats,
        "rows": ITEMS_ROWS,
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
            "bytes_per_event": times("bytes_per_event"),
            "bytes_per_viewer_per_push": times("bytes_per_viewer_per_push"),
            "pushpin_cpu_per_push": times("pushpin_cpu_ms_per_push"),
            "pushpin_cpu_per_push_net_of_idle": times("pushpin_cpu_ms_per_push_net_of_idle"),
            "deliveries_per_viewer_per_push": times("deliveries_per_viewer_per_push"),
            "all_viewers_p50": times("all_viewers_ms_p50"),
            "all_viewers_p99": times("all_viewers_ms_p99"),
            "push_call_p50": times("push_call_ms_p50"),
        },
        "runs": {v: bench.runs[v] for v in VARIANTS},
        "logs": logs,  # the servers' last lines when a viewer could not connect
    }
    bench_run.write(args.out, result, report(result))


# -- the report ---------------------------------------------------------------------------------
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
        return ", ".join(f"{p} {ms:.1f}" for p, ms in found if ms >= 0.05)

    lines: list[tuple[str, Any, Any, Any]] = [
        ("**bytes per event** (measured at the viewers)", b["bytes_per_event"],
         a["bytes_per_event"], r["bytes_per_event"]),
        ("bytes per viewer per push", b["bytes_per_viewer_per_push"],
         a["bytes_per_viewer_per_push"], r["bytes_per_viewer_per_push"]),
        ("**Pushpin CPU ms per push** (median of runs)", b["pushpin_cpu_ms_per_push"],
         a["pushpin_cpu_ms_per_push"], r["pushpin_cpu_per_push"]),
        ("Pushpin CPU ms per push, idle background subtracted",
         b["pushpin_cpu_ms_per_push_net_of_idle"], a["pushpin_cpu_ms_per_push_net_of_idle"],
         r["pushpin_cpu_per_push_net_of_idle"]),
        ("Pushpin CPU ms per push, by process", by_process(b), by_process(a), None),
        ("Pushpin CPU µs per delivery", b["pushpin_cpu_us_per_delivery"],
         a["pushpin_cpu_us_per_delivery"], None),
        ("deliveries (events with an id) per viewer per push",
         _n(b["deliveries_per_viewer_per_push"], 2), _n(a["deliveries_per_viewer_per_push"], 2),
         r["deliveries_per_viewer_per_push"]),
        ("the same, per viewer: min / median / max over viewers", spread(b), spread(a), None),
        ("all viewers have the push, p50 ms", b["all_viewers_ms_p50"], a["all_viewers_ms_p50"],
         r["all_viewers_p50"]),
        ("all viewers have the push, p99 ms", b["all_viewers_ms_p99"], a["all_viewers_ms_p99"],
         r["all_viewers_p99"]),
        ("a viewer has the push, p50 ms", b["viewer_has_push_ms_p50"],
         a["viewer_has_push_ms_p50"], None),
        ("a viewer has the push, p99 ms", b["viewer_has_push_ms_p99"],
         a["viewer_has_push_ms_p99"], None),
        ("push() call (render, store, publish), p50 ms", b["push_call_ms_p50"],
         a["push_call_ms_p50"], r["push_call_p50"]),
        ("lost viewer-pushes / expected", lost(b), lost(a), None),
        ("refused viewers (never retried)", b["viewers_refused"], a["viewers_refused"], None),
        ("duplicates", b["lost"]["duplicates"], a["lost"]["duplicates"], None),
        ("Django requests during the runs (must be ~0)", b["django_requests"],
         a["django_requests"], None),
        ("viewer connections dropped during the runs", b["dropped"], a["dropped"], None),
        ("pushes measured (failed)", f"{b['pushes']} ({b['push_errors']})",
         f"{a['pushes']} ({a['push_errors']})", None),
        ("viewer process CPU ms per push", b["client_cpu_ms_per_push"],
         a["client_cpu_ms_per_push"], None),
    ]  # fmt: skip
    rows = [
        f"| | {LABELS['before']} | {LABELS['after']} | before / after |",
        "|---|--:|--:|--:|",
    ]
    for label, before, after, ratio_ in lines:
        rows.append(
            f"| {label} | {_n(before)} | {_n(after)} | {_n(ratio_, 2) + 'x' if ratio_ else ''} |"
        )
    return rows


def origin_sentence(origin: dict[str, Any], connect: dict[str, Any]) -> str:
    if not origin["count"]:
        return "Pushpin's log shows no request of its handler to Django from the first run on."
    paths = ", ".join(f"`{path}` {n:,}" for path, n in sorted(origin["by_path"].items()))
    example = " ".join(origin["example"].split()[3:])  # without level, date, time
    return (
        f"Pushpin's log shows {origin['count']:,} stream sessions asking Django from the first "
        f"run on ({paths}; {origin['first_at']} to {origin['last_at']}; the viewer sets had "
        f"opened at {connect['before']['opened_at']} and {connect['after']['opened_at']}), "
        f"e.g. `{example}`."
    )


def wire_line(name: str, event: dict[str, Any]) -> str:
    updates = "; ".join(
        f"`{u['action']}`"
        + (f" key {u['key']}" if "key" in u else "")
        + (f" before {u['before']}" if "before" in u else "")
        + f", {u['html_bytes']:,} bytes of HTML"
        for u in event["updates"]
    )
    return f"- {name}: one `{event['event']}` event of {event['event_bytes']:,} bytes: {updates}."


def verdict(result: dict[str, Any]) -> list[str]:
    """What the measurement says, and anything that makes it doubtful."""
    v, r, wire = result["variants"], result["ratios"], result["facts"]["wire"]
    b, a = v["before"], v["after"]
    rows = result["options"]["rows"]
    lines = [
        f"One changed row of a {rows}-row table: **{_n(a['bytes_per_event'], 0)} bytes** per "
        f"event as a row action (ours) vs **{_n(b['bytes_per_event'], 0)} bytes** as the "
        f"whole table (**{_n(r['bytes_per_event'], 0)}x**); Pushpin CPU per push "
        f"{_n(a['pushpin_cpu_ms_per_push'])} vs {_n(b['pushpin_cpu_ms_per_push'])} ms "
        f"(**{_n(r['pushpin_cpu_per_push'], 1)}x**) at {result['options']['viewers']:,} viewers "
        "per variant."
    ]
    warnings = []
    actions = {name: [u["action"] for u in wire[name]["updates"]] for name in VARIANTS}
    if actions["after"] != ["insert"]:
        warnings.append(f"the row-action variant sent {actions['after']}, not one insert")
    if actions["before"] != ["replace"]:
        warnings.append(f"the whole-table variant sent {actions['before']}, not one replace")
    for name in VARIANTS:
        x = v[name]
        if abs((x["deliveries_per_viewer_per_push"] or 0) - 1) >= 0.05:
            warnings.append(f"{name}: {x['deliveries_per_viewer_per_push']} deliveries per push")
        if x["django_requests"] > max(2, 0.01 * x["pushes"] * (x["viewers_open"] or 1)):
            warnings.append(f"{name}: Django served {x['django_requests']} requests in the runs")
        if x["lost"]["viewer_pushes_lost"]:
            warnings.append(f"{name}: {x['lost']['viewer_pushes_lost']} viewer-pushes lost")
        if x["push_errors"]:
            warnings.append(f"{name}: {x['push_errors']} pushes failed")
    if warnings:
        lines += ["", "**Check:** " + "; ".join(warnings) + "."]
    return lines


def report(result: dict[str, Any]) -> str:
    o, v, facts = result["options"], result["variants"], result["facts"]
    c, code, machine_info = result["connect"], result["code"], result["machine"]
    wire = facts["wire"]
    runs = [
        f"- {LABELS[name]}: "
        + ", ".join(f"{x:.1f}" for x in v[name]["pushpin_cpu_ms_per_push_runs"])
        for name in VARIANTS
    ]
    initial, origin = facts["initial_set"], facts["pushpin_origin_requests_in_runs"]
    return "\n".join(
        [
            f"# One changed row of a {o['rows']}-row table: row action vs whole table, "
            f"{o['viewers']:,} viewers ({result['date']}, {result['profile']})",
            "",
            *verdict(result),
            "",
            *table(result),
            *(
                [
                    "",
                    "Quick profile: few pushes and viewers; the byte figures are exact, the CPU "
                    "and latency ones noisy.",
                ]
                if result["profile"] == "quick"
                else []
            ),
            "",
            "What each variant sent, read on the wire through Pushpin (the warm-up push):",
            "",
            wire_line(LABELS["after"], wire["after"]),
            wire_line(LABELS["before"], wire["before"]),
            wire_line(
                "the whole set pushed again as a list (one row changed) to the row-action table",
                wire["after_whole_list_pushed"],
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
            f"- Two dashboards with the same `Table` of {o['rows']} hosts (bench/project/"
            "dashboards.py: columns name, cpu, memory, rev; key `id`; no `order_by`, so a "
            f"changed row keeps its place; limit {o['rows']}), each given its {o['rows']} rows "
            "as one whole set before anyone connected (stored events: row-action table "
            f"{initial['after']['actions']}, {initial['after']['data_bytes']:,} bytes; "
            f"whole table {initial['before']['actions']}, "
            f"{initial['before']['data_bytes']:,} bytes). Then every push is ONE changed row "
            "(cpu, memory and rev of host `(push * 37) % rows`), through dashboards_sse's "
            "`push()` on both:",
            "  - row action (ours): `ItemsAfter.hosts.push(row)` on a plain `Table`; "
            "dashboards_sse sends one `insert` item action.",
            "  - whole table (before): the same call on `WholeTable`, the same Table with "
            "`actions()` returning None (what any component without item actions does): "
            "dashboards_sse renders the whole table and sends one `replace`. The whole table's "
            f"HTML is {facts['table_html_bytes']:,} bytes, over the default `MAX_HTML_BYTES` "
            f"({facts['max_html_bytes_default']:,}): the bench process raised it to "
            f"{facts['max_html_bytes_in_run']:,} for the run (a row: "
            f"{facts['row_html_bytes']:,} bytes).",
            f"- {o['viewers']:,} SSE viewers per dashboard through Pushpin, held for the whole "
            "run: `python -m bench.viewers --events` (raw HTTP/1.1 asyncio client, uvloop; "
            "every SSE event parsed, events with an `id:` line counted per viewer with their "
            "bytes — event text plus its blank line, as received after Pushpin's `build-id` "
            "filter; the push's number read back from the newest `rev` cell of the event). "
            f"Ramp: each set opened at {o['connect_rate']:g} new connections/s (at most "
            f"{o['inflight']} pending), one set after the other (took "
            f"{c['before']['seconds']:g} s and {c['after']['seconds']:g} s). Refused or failed "
            "connections are **not retried**: such a viewer counts as lost for every push "
            f"(refused: before {refused(c['before'])}, after {refused(c['after'])}). Django "
            f"served {facts['django_requests_connecting']:,} requests while viewers connected "
            "(a hold and a recover per stream); the runs start once it has been quiet for 1.5 s.",
            f"- {o['pushes']} pushes per run, {o['repeats']} runs per variant, variants "
            "alternating (order flipped every repeat), after one warm-up push per variant (not "
            "kept) that a probe connection per dashboard read on the wire (above); medians over "
            f"runs. Each push waits until every open viewer has it (or {o['timeout_s']:g} s), "
            f"then {o['gap_s']:g} s.",
            "- Pushpin CPU: utime+stime from /proc/<pid>/stat (10 ms ticks) of the runner and "
            "its condure, zurl, pushpin-proxy and pushpin-handler, read before and after each "
            "run, divided by its pushes. It includes Pushpin's idle background over the run "
            f"({facts['pushpin_idle_cpu_ms_per_s']:g} ms/s, measured for {o['idle_s']:g} s "
            "with every viewer held and nothing published); the 'idle background subtracted' "
            "row takes that rate times the run's duration off.",
            "- Bytes per event: bytes of events with an id the viewer set received during the "
            "run / those events. Deliveries per viewer per push: those events / viewers open / "
            "pushes; per viewer: each viewer's own count over the session (warm-up pushes "
            "included) / the pushes it was sent.",
            "- 'A viewer has the push': time.monotonic() right before `push()` (render, store "
            "and publish included) to its receipt at that viewer (CLOCK_MONOTONIC is "
            "system-wide; the viewer process parses every event on the same 2 cores, so its "
            "own CPU per push is shown); 'all viewers': the same for the last viewer, per push "
            f"(pushes that did not reach every open viewer: before "
            f"{v['before']['pushes_not_reaching_all']}, after "
            f"{v['after']['pushes_not_reaching_all']}). Lost: viewer-pushes never received, "
            "refused viewers included.",
            "- Django requests during the runs (bench.project.middleware's counter) must be ~0: "
            "more would mean Pushpin asked Django to recover a gap. " + origin_sentence(origin, c),
            "",
        ]
    )


if __name__ == "__main__":
    main()
