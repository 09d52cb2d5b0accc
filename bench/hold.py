"""``python -m bench.hold [--quick] [--compress F]``: no periodic waves (issue 16, item 2).

Target: 10,000 viewers held 10 minutes at 1 update/s → no wave of more than 100 requests (in any
10 s), no update delayed > 1 s, 0 lost; a stream open for 3 hours keeps receiving without a
reconnect storm.

Pushpin fetches each held stream's next link (``?link=next&recover=true&es-meta=...``) when the
link's timeout passes; with Pushpin's default 120 s that came as one wave per 120 s (~10,000
requests at ~1,000/s at 10,000 viewers, an update delayed ~10 s). Our GRIP answer
(dashboards_sse/hold.py) spreads the timeout over NEXT_LINK_TIMEOUT (1,800-3,600 s) and renews
the link's es-meta token (ES_META_LIFETIME, 7,200 s, expiring on a multiple of ES_META_ROUND,
600 s, so that viewers of a stream share links) on every next link.

One stack (bench.stack, mode pushpin: our ``pushpin/run`` in front of Django under uvicorn):
``--viewers`` SSE viewers in one bench.viewers process opened at ``--connect-rate`` (at most
``--inflight`` pending; ``--retries 0``: a refused or dropped viewer never comes back, so a drop
is visible as such and no reconnect hides a loss), then — once Django has been quiet for 2 s
(at most 15 s) — a bench.publisher process ``push()``es one update every 1/``--rate`` s for
``--minutes``, and the run waits up to 15 s for the last deliveries. All along, Django's request
counter (bench.project.middleware's shared mmap, exact at any instant) is sampled at 10 Hz.

``--compress F`` runs Django with the token lifetime and the next-link timeouts divided by F
(bench.project.timescale, bench-only), so a 10-minute hold at F = 20 spans 3+ token lifetimes and
7+ next links per stream, as a 3-hour hold does. Each stream then asks F times as often, so the
wave bound is judged over a 10/F s window (the 10 s of real time); Pushpin's own limits do not
scale with F (its handler follows at most 10 distinct next links a second), so a compressed run
presses on them F times harder than real time would.

Reported: Django's requests per second over the hold (JSON), the largest wave (most requests in
any 10 s, 1 s and 10/F s window after the ramp), total requests; Pushpin's requests to Django
split into next links and others, their answers and tokens' remaining lifetime (from Pushpin's
log: zurl IN/OUT and the handler's per-stream next-link lines); per-update delivery delay (push()
call → receipt; p50/p99/max of all deliveries, the worst update's p99, updates any viewer got
> 1 s late), lost, duplicates, viewers dropped. Writes ``<out>/<date>-hold[-quick|-compressed]``
``.json`` and ``.md``; the run dir with every process's log is kept (its path is in the JSON).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from . import analysis, lifecycle, machine, procs, waves
from .handles import Publisher, Viewers
from .instances import load_verdict, loadavg
from .lifecycle import code_version
from .multipush import wait_quiet
from .output import number as _n
from .output import sayer, targets_table, write_results
from .project import timescale
from .stack import Stack, make_template_db, run_dir

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES: dict[str, dict[str, Any]] = {
    "full": {
        "viewers": 10_000,
        "connect_rate": 200.0,
        "minutes": 10.0,
        "rate": 1.0,
        "compress": 1.0,
    },
    # next links at 30-60 s, tokens of 120 s (rounded to 10 s): 2+ links per stream in 2 minutes
    "quick": {
        "viewers": 300,
        "connect_rate": 300.0,
        "minutes": 2.0,
        "rate": 1.0,
        "compress": 60.0,
    },
}
WAVE_LIMIT = 100  # requests in any 10 s of real time
WAVE_WINDOW_S = 10.0
DELAY_LIMIT_S = waves.LATE_S
THREE_HOURS_S = 3 * 3600
SAMPLE_S = waves.BIN_S
STATUS_S = 0.25  # viewer status lines
QUIET_S, QUIET_TIMEOUT_S = 2.0, 15.0  # before the hold: Pushpin's catch-up after the ramp
DRAIN_S = 15.0  # at most, after the last push, for its deliveries
SETTLE_S = 1.0
WORST_SHOWN = 5

say = sayer("hold")


class HoldStack(Stack):
    """bench.stack's stack; Django with ``BENCH_HOLD_COMPRESS`` when ``compress`` is not 1."""

    compress: float = 1.0

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.compress != 1:
            env["BENCH_HOLD_COMPRESS"] = f"{self.compress:g}"
        return env


class Sampler:
    """Django's request counter and the viewers' latest status, every SAMPLE_S, in a thread
    (on an absolute schedule: a late sample does not shift the next ones)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.viewers: Viewers | None = None
        self.samples: list[tuple[float, int, int, int]] = []  # t, requests, open, dropped
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._sample()  # the baseline, before anything it should count (the thread may lag)
        self.thread.start()

    def _sample(self) -> None:
        status = self.viewers.status if self.viewers is not None else {}
        requests = self.stack.django_requests()
        self.samples.append(
            (time.monotonic(), requests, int(status.get("open", 0)), int(status.get("dropped", 0)))
        )

    def _run(self) -> None:
        due = time.monotonic()
        while not self.done.is_set():
            self._sample()
            due += SAMPLE_S
            self.done.wait(max(0.0, due - time.monotonic()))

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)


def wall_minus_monotonic() -> float:
    """time.time() - time.monotonic(), from the closest of a few paired readings."""
    best: tuple[float, float] | None = None
    for _ in range(5):
        before = time.monotonic()
        wall = time.time()
        after = time.monotonic()
        if best is None or after - before < best[0]:
            best = (after - before, wall - (before + after) / 2)
    assert best is not None
    return best[1]


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stack = HoldStack("pushpin", template, rundir / "hold")
        self.stack.compress = args.compress
        self.sampler = Sampler(self.stack)
        self.viewers: Viewers | None = None
        self.publisher: Publisher | None = None
        self.marks: dict[str, float] = {}  # monotonic times of the run's phases
        self.facts: dict[str, Any] = {}
        self.pushes: list[list[float]] = []
        self.final_status: dict[str, Any] = {}

    def run(self) -> None:
        a, stack = self.args, self.stack
        stack.start()
        self.publisher = Publisher(stack.env(), stack.workdir, "push")
        self.facts["wall_minus_monotonic"] = wall_minus_monotonic()
        say(f"stack up (Pushpin on {stack.proxy_port}), compression {a.compress:g}")
        self.sampler.start()
        self.marks["ramp"] = time.monotonic()
        longest = a.minutes * 60 + a.viewers / a.connect_rate * 2 + 600
        extra = (
            "--retries",
            "0",
            "--status-interval",
            str(STATUS_S),
            "--max-seconds",
            str(longest),
        )
        port, path = stack.viewer_target()
        self.viewers = Viewers(
            stack.env(), stack.workdir, port, path, a.viewers, False, a.connect_rate,
            a.inflight, "hold", extra,
        )  # fmt: skip
        self.sampler.viewers = self.viewers
        settled = self.viewers.wait_settled(a.viewers, a.viewers / a.connect_rate * 2 + 30)
        self.marks["settled"] = time.monotonic()
        status = dict(self.viewers.status)
        self.facts["connect"] = {
            "requested": a.viewers,
            "settled": settled,
            "seconds": round(self.marks["settled"] - self.marks["ramp"], 2),
            **{k: status[k] for k in ("ok", "failed", "pending", "errors")},
        }
        say(f"{status['ok']:,} of {a.viewers:,} viewers open, {status['failed']:,} refused")
        wait_quiet(stack, QUIET_S, QUIET_TIMEOUT_S)
        time.sleep(2 * STATUS_S)
        start = dict(self.viewers.status)
        self.facts["open_at_start"] = start["open"]
        self.facts["dropped_before_hold"] = start["dropped"]
        self.marks["hold"] = time.monotonic()
        say(f"holding {start['open']:,} viewers for {a.minutes:g} min, {a.rate:g} update/s")
        result = self.publisher.run(a.rate, a.minutes * 60)
        self.marks["published"] = time.monotonic()
        self.pushes = result["pushes"]
        self.facts["push_errors"] = result["errors"]
        self.facts["publisher_late_max_s"] = round(result["late_max"], 3)
        expected = start["records"] + start["open"] * len(self.pushes)
        self.viewers.wait_records(expected, DRAIN_S)
        time.sleep(SETTLE_S)
        self.marks["end"] = time.monotonic()
        self.facts["dropped_in_hold"] = self.viewers.status["dropped"] - start["dropped"]
        self.sampler.stop()
        say(f"hold over: {self.facts['dropped_in_hold']} viewers dropped")

    def stop(self) -> None:
        self.sampler.stop()
        if self.viewers is not None and not self.final_status:
            self.final_status = self.viewers.finish()
        if self.publisher is not None:
            self.publisher.stop()
        self.stack.stop()


# -- from samples, records and log to figures ----------------------------------------------------
def request_figures(
    samples: list[tuple[float, int, int, int]], marks: dict[str, float], compress: float
) -> dict[str, Any]:
    """Django's requests during the ramp and over the hold (binned at SAMPLE_S): per second,
    total, and the largest waves (10 s, 1 s and the 10/F s window of real time's 10 s)."""
    times = [s[0] for s in samples]
    counts = [s[1] for s in samples]
    hold = waves.counter_bins(times, counts, marks["hold"], marks["end"])
    ramp = waves.counter_bins(times, counts, marks["ramp"], marks["hold"])
    windows = [WAVE_WINDOW_S, 1.0, scaled_window(compress)]
    return {
        "hold_seconds": round(marks["end"] - marks["hold"], 1),
        "total": int(hold.sum()),
        "per_s": waves.per_second(hold),
        "waves": waves.waves(hold, dict.fromkeys(windows)),
        "ramp_total": int(ramp.sum()),
        "ramp_per_s": waves.per_second(ramp),
        "samples": len(samples),
        "sample_gap_max_s": round(float(np.diff(times).max()), 3) if len(times) > 1 else None,
    }


def scaled_window(compress: float) -> float:
    """The window that is WAVE_WINDOW_S of real time in a run compressed ``compress`` times,
    in whole SAMPLE_S bins."""
    return max(1, round(WAVE_WINDOW_S / compress / SAMPLE_S)) * SAMPLE_S


def log_figures(bench: Bench) -> dict[str, Any]:
    """What Pushpin's log says about the hold: its requests to Django by kind, next links
    per second and their waves, answers, tokens, and per-stream next-link fetches."""
    offset = bench.facts["wall_minus_monotonic"]
    marks = bench.marks
    log = waves.read_pushpin_log_file(bench.stack.workdir / "pushpin.log")
    start, end = marks["hold"] + offset, marks["end"] + offset
    found = waves.next_link_summary(log, start, end)
    links = waves.event_bins(
        (u.t - offset for u in log.upstream if u.next_link), marks["hold"], marks["end"]
    )
    windows = [WAVE_WINDOW_S, 1.0, scaled_window(bench.args.compress)]
    found["next_links_per_s"] = waves.per_second(links)
    found["next_link_waves"] = waves.waves(links, dict.fromkeys(windows))
    ramp = waves.next_link_summary(log, marks["ramp"] + offset, start)
    found["ramp"] = {k: ramp[k] for k in ("upstream_requests", "next_link_requests")}
    open_ = max(1, bench.facts["open_at_start"])
    found["stream_updates_per_viewer"] = round(found["stream_updates"] / open_, 2)
    return found


def delivery_figures(bench: Bench) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-delivery delays (push() call → receipt) and the worst updates."""
    assert bench.viewers is not None
    records = analysis.Records(bench.viewers.prefix)
    found = waves.delays(records.conn, records.seq, records.t, bench.pushes)
    summary = waves.delay_summary(found, bench.facts["open_at_start"])
    hold = bench.marks["hold"]
    per_update = [
        {
            "seq": int(found.seq[i]),
            "at_s": round(float(found.pushed_at[i] - hold), 2),
            "received": int(found.received[i]),
            "p99_ms": None if np.isnan(found.p99_s[i]) else round(1000 * found.p99_s[i], 1),
            "max_ms": None if np.isnan(found.max_s[i]) else round(1000 * found.max_s[i], 1),
            "late_viewers": int(found.late_viewers[i]),
        }
        for i in range(len(found.seq))
    ]
    return summary, per_update


def worst_updates(
    per_update: list[dict[str, Any]], next_links_per_s: list[int]
) -> list[dict[str, Any]]:
    """The WORST_SHOWN updates by max delay, with the next links Pushpin sent Django in the
    5 s before each (a delay caused by next links shows up next to them)."""
    ranked = sorted((u for u in per_update if u["max_ms"] is not None), key=lambda u: -u["max_ms"])
    shown = []
    for update in ranked[:WORST_SHOWN]:
        second = int(update["at_s"])
        before = next_links_per_s[max(0, second - 5) : second + 1]
        shown.append({**update, "next_links_5s_before": sum(before)})
    return shown


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    o, r, d, p = result["options"], result["requests"], result["deliveries"], result["pushpin"]
    c = result["connect"]
    scaled = f"{scaled_window(o['compress']):g}s"
    window = r["waves"][scaled if o["compress"] != 1 else f"{WAVE_WINDOW_S:g}s"]
    real_s = r["hold_seconds"] * o["compress"]
    targets = [
        {
            "target": f"{o['viewers']:,} viewers held",
            "measured": f"{result['open_at_start']:,} open, {c['failed']:,} refused at connect",
            "met": result["open_at_start"] == o["viewers"],
        },
        {
            "target": f"no wave of more than {WAVE_LIMIT} Django requests in any "
            f"{WAVE_WINDOW_S:g} s"
            + (
                f" of real time ({scaled} at compression {o['compress']:g})"
                if o["compress"] != 1
                else ""
            ),
            "measured": f"{window['requests']} (at {window['at_s']} s into the hold)",
            "met": window["requests"] <= WAVE_LIMIT,
        },
        {
            "target": f"no update delayed > {DELAY_LIMIT_S:g} s",
            "measured": f"max {_n(d['delay_ms']['max'])} ms; {d['updates_late']} of "
            f"{d['pushes']} updates late for some viewer ({d['deliveries_late']:,} deliveries)",
            "met": d["updates_late"] == 0 and d["received"] > 0,
        },
        {
            "target": "0 lost",
            "measured": f"{d['lost']:,} of {d['expected']:,} ({d['duplicates']} duplicates)",
            "met": d["lost"] == 0 and d["expected"] > 0,
        },
        {
            "target": "every stream kept (no drop, so no reconnect)",
            "measured": f"{result['dropped_in_hold']} dropped during the hold",
            "met": result["dropped_in_hold"] == 0,
        },
        {
            "target": "every next link answered (none refused, no expired token)",
            "measured": f"{p['next_link_requests']:,} next-link requests: codes "
            f"{p['next_link_codes'] or '-'}; {p['expired_tokens_sent']} with an expired token; "
            f"{p['stream_updates_failed']} streams' fetches failed",
            "met": p["next_links_refused"] == 0
            and p["expired_tokens_sent"] == 0
            and p["stream_updates_failed"] == 0,
        },
    ]
    if real_s >= THREE_HOURS_S:
        targets.append(
            {
                "target": "a stream open for 3 hours keeps receiving",
                "measured": f"{real_s / 3600:.1f} h of real time ({o['compress']:g}x), "
                f"{p['stream_updates_per_viewer']} next links per stream, "
                f"{r['hold_seconds'] / o['es_meta_lifetime_s']:.1f} token lifetimes; "
                f"{d['viewers_complete']:,} of {result['open_at_start']:,} viewers got every "
                "update",
                "met": d["viewers_complete"] == result["open_at_start"] > 0
                and result["dropped_in_hold"] == 0,
            }
        )
    return targets


def report(result: dict[str, Any]) -> str:
    o, r, d, p = result["options"], result["requests"], result["deliveries"], result["pushpin"]
    low, high = o["next_link_timeout_s"]
    lines = [
        f"# No periodic waves: {o['viewers']:,} viewers held "
        f"({result['date']}, {result['profile']})",
        "",
        f"`{result['command']}`: client bench.viewers (one asyncio process, raw SSE, "
        f"`--retries 0`: a refused or dropped viewer never reconnects), ramp {o['viewers']:,} "
        f"viewers at {o['connect_rate']:g}/s (≤ {o['inflight']} pending); then {o['rate']:g} "
        f"update/s (`push()`, bench.publisher) for {o['minutes']:g} minutes; compression "
        f"{o['compress']:g} (es-meta lifetime {o['es_meta_lifetime_s']} s, next links "
        f"{low}-{high} s); 1 hold, no repeats. Django's request counter sampled every "
        f"{SAMPLE_S:g} s; Pushpin's requests to Django from its log. Client, Django (uvicorn, "
        f"1 worker, SQLite) and Pushpin share {result['machine'].get('nproc', '?')} CPUs. "
        + lifecycle.measured_commit(result["code"])
        + ".",
        "",
        f"Load average before: {result['load']['before']}; after: {result['load']['after']}. "
        + result["load"]["verdict"],
        "",
        *targets_table(result["targets"]),
    ]
    wave_cells = " / ".join(f"{v['requests']} ({k})" for k, v in r["waves"].items())
    link_cells = " / ".join(f"{v['requests']} ({k})" for k, v in p["next_link_waves"].items())
    lat = d["delay_ms"]
    rows = [
        ("hold after the ramp", f"{r['hold_seconds']:g} s"),
        ("Django requests during the hold", _n(r["total"])),
        ("largest wave, Django requests (window)", wave_cells),
        (
            "Pushpin → Django during the hold: next links / others",
            f"{_n(p['next_link_requests'])} / {_n(p['other_requests'])}",
        ),
        ("largest wave, next links (window)", link_cells),
        (
            "streams' next-link fetches (handler), per viewer",
            f"{_n(p['stream_updates'])}, {p['stream_updates_per_viewer']}",
        ),
        (
            "least token lifetime left when a next link was sent",
            f"{_n(p['token_remaining_min_s'])} s",
        ),
        (
            "delay push() → receipt, p50 / p99 / max",
            f"{_n(lat['p50'])} / {_n(lat['p99'])} / {_n(lat['max'])} ms",
        ),
        ("worst update's p99", f"{_n(d['worst_update_p99_ms'])} ms (seq {d['worst_update_seq']})"),
        (
            "received / expected, duplicates",
            f"{_n(d['received'])} / {_n(d['expected'])}, {d['duplicates']}",
        ),
        (
            "viewers with every update",
            f"{_n(d['viewers_complete'])} of {_n(result['open_at_start'])}",
        ),
        (
            "ramp: Django requests, of which next links",
            f"{_n(r['ramp_total'])}, {_n(p['ramp']['next_link_requests'])}",
        ),
        (
            "push errors, publisher late max",
            f"{result['push_errors']}, {result['publisher_late_max_s']} s",
        ),
    ]
    lines += ["", "| | |", "|---|--:|"] + [f"| {label} | {value} |" for label, value in rows]
    per_10s = [sum(r["per_s"][i : i + 10]) for i in range(0, len(r["per_s"]), 10)]
    lines += ["", f"Django requests per 10 s of the hold: {', '.join(map(str, per_10s))}."]
    if abs(p["upstream_requests"] - r["total"]) > max(2, r["total"] // 50):
        lines += [
            "",
            f"**Counts disagree:** Django's counter saw {r['total']:,} requests during the hold, "
            f"Pushpin's log {p['upstream_requests']:,} sent to Django (a stream path that skips "
            "bench.project.middleware's counter, e.g. stream_fast_path, would miss them): the "
            "wave figures from the log are the ones to trust then.",
        ]
    if not p["stream_updates"] and low > r["hold_seconds"]:
        lines += [
            "",
            f"No stream's next link was due during the hold (timeouts of {low}-{high} s after "
            f"each answer, a hold of {r['hold_seconds']:g} s): the waves of next links are "
            "measured with `--compress F` (e.g. 20).",
        ]
    if result["worst_updates"]:
        lines += [
            "",
            "The most delayed updates (max over viewers), with the next links Pushpin sent in "
            "the 5 s before each:",
            "",
            "| seq | at s | received | p99 ms | max ms | viewers > 1 s | next links 5 s before |",
            "|--:|--:|--:|--:|--:|--:|--:|",
        ]
        lines += [
            f"| {u['seq']} | {u['at_s']} | {u['received']} | {_n(u['p99_ms'])} "
            f"| {_n(u['max_ms'])} | {u['late_viewers']} | {u['next_links_5s_before']} |"
            for u in result["worst_updates"]
        ]
    lines += ["", f"Logs (Pushpin, Django, viewers, publisher): `{result['run_dir']}`.", ""]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.hold", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 viewers, 2 min, compression 60")
    parser.add_argument("--viewers", type=int)
    parser.add_argument("--connect-rate", type=float, help="new viewers per second")
    parser.add_argument("--minutes", type=float, help="of updates, after the ramp")
    parser.add_argument("--rate", type=float, help="updates per second")
    parser.add_argument(
        "--compress", type=float, help="divide token lifetime and next-link timeouts by F"
    )
    parser.add_argument("--inflight", type=int, default=200, help="max connects pending")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for name, value in PROFILES["quick" if args.quick else "full"].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.compress <= 0 or args.rate <= 0 or args.viewers < 1 or args.minutes <= 0:
        parser.error("--compress, --rate, --minutes and --viewers must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    profile = "quick" if args.quick else "full"
    lifetime, rounding, timeouts = timescale.compressed(args.compress)
    started, code = time.monotonic(), code_version()
    procs.raise_nofile()
    rundir = run_dir()
    say(f"{profile}: run dir {rundir} (logs kept)")
    cpus = len(os.sched_getaffinity(0))
    before = loadavg()
    bench = Bench(args, make_template_db(rundir), rundir)
    try:
        bench.run()
    finally:
        bench.stop()
    after = loadavg()
    requests = request_figures(bench.sampler.samples, bench.marks, args.compress)
    pushpin = log_figures(bench)
    deliveries, per_update = delivery_figures(bench)
    assert bench.viewers is not None
    for suffix in ("conn", "seq", "t"):  # large at 10,000 viewers; the figures are kept
        Path(f"{bench.viewers.prefix}.{suffix}").unlink(missing_ok=True)
    result: dict[str, Any] = {
        "date": date.today().isoformat(),
        "profile": profile,
        "command": lifecycle.command_line("bench.hold", args, PROFILES),
        "elapsed_s": round(time.monotonic() - started, 1),
        "options": {
            "viewers": args.viewers,
            "connect_rate": args.connect_rate,
            "inflight": args.inflight,
            "minutes": args.minutes,
            "rate": args.rate,
            "compress": args.compress,
            "es_meta_lifetime_s": lifetime,
            "es_meta_round_s": rounding,
            "next_link_timeout_s": list(timeouts),
            "real_es_meta_lifetime_s": timescale.ES_META_LIFETIME,
            "real_es_meta_round_s": timescale.ES_META_ROUND,
            "real_next_link_timeout_s": list(timescale.NEXT_LINK_TIMEOUT),
            "repeats": 1,
            "retries": 0,
            "drain_s": DRAIN_S,
        },
        "machine": machine.info(),
        "code": code,
        "load": {
            "before": before,
            "after": after,
            "cpus": cpus,
            "verdict": load_verdict(before, after, cpus),
        },
        "run_dir": str(rundir),
        "connect": bench.facts["connect"],
        "open_at_start": bench.facts["open_at_start"],
        "dropped_before_hold": bench.facts["dropped_before_hold"],
        "dropped_in_hold": bench.facts["dropped_in_hold"],
        "push_errors": bench.facts["push_errors"],
        "publisher_late_max_s": bench.facts["publisher_late_max_s"],
        "requests": requests,
        "pushpin": pushpin,
        "deliveries": deliveries,
        "worst_updates": worst_updates(per_update, pushpin["next_links_per_s"]),
        "per_update": per_update,
        "viewers_final": bench.final_status,
    }
    result["targets"] = judge(result)
    suffix = "-quick" if args.quick else ("-compressed" if args.compress != 1 else "")
    stem = args.out / f"{result['date']}-hold{suffix}"
    write_results(stem, result, report(result))
    say(f"wrote {stem}.json and .md ({result['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
