"""The client's reconnect arithmetic (dashboards_sse.js ``reconnectDelay``), run under Node
outside the browser: what a reconnect storm looks like is a property of this function."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CLIENT = Path(__file__).parents[1] / "dashboards_sse/static/dashboards_sse/dashboards_sse.js"
LOADER = Path(__file__).parent / "js/load_client.js"
OPTIONS = {"base": 500, "max": 30_000, "spread": 3_000}


def run(expression: str) -> Any:
    node = shutil.which("node")
    assert node, "Node.js is needed (make system-deps installs Debian's nodejs)"
    out = subprocess.run(
        [node, str(LOADER), str(CLIENT), expression],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def ceiling(attempt: int, from_live: bool, options: dict[str, int] = OPTIONS) -> float:
    """The largest delay of an attempt: reconnectDelay with random() = 1."""
    value: float = run(
        f"client.reconnectDelay({attempt}, {json.dumps(from_live)}, {json.dumps(options)}, "
        "() => 1)"
    )
    return value


@pytest.mark.parametrize(
    ("attempt", "from_live", "expected"),
    [
        (1, False, 500),  # a refused or failed first connect: back soon
        (2, False, 1_000),
        (4, False, 4_000),
        (9, False, 30_000),  # capped
        (1, True, 3_000),  # a live stream dropped: the whole spread window
        (2, True, 6_000),
        (5, True, 30_000),
    ],
)
def test_ceilings(attempt: int, from_live: bool, expected: int) -> None:
    assert ceiling(attempt, from_live) == expected


def test_full_jitter_down_to_zero() -> None:
    assert run(f"client.reconnectDelay(3, true, {json.dumps(OPTIONS)}, () => 0)") == 0


def test_a_spread_below_the_base_keeps_the_base() -> None:
    assert ceiling(1, True, {**OPTIONS, "spread": 100}) == 500


def test_a_pushpin_restart_under_10000_viewers_is_spread_over_the_window() -> None:
    """Every viewer drops at once; with the real function and a uniform random source, count
    reconnects per 100 ms: at most ~N/30 each (N / spread), none after the window, where
    the base alone brought all N back within 500 ms."""
    counts = run(
        """(() => {
          let seed = 12345;  // mulberry32: deterministic, uniform
          const random = () => {
            seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
            let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
          };
          const buckets = (fromLive) => {
            const out = new Array(40).fill(0);
            for (let i = 0; i < 10000; i++) {
              const delay = client.reconnectDelay(1, fromLive, OPTIONS, random);
              out[Math.min(39, Math.floor(delay / 100))] += 1;
            }
            return out;
          };
          return {spread: buckets(true), base: buckets(false)};
        })()""".replace("OPTIONS", json.dumps(OPTIONS))
    )
    assert sum(counts["spread"][:30]) == 10_000  # all back within the 3 s window
    assert max(counts["spread"]) <= 10_000 / 30 * 1.25  # ~333 per 100 ms, not 2,000
    assert sum(counts["base"][:5]) == 10_000  # without the spread: all within 0.5 s
