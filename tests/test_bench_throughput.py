"""bench.throughput's check of what each viewer received: duplicates, gaps, order."""

from __future__ import annotations

from typing import Any

import pytest

np = pytest.importorskip("numpy")
throughput = pytest.importorskip("bench.throughput")


class Records:
    def __init__(self, received: list[tuple[int, int]]) -> None:
        self.conn = np.array([viewer for viewer, _ in received], dtype=np.int32)
        self.seq = np.array([event_id for _, event_id in received], dtype=np.int32)
        self.t = np.arange(len(received), dtype=np.float64)


def check(received: list[tuple[int, int]], first: int, last: int, viewers: int) -> Any:
    return throughput.integrity(Records(received), first, last, viewers)


def test_every_event_once_in_order_is_clean() -> None:
    # interleaved viewers; ids outside the run (before, after) are not counted
    received = [(0, 4), (0, 5), (1, 5), (0, 6), (1, 6), (0, 7), (1, 7), (1, 8)]
    assert check(received, 5, 7, 2) == {
        "expected": 6,
        "received": 6,
        "duplicates": 0,
        "gaps": 0,
        "out_of_order": 0,
        "viewers_clean": 2,
    }


def test_duplicates_gaps_and_late_events_per_viewer() -> None:
    received = [(0, 1), (0, 3), (0, 2), (0, 3), (1, 1), (1, 1), (1, 2)]
    found = check(received, 1, 3, 3)  # viewer 2 received nothing
    assert found == {
        "expected": 9,
        "received": 7,
        "duplicates": 2,  # viewer 0's second 3, viewer 1's second 1
        "gaps": 1 + 3,  # viewer 1 never got 3, viewer 2 got none
        "out_of_order": 1,  # viewer 0's 2 after 3
        "viewers_clean": 0,
    }


def test_a_replayed_older_event_is_a_duplicate_not_late() -> None:
    found = check([(0, 1), (0, 2), (0, 3), (0, 2), (0, 3)], 1, 3, 1)
    assert (found["duplicates"], found["out_of_order"], found["gaps"]) == (2, 0, 0)
