"""``python -m bench.fanout``: what publishing to a Pushpin fleet costs the publisher.

The same one-component update (a rendered Stat, django-eventstream's wire format) is published
through ``grip.publish_items`` to one real Pushpin, to two, and to two of which one is
down (its port refused, as after a crash), in interleaved rounds so the variants share the
machine's noise. Per publish: wall time (the time ``push()`` blocks on publishing) and the
publisher's CPU. Writes ``<out>/<date>-fanout.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import secrets
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import procs
from .stack import REPO, pushpin_run_env, run_dir

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ("one", "two", "two_one_down")


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_pushpins(rundir: Path, count: int) -> tuple[list[Any], list[int], str]:
    key = secrets.token_urlsafe(36)
    processes, ports = [], []
    for n in range(count):
        proxy, publish = procs.free_port(), procs.free_port()
        # Origin never reached: nothing connects as a client.
        env = {
            **os.environ,
            **pushpin_run_env(proxy, publish, "127.0.0.1:9", rundir / f"pp{n}", key),
        }
        process = procs.spawn(
            ["sh", str(REPO / "pushpin" / "run")], env, REPO, rundir / f"pushpin{n}.log"
        )
        processes.append(process)
        procs.wait_for_port(publish, process)
        ports.append(publish)
    return processes, ports, key


def measure(pushes: int, rounds: int) -> dict[str, Any]:
    import django
    from django.conf import settings

    settings.configure(INSTALLED_APPS=["django_eventstream"], USE_TZ=True)
    django.setup()
    from dashboards_sse.conf import GripProxy, get_settings
    from dashboards_sse.publish import grip, wire

    rundir = run_dir()
    processes, ports, key = start_pushpins(rundir, 2)
    dead = procs.free_port()
    try:
        base = get_settings()
        urls = {
            "one": [ports[0]],
            "two": ports,
            "two_one_down": [ports[0], dead],
        }
        configs = {
            name: dataclasses.replace(
                base,
                proxies=tuple(
                    GripProxy.from_url(f"http://127.0.0.1:{port}?key={key}") for port in found
                ),
                publish_timeout=1.0,
            )
            for name, found in urls.items()
        }
        html = '<div class="dsse-stat"><span class="label">CPU</span> 42.0 %</div>'
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        failures: dict[str, int] = dict.fromkeys(VARIANTS, 0)
        event_id = 0
        for round_index in range(rounds + 1):  # round 0 warms sessions up, not kept
            for name in VARIANTS:
                kept: list[tuple[float, float]] = []
                for _ in range(pushes):
                    event_id += 1
                    data = wire.message([wire.replace("cpu", html)])
                    item = wire.event_item("bench.fanout", wire.UPDATE_EVENT, data, event_id, "")
                    cpu0, start = cpu_now(), time.perf_counter()
                    try:
                        grip.publish_items([item], configs[name])
                    except grip.PartialPublishError:
                        failures[name] += bool(round_index)
                    kept.append((time.perf_counter() - start, cpu_now() - cpu0))
                if round_index:
                    samples[name] += kept
    finally:
        for process in processes:
            procs.stop(process)
    out: dict[str, Any] = {}
    for name, found in samples.items():
        walls = sorted(wall for wall, _ in found)
        out[name] = {
            "publishes": len(found),
            "partial_errors": failures[name],
            "wall_ms_p50": round(1000 * statistics.median(walls), 3),
            "wall_ms_p99": round(1000 * walls[int(0.99 * (len(walls) - 1))], 3),
            "cpu_ms_per_publish": round(1000 * sum(cpu for _, cpu in found) / len(found), 3),
        }
    one = out["one"]
    for name in ("two", "two_one_down"):
        out[name]["wall_p50_vs_one"] = round(out[name]["wall_ms_p50"] / one["wall_ms_p50"], 2)
        out[name]["cpu_vs_one"] = round(
            out[name]["cpu_ms_per_publish"] / max(one["cpu_ms_per_publish"], 1e-6), 2
        )
    return out


def report(result: dict[str, Any]) -> str:
    rows = [
        "| proxies | publishes | p50 wall ms | p99 wall ms | CPU ms/publish | p50 vs one "
        "| CPU vs one |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {"one": "1 Pushpin", "two": "2 Pushpins", "two_one_down": "2, one down"}
    for name in VARIANTS:
        row = result["variants"][name]
        rows.append(
            f"| {labels[name]} | {row['publishes']} | {row['wall_ms_p50']} | "
            f"{row['wall_ms_p99']} | {row['cpu_ms_per_publish']} | "
            f"{row.get('wall_p50_vs_one', 1.0)}x | {row.get('cpu_vs_one', 1.0)}x |"
        )
    return "\n".join(
        [
            f"# Publishing to a Pushpin fleet ({result['date']})",
            "",
            "One Stat update per publish through `grip.publish_items` (what `push()` "
            "waits for after storing), to real Pushpins from our `pushpin/` config on this "
            f"machine; {result['rounds']} interleaved rounds of {result['pushes']} publishes "
            "per variant (a first warm-up round not kept). 'One down' is a refused port, tried "
            "once per publish after the first failure (`PartialPublishError` each time).",
            "",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--pushes", type=int, default=200, help="publishes per variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = {
        "date": date.today().isoformat(),
        "pushes": args.pushes,
        "rounds": args.rounds,
        "variants": measure(args.pushes, args.rounds),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{result['date']}-fanout"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    markdown = report(result)
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
