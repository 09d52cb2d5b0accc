"""bench.backoff's mirror of the client's ``reconnectDelay`` equals the real one (the browser
client's dashboards_sse.js under Node): the load client's reconnect storm is the browser's."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest

from bench.backoff import BASE_MS, MAX_MS, SPREAD_MS, Backoff, reconnect_delay
from tests.test_client_backoff import OPTIONS, run

ATTEMPTS = range(1, 11)
LIVE = (True, False)
RANDOMS = (0, 0.25, 0.5, 1)


def js_delays(options: dict[str, float]) -> list[float]:
    """``reconnectDelay`` over the grid, in itertools.product order, in one Node run."""
    expression = f"""(() => {{
      const out = [];
      for (const attempt of {json.dumps(list(ATTEMPTS))})
        for (const fromLive of {json.dumps(LIVE)})
          for (const r of {json.dumps(RANDOMS)})
            out.push(client.reconnectDelay(attempt, fromLive, {json.dumps(options)}, () => r));
      return out;
    }})()"""
    delays: list[float] = run(expression)
    return delays


def fixed(value: float) -> Callable[[], float]:
    return lambda: value


def test_the_defaults_are_the_browsers() -> None:
    assert {"base": BASE_MS, "max": MAX_MS, "spread": SPREAD_MS} == OPTIONS
    assert Backoff() == Backoff(**OPTIONS)


@pytest.mark.parametrize(
    "options",
    [
        OPTIONS,
        {**OPTIONS, "spread": 100},  # a spread below the base keeps the base
        {"base": 250, "max": 7_000, "spread": 10_000},  # the spread above the cap
    ],
)
def test_the_mirror_equals_the_client(options: dict[str, float]) -> None:
    mirror = Backoff(**options)
    grid = itertools.product(ATTEMPTS, LIVE, RANDOMS)
    ours = [reconnect_delay(a, live, mirror, fixed(r)) for a, live, r in grid]
    assert ours == js_delays(options)
    assert len(set(ours)) > 10  # the grid tells attempts, origins and randoms apart
