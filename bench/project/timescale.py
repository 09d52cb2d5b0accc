"""Bench-only time compression of a held stream's life (bench/hold.py ``--compress F``).

``BENCH_HOLD_COMPRESS=F`` (bench.project.settings) divides the two durations of our GRIP answer
by F once Django is set up (apps.BenchProjectConfig.ready sets dashboards_sse.hold's module
globals, which ``hold.answer`` reads on every call): the es-meta token's lifetime (7,200 s ->
7,200/F), the window its expiry is rounded up to (600 s -> 600/F) and the spread of next-link
timeouts (1,800-3,600 s -> 1,800/F-3,600/F). A 10-minute hold at F = 20 then lives through
more than one and a half token lifetimes and 3+ next links per stream (more for streams that
joined a group of Pushpin's late), as a 3-hour hold does at real scale. Never set outside the
bench: the package is not changed.

No Django here: the harness, which never sets Django up, names the compressed values too.
"""

from __future__ import annotations

# dashboards_sse.hold's ES_META_LIFETIME, ES_META_ROUND and NEXT_LINK_TIMEOUT
# (tests/test_bench_hold.py holds them equal), the values a compression divides.
ES_META_LIFETIME = 7200
ES_META_ROUND = 600
NEXT_LINK_TIMEOUT = (1800, 3600)


def compressed(factor: float) -> tuple[int, int, tuple[int, int]]:
    """The token lifetime, its rounding window and the next-link timeout spread at
    ``factor``, in whole seconds (at least 1)."""
    if factor <= 0:
        raise ValueError(f"compression must be positive, not {factor}")
    low, high = NEXT_LINK_TIMEOUT

    def divided(seconds: float) -> int:
        return max(1, round(seconds / factor))

    return divided(ES_META_LIFETIME), divided(ES_META_ROUND), (divided(low), divided(high))
