"""The demo dashboard: this machine's vital signs, read from /proc.

``python manage.py dashboards_sse refresh --every 1`` calls every provider below once a
second and pushes the results in one go; each open page updates through its SSE stream.
"""

from __future__ import annotations

import os
from typing import Any

from dashboards_sse import Chart, Dashboard, Stat

from . import metrics


class Host(Dashboard):
    title = "This machine — live"

    cpu = Stat(label="CPU", unit="%", decimals=1)
    memory = Stat(label="Memory used", unit="%", decimals=1)
    load = Stat(label="Load, 1 min average", decimals=2)
    uptime = Stat(label="Uptime", text=True)
    processes = Stat(label="Processes")
    cpu_history = Chart(
        label="CPU, last 2 minutes", unit="%", window=120, decimals=1, y_min=0, y_max=100
    )
    load_history = Chart(
        label="Load, last 2 minutes",
        window=120,
        decimals=2,
        y_min=0,
        value=lambda: metrics.read_load()[0],
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
