"""The demo dashboard: this machine's vital signs, read from /proc.

``python manage.py dashboards_sse refresh --every 1`` calls every provider below once a
second and pushes the results in one go; each open page updates through its SSE stream.
With Celery instead (compose profile ``celery``), beat schedules the same refresh from
``refresh_every``: one interval for all components, so one task and one push per second.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from dashboards_sse import Chart, Dashboard, Stat

from . import metrics

EVERY_SECOND = timedelta(seconds=1)


class Host(Dashboard):
    title = "This machine — live"

    cpu = Stat(label="CPU", unit="%", decimals=1, refresh_every=EVERY_SECOND)
    memory = Stat(label="Memory used", unit="%", decimals=1, refresh_every=EVERY_SECOND)
    load = Stat(label="Load, 1 min average", decimals=2, refresh_every=EVERY_SECOND)
    uptime = Stat(label="Uptime", text=True, refresh_every=EVERY_SECOND)
    processes = Stat(label="Processes", refresh_every=EVERY_SECOND)
    cpu_history = Chart(
        label="CPU, last 2 minutes",
        unit="%",
        window=120,
        decimals=1,
        y_min=0,
        y_max=100,
        refresh_every=EVERY_SECOND,
    )
    load_history = Chart(
        label="Load, last 2 minutes",
        window=120,
        decimals=2,
        y_min=0,
        value=lambda: metrics.read_load()[0],
        refresh_every=EVERY_SECOND,
    )

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
