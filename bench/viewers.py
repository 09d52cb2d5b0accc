"""The viewer process: ``python -m bench.viewers --port P --path /... --n N --out PREFIX``.

Opens N SSE streams (or N polling clients with ``--poll``) paced at ``--rate`` new connections
a second with at most ``--inflight`` not yet open (connect storms make Django fall behind on
Pushpin's hold and recover requests). Failed attempts are retried with jittered backoff, like
our browser client (``--retries``, 3). Prints a JSON status line to stdout every 0.25 s
(``--status-interval``); on SIGTERM, SIGINT or ``--max-seconds`` it closes everything and
writes PREFIX.{conn,seq,t} (int32, int32, float64 arrays: viewer id, sequence number, receipt
time on CLOCK_MONOTONIC) and PREFIX.json.

With ``--events`` every SSE event is parsed (wire.EventViewer): events carrying an id are
counted per viewer (status ``events`` and ``event_bytes``; PREFIX.events, int32 per viewer
id) and the figures of one-component events and of ``dsse-update`` messages alike are
recorded. With ``--ids`` as well, the records are the id numbers of the events instead (one per
event as it arrived: bench/throughput.py counts duplicates, gaps and order from them).

With ``--paths-file FILE`` (one path a line) instead of ``--path``, viewer ``i`` opens line
``i % lines``: one process holds viewers of many streams (bench/scoped.py: a stream per object),
interleaved in the ramp.

With ``--reconnect`` (needs ``--events``) a viewer comes back as the browser client does: when
its open stream drops, or a reconnect attempt of it fails (refused, closed, a non-200 answer),
it reconnects after bench.backoff's mirror of the client's ``reconnectDelay`` (``--spread-ms``
before the first attempt after a drop, then full jitter under a doubling ceiling; the attempt
counter starts again once a stream is open), sending ``Last-Event-ID``: the id of the last event
it received, so that Django replays what it missed. A failed *initial* connect still follows
``--retries``. Written as well: PREFIX.reconnects.{conn,t} (every reconnect attempt: viewer,
time) and PREFIX.back.{conn,drop,open,attempts} (every drop: viewer, when it dropped, when a
stream was open again, NaN if never, and the attempts it took). Without ``--reconnect`` a
dropped viewer stays out, as a refused one does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import sys
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

from .backoff import BASE_MS, MAX_MS, SPREAD_MS, Backoff, reconnect_delay
from .wire import EventViewer, Poller, StreamViewer


class Pool:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.conn, self.seq, self.t = array("i"), array("i"), array("d")
        self.clients: dict[int, Any] = {}
        self.tries: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.attempted = self.ok = self.failed = self.drops = self.retried = 0
        self.polls = self.poll_errors = 0
        self.events = array("i", [0] * args.n)  # events with an id, per viewer (--events)
        self.events_total = self.event_bytes = 0
        self.pending = 0  # attempts neither open nor failed yet
        self.record_ids = args.ids  # EventViewer: record event ids, not figures
        host = f"127.0.0.1:{args.port}"
        accept = "text/html" if args.poll else "text/event-stream"
        self.requests = [
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n"
                "Cache-Control: no-cache\r\n\r\n"
            ).encode()
            for path in paths(args)
        ]
        self.stop = asyncio.Event()
        # --reconnect: the browser's backoff, and per viewer what a reconnect needs
        self.reconnect = args.reconnect
        self.backoff = Backoff(base=args.base_ms, max=args.max_ms, spread=args.spread_ms)
        self.last_ids: dict[int, bytes] = {}  # the last event id a viewer received
        self.down_since: dict[int, float] = {}  # viewers between a drop and open again
        self.attempt: dict[int, int] = {}  # their reconnect attempt, 1 for the first
        self.from_live: dict[int, bool] = {}  # their streak began with an open stream dropping
        self.reopened = self.reconnects = 0
        self.reconnect_errors: Counter[str] = Counter()
        self.reconnect_conn, self.reconnect_t = array("i"), array("d")
        self.back_conn, self.back_attempts = array("i"), array("i")
        self.back_drop, self.back_open = array("d"), array("d")

    def request(self, cid: int) -> bytes:
        """The request viewer ``cid`` sends (``--paths-file``: its line, round robin); a
        reconnecting viewer's carries the last event id it received."""
        request = self.requests[cid % len(self.requests)]
        last_id = self.last_ids.get(cid) if cid in self.down_since else None
        if last_id is None:
            return request
        return request[:-2] + b"Last-Event-ID: " + last_id + b"\r\n\r\n"

    def record(self, cid: int, seq: int, t: float) -> None:
        self.conn.append(cid)
        self.seq.append(seq)
        self.t.append(t)

    # -- callbacks from the protocols -----------------------------------------------------
    def opened(self, cid: int, client: Any) -> None:
        self.pending -= 1
        self.clients[cid] = client
        dropped_at = self.down_since.pop(cid, None)
        if dropped_at is None:
            self.ok += 1
            return
        self.reopened += 1  # back after a drop (--reconnect)
        self.back_conn.append(cid)
        self.back_drop.append(dropped_at)
        self.back_open.append(time.monotonic())
        self.back_attempts.append(self.attempt.pop(cid))
        del self.from_live[cid]

    def failed_attempt(self, cid: int, why: str) -> None:
        self.pending -= 1
        self.errors[why] += 1
        if cid in self.down_since:  # a reconnect attempt failed: back off further
            self.reconnect_errors[why] += 1
            self.attempt[cid] += 1
            self.schedule_reconnect(cid)
            return
        if self.tries[cid] <= self.args.retries and not self.stop.is_set():
            self.retried += 1
            delay = random.uniform(0.5, 1.0) * 2 ** (self.tries[cid] - 1)  # jittered backoff
            asyncio.get_running_loop().call_later(delay, self.connect, cid)
        else:
            self.failed += 1

    def dropped(self, cid: int) -> None:
        if self.stop.is_set():
            return
        self.drops += 1
        client = self.clients.pop(cid, None)
        if not self.reconnect:
            return
        last_id = getattr(client, "last_event_id", None)
        if last_id is not None:
            self.last_ids[cid] = last_id
        self.down_since[cid] = time.monotonic()
        self.attempt[cid], self.from_live[cid] = 1, True
        self.schedule_reconnect(cid)

    def schedule_reconnect(self, cid: int) -> None:
        if self.stop.is_set():
            return
        delay_ms = reconnect_delay(self.attempt[cid], self.from_live[cid], self.backoff)
        asyncio.get_running_loop().call_later(delay_ms / 1000, self.reconnect_now, cid)

    def reconnect_now(self, cid: int) -> None:
        if self.stop.is_set():
            return
        self.reconnects += 1
        self.reconnect_conn.append(cid)
        self.reconnect_t.append(time.monotonic())
        self.connect(cid)

    def delivered(self, cid: int, size: int) -> None:
        self.events[cid] += 1
        self.events_total += 1
        self.event_bytes += size

    def polled(self, cid: int, ok: bool) -> None:
        self.polls += 1
        self.poll_errors += not ok

    # -- connecting -----------------------------------------------------------------------
    def connect(self, cid: int) -> None:
        self.tries[cid] += 1
        self.pending += 1
        asyncio.get_running_loop().create_task(self._connect(cid))

    async def _connect(self, cid: int) -> None:
        loop = asyncio.get_running_loop()
        if self.args.poll:
            first = loop.time() + random.uniform(0, self.args.interval)
            factory: Any = lambda: Poller(  # noqa: E731
                cid, self.request(cid), self.record, self, self.args.interval, first
            )
        else:
            kind = EventViewer if self.args.events else StreamViewer
            factory = lambda: kind(cid, self.request(cid), self.record, self)  # noqa: E731
        try:
            await loop.create_connection(factory, "127.0.0.1", self.args.port)
        except OSError as exc:
            self.failed_attempt(cid, type(exc).__name__)

    async def open_all(self) -> None:
        start = time.monotonic()
        for cid in range(self.args.n):
            while self.pending >= self.args.inflight and not self.stop.is_set():
                await asyncio.sleep(0.005)
            if self.stop.is_set():
                return
            delay = start + cid / self.args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.attempted += 1
            self.connect(cid)

    def status(self) -> dict[str, Any]:
        found = {
            "attempted": self.attempted,
            "ok": self.ok,
            "open": len(self.clients),
            "failed": self.failed,
            "dropped": self.drops,
            "retried": self.retried,
            "pending": self.pending,
            "records": len(self.seq),
            "polls": self.polls,
            "poll_errors": self.poll_errors,
            "events": self.events_total,
            "event_bytes": self.event_bytes,
            "errors": dict(self.errors),
        }
        if self.reconnect:
            found["reopened"] = self.reopened
            found["down"] = len(self.down_since)
            found["reconnects"] = self.reconnects
            found["reconnect_errors"] = dict(self.reconnect_errors)
        return found

    async def report(self) -> None:
        while not self.stop.is_set():
            sys.stdout.write(json.dumps(self.status()) + "\n")
            sys.stdout.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.args.status_interval)

    def write(self, prefix: Path) -> None:
        for name in ("conn", "seq", "t"):
            with open(f"{prefix}.{name}", "wb") as out:
                getattr(self, name).tofile(out)
        if self.args.events:
            with open(f"{prefix}.events", "wb") as out:
                self.events.tofile(out)
        if self.reconnect:
            for cid, dropped_at in self.down_since.items():  # never back: open is NaN
                self.back_conn.append(cid)
                self.back_drop.append(dropped_at)
                self.back_open.append(float("nan"))
                self.back_attempts.append(self.attempt[cid])
            arrays = {
                "reconnects.conn": self.reconnect_conn,
                "reconnects.t": self.reconnect_t,
                "back.conn": self.back_conn,
                "back.drop": self.back_drop,
                "back.open": self.back_open,
                "back.attempts": self.back_attempts,
            }
            for name, values in arrays.items():
                with open(f"{prefix}.{name}", "wb") as out:
                    values.tofile(out)
        Path(f"{prefix}.json").write_text(json.dumps(self.status()))


async def main(args: argparse.Namespace) -> None:
    pool = Pool(args)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, pool.stop.set)
    loop.call_later(args.max_seconds, pool.stop.set)
    reporter = loop.create_task(pool.report())
    opener = loop.create_task(pool.open_all())
    await pool.stop.wait()
    opener.cancel()
    for client in list(pool.clients.values()):
        client.close()
    await reporter
    pool.write(Path(args.out))
    sys.stdout.write(json.dumps({**pool.status(), "done": True}) + "\n")
    sys.stdout.flush()


def paths(args: argparse.Namespace) -> list[str]:
    """The paths the viewers open: ``--path``, or every line of ``--paths-file``."""
    if args.paths_file is None:
        return [args.path]
    found = [line.strip() for line in Path(args.paths_file).read_text().splitlines()]
    return [line for line in found if line]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.viewers")
    parser.add_argument("--port", type=int, required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--path")
    where.add_argument("--paths-file", help="one path a line: viewer i opens line i % lines")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--out", required=True, help="output path prefix")
    parser.add_argument("--rate", type=float, default=400, help="new connections per second")
    parser.add_argument("--inflight", type=int, default=200, help="max attempts not yet open")
    parser.add_argument("--retries", type=int, default=3, help="0: a refused viewer stays out")
    parser.add_argument("--events", action="store_true", help="parse and count every event")
    parser.add_argument(
        "--ids", action="store_true", help="with --events: record each event's id number"
    )
    parser.add_argument("--status-interval", type=float, default=0.25, help="seconds")
    parser.add_argument("--poll", action="store_true", help="poll instead of streaming")
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval (s)")
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="with --events: a dropped viewer reconnects like the browser client, resuming",
    )
    parser.add_argument("--spread-ms", type=float, default=SPREAD_MS, help="--reconnect")
    parser.add_argument("--base-ms", type=float, default=BASE_MS, help="--reconnect")
    parser.add_argument("--max-ms", type=float, default=MAX_MS, help="--reconnect")
    args = parser.parse_args(argv)
    if args.reconnect and (args.poll or not args.events):
        parser.error("--reconnect needs --events (event ids to resume from), not --poll")
    if not paths(args):
        parser.error(f"no path in {args.paths_file}")
    return args


if __name__ == "__main__":
    arguments = parse()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(arguments))
    else:
        uvloop.run(main(arguments))
