from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings

from . import timescale


class BenchProjectConfig(AppConfig):
    name = "bench.project"
    label = "project"

    def ready(self) -> None:
        factor = getattr(settings, "BENCH_HOLD_COMPRESS", 1.0)
        if factor != 1:
            # Bench-only time compression (bench/hold.py --compress): hold.answer reads these
            # globals on every call. Imported here: dashboards_sse.hold needs the app registry.
            from dashboards_sse import hold

            lifetime, rounding, timeouts = timescale.compressed(factor)
            hold.ES_META_LIFETIME, hold.ES_META_ROUND, hold.NEXT_LINK_TIMEOUT = (
                lifetime,
                rounding,
                timeouts,
            )
