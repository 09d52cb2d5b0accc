"""``python -m bench``: parse options, run the sweep and micro-benchmarks, write the results."""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import machine, procs, sweep, targets
from .stack import MODES, make_template_db, run_dir
from .sweep import Options

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES: dict[str, dict[str, Any]] = {
    # window: measurement seconds; repeats: windows per point for N <= 1000; refine: extra
    # sessions bracketing a baseline's limit; budget: sweep seconds; settle: wait after the
    # last viewer opened; drain: longest wait for a window's last deliveries.
    "full": {
        "viewers": [10, 1000, 5000, 10000], "rates": [1, 10], "duration": 10, "repeats": 3,
        "refine": 1, "budget": 19 * 60, "settle": 2.5, "drain": 10, "baseline_min_viewers": 0,
        "micro_s": 5, "micro_repeats": 3, "renders": 10_000, "buffer_viewers": 3000,
    },
    "quick": {
        "viewers": [10, 1000], "rates": [1, 10], "duration": 3, "repeats": 1,
        "refine": 0, "budget": 92, "settle": 1.5, "drain": 6, "baseline_min_viewers": 1000,
        "micro_s": 1.5, "micro_repeats": 1, "renders": 10_000, "buffer_viewers": 0,
    },
    "smoke": {
        "viewers": [10], "rates": [1], "duration": 2, "repeats": 1,
        "refine": 0, "budget": 60, "settle": 1.5, "drain": 6, "baseline_min_viewers": 0,
        "micro_s": 0.5, "micro_repeats": 1, "renders": 2_000, "buffer_viewers": 0,
    },
}  # fmt: skip


def csv(kind: type) -> Any:
    return lambda text: [kind(v) for v in text.split(",") if v]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--quick", action="store_true", help="10 and 1,000 viewers, < 2 min")
    profile.add_argument("--smoke", action="store_true", help="10 viewers, 2 s, to a temp dir")
    parser.add_argument("--modes", type=csv(str), default=list(MODES), help=",".join(MODES))
    parser.add_argument("--viewers", type=csv(int), help="e.g. 10,1000,5000,10000")
    parser.add_argument("--rates", type=csv(float), help="updates per second, e.g. 1,10")
    parser.add_argument("--duration", type=float, help="measurement window, seconds")
    parser.add_argument("--repeats", type=int, help="windows per point for N <= 1000")
    parser.add_argument("--budget", type=float, help="sweep time budget, minutes")
    parser.add_argument("--connect-rate", type=float, default=400, help="new viewers per second")
    parser.add_argument(
        "--inflight",
        type=int,
        default=Options.inflight,
        help="most connects not yet answered (a storm: as many as viewers)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir and its logs")
    parser.add_argument("--no-micro", action="store_true", help="skip the micro-benchmarks")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results)")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="only re-write the .md and .png of an existing results JSON",
    )
    args = parser.parse_args(argv)
    unknown = set(args.modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {sorted(unknown)}; known: {', '.join(MODES)}")
    return args


def notes(options: dict[str, Any], points: list[dict]) -> list[str]:
    import dashboards_sse

    from .session import Plan
    from .stack import uvicorn_speedups

    plan = Plan("pushpin", 0, [], 0)
    out = [
        "Everything runs on this one 2-core machine: Pushpin, Django, Redis, the publisher and "
        "the viewer process (the client is on the same machine and competes for the CPU).",
        "Latency: time.monotonic() right before push() in the publisher process to receipt in "
        "the viewer process (CLOCK_MONOTONIC is system-wide).",
        "Lost (streams): an update pushed while a viewer was connected and not received within "
        f"{options['drain']:g} s of the window's last push. Polling: latency is freshness (first "
        "time a client saw a value minus its push time); values never seen are not losses.",
        "Django CPU: utime+stime of the uvicorn process from /proc (10 ms ticks) over the "
        "window and its drain; 'Django CPU per update' adds the publisher process's own CPU "
        "(getrusage, microseconds). In Pushpin mode the server does no per-update work: its "
        "few ticks per window are background, so at 1/s (10 updates a window) one tick is "
        "1 ms per update.",
        "Each (mode, viewers) session gets a fresh stack (new sqlite DB in WAL mode, Django "
        f"under uvicorn {' '.join(uvicorn_speedups()) or '(no uvloop/httptools)'}, Pushpin or "
        f"redis-server). Viewers connect at <= {options['connect_rate']:g}/s with <= "
        f"{options.get('inflight', plan.inflight):,} pending; {retried(options)}; windows start "
        f"{options['settle']:g} s after the last viewer opened (Pushpin's recover requests).",
        "Pushpin runs from our pushpin/ config (message_rate=100000, message_hwm=1000000).",
        "Raw: the stack a Django team wires by hand, side by side with ours: the same Pushpin "
        "in front of the same Django, viewers on django-eventstream's own view (its GRIP "
        "answer, on Load's channel), a publisher rendering the Stat and calling "
        "django_eventstream.send_event(channel, 'value', html, async_publish=False, "
        "json_encode=False): same storage, same channel, no dashboards_sse on the wire.",
        "Embedded: dashboards_sse's stream view served by Django itself, each viewer polling "
        "the DB every EMBEDDED_POLL_INTERVAL (0.25 s).",
        "Polling: a sync fragment view rendering the Stat from its ComponentState row, each "
        "client GETs it every 1 s on a keep-alive connection. Every mode runs the same "
        "middleware (GripMiddleware, sessions, auth: sync middleware under ASGI); ours answers "
        "Pushpin's stream requests through dashboards_sse.asgi.stream_fast_path (behind those "
        "three only, one thread hop), raw through Django's handler.",
        "Redis: the tutorial view, one redis.asyncio pub/sub subscription per viewer. "
        "redis-py's asyncio ConnectionPool defaults to max_connections=100 (the view fails at "
        "viewer 101): raised to 60,000; redis-server --maxclients 60000 (default 10,000). "
        "Its publisher renders the Stat and PUBLISHes it, storing nothing: no replay after a "
        "reconnect, no state for new pages (push() stores both in the DB first).",
        "A baseline (mode, rate) stops growing N at its first failing point (connection "
        "errors, > 1% lost or p99 > 5 s); Pushpin and raw run every N.",
    ]
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * max(options["viewers"]) + 1000:
        out.append(
            f"RLIMIT_NOFILE is {soft:,} here (raising it was refused): the Redis view "
            "holds two sockets per viewer in Django (viewer + Redis subscription), so it "
            f"cannot pass ~{soft // 2:,} viewers on this machine whatever its speed."
        )
    if not hasattr(dashboards_sse, "batch"):
        out.append(
            "dashboards_sse.batch() does not exist yet: publisher throughput falls back "
            "to plain push() in a loop (and one push() of 50 components, for comparison)."
        )
    unserved = [
        p
        for p in points
        if p["mode"] == "polling" and p.get("connect") and not p["connect"]["settled"]
    ]
    if unserved:
        out.append(
            "Polling at high N: a saturated Django kept serving the clients it already "
            "served (each re-polls at once when late) while others waited for their "
            "first response; such points are marked 'not served'."
        )
    if any(p.get("client", {}).get("saturated") for p in points):
        out.append(
            "Some points saturated the viewer process (>= 85% of a core): their latency "
            "includes client queueing, an upper bound for the servers."
        )
    return out


def retried(options: dict[str, Any]) -> str:
    """How the run's viewers treated a refused connection (results before ``retries`` was
    recorded retried 3 times)."""
    retries = options.get("retries", 3)
    if not retries:
        return "a refused connection is never retried (reported as refused; the point fails)"
    return f"failed attempts are retried up to {retries} times with jittered backoff"


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.render:  # summaries recomputed: report changes apply to old measurements
        result = json.loads(args.render.read_text())
        rates = result["options"]["rates"]
        result["summary"] = targets.summarize(result["points"], result["micro"], rates)
        result["notes"] = notes(result["options"], result["points"])
        args.render.write_text(json.dumps(result, indent=1) + "\n")
        markdown = render_files(result, args.render.with_suffix(""))
        if result["profile"] == "full":
            (args.render.parent / "latest.md").write_text(markdown)
        return
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    profile = PROFILES[name]
    options = Options(
        modes=args.modes,
        viewers=args.viewers or profile["viewers"],
        rates=args.rates or profile["rates"],
        duration=args.duration or profile["duration"],
        repeats_small=args.repeats or profile["repeats"],
        refine=profile["refine"],
        budget_s=(args.budget * 60) if args.budget else profile["budget"],
        connect_rate=args.connect_rate,
        inflight=args.inflight,
        settle=profile["settle"],
        drain=profile["drain"],
        baseline_min_viewers=profile["baseline_min_viewers"] if not args.viewers else 0,
    )
    out_dir = args.out or (
        Path(tempfile.mkdtemp(prefix="bench-smoke-")) if args.smoke else RESULTS
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    limit = procs.raise_nofile()
    started = time.monotonic()
    rundir = run_dir()
    sweep.say(options, f"{name} run, RLIMIT_NOFILE {limit}, work dir {rundir}")
    try:
        template = make_template_db(rundir)
        points = sweep.run_sweep(options, template, rundir)
        micro = (
            {}
            if args.no_micro
            else sweep.micro(
                options,
                template,
                rundir,
                profile["micro_s"],
                profile["micro_repeats"],
                profile["renders"],
            )
        )
        if micro and profile["buffer_viewers"]:
            micro["buffers"] = sweep.buffers(options, template, rundir, profile["buffer_viewers"])
    finally:
        if args.keep:
            sweep.say(options, f"kept the work dir (every process's log): {rundir}")
        else:
            shutil.rmtree(rundir, ignore_errors=True)
    write(name, options, points, micro, out_dir, time.monotonic() - started)


def write(
    name: str, options: Options, points: list[dict], micro: dict, out_dir: Path, elapsed: float
) -> None:
    today = date.today().isoformat()
    stem = today + ("" if name == "full" else f"-{name}")
    result = {
        "date": today,
        "profile": name,
        "quick": name != "full",
        "elapsed_s": round(elapsed, 1),
        "options": {k: v for k, v in vars(options).items() if k != "log"},
        "machine": machine.info(),
        "points": points,
        "micro": micro,
    }
    result["summary"] = targets.summarize(points, micro, options.rates)
    result["notes"] = notes(result["options"], points)
    (out_dir / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    markdown = render_files(result, out_dir / stem)
    if name == "full" or (name == "quick" and not (out_dir / "latest.md").exists()):
        (out_dir / "latest.md").write_text(markdown)  # a stable name for the README to link
    sweep.say(options, f"wrote {out_dir / stem}.json, .md, .png ({elapsed / 60:.1f} min)")
    print(out_dir / f"{stem}.json")
    sys.stdout.flush()


def render_files(result: dict[str, Any], stem: Path) -> str:
    """``stem``.md and ``stem``.png from a results dict; returns the Markdown."""
    from . import plot, report

    png = stem.with_suffix(".png")
    title = f"dashboards_sse latency ({stem.name})"
    drawn = plot.plot(result["points"], result["options"]["rates"], png, title)
    markdown = report.render(result, png.name if drawn else None)
    stem.with_suffix(".md").write_text(markdown)
    return markdown
