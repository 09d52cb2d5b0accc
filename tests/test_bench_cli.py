"""bench.cli's notes say how the run's viewers treated a refused connection."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")
cli = pytest.importorskip("bench.cli")


def test_this_runs_viewers_never_retry() -> None:
    assert "never retried" in cli.retried({"retries": 0})


def test_results_from_before_the_option_say_they_retried() -> None:
    assert "retried up to 3 times" in cli.retried({})  # re-rendered 2026-11 results
    assert "retried up to 2 times" in cli.retried({"retries": 2})
