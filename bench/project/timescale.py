"""Bench-only time compression of a held stream's life (bench/hold.py ``--compress F``).

``BENCH_HOLD_COMPRESS=F`` (bench.project.settings) divides the two durations of our GRIP answer
by F once Django is set up (apps.BenchProjectConfig.ready sets dashboards_sse.hold's module
globals, which ``hold.answer`` reads on every call): the es-meta token's lifetime (3,600 s ->
3,600/F) and the spread of next-link timeouts (1,200-1,800 s -> 1,200/F-1,800/F). A 10-minute
hold at F = 20 then lives through more than three token lifetimes and 7+ next links per stream,
as a 3-hour hold does at real scale. Never set outside the bench: the package is not changed.

No Django here: the harness, which never sets Django up, names the compressed values too.
"""

from __future__ import annotations

# dashboards_sse.hold's ES_META_LIFETIME and NEXT_LINK_TIMEOUT (tests/test_bench_hold.py holds
# them equal), the values a compression divides.
ES_META_LIFETIME = 3600
NEXT_LINK_TIMEOUT = (1200, 1800)


def compressed(factor: float) -> tuple[int, tuple[int, int]]:
    """The token lifetime and next-link timeout spread at ``factor``, in whole seconds (at
    least 1)."""
    if factor <= 0:
        raise ValueError(f"compression must be positive, not {factor}")
    low, high = NEXT_LINK_TIMEOUT
    return (
        max(1, round(ES_META_LIFETIME / factor)),
        (max(1, round(low / factor)), max(1, round(high / factor))),
    )
