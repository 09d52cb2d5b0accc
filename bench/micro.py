"""Micro-benchmarks in their own process (Django set up with the bench settings):

  python -m bench.micro throughput --seconds S   component updates/s of ONE publisher process
                                                 through push() to the running Pushpin + DB
  python -m bench.micro render --count N         Stat.render(state) time per call
  python -m bench.micro connect --count N --repeats R [--out DIR]
                                                 Django CPU per stream connect at the ASGI app
                                                 (ours public, ours with a session login, raw
                                                 django-eventstream), interleaved blocks

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from . import asgi_call


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(step: Callable[[int], int], seconds: float) -> dict[str, Any]:
    """Call ``step(i)`` (returns the component updates it made) for ``seconds``."""
    updates = calls = 0
    cpu0, start = cpu_now(), time.monotonic()
    while time.monotonic() - start < seconds:
        updates += step(calls)
        calls += 1
    elapsed, cpu = time.monotonic() - start, cpu_now() - cpu0
    return {
        "updates": updates,
        "calls": calls,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed, 1),
        "cpu_per_update_ms": round(1000 * cpu / max(1, updates), 4),
    }


def throughput(seconds: float, repeats: int) -> dict[str, Any]:
    import dashboards_sse
    from dashboards_sse import push

    from .project.dashboards import WIDE_STATS

    names = [f"s{i}" for i in range(WIDE_STATS)]

    def plain(i: int) -> int:  # one push() per component update
        push("load.wide", **{names[i % WIDE_STATS]: i})
        return 1

    def multi(i: int) -> int:  # one push() carrying every component: one transaction, one POST
        push("load.wide", **{name: i for name in names})
        return WIDE_STATS

    variants: dict[str, Callable[[int], int]] = {"plain": plain, "multi_component": multi}
    batch = getattr(dashboards_sse, "batch", None)
    if batch is not None:

        def batched(i: int) -> int:  # 50 separate push() calls, one transaction and POST
            with batch():
                for name in names:
                    push("load.wide", **{name: i})
            return WIDE_STATS

        variants["batch"] = batched
    out: dict[str, Any] = {"batch_available": batch is not None, "stats": WIDE_STATS}
    for label, step in variants.items():
        runs = [timed(step, seconds) for _ in range(repeats)]
        out[label] = {
            "updates_per_s": statistics.median(r["updates_per_s"] for r in runs),
            "cpu_per_update_ms": statistics.median(r["cpu_per_update_ms"] for r in runs),
            "runs": runs,
        }
    return out


def render(count: int) -> dict[str, Any]:
    from dashboards_sse.registry import get_dashboard

    stat = get_dashboard("load.load").get_component("value")
    states = [stat.update(None, i * 37) for i in range(count)]
    for state in states[:200]:  # warm: templates compiled and cached
        stat.render(state)
    times = []
    for state in states:
        start = time.perf_counter_ns()
        stat.render(state)
        times.append(time.perf_counter_ns() - start)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p / 100 * len(times)))] / 1e6, 4)

    return {
        "count": count,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(times[-1] / 1e6, 4),
        "mean_ms": round(sum(times) / count / 1e6, 4),
    }


CONNECT_VARIANTS = (
    "ours, public",
    "ours, session login",
    "ours + stream_fast_path, public",
    "ours + stream_fast_path, session login",
    "raw django-eventstream view",
)


def connect(count: int, repeats: int) -> dict[str, Any]:
    """Django CPU per new viewer: the GRIP answer to a Pushpin-signed stream request, sent to
    the ASGI application in this process (no network, no Pushpin), ``count`` connects per block,
    the variants' blocks interleaved ``repeats`` times. Each request resumes from the newest id
    (the page's, as our client does). CPU is the process's (every thread: Django runs sync
    code in a worker thread)."""
    import asyncio

    import jwt
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.asgi import get_asgi_application
    from django.core.management import call_command

    from dashboards_sse import push
    from dashboards_sse.asgi import stream_fast_path
    from dashboards_sse.testing import capture_pushes

    call_command("migrate", verbosity=0)
    with capture_pushes():  # stored as usual, nothing published (there is no Pushpin)
        for _ in range(3):
            push("load.load", value=1)
        push("load.private", value=1)
        last_id = push("load.load", value=2).event_id
    user = get_user_model().objects.create_user("viewer")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    key = settings.GRIP_URL.split("key=", 1)[1]
    django_app = get_asgi_application()
    fast_app = stream_fast_path(django_app)
    query = f"lastEventId=dashboard.load.load:{last_id}".encode()
    public = ("/dashboards/load.load/stream/", query, b"")
    login = ("/dashboards/load.private/stream/", b"", f"sessionid={session.session_key}".encode())
    requests = {
        CONNECT_VARIANTS[0]: (django_app, *public),
        CONNECT_VARIANTS[1]: (django_app, *login),
        CONNECT_VARIANTS[2]: (fast_app, *public),
        CONNECT_VARIANTS[3]: (fast_app, *login),
        CONNECT_VARIANTS[4]: (django_app, "/bench/raw/stream/", query, b""),
    }

    async def one(app: Any, path: str, query_string: bytes, cookie: bytes) -> None:
        signature = jwt.encode(
            {"iss": "pushpin", "exp": int(time.time()) + 3600}, key, algorithm="HS256"
        )
        headers = asgi_call.request_headers(b"127.0.0.1", signature, cookie)
        scope = asgi_call.get_scope(path, query_string, headers, ("127.0.0.1", 8000))
        start = (await asgi_call.get(app, scope))[0]
        if start["status"] != 200 or (b"Grip-Hold", b"stream") not in start["headers"]:
            raise RuntimeError(f"{path}: not a GRIP hold: {start}")

    async def block(variant: str) -> float:
        cpu = cpu_now()
        for _ in range(count):
            await one(*requests[variant])
        return (cpu_now() - cpu) / count * 1000

    blocks: dict[str, list[float]] = {variant: [] for variant in CONNECT_VARIANTS}
    for variant in CONNECT_VARIANTS:  # warm-up
        asyncio.run(block(variant))
    for _ in range(repeats):
        for variant in CONNECT_VARIANTS:
            blocks[variant].append(round(asyncio.run(block(variant)), 3))
    medians = {variant: statistics.median(ms) for variant, ms in blocks.items()}
    raw = medians[CONNECT_VARIANTS[-1]]
    return {
        "what": "connect",
        "count": count,
        "repeats": repeats,
        "middleware": list(settings.MIDDLEWARE),
        "cpu_ms_per_connect_median": medians,
        "cpu_ms_per_connect_blocks": blocks,
        "ratio_to_raw": {variant: round(ms / raw, 3) for variant, ms in medians.items()},
    }


def connect_report(result: dict[str, Any]) -> str:
    medians = result["cpu_ms_per_connect_median"]
    lines = [
        f"# Django CPU per stream connect ({time.strftime('%Y-%m-%d')})",
        "",
        f"`python -m bench.micro connect --count {result['count']} --repeats "
        f"{result['repeats']}`: Pushpin-signed stream requests sent to the ASGI application in "
        "one process (no network, no Pushpin: Django's part of a connect), one at a time; "
        f"blocks of {result['count']} connects per variant, interleaved, {result['repeats']} "
        "repeats, median of blocks; CPU of the whole process (every thread). Middleware: "
        + ", ".join(f"`{name.rsplit('.', 1)[-1]}`" for name in result["middleware"])
        + ".",
        "",
        "| variant | CPU ms per connect (median) | blocks | vs raw |",
        "|---|--:|---|--:|",
    ]
    for variant, ms in medians.items():
        blocks = ", ".join(f"{b:.2f}" for b in result["cpu_ms_per_connect_blocks"][variant])
        lines.append(
            f"| {variant} | **{ms:.2f}** | {blocks} | {result['ratio_to_raw'][variant]:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.micro")
    parser.add_argument("what", choices=("throughput", "render", "connect"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--out", help="connect: write <date>-connect.json and .md here")
    args = parser.parse_args()
    import django

    if args.what == "connect":
        # its own database and a GRIP key (nothing is published: the requests only connect)
        scratch = tempfile.mkdtemp(prefix="dsse-bench-connect-")
        os.environ["BENCH_DB"] = os.path.join(scratch, "db.sqlite3")
        os.environ["BENCH_GRIP_URL"] = "http://127.0.0.1:9/?key=" + "b" * 48
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    django.setup()
    if args.what == "throughput":
        result = throughput(args.seconds, args.repeats)
    elif args.what == "render":
        result = render(args.count or 10_000)
    else:
        result = connect(args.count or 300, max(args.repeats, 1))
        if args.out:
            stem = os.path.join(args.out, time.strftime("%Y-%m-%d") + "-connect")
            with open(stem + ".json", "w") as out:
                json.dump(result, out, indent=1)
            with open(stem + ".md", "w") as out:
                out.write(connect_report(result))
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
