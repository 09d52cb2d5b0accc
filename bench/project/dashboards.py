"""The measured dashboard (one Stat, the publisher pushes its sequence number), a wide one for
the publisher-throughput micro-benchmark, and two identical 7-component dashboards for
bench/multipush.py: one gets real ``push()`` calls, the other the bench's own per-component
events (what ``push()`` published before one push became one message)."""

from __future__ import annotations

from dashboards_sse import Dashboard, Stat

from . import MULTI_COMPONENTS

WIDE_STATS = 50


class Load(Dashboard):
    slug = "load.load"
    title = "Load"

    value = Stat(label="Sequence")


class Wide(Dashboard):
    slug = "load.wide"
    title = "Wide"

    locals().update({f"s{i}": Stat(label=f"Stat {i}") for i in range(WIDE_STATS)})


def _multi_stats() -> dict[str, Stat]:
    return {name: Stat(label=name.title()) for name in MULTI_COMPONENTS}


class MultiAfter(Dashboard):
    """Pushed with ``push("multi.after", orders=..., ...)``, as users do."""

    slug = "multi.after"
    title = "Seven components (push)"

    locals().update(_multi_stats())


class MultiBefore(Dashboard):
    """Never pushed: bench/multipush.py publishes the per-component items itself."""

    slug = "multi.before"
    title = "Seven components (per-component events)"

    locals().update(_multi_stats())
