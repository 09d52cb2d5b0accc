"""The publisher process: ``python -m bench.publisher --target push|redis|send_event``.

Django is configured with the bench settings (the environment picks Pushpin or not). It reads
one JSON command per stdin line and answers one JSON line on stdout:

  {"cmd": "run", "rate": 10, "duration": 20, "seq": 1}  push value=seq, seq+1, ... at ``rate``
      -> {"pushes": [[seq, t], ...], "cpu": s, "errors": n, "late_max": s}
  {"cmd": "quit"}

``t`` is time.monotonic() right before each push() call (CLOCK_MONOTONIC is system-wide, so
comparable with the viewers' receipt times); ``cpu`` is this process's utime+stime for the run.
The redis target renders the component the same way (update + render once) and PUBLISHes the
HTML instead of calling push(): the tutorial's publisher. The send_event target is the raw
stack's publisher: the same render, then django-eventstream's ``send_event(Load.channel,
"value", html, async_publish=False, json_encode=False)`` (stored, then published to Pushpin;
the HTML as the event's data, as htmx's sse-swap takes it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable

TARGETS = ("push", "redis", "send_event")
RAW_EVENT_TYPE = "value"  # the raw stack's event: the component's name (bench/throughput.py's)


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_sender(target: str) -> Callable[[int], None]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    django.setup()
    import dashboards_sse
    from dashboards_sse.registry import get_dashboard

    if target == "push":

        def push(seq: int) -> None:
            dashboards_sse.push("load.load", value=seq)

        return push

    component = get_dashboard("load.load").get_component("value")

    def render(seq: int) -> str:
        return str(component.render(component.update(None, seq)))

    if target == "send_event":
        from django_eventstream import send_event

        from .project.dashboards import Load

        def send(seq: int) -> None:
            send_event(
                Load.channel, RAW_EVENT_TYPE, render(seq), async_publish=False, json_encode=False
            )

        return send

    import redis
    from django.conf import settings

    from .project.views import REDIS_CHANNEL

    client = redis.Redis.from_url(settings.BENCH_REDIS_URL)

    def publish(seq: int) -> None:
        client.publish(REDIS_CHANNEL, render(seq))

    return publish


def run(send: Callable[[int], None], rate: float, duration: float, seq: int) -> dict:
    count = max(1, round(rate * duration))
    pushes, errors, late_max = [], 0, 0.0
    cpu0 = cpu_now()
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = time.monotonic()
        late_max = max(late_max, t - due)
        try:
            send(seq + i)
        except Exception as exc:  # a failed push is a measured result, not a crash
            errors += 1
            sys.stderr.write(f"push {seq + i} failed: {exc}\n")
            continue
        pushes.append([seq + i, t])
    return {"pushes": pushes, "cpu": cpu_now() - cpu0, "errors": errors, "late_max": late_max}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.publisher")
    parser.add_argument("--target", choices=TARGETS, default="push")
    args = parser.parse_args()
    send = make_sender(args.target)
    send(0)  # prime: the state row exists (the polling fragment renders it) and all is warm
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        result = run(send, float(command["rate"]), float(command["duration"]), command["seq"])
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
