"""The Pushpin-blip drill's reading of its records (bench.reconnects, bench.blip), on synthetic
arrays: peaks, per-viewer back times, the backoff arithmetic's storm, and the verdicts."""

from __future__ import annotations

from typing import Any

import pytest

np = pytest.importorskip("numpy")
blip = pytest.importorskip("bench.blip")
from bench import reconnects, statuses  # noqa: E402
from bench.backoff import Backoff  # noqa: E402


def test_event_peak_is_a_sliding_window() -> None:
    # 3 events either side of the 1.0 boundary: fixed bins would see 3 and 3
    times = [5.0, 0.6, 0.7, 0.95, 1.05, 1.1, 1.4]
    assert reconnects.event_peak(times, 1.0) == 6
    assert reconnects.event_peak(times, 0.2) == 3  # 0.95, 1.05, 1.1
    assert reconnects.event_peak([], 1.0) == 0


def test_counter_peak_from_samples() -> None:
    t = np.arange(0, 3.01, 0.1)
    counts = np.concatenate([np.zeros(11), np.arange(10, 101, 10), np.full(10, 100)])
    # flat to 1.0 s, +10 per 100 ms to 2.0 s, flat
    assert reconnects.counter_peak(t, counts, 0.1) == pytest.approx(10)
    assert reconnects.counter_peak(t, counts, 1.0) == pytest.approx(100)


def test_counter_peak_spreads_a_late_sample_over_its_interval() -> None:
    # the sampler stalled 0.4 s while 40 requests came: 10 per 100 ms, not 40
    t, counts = np.array([0.0, 0.1, 0.5, 0.6]), np.array([0, 0, 40, 40])
    assert reconnects.counter_peak(t, counts, 0.1) == pytest.approx(10)
    assert reconnects.counter_peak(t[:1], counts[:1], 0.1) == 0  # nothing to compare


def test_back_times_per_viewer_over_their_drops() -> None:
    conn = np.array([0, 1, 0, 2, 3], dtype=np.int32)
    drop = np.array([10.0, 10.1, 12.0, 10.2, 50.0])
    back = np.array([11.0, 13.1, 14.5, np.nan, 51.0])  # viewer 2 never back
    gone = reconnects.back_times(conn, drop, back, 10.0, 20.0)  # viewer 3: another blip
    assert gone.keys() == {0, 1, 2}
    assert gone[0] == (10.0, 14.5)  # back, dropped again: from the first drop to the last return
    assert gone[1] == (10.1, 13.1)
    summary = reconnects.back_summary(gone, 10.0, 3.5)
    assert summary["never_back"] == 1 and summary["all_back_s"] is None
    assert summary["back_max_s"] == pytest.approx(4.5)
    assert summary["back_within_fraction"] == pytest.approx(1 / 3, abs=1e-4)  # 4.5, 3.0, never


def test_back_summary_when_all_are_back() -> None:
    gone = {0: (1.0, 2.0), 1: (1.0, 4.0)}
    summary = reconnects.back_summary(gone, 0.5, 30.0)
    assert summary["back_within_fraction"] == 1 and summary["all_back_s"] == pytest.approx(3.5)
    assert reconnects.back_summary({}, 0.0, 30.0)["back_within_fraction"] is None


def test_the_arithmetic_storm() -> None:
    options = Backoff(500, 30_000, 3_000)
    immediate = reconnects.first_successes(2_000, 0.0, options)
    assert immediate.max() <= 3.0  # nothing down: the first attempt, within the spread
    assert reconnects.event_peak(immediate, 1.0) <= 2_000 / 3 * 1.15
    outage = reconnects.first_successes(2_000, 2.0, options)
    assert outage.min() >= 2.0  # attempts while the proxy is down fail and back off
    # 1/3 of the first attempts come after the outage; the rest back off to 6 s and beyond
    assert 2_000 / 3 * 0.85 <= (outage < 3.0).sum() <= 2_000 / 3 + 2_000 * 2 / 3 / 6 * 1.2
    # an outage piles retries onto the first second back: in [2, 3) s, 1/3 of the first
    # attempts, and of the 2/3 refused at t < 2 s, the 1/6 whose retry (t + [0, 6 s)) lands
    # there: 4/9 of all, against 1/3 with no outage
    assert reconnects.event_peak(outage, 1.0) == pytest.approx(2_000 * 4 / 9, rel=0.08)
    unspread = reconnects.first_successes(2_000, 0.0, Backoff(500, 30_000, 0))
    assert unspread.max() <= 0.5  # the base alone: all within 0.5 s
    assert reconnects.histogram(np.array([0.5, 1.2, 1.3, 9.0]), 0.0, 3.0, 1.0) == [1, 2, 0]


def summary(**changes: Any) -> dict[str, Any]:
    one = {
        "back_within_fraction": 1.0,
        "back_max_s": 6.0,
        "django_peak_per_s": 120.0,
        "django_peak_bounded": True,
        "model": {"spread": {"peak_per_s": 110}},
    }
    found = {
        "blips": [one],
        "delivery": {"duplicates": 0, "out_of_order": 0, "gaps": 0},
        "lost": 0,
        "refused_updates": 0,
        "connect": {"failed": 0},
        "django_responses": 500,
        "django_5xx": 0,
        "django_raised": 0,
    }
    for key, value in changes.items():
        if key in one:
            one[key] = value
        else:
            found[key] = value
    return found


def test_judge_meets_every_target_of_a_clean_drill() -> None:
    assert all(target["met"] for target in blip.judge(summary()))


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"back_within_fraction": 0.999}, 0),
        ({"lost": 3}, 1),
        ({"delivery": {"duplicates": 1, "out_of_order": 0, "gaps": 0}}, 2),
        ({"django_5xx": 2}, 3),
        ({"django_raised": 1}, 3),
        ({"django_peak_bounded": False}, 4),
    ],
)
def test_judge_names_the_target_missed(change: dict[str, Any], failed: int) -> None:
    met = [target["met"] for target in blip.judge(summary(**change))]
    assert met == [i != failed for i in range(len(met))]


def test_per_second_timeline_of_a_sampled_counter() -> None:
    requests = np.arange(0.01, 3.0, 0.1)  # 10 a second from the SIGTERM
    t = np.arange(-1.15, 2.0, 0.1)  # sampled from 1.15 s before to 1.95 s after
    counts = np.searchsorted(requests, t, side="right")
    seconds = blip.per_second(t, counts)
    assert seconds[:3] == [0, 10, 10]  # -1, 0, 1
    assert seconds[3:] == [None] * (len(seconds) - 3)  # past the samples
    assert blip.per_second(t, counts, rise=False)[:3] == [0, 10, 20]


def test_status_counts_are_shared_through_the_file(tmp_path: Any) -> None:
    path = tmp_path / "statuses.count"
    assert statuses.read(path)["5xx"] == 0  # before the first response
    counter = statuses.StatusCounter(path)
    for status in (200, 200, 304, 404, 502, 503, 101):
        counter.response(status)
    counter.raised()
    assert statuses.read(path) == {
        "responses": 7,
        "2xx": 2,
        "3xx": 1,
        "4xx": 1,
        "5xx": 2,
        "raised": 1,
    }
