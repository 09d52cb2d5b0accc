"""The measured dashboard (one Stat, the publisher pushes its sequence number) and a wide one
for the publisher-throughput micro-benchmark."""

from __future__ import annotations

from dashboards_sse import Dashboard, Stat

WIDE_STATS = 50


class Load(Dashboard):
    slug = "load.load"
    title = "Load"

    value = Stat(label="Sequence")


class Wide(Dashboard):
    slug = "load.wide"
    title = "Wide"

    locals().update({f"s{i}": Stat(label=f"Stat {i}") for i in range(WIDE_STATS)})
