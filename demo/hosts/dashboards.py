"""The demo dashboard: this machine's vital signs, read from /proc.

``python manage.py dashboards_sse refresh --every 1`` calls every provider below once a
second and pushes the results in one go; each open page updates through its SSE stream.
With Celery instead (compose profile ``celery``), beat schedules the same refresh from
``refresh_every``: one interval for all components, so one task and one push per second.

The table of the busiest processes is the whole set each second (the package sends viewers
only the rows that changed); the events feed has no provider: what the publisher notices while
sampling (``watch.py``) is pushed with the refresh, in the same event, and so is the push
latency chart: how long the previous rounds took to store and publish (``latency.py``). The
"CPU per core" heatmap is a custom component (``heatmap.py``). "Your number" is left alone by
the publisher: ``demo/push.py 42`` pushes it from a second terminal.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

from dashboards_sse import (
    Chart,
    Column,
    Dashboard,
    Feed,
    Gauge,
    Pushed,
    Stat,
    Status,
    Table,
    batch,
)

from . import metrics
from .heatmap import MAX_ROWS, Heatmap
from .latency import push_times
from .watch import CPU_THRESHOLDS, LOAD_THRESHOLDS, MEMORY_THRESHOLDS, watch

EVERY_SECOND = timedelta(seconds=1)
TWO_MINUTES = timedelta(minutes=2)
# Pushed each second: ten seconds without one and the page marks them stale.
STALE = timedelta(seconds=10)


class Host(Dashboard):
    title = "This machine — live"

    # In this order on a phone; the home page lays them out in six columns on a wide screen
    # (hosts/templates/hosts/home.html).
    system = Status(label="System", refresh_every=EVERY_SECOND)
    cpu = Stat(
        label="CPU",
        unit="%",
        decimals=1,
        thresholds=CPU_THRESHOLDS,
        refresh_every=EVERY_SECOND,
        stale_after=STALE,
    )
    memory = Stat(
        label="Memory used",
        unit="%",
        decimals=1,
        thresholds=MEMORY_THRESHOLDS,
        refresh_every=EVERY_SECOND,
    )
    load = Stat(label="Load, 1 min average", decimals=2, refresh_every=EVERY_SECOND)
    load_per_core = Gauge(
        label="Load per core, 1 min",
        min=0,
        max=2.5,
        decimals=2,
        thresholds=LOAD_THRESHOLDS,
        refresh_every=EVERY_SECOND,
    )
    cpu_history = Chart(
        label="CPU, last 2 minutes",
        unit="%",
        window=TWO_MINUTES,
        decimals=1,
        y_min=0,
        y_max=100,
        refresh_every=EVERY_SECOND,
        stale_after=STALE,
    )
    load_history = Chart(
        label="Load, last 2 minutes",
        window=TWO_MINUTES,
        decimals=2,
        y_min=0,
        value=lambda: metrics.read_load()[0],
        refresh_every=EVERY_SECOND,
    )
    uptime = Stat(label="Uptime", text=True, refresh_every=EVERY_SECOND)
    processes = Stat(label="Processes", refresh_every=EVERY_SECOND)
    top = Table(
        label="Processes by CPU",
        columns=[
            Column("name", label="Process"),
            Column("pid", label="PID", align="right"),
            Column("cpu", label="CPU", format="number", decimals=1, unit="%"),
            Column("memory", label="Memory", format="number", decimals=0, unit=" MiB"),
        ],
        key="pid",
        order_by="-cpu",
        limit=watch.events.top,
        refresh_every=EVERY_SECOND,
    )
    # No provider: refresh() below pushes what the publisher noticed (hosts/watch.py).
    events = Feed(label="Latest events", limit=10)
    cores = Heatmap(
        label="CPU per core, last minute",
        row_label="core",
        unit="%",
        columns=60,
        refresh_every=EVERY_SECOND,
    )
    # No provider: refresh() below pushes the percentiles of its own previous rounds.
    push_latency = Chart(
        label="Push latency, store + publish",
        series=["p50", "p95", "p99"],
        unit="ms",
        window=120,
        decimals=1,
        y_min=0,
    )
    # No provider, so the publisher never overwrites it: yours to push (demo/push.py).
    yours = Stat(label="Your number", text=True, template_name="hosts/components/yours.html")

    @classmethod
    def refresh(cls, *names: str) -> Pushed | None:
        """The providers' values, the events noticed while computing them and the latency of
        the previous rounds: one push, whose own store + publish time is measured for the next.
        """
        with batch():
            pushed = super().refresh(*names)
            for event in watch.take_events():
                cls.events.push(event)
            latency = push_times.percentiles()
            if latency is not None:
                cls.push_latency.push(latency)
            publishing = time.perf_counter()
        push_times.add(time.perf_counter() - publishing)  # the batch stored and published
        return pushed

    def get_cpu_value(self) -> dict[str, Any]:
        cores = os.cpu_count() or 1
        return {"value": metrics.cpu_percent(), "note": f"all {cores} cores"}

    def get_memory_value(self) -> dict[str, Any]:
        memory = metrics.read_memory()
        used, total = memory.used / metrics.GIB, memory.total / metrics.GIB
        return {"value": memory.percent, "note": f"{used:.1f} of {total:.1f} GiB"}

    def get_load_value(self) -> dict[str, Any]:
        one, five, fifteen = metrics.read_load()
        return {"value": one, "note": f"5m {five:.2f}, 15m {fifteen:.2f}"}

    def get_uptime_value(self) -> str:
        return metrics.format_duration(metrics.read_uptime())

    def get_processes_value(self) -> dict[str, Any]:
        running = metrics.running_processes()
        note = f"{running} running" if running is not None else None
        return {"value": metrics.count_processes(), "note": note}

    def get_cpu_history_value(self) -> float:
        return metrics.cpu_percent()

    def get_system_value(self) -> dict[str, str]:
        return watch.current().status

    def get_load_per_core_value(self) -> float:
        return metrics.read_load()[0] / (os.cpu_count() or 1)

    def get_cores_value(self) -> list[float]:
        """Each core's busy % (the first MAX_ROWS cores of a bigger machine)."""
        return metrics.core_percents()[:MAX_ROWS]

    def get_top_value(self) -> list[dict[str, Any]]:
        """The busiest processes (100 % is one core, as in ``top``), busiest first."""
        return [row.as_row() for row in watch.current().top]
