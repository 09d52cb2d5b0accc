"""``python -m bench.scoped [--quick]``: scoped dashboards (a stream per object) at scale, two
measurements on one stack (Pushpin from our ``pushpin/`` config in front of Django under
uvicorn, bench.stack; this process publishes and seeds the database with the stack's settings):

1. **Fan-out per scope.** ``--scopes`` shops (bench.project's ``Shop``, dashboard
   ``scoped.shop``: ``scope = Shop``, public) with ``--per-scope`` viewers each, all in one
   bench.viewers process (``--events``, ``--paths-file``: viewer ``i`` opens the stream of shop
   ``i % scopes``, so the ramp interleaves the shops; ``--retries 0``: a refused viewer stays out
   and counts as lost for every round). Every ``--interval`` seconds one ``batch()`` pushes every
   shop (``ShopSales.for_(key).push(orders=...)``, one message per shop), ``--rounds`` rounds per
   repeat, ``--repeats`` repeats after one warm-up round (not kept). The figure pushed encodes
   the round and the shop (``round * base + shop index``), so the client's records tell, per
   viewer, which rounds of its own shop arrived (lost: a (viewer, round) never received),
   duplicates, and any figure of another shop (misdelivered). Latency: ``time.monotonic()``
   before the batch opens (store and POST included) to the viewer's receipt. Per repeat:
   Pushpin CPU (/proc, runner + condure, zurl, pushpin-proxy, pushpin-handler), Django's
   requests and CPU, the batch's own duration.
2. **Connect cost with many stored scopes.** The database is brought to ``--stored`` shops, each
   with stored component states, an event counter and an event (bulk-inserted copies of what a
   real push to one shop wrote). Then ``--connects`` stream connects through Pushpin to random
   shops of ``scoped.shop`` and as many to its unscoped twin ``scoped.all`` (same components,
   public, pushed once), in blocks of ``--block`` alternating ABBA: a connect is one TCP
   connection, the GET, the stream read up to ``stream-open`` (Django has answered the hold),
   then closed (``--concurrency`` at a time, closed loop, never retried). Per block: CPU seconds
   (utime+stime from /proc) of the uvicorn Django process, its requests, Pushpin's CPU; per
   variant: total CPU / connects, and the ratio scoped / unscoped. Also, with Django's test client
   in this process: the SQL queries one hold answer runs for each.

Medians over repeats (blocks) are reported. Writes ``<out>/<date>-scoped[-quick].json`` and
``.md``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from . import analysis, lifecycle, procs
from .handles import Viewers
from .multipush import pushpin_cpu, wait_quiet
from .output import number as _n
from .output import sayer
from .stack import Stack, make_template_db

SCOPED, FLAT = "scoped.shop", "scoped.all"
PROFILES: dict[str, dict[str, Any]] = {
    "full": {
        "scopes": 1000, "per_scope": 5, "rounds": 6, "repeats": 3, "interval": 5.0,
        "connect_rate": 200.0, "stored": 100_000, "connects": 2000, "block": 200,
        "idle_s": 3.0, "quiet_timeout": 240.0,
    },
    "quick": {
        "scopes": 50, "per_scope": 5, "rounds": 1, "repeats": 3, "interval": 5.0,
        "connect_rate": 400.0, "stored": 10_000, "connects": 200, "block": 50,
        "idle_s": 1.0, "quiet_timeout": 30.0,
    },
}  # fmt: skip
TARGET_P99_MS = 250.0
TARGET_CONNECT_RATIO = 1.20
STATUS_S = 0.1  # viewer status lines
SEED_CHUNK = 5000  # rows per bulk insert
WARMUP_CONNECTS = 20  # per variant, not kept
SETTLE_S = 0.3  # after a block of connects, before its counters are read
QUIET_S = 2.0  # Django is quiet after the ramp when it served nothing for this long


say = sayer("scoped")


def stream_path(key: int | None = None) -> str:
    return (
        f"/dashboards/{SCOPED}/{key}/stream/" if key is not None else f"/dashboards/{FLAT}/stream/"
    )


class Encoding:
    """The figure of shop ``index`` in round ``seq``: ``seq * base + index`` (int32 in the
    client's records)."""

    def __init__(self, scopes: int) -> None:
        self.base = 10 ** len(str(scopes))

    def figure(self, seq: int, index: int) -> int:
        return seq * self.base + index


# -- seeding -------------------------------------------------------------------------------------
def create_shops(first: int, last: int) -> None:
    """Shops with pks ``first..last`` (bulk inserts)."""
    from .project.models import Shop

    for start in range(first, last + 1, SEED_CHUNK):
        stop = min(last, start + SEED_CHUNK - 1)
        Shop.objects.bulk_create(
            [Shop(id=k, name=f"Shop {k}") for k in range(start, stop + 1)], batch_size=SEED_CHUNK
        )


def copy_scope(template_key: int, first: int, last: int) -> dict[str, int]:
    """Give shops ``first..last`` what a push of every component to ``template_key`` stored:
    its component states, its channel's event counter and its last event (with the ``eid=0``
    placeholder of a new channel), bulk-inserted. Returns the rows written per table."""
    from django.db import transaction
    from django_eventstream.models import Event, EventCounter

    from dashboards_sse.models import ComponentState

    from .project.dashboards import ShopSales

    board = ShopSales.for_(template_key)
    states = list(ComponentState.objects.filter(dashboard=SCOPED, scope=str(template_key)))
    last_event = Event.objects.filter(channel=board.channel).order_by("-eid").first()
    if not states or last_event is None:
        raise RuntimeError(f"shop {template_key} has no stored push to copy")
    written = {"shops": 0, "component_states": 0, "event_counters": 0, "events": 0}
    for start in range(first, last + 1, SEED_CHUNK):
        keys = range(start, min(last, start + SEED_CHUNK - 1) + 1)
        with transaction.atomic():
            create_shops(keys[0], keys[-1])
            rows = [
                ComponentState(
                    dashboard=SCOPED,
                    scope=str(k),
                    component=s.component,
                    state=s.state,
                    event_id=1,
                    published_at=s.published_at,
                    pending=False,
                )
                for k in keys
                for s in states
            ]
            ComponentState.objects.bulk_create(rows, batch_size=SEED_CHUNK)
            channels = [ShopSales.for_(k).channel for k in keys]
            EventCounter.objects.bulk_create(
                [EventCounter(name=c, value=1) for c in channels], batch_size=SEED_CHUNK
            )
            events = [Event(channel=c, type="", data="", eid=0) for c in channels]
            events += [
                Event(channel=c, type=last_event.type, data=last_event.data, eid=1)
                for c in channels
            ]
            Event.objects.bulk_create(events, batch_size=SEED_CHUNK)
        written["shops"] += len(keys)
        written["component_states"] += len(rows)
        written["event_counters"] += len(channels)
        written["events"] += len(events)
    return written


def table_counts() -> dict[str, int]:
    from django_eventstream.models import Event, EventCounter

    from dashboards_sse.models import ComponentState

    from .project.models import Shop

    return {
        "shops": Shop.objects.count(),
        "component_states": ComponentState.objects.count(),
        "scoped_component_states": ComponentState.objects.filter(dashboard=SCOPED).count(),
        "event_counters": EventCounter.objects.count(),
        "events": Event.objects.count(),
    }


# -- one stream connect --------------------------------------------------------------------------
def connect_once(port: int, path: str, timeout: float = 10.0) -> tuple[bool, str, float]:
    """Open a stream through Pushpin, read it up to ``stream-open``, close: (ok, why, seconds).
    Never retried."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n\r\n"
    ).encode()
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout) as sock:
            sock.sendall(request)
            data = b""
            while b"stream-open" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return False, "closed before stream-open", time.monotonic() - started
                data += chunk
                if b"\r\n" in data and not data.startswith(b"HTTP/1.1 200"):
                    status = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
                    return False, status.removeprefix("HTTP/1.1 "), time.monotonic() - started
    except Exception as exc:  # a failed connect is a measured result, never retried
        return False, type(exc).__name__, time.monotonic() - started
    return True, "", time.monotonic() - started


def grip_token(key: str) -> str:
    import jwt

    return jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 300}, key, "HS256")


def hold_queries(stack: Stack, path: str) -> dict[str, Any]:
    """The SQL one hold answer runs: the stream view called in this process with Django's test
    client and a Grip-Sig signed like Pushpin's (the view's sync parts run in this thread)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"host": "127.0.0.1"})
    headers = {"grip-sig": grip_token(stack.key), "accept": "text/event-stream"}
    try:
        client.get(path, headers=headers)  # warm: imports, first-query costs
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
    except Exception as exc:  # reported, not fatal: the connects are the measurement
        return {"path": path, "status": None, "grip_hold": None, "queries": None, "sql": [],
                "error": f"{type(exc).__name__}: {exc}"}  # fmt: skip
    return {
        "path": path,
        "status": response.status_code,
        "grip_hold": response.headers.get("Grip-Hold"),
        # the next link's parameters (its URI aside): rel=next, and a timeout if any
        "grip_link_params": (response.headers.get("Grip-Link") or "")
        .rpartition(">")[2]
        .strip("; "),
        "queries": len(captured.captured_queries),
        "sql": [q["sql"][:300] for q in captured.captured_queries],
    }


# -- the bench -----------------------------------------------------------------------------------
class ScopedStack(Stack):
    """bench.stack's stack; with ``grip_link_timeout`` Django adds ``timeout=N`` to every
    hold's next link (bench.project.middleware.GripLinkTimeout, a what-if)."""

    grip_link_timeout: int | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.grip_link_timeout:
            env["BENCH_GRIP_LINK_TIMEOUT"] = str(self.grip_link_timeout)
        return env


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = ScopedStack("pushpin", template, rundir / "sc")
        self.stack.grip_link_timeout = args.grip_link_timeout
        self.encoding = Encoding(args.scopes)
        self.viewers: Viewers | None = None
        self.final_status: dict[str, Any] = {}
        self.connect: dict[str, Any] = {}
        self.facts: dict[str, Any] = {}
        self.rounds: list[dict[str, Any]] = []  # every round, warm-up included
        self.repeats: list[dict[str, Any]] = []
        self.blocks: list[dict[str, Any]] = []
        self.cost_facts: dict[str, Any] = {}

    def start(self) -> None:
        lifecycle.start_publishing(self.stack)

    # -- 1. fan-out ----------------------------------------------------------------------
    def push_round(self, seq: int) -> dict[str, Any]:
        """One batch: every shop pushed once (one message per shop)."""
        from dashboards_sse import batch

        from .project.dashboards import ShopSales

        figure = self.encoding.figure
        requests = self.stack.django_requests()
        t, cpu = time.monotonic(), time.process_time()
        error = None
        try:
            with batch():
                for index in range(self.args.scopes):
                    ShopSales.for_(index + 1).push(orders=figure(seq, index))
        except Exception as exc:  # a failed batch is a measured result
            error = f"{type(exc).__name__}: {exc}"
        return {
            "seq": seq,
            "t": t,
            "batch_s": round(time.monotonic() - t, 4),
            "batch_cpu_s": round(time.process_time() - cpu, 4),
            "django_requests_at_start": requests,
            "error": error,
        }

    def open_viewers(self) -> None:
        a, stack = self.args, self.stack
        n = a.scopes * a.per_scope
        requests0 = stack.django_requests()
        started = time.monotonic()
        extra = ("--events", "--retries", "0", "--status-interval", str(STATUS_S))
        self.viewers = Viewers(
            stack.env(),
            stack.workdir,
            stack.proxy_port,
            "",
            n,
            False,
            a.connect_rate,
            a.inflight,
            "scoped",
            extra,
            paths=[stream_path(index + 1) for index in range(a.scopes)],
        )
        settled = self.viewers.wait_settled(n, n / a.connect_rate * 2 + 30)
        status = dict(self.viewers.status)
        self.connect = {
            "requested": n,
            "seconds": round(time.monotonic() - started, 2),
            "settled": settled,
            **{k: status[k] for k in ("attempted", "ok", "failed", "pending", "errors")},
        }
        say(f"{status['ok']:,} of {n:,} viewers open, {status['failed']} refused")
        # Pushpin (1.36) then asks Django to update each session ("link=next&recover=true"):
        # 1 s after the first subscription to each channel, and every 120 s per next link;
        # its handler sends at most 10 such requests a second (one per distinct next link).
        # The rounds start when Django has been quiet for QUIET_S, or after --quiet-timeout.
        t, settled_at = time.monotonic(), stack.django_requests()
        quiet = wait_quiet(stack, QUIET_S, a.quiet_timeout)
        waited = time.monotonic() - t
        self.facts["django_requests_connecting"] = quiet - requests0
        self.facts["django_requests_after_ramp"] = quiet - settled_at
        self.facts["quiet_after_ramp_s"] = round(waited, 2)
        self.facts["quiet_before_rounds"] = waited < a.quiet_timeout
        last = stack.django_requests()
        time.sleep(2.0)
        self.facts["django_requests_per_s_before_rounds"] = round(
            (stack.django_requests() - last) / 2.0, 1
        )

    def idle(self) -> None:
        """Pushpin's background CPU with every viewer held and nothing published."""
        pids = self.stack.pids("pushpin")
        cpu0, t0 = sum(pushpin_cpu(pids).values()), time.monotonic()
        time.sleep(self.args.idle_s)
        rate = (sum(pushpin_cpu(pids).values()) - cpu0) / (time.monotonic() - t0)
        self.facts["pushpin_idle_cpu_ms_per_s"] = round(1000 * rate, 2)

    def fanout(self) -> None:
        a, stack = self.args, self.stack
        assert self.viewers is not None
        viewers = self.viewers
        pids = stack.pids("pushpin")
        next_at = time.monotonic()
        seq = 1

        def wait_tick() -> bool:
            """Sleep until the round is due; False if it is already late."""
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            return delay > -0.05

        wait_tick()
        self.rounds.append({**self.push_round(seq), "warmup": True, "on_time": True})
        say(f"warm-up round: batch of {a.scopes:,} pushes took {self.rounds[-1]['batch_s']} s")
        for repeat in range(a.repeats):
            next_at += a.interval
            seq += 1
            wait_tick()  # the counters right before the repeat's first batch
            status0 = dict(viewers.status)
            cpu0, requests0 = pushpin_cpu(pids), stack.django_requests()
            django0, client0 = stack.cpu("django"), procs.cpu_seconds(viewers.pid)
            t0 = time.monotonic()
            rounds = []
            for i in range(a.rounds):
                if i:
                    next_at += a.interval
                    seq += 1
                on_time = wait_tick()
                rounds.append({**self.push_round(seq), "warmup": False, "on_time": on_time})
            # Every open viewer's figure of every round, or until the next round is due.
            target = status0["records"] + status0["open"] * a.rounds
            viewers.wait_records(target, max(0.5, next_at + a.interval - time.monotonic() - 0.3))
            time.sleep(2 * STATUS_S)
            status1 = dict(viewers.status)
            cpu1, requests1 = pushpin_cpu(pids), stack.django_requests()
            elapsed = time.monotonic() - t0
            cpu = {name: cpu1.get(name, 0.0) - cpu0.get(name, 0.0) for name in cpu1}
            total = sum(cpu.values())
            events = status1["events"] - status0["events"]
            run = {
                "rounds": rounds,
                "open": status0["open"],
                "seconds": round(elapsed, 2),
                "pushpin_cpu_s": round(total, 3),
                "pushpin_cpu_ms_per_round": round(1000 * total / a.rounds, 1),
                "pushpin_cpu_ms_per_round_by_process": {
                    name: round(1000 * v / a.rounds, 1) for name, v in sorted(cpu.items())
                },
                "pushpin_cpu_us_per_delivery": round(1e6 * total / events, 1) if events else None,
                "events": events,
                "deliveries_per_viewer_per_round": round(
                    events / max(1, status0["open"]) / a.rounds, 3
                ),
                "django_requests": requests1 - requests0,
                "django_cpu_s": round(stack.cpu("django") - django0, 3),
                "client_cpu_s": round(procs.cpu_seconds(viewers.pid) - client0, 3),
                "dropped": status1["dropped"] - status0["dropped"],
            }
            self.rounds += rounds
            self.repeats.append(run)
            batches = [r["batch_s"] for r in rounds]
            say(
                f"repeat {repeat + 1}/{a.repeats}: {events:,} deliveries, Pushpin "
                f"{run['pushpin_cpu_ms_per_round']:.0f} ms CPU/round, batch "
                f"{statistics.median(batches):.2f} s, {run['django_requests']} Django requests"
            )

    def close_viewers(self) -> None:
        if self.viewers is not None and not self.final_status:
            self.final_status = self.viewers.finish()

    # -- 2. connect cost -----------------------------------------------------------------
    def seed(self) -> None:
        """Bring the database to ``--stored`` shops, each with what a push stored."""
        from .project.dashboards import AllSales, ShopSales

        a = self.args
        ShopSales.for_(1).push(orders=1, revenue=2)  # every component of the template shop
        AllSales.push(orders=1, revenue=2)  # the unscoped twin's states and counter
        started = time.monotonic()
        written = copy_scope(1, a.scopes + 1, a.stored) if a.stored > a.scopes else {}
        self.cost_facts["seeding_s"] = round(time.monotonic() - started, 2)
        self.cost_facts["rows_inserted"] = written
        self.cost_facts["table_rows"] = table_counts()
        say(f"database: {self.cost_facts['table_rows']} ({self.cost_facts['seeding_s']} s)")

    def connect_block(self, paths: list[str]) -> dict[str, Any]:
        stack, port = self.stack, self.stack.proxy_port
        pids = stack.pids("pushpin")
        cpu0, pp0, requests0 = stack.cpu("django"), pushpin_cpu(pids), stack.django_requests()
        t0 = time.monotonic()
        with ThreadPoolExecutor(self.args.concurrency) as pool:
            done = list(pool.map(lambda p: connect_once(port, p), paths))
        wall = time.monotonic() - t0
        time.sleep(SETTLE_S)
        cpu = stack.cpu("django") - cpu0
        pp = sum(pushpin_cpu(pids).values()) - sum(pp0.values())
        failures: dict[str, int] = {}
        for ok, why, _ in done:
            if not ok:
                failures[why] = failures.get(why, 0) + 1
        seconds = [s for ok, _, s in done if ok]
        return {
            "connects": len(paths),
            "ok": len(seconds),
            "failures": failures,
            "seconds": round(wall, 3),
            "connects_per_s": round(len(paths) / wall, 1) if wall else None,
            "django_cpu_s": round(cpu, 3),
            "django_cpu_ms_per_connect": round(1000 * cpu / len(paths), 3),
            "django_requests": stack.django_requests() - requests0,
            "pushpin_cpu_ms_per_connect": round(1000 * pp / len(paths), 3),
            "connect_ms_p50": round(1000 * float(np.median(seconds)), 2) if seconds else None,
        }

    def connect_cost(self) -> None:
        a = self.args
        rng = random.Random(20261201)
        missing = a.stored + 1  # no such shop: a public scoped dashboard answers 404
        self.cost_facts["unknown_key_status"] = connect_once(
            self.stack.proxy_port, stream_path(missing)
        )[1]
        sample = rng.randint(1, a.stored)
        self.cost_facts["hold"] = {
            "scoped": hold_queries(self.stack, stream_path(sample)),
            "unscoped": hold_queries(self.stack, stream_path()),
        }

        def paths(variant: str, n: int) -> list[str]:
            if variant == "unscoped":
                return [stream_path()] * n
            return [stream_path(rng.randint(1, a.stored)) for _ in range(n)]

        for variant in ("unscoped", "scoped"):  # warm-up, not kept
            self.connect_block(paths(variant, WARMUP_CONNECTS))
        wait_quiet(self.stack, 1.5, 30)
        blocks = max(1, round(a.connects / a.block))
        for i in range(blocks):
            order = ("unscoped", "scoped") if i % 2 == 0 else ("scoped", "unscoped")
            for variant in order:
                block = {
                    "variant": variant,
                    "index": i,
                    **self.connect_block(paths(variant, a.block)),
                }
                self.blocks.append(block)
            last = self.blocks[-2:]
            say(
                f"connect block {i + 1}/{blocks}: "
                + ", ".join(
                    f"{b['variant']} {b['django_cpu_ms_per_connect']:.2f} ms Django CPU/connect"
                    for b in sorted(last, key=lambda b: b["variant"])
                )
            )

    def stop(self) -> None:
        self.close_viewers()
        self.stack.stop()


# -- analysis ------------------------------------------------------------------------------------
def fanout_arrival(
    records: analysis.Records,
    run: dict[str, Any],
    encoding: Encoding,
    scopes: int,
    requested: int,
    interval: float,
) -> dict[str, Any]:
    """From one repeat's records: per (viewer, round) of its own shop the first receipt."""
    rounds = [r for r in run["rounds"] if r["error"] is None]
    seqs = np.array([r["seq"] for r in rounds], dtype=np.int64)
    expected = requested * len(run["rounds"])
    if not len(seqs):
        none = analysis.percentiles(np.array([]))
        return {"latency_ms": none, "after_batch_ms": none, "expected": expected,
                "received_within_interval": 0,
                "received": 0, "lost": expected, "duplicates": 0, "misdelivered": 0,
                "misdelivered_viewers": 0, "all_viewers_ms": []}  # fmt: skip
    first, span = int(seqs.min()), int(seqs.max() - seqs.min() + 1)
    pushed_at, returned_at = np.full(span, np.nan), np.full(span, np.nan)
    pushed_at[seqs - first] = [r["t"] for r in rounds]
    returned_at[seqs - first] = [r["t"] + r["batch_s"] for r in rounds]
    seq = records.seq.astype(np.int64) // encoding.base
    index = records.seq.astype(np.int64) % encoding.base
    mask = (
        (seq >= first)
        & (seq < first + span)
        & ~np.isnan(pushed_at[np.clip(seq - first, 0, span - 1)])
    )
    conn, seq, index, t = records.conn[mask], seq[mask] - first, index[mask], records.t[mask]
    own = index == conn % scopes
    wrong = ~own
    conn_ok, seq_ok, t_ok = conn[own], seq[own], t[own]
    key = conn_ok.astype(np.int64) * span + seq_ok
    _, first_at = np.unique(key, return_index=True)
    latency = t_ok[first_at] - pushed_at[seq_ok[first_at]]
    after_batch = t_ok[first_at] - returned_at[seq_ok[first_at]]
    per_round = []
    for r in rounds:
        got = latency[seq_ok[first_at] == int(r["seq"]) - first]
        per_round.append(round(1000 * float(got.max()), 1) if len(got) else None)
    received = len(first_at)
    return {
        # received before the next round was due
        "received_within_interval": int((latency < interval).sum()),
        "latency_ms": analysis.percentiles(latency),
        # from the batch's return (its store and POST done) to receipt: Pushpin's share
        "after_batch_ms": analysis.percentiles(after_batch),
        "all_viewers_ms": per_round,  # per round: its last receipt (viewers that got it)
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "duplicates": int(own.sum() - received),
        "misdelivered": int(wrong.sum()),
        "misdelivered_viewers": len(np.unique(conn[wrong])),
    }


def per_viewer(prefix: Path, rounds: int) -> dict[str, Any]:
    """Each viewer's own count of events with an id over the session, per round pushed."""
    counts = np.fromfile(f"{prefix}.events", dtype=np.int32)
    got = counts[counts > 0] / rounds
    return {
        "rounds": rounds,
        "viewers_with_events": len(got),
        "viewers_without_events": int((counts == 0).sum()),
        "min": round(float(got.min()), 3) if len(got) else None,
        "median": round(float(np.median(got)), 3) if len(got) else None,
        "max": round(float(got.max()), 3) if len(got) else None,
    }


def median(values: list[Any]) -> Any:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 3) if found else None


def summarize_fanout(bench: Bench, records: analysis.Records) -> dict[str, Any]:
    a = bench.args
    requested = a.scopes * a.per_scope
    for run in bench.repeats:
        run["arrival"] = fanout_arrival(
            records, run, bench.encoding, a.scopes, requested, a.interval
        )
    runs = bench.repeats
    arrivals = [run["arrival"] for run in runs]
    by_process: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run["pushpin_cpu_ms_per_round_by_process"].items():
            by_process.setdefault(name, []).append(value)
    kept = [r for run in runs for r in run["rounds"]]
    refused = bench.connect.get("failed", 0) + bench.connect.get("pending", 0)
    expected = sum(x["expected"] for x in arrivals)
    lost = sum(x["lost"] for x in arrivals)
    lost_refused = refused * sum(len(run["rounds"]) for run in runs)
    p99 = median([x["latency_ms"]["p99"] for x in arrivals])
    return {
        "viewers_requested": requested,
        "viewers_open": median([run["open"] for run in runs]),
        "viewers_refused": refused,
        "rounds": len(kept),
        "rounds_failed": sum(r["error"] is not None for r in kept),
        "rounds_late": sum(not r["on_time"] for r in kept),
        "expected": expected,
        "lost": lost,
        "received_late": sum(x["received"] - x["received_within_interval"] for x in arrivals),
        "lost_of_refused_viewers": min(lost, lost_refused),
        "lost_of_open_viewers": lost - min(lost, lost_refused),
        "misdelivered": sum(x["misdelivered"] for x in arrivals),
        "misdelivered_viewers": max([x["misdelivered_viewers"] for x in arrivals] or [0]),
        "duplicates": sum(x["duplicates"] for x in arrivals),
        "latency_ms_p50": median([x["latency_ms"]["p50"] for x in arrivals]),
        "latency_ms_p90": median([x["latency_ms"]["p90"] for x in arrivals]),
        "latency_ms_p99": p99,
        "latency_ms_p99_runs": [x["latency_ms"]["p99"] for x in arrivals],
        "latency_ms_max": max([x["latency_ms"]["max"] or 0 for x in arrivals] or [0]),
        "after_batch_ms_p50": median([x["after_batch_ms"]["p50"] for x in arrivals]),
        "after_batch_ms_p99": median([x["after_batch_ms"]["p99"] for x in arrivals]),
        "all_viewers_ms_p50": median([v for x in arrivals for v in x["all_viewers_ms"]]),
        "batch_s_p50": median([r["batch_s"] for r in kept]),
        "batch_s_max": max([r["batch_s"] for r in kept] or [0]),
        "batch_cpu_s_p50": median([r["batch_cpu_s"] for r in kept]),
        "pushpin_cpu_ms_per_round": median([run["pushpin_cpu_ms_per_round"] for run in runs]),
        "pushpin_cpu_ms_per_round_net_of_idle": median(
            [
                max(
                    0.0,
                    run["pushpin_cpu_ms_per_round"]
                    - bench.facts["pushpin_idle_cpu_ms_per_s"]
                    * run["seconds"]
                    / len(run["rounds"]),
                )
                for run in runs
            ]
        ),
        "pushpin_cpu_ms_per_round_by_process": {k: median(v) for k, v in by_process.items()},
        "pushpin_cpu_us_per_delivery": median(
            [run["pushpin_cpu_us_per_delivery"] for run in runs]
        ),
        "deliveries_per_viewer_per_round": median(
            [run["deliveries_per_viewer_per_round"] for run in runs]
        ),
        "django_requests": sum(run["django_requests"] for run in runs),
        "django_requests_runs": [run["django_requests"] for run in runs],
        "django_requests_per_s": round(
            sum(run["django_requests"] for run in runs)
            / max(0.1, sum(run["seconds"] for run in runs)),
            2,
        ),
        "django_requests_per_round": [
            later["django_requests_at_start"] - earlier["django_requests_at_start"]
            for earlier, later in itertools.pairwise(kept)
        ],
        "django_cpu_s": round(sum(run["django_cpu_s"] for run in runs), 3),
        "client_cpu_ms_per_round": median(
            [1000 * run["client_cpu_s"] / len(run["rounds"]) for run in runs]
        ),
        "dropped": sum(run["dropped"] for run in runs),
        "target": {
            "lost": 0,
            "p99_ms": TARGET_P99_MS,
            "met": lost == 0 and p99 is not None and p99 <= TARGET_P99_MS,
        },
    }


def summarize_cost(bench: Bench) -> dict[str, Any]:
    variants = {}
    for variant in ("unscoped", "scoped"):
        blocks = [b for b in bench.blocks if b["variant"] == variant]
        connects = sum(b["connects"] for b in blocks)
        cpu = sum(b["django_cpu_s"] for b in blocks)
        failures: dict[str, int] = {}
        for b in blocks:
            for why, n in b["failures"].items():
                failures[why] = failures.get(why, 0) + n
        variants[variant] = {
            "blocks": len(blocks),
            "connects": connects,
            "ok": sum(b["ok"] for b in blocks),
            "failures": failures,
            "django_cpu_ms_per_connect": round(1000 * cpu / connects, 3) if connects else None,
            "django_cpu_ms_per_connect_block_median": median(
                [b["django_cpu_ms_per_connect"] for b in blocks]
            ),
            "django_cpu_ms_per_connect_blocks": [b["django_cpu_ms_per_connect"] for b in blocks],
            "django_requests_per_connect": round(
                sum(b["django_requests"] for b in blocks) / connects, 3
            )
            if connects
            else None,
            "pushpin_cpu_ms_per_connect": median(
                [b["pushpin_cpu_ms_per_connect"] for b in blocks]
            ),
            "connects_per_s": median([b["connects_per_s"] for b in blocks]),
            "connect_ms_p50": median([b["connect_ms_p50"] for b in blocks]),
        }
    u, s = variants["unscoped"], variants["scoped"]
    total_ratio = ratio(s["django_cpu_ms_per_connect"], u["django_cpu_ms_per_connect"])
    pairs = {}
    for b in bench.blocks:
        pairs.setdefault(b["index"], {})[b["variant"]] = b["django_cpu_ms_per_connect"]
    pair_ratios = [
        p["scoped"] / p["unscoped"] for p in pairs.values() if p.get("unscoped") and "scoped" in p
    ]
    return {
        "variants": variants,
        "ratio_scoped_to_unscoped": total_ratio,
        "ratio_block_pairs_median": median(pair_ratios),
        "target": {
            "ratio_max": TARGET_CONNECT_RATIO,
            "met": total_ratio is not None and total_ratio <= TARGET_CONNECT_RATIO,
        },
    }


def ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def log_tails(workdir: Path, lines: int = 30) -> dict[str, list[str]]:
    """The servers' last warnings and errors (Pushpin logs every request at INFO)."""
    out = {}
    for name in ("django", "pushpin", "viewers-scoped"):
        path = workdir / f"{name}.log"
        if path.exists():
            found = path.read_text(errors="replace").splitlines()
            if name == "pushpin":
                found = [x for x in found if not x.startswith("[INFO]") or " 50" in x]
            out[name] = found[-lines:]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = lifecycle.parser(
        "python -m bench.scoped", __doc__, "50 scopes, 10,000 stored, < 1 min"
    )
    parser.add_argument("--scopes", type=int, help="shops with viewers (full: 1000)")
    parser.add_argument("--per-scope", type=int, help="viewers per shop (5)")
    parser.add_argument("--rounds", type=int, help="rounds per repeat (full: 6)")
    parser.add_argument("--repeats", type=int, help="repeats of the rounds (full: 3)")
    parser.add_argument("--interval", type=float, help="seconds between rounds (5)")
    parser.add_argument(
        "--quiet-timeout", type=float, help="longest wait for Django to be quiet after the ramp"
    )
    parser.add_argument("--connect-rate", type=float, help="new viewers per second")
    parser.add_argument("--inflight", type=int, default=100, help="max viewer connects pending")
    parser.add_argument("--stored", type=int, help="shops stored for the connect cost (100000)")
    parser.add_argument("--connects", type=int, help="stream connects per variant (2000)")
    parser.add_argument("--block", type=int, help="connects per block (200)")
    parser.add_argument("--concurrency", type=int, default=4, help="connects at a time")
    parser.add_argument(
        "--grip-link-timeout",
        type=int,
        help="what-if: Django adds timeout=N to each hold's next link (Pushpin's default: 120 s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (servers' logs)")
    args, name = lifecycle.parse(parser, argv, PROFILES)
    args.stored = max(args.stored, args.scopes)
    bench_run = lifecycle.begin("scoped", name)
    say(
        f"{name}: {args.scopes:,} scopes x {args.per_scope} viewers, {args.rounds} rounds x "
        f"{args.repeats} repeats every {args.interval:g} s; {args.stored:,} stored scopes, "
        f"{args.connects:,} connects per variant; RLIMIT_NOFILE {bench_run.nofile}, "
        f"work dir {bench_run.dir}"
    )
    with bench_run.work_dir(keep=args.keep) as rundir:
        bench = Bench(args, make_template_db(rundir), rundir)
        try:
            bench.start()
            from .project.dashboards import AllSales

            create_shops(1, args.scopes)
            # Every shop pushed once before anyone connects: a stream's hold then carries a
            # prev-id, as on any dashboard that was ever pushed.
            first = bench.push_round(0)
            if first["error"]:
                raise RuntimeError(f"the first batch failed: {first['error']}")
            AllSales.push(orders=0, revenue=0)
            bench.facts["first_batch_s"] = first["batch_s"]
            bench.open_viewers()
            bench.idle()
            bench.fanout()
            bench.close_viewers()
            wait_quiet(bench.stack, 1.5, 30)
            bench.seed()
            bench.connect_cost()
        finally:
            bench.stop()
        assert bench.viewers is not None
        records = analysis.Records(bench.viewers.prefix)
        fanout = summarize_fanout(bench, records)
        fanout["per_viewer"] = per_viewer(bench.viewers.prefix, 1 + fanout["rounds"])
        cost = summarize_cost(bench)
        troubled = (
            bench.connect["failed"]
            or bench.connect["errors"]
            or fanout["lost"]
            or fanout["misdelivered"]
            or any(v["failures"] for v in cost["variants"].values())
        )
        logs = log_tails(bench.stack.workdir) if troubled else {}
    options = {
        "scopes": args.scopes,
        "viewers_per_scope": args.per_scope,
        "viewers": args.scopes * args.per_scope,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "interval_s": args.interval,
        "connect_rate": args.connect_rate,
        "inflight": args.inflight,
        "retries": 0,
        "idle_s": args.idle_s,
        "quiet_timeout_s": args.quiet_timeout,
        "stored_scopes": args.stored,
        "connects_per_variant": args.connects,
        "block": args.block,
        "concurrency": args.concurrency,
        "warmup_connects": WARMUP_CONNECTS,
        "grip_link_timeout": args.grip_link_timeout,
    }
    result = {
        **bench_run.header(options),
        "fanout": {
            "connect": bench.connect,
            "facts": bench.facts,
            "summary": fanout,
            "final_status": bench.final_status,
            "repeats": bench.repeats,
            "warmup": [r for r in bench.rounds if r["warmup"]],
        },
        "connect_cost": {**cost, "facts": bench.cost_facts, "blocks": bench.blocks},
        "logs": logs,
    }
    suffix = f"-link-timeout-{args.grip_link_timeout}" if args.grip_link_timeout else ""
    bench_run.write(args.out, result, report(result), suffix)


# -- the report ----------------------------------------------------------------------------------
def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def checks(result: dict[str, Any]) -> list[str]:
    """What the figures say about why a target was missed (measured values only)."""
    o, f, c = result["options"], result["fanout"]["summary"], result["connect_cost"]
    facts = result["fanout"]["facts"]
    found = []
    if f["batch_s_p50"] is not None and 1000 * f["batch_s_p50"] > TARGET_P99_MS:
        found.append(
            f"the `batch()` of {o['scopes']:,} pushes itself took {f['batch_s_p50']:.2f} s "
            f"(p50; {f['batch_cpu_s_p50']:.2f} s of publisher CPU) before its POST: every "
            f"receipt is later than that ({1000 * f['batch_s_p50'] / o['scopes']:.2f} ms per "
            "scope)"
        )
    if f["django_requests"] > max(2, 0.01 * f["rounds"] * o["viewers"]):
        found.append(
            f"Pushpin asked Django {f['django_requests']:,} times during the rounds "
            f"({f['django_requests_per_s']:.1f}/s; no viewer connected then): next-link / "
            "recover requests of held streams; a stream waiting for its turn holds its "
            f"pushes back ({f['received_late']:,} deliveries arrived after the next round was "
            f"due, {f['lost']:,} never)"
        )
    if not facts["quiet_before_rounds"]:
        found.append(
            f"Django was not quiet {o['quiet_timeout_s']:g} s after the ramp "
            f"({facts['django_requests_after_ramp']:,} requests since it ended, "
            f"{facts['django_requests_per_s_before_rounds']:g}/s just before the rounds)"
        )
    hold = c["facts"]["hold"]
    extra = (hold["scoped"]["queries"] or 0) - (hold["unscoped"]["queries"] or 0)
    if extra > 1:
        found.append(
            f"a scoped hold answer runs {hold['scoped']['queries']} SQL queries, the unscoped "
            f"one {hold['unscoped']['queries']} ({extra} more; see below)"
        )
    return ["", "**Check:** " + "; ".join(found) + "."] if found else []


def report(result: dict[str, Any]) -> str:
    o, f, c = result["options"], result["fanout"]["summary"], result["connect_cost"]
    connect, facts = result["fanout"]["connect"], result["fanout"]["facts"]
    u, s = c["variants"]["unscoped"], c["variants"]["scoped"]
    cf, code, mi = c["facts"], result["code"], result["machine"]
    hold_s, hold_u = cf["hold"]["scoped"], cf["hold"]["unscoped"]
    errors = ", ".join(f"{n} {why}" for why, n in sorted(connect["errors"].items()))

    def failures(x: dict[str, Any]) -> str:
        return ", ".join(f"{n} {why}" for why, n in sorted(x["failures"].items())) or "0"

    by_process = ", ".join(
        f"{p} {ms:.0f}"
        for p, ms in sorted(f["pushpin_cpu_ms_per_round_by_process"].items())
        if round(ms)
    )
    lines = [
        f"# Scoped dashboards: fan-out per scope and connect cost ({result['date']}, "
        f"{result['profile']})",
        "",
        f"- **Fan-out**: {o['scopes']:,} scopes x {o['viewers_per_scope']} viewers = "
        f"{o['viewers']:,} viewers, every scope pushed every {o['interval_s']:g} s in one "
        f"`batch()`: **{f['lost']:,} lost** of {f['expected']:,} deliveries "
        f"({f['viewers_refused']} refused viewers), **{f['misdelivered']} misdelivered**, "
        f"p99 **{_n(f['latency_ms_p99'])} ms** (median of {o['repeats']} repeats) — target "
        f"0 lost, p99 ≤ {TARGET_P99_MS:g} ms: {met(f['target']['met'])}.",
        f"- **Connect cost** with {cf['table_rows']['shops']:,} stored scopes: Django CPU per "
        f"stream connect scoped **{_n(s['django_cpu_ms_per_connect'], 2)} ms** vs unscoped "
        f"**{_n(u['django_cpu_ms_per_connect'], 2)} ms**: ratio "
        f"**{_n(c['ratio_scoped_to_unscoped'], 2)}** (median of block pairs "
        f"{_n(c['ratio_block_pairs_median'], 2)}) — target ≤ {TARGET_CONNECT_RATIO:.2f}: "
        f"{met(c['target']['met'])}.",
        *(
            [
                f"- **What-if**: Django added `timeout={o['grip_link_timeout']}` to every hold's "
                "next link (bench.project.middleware.GripLinkTimeout; the package sends none, "
                "so Pushpin refreshes each stream's next link every 120 s)."
            ]
            if o.get("grip_link_timeout")
            else []
        ),
        *checks(result),
        "",
        "## Fan-out per scope",
        "",
        "| | measured |",
        "|---|--:|",
        f"| viewers open / requested (refused, not retried) | {_n(f['viewers_open'])} / "
        f"{f['viewers_requested']:,} ({f['viewers_refused']}) |",
        f"| rounds measured (late, failed) | {f['rounds']} ({f['rounds_late']}, "
        f"{f['rounds_failed']}) |",
        f"| **lost deliveries** / expected | {f['lost']:,} / {f['expected']:,} (open viewers "
        f"{f['lost_of_open_viewers']:,}, refused viewers {f['lost_of_refused_viewers']:,}) |",
        f"| received, but after the next round was due ({o['interval_s']:g} s) | "
        f"{f['received_late']:,} |",
        f"| **misdelivered** (another scope's figure) | {f['misdelivered']} |",
        f"| duplicates | {f['duplicates']} |",
        f"| deliveries (events with an id) per viewer per round | "
        f"{_n(f['deliveries_per_viewer_per_round'], 2)} |",
        f"| the same per viewer over the session: min / median / max | "
        f"{_n(f['per_viewer']['min'], 2)} / {_n(f['per_viewer']['median'], 2)} / "
        f"{_n(f['per_viewer']['max'], 2)} |",
        f"| **latency p50 / p90 / p99 ms** (batch start → receipt) | {_n(f['latency_ms_p50'])} / "
        f"{_n(f['latency_ms_p90'])} / **{_n(f['latency_ms_p99'])}** |",
        f"| p99 ms per repeat | {', '.join(_n(x) for x in f['latency_ms_p99_runs'])} |",
        f"| latency max ms (all repeats) | {_n(f['latency_ms_max'])} |",
        f"| from the batch's return to receipt, p50 / p99 ms (Pushpin's share) | "
        f"{_n(f['after_batch_ms_p50'])} / {_n(f['after_batch_ms_p99'])} |",
        f"| last viewer of a round, p50 ms | {_n(f['all_viewers_ms_p50'])} |",
        f"| batch of {o['scopes']:,} pushes: wall s p50 (max), publisher CPU s p50 | "
        f"{_n(f['batch_s_p50'], 3)} ({_n(f['batch_s_max'], 3)}), {_n(f['batch_cpu_s_p50'], 3)} |",
        f"| **Django requests during the rounds** (per repeat; per s) | {f['django_requests']} "
        f"({', '.join(str(x) for x in f['django_requests_runs'])}; "
        f"{_n(f['django_requests_per_s'], 1)}/s) |",
        f"| Django CPU s during the rounds | {_n(f['django_cpu_s'], 2)} |",
        f"| **Pushpin CPU ms per round** (idle subtracted) | {_n(f['pushpin_cpu_ms_per_round'])} "
        f"({_n(f['pushpin_cpu_ms_per_round_net_of_idle'])}) |",
        f"| Pushpin CPU ms per round, by process | {by_process} |",
        f"| Pushpin CPU µs per delivery | {_n(f['pushpin_cpu_us_per_delivery'])} |",
        f"| viewer connections dropped during the rounds | {f['dropped']} |",
        f"| viewer process CPU ms per round | {_n(f['client_cpu_ms_per_round'])} |",
        "",
        f"## Connect cost with {cf['table_rows']['shops']:,} stored scopes",
        "",
        "| | unscoped (`scoped.all`) | scoped (`scoped.shop/<key>`) | scoped / unscoped |",
        "|---|--:|--:|--:|",
        f"| **Django CPU ms per connect** (all blocks) | {_n(u['django_cpu_ms_per_connect'], 2)} "
        f"| {_n(s['django_cpu_ms_per_connect'], 2)} | "
        f"**{_n(c['ratio_scoped_to_unscoped'], 2)}** |",
        f"| the same, median of blocks | {_n(u['django_cpu_ms_per_connect_block_median'], 2)} | "
        f"{_n(s['django_cpu_ms_per_connect_block_median'], 2)} | "
        f"{_n(c['ratio_block_pairs_median'], 2)} (pairs) |",
        f"| connects (ok) | {u['connects']:,} ({u['ok']:,}) | {s['connects']:,} ({s['ok']:,}) | |",
        f"| failed connects (not retried) | {failures(u)} | {failures(s)} | |",
        f"| Django requests per connect | {_n(u['django_requests_per_connect'], 2)} | "
        f"{_n(s['django_requests_per_connect'], 2)} | |",
        f"| SQL queries per hold answer | {hold_u['queries']} | {hold_s['queries']} | |",
        f"| Pushpin CPU ms per connect (median of blocks) | "
        f"{_n(u['pushpin_cpu_ms_per_connect'], 2)} | {_n(s['pushpin_cpu_ms_per_connect'], 2)} | |",
        f"| connects/s, connect p50 ms (median of blocks) | {_n(u['connects_per_s'])}, "
        f"{_n(u['connect_ms_p50'])} | {_n(s['connects_per_s'])}, {_n(s['connect_ms_p50'])} | |",
        "",
        "Django CPU ms per connect, each block (in the order run):",
        "",
        f"- unscoped: {', '.join(f'{x:.2f}' for x in u['django_cpu_ms_per_connect_blocks'])}",
        f"- scoped: {', '.join(f'{x:.2f}' for x in s['django_cpu_ms_per_connect_blocks'])}",
        "",
        "SQL of one scoped hold answer:",
        "",
        *[f"- `{q}`" for q in hold_s["sql"]],
        "",
        "## How it was measured",
        "",
        f"- One stack on this machine ({mi['nproc']} cores, shared with the client and noisy; "
        f"load average at start {', '.join(f'{x:.2f}' for x in mi['loadavg_at_start'])}): "
        "Pushpin from our `pushpin/` config (bench.stack) in front of Django under uvicorn (one "
        "worker, SQLite); the bench process publishes and seeds the database with the same "
        f"settings. Code: commit {code['commit']}"
        + (
            " with uncommitted changes in dashboards_sse/."
            if code["dashboards_sse_modified"]
            else "."
        )
        + f" Took {result['elapsed_s']:.0f} s.",
        f"- Fan-out: `scoped.shop` (bench/project/dashboards.py: `scope = Shop`, public, 2 Stats) "
        f"on {o['scopes']:,} shops, each pushed once before anyone connects (batch of "
        f"{facts['first_batch_s']:.2f} s). Client: one `python -m bench.viewers --events "
        "--paths-file` process (raw HTTP/1.1 asyncio, uvloop; every SSE event parsed), viewer "
        f"i on shop i mod {o['scopes']:,}, opened at {o['connect_rate']:g} new connections/s (at "
        f"most {o['inflight']} pending), took {connect['seconds']:g} s; refused or failed "
        "connections are **not retried**, each counts as lost for every round and is reported "
        f"(refused: {connect['failed']}{' — ' + errors if errors else ''}). Django served "
        f"{facts['django_requests_connecting']:,} requests while viewers connected: a hold "
        f"per stream, then {facts['django_requests_after_ramp']:,} after the ramp "
        f"({facts['django_requests_after_ramp'] / o['scopes']:.2f} per scope, "
        f"{facts['django_requests_after_ramp'] / max(0.1, facts['quiet_after_ramp_s']):.1f}/s: "
        "Pushpin's `link=next&recover=true` requests); the rounds start once Django has been "
        f"quiet for {QUIET_S:g} s (after {facts['quiet_after_ramp_s']:g} s"
        + (
            ""
            if facts["quiet_before_rounds"]
            else f", **not quiet** within {o['quiet_timeout_s']:g} s"
        )
        + ").",
        f"- Rounds: one warm-up round (not kept), then {o['repeats']} repeats of {o['rounds']} "
        f"rounds, one every {o['interval_s']:g} s (open loop: a round starts on its tick, "
        "whether or not the last one has arrived). A round is one `batch()` of "
        f"`ShopSales.for_(key).push(orders=round * base + shop index)` for every shop: one "
        "message per shop. The client records each figure with its receipt time; per viewer "
        "and round the first figure of its own shop counts (lost: none; duplicates: more), a "
        "figure of another shop is misdelivered. Latency: time.monotonic() right before the "
        "batch opens (validation, store, render and POST included) to receipt "
        "(CLOCK_MONOTONIC is system-wide); percentiles over every (viewer, round) of a "
        "repeat, medians over repeats.",
        "- Pushpin CPU: utime+stime from /proc/<pid>/stat (10 ms ticks) of the runner and its "
        "condure, zurl, pushpin-proxy and pushpin-handler, per repeat / rounds; 'idle "
        f"subtracted' takes {facts['pushpin_idle_cpu_ms_per_s']:g} ms/s (measured for "
        f"{o['idle_s']:g} s, every viewer held, nothing published) times the repeat's duration "
        "off. Django requests: bench.project.middleware's counter; must be ~0 (Pushpin holds "
        "the streams; a request would be a recover or a next-link).",
        f"- Connect cost: after the fan-out (its viewers closed), the database was brought to "
        f"{cf['table_rows']['shops']:,} shops: for each new one its 2 component states, its "
        "channel's event counter and one event (plus the eid=0 placeholder) were "
        f"bulk-inserted as copies of a real push to shop 1 ({cf['seeding_s']:g} s). Tables "
        f"then: {', '.join(f'{k} {v:,}' for k, v in cf['table_rows'].items())}. "
        f"{o['connects_per_variant']:,} connects per variant through Pushpin in blocks of "
        f"{o['block']} (after {o['warmup_connects']} warm-up connects each), variants "
        "alternating ABBA; scoped connects go to a random stored shop each. A connect: TCP "
        "connect, GET, read up to `stream-open`, close (so Pushpin never sends its recover "
        f"request); {o['concurrency']} at a time, closed loop; failures are not retried. Per "
        "block: CPU of the uvicorn process (/proc, read "
        f"{SETTLE_S:g} s after the block's last connect) / connects. An unknown key answered "
        f"`{cf['unknown_key_status']}`.",
        f"- SQL per hold answer: the stream view called in the bench process with Django's "
        f"test client and a Grip-Sig signed like Pushpin's (`{hold_s['path']}`: HTTP "
        f"{hold_s['status']}, Grip-Hold `{hold_s['grip_hold']}`, next link "
        f"`{hold_s.get('grip_link_params')}`; unscoped: HTTP "
        f"{hold_u['status']}).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
