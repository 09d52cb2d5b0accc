"""bench.hold's arithmetic on synthetic samples, records and log lines (bench/waves.py), and its
bench-only time compression of the GRIP answer (bench/project/timescale.py)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django_grip import GripMiddleware

from dashboards_sse import hold as grip_hold

np = pytest.importorskip("numpy")
waves = pytest.importorskip("bench.waves")
bench_hold = pytest.importorskip("bench.hold")
timescale = pytest.importorskip("bench.project.timescale")
bench_project = pytest.importorskip("bench.project")
BenchProjectConfig = pytest.importorskip("bench.project.apps").BenchProjectConfig


# -- requests: bins, seconds, windows ------------------------------------------------------------
def test_counter_samples_are_binned_where_each_increase_was_seen() -> None:
    times = [9.95, 10.05, 10.15, 10.25, 10.35, 10.45]
    counts = [100, 103, 103, 110, 110, 111]  # +3 seen at 10.05 (the first one is from before 10)
    bins = waves.counter_bins(times, counts, start=10.0, end=10.4)
    assert bins.tolist() == [3, 0, 7, 0]  # 10.45's +1 is after the end


def test_per_second_sums_bins_and_keeps_a_partial_last_second() -> None:
    bins = np.array([1] * 10 + [2] * 10 + [5, 5, 5])
    assert waves.per_second(bins) == [10, 20, 15]


def test_the_busiest_window_finds_a_burst_in_background_traffic() -> None:
    bins = np.ones(600, dtype=np.int64)  # 60 s at 1 request per 0.1 s
    bins[300:303] += 40  # a burst of 120 requests in 0.3 s, 30 s in
    found = waves.waves(bins, [10.0, 1.0, 0.2])
    assert found["10s"] == {"requests": 100 + 120, "at_s": 20.3}  # first window holding it
    assert found["1s"] == {"requests": 10 + 120, "at_s": 29.3}
    assert found["0.2s"] == {"requests": 2 + 80, "at_s": 30.0}


def test_a_window_longer_than_the_series_is_the_whole_series() -> None:
    assert waves.busiest_window(np.array([1, 2, 3]), 50) == (6, 0)
    assert waves.busiest_window(np.array([], dtype=np.int64), 5) == (0, 0)


def test_logged_requests_are_binned_by_time() -> None:
    bins = waves.event_bins([0.99, 1.0, 1.05, 1.21, 1.31, 1.4], start=1.0, end=1.4)
    assert bins.tolist() == [2, 0, 1, 1]


def test_the_compressed_wave_window_is_ten_seconds_of_real_time() -> None:
    assert bench_hold.scaled_window(1) == pytest.approx(10.0)
    assert bench_hold.scaled_window(20) == pytest.approx(0.5)
    assert bench_hold.scaled_window(60) == pytest.approx(0.2)  # 0.167 s in whole 0.1 s bins
    assert bench_hold.scaled_window(1000) == pytest.approx(0.1)


# -- deliveries ----------------------------------------------------------------------------------
def test_delays_lost_late_and_duplicate_deliveries() -> None:
    pushes = [[3, 102.0], [1, 100.0], [2, 101.0]]  # any order: sorted by seq
    received = [  # (viewer, seq, receipt time), in receipt order
        (0, 1, 100.05), (1, 1, 100.10), (2, 1, 100.20),
        (0, 2, 101.05), (1, 2, 102.50), (0, 2, 102.60),  # viewer 1 late; viewer 0 twice
        (0, 3, 102.05), (1, 3, 102.55), (2, 7, 102.1),  # viewer 2 never got 2 or 3; 7: no push
    ]  # fmt: skip
    conn = np.array([r[0] for r in received], dtype=np.int32)
    seq = np.array([r[1] for r in received], dtype=np.int32)
    t = np.array([r[2] for r in received], dtype=np.float64)
    found = waves.delays(conn, seq, t, pushes)
    assert found.seq.tolist() == [1, 2, 3]
    assert found.received.tolist() == [3, 2, 2]
    assert found.late_viewers.tolist() == [0, 1, 0]  # 1.5 s for viewer 1 (0.55 s is on time)
    assert found.max_s.tolist() == pytest.approx([0.2, 1.5, 0.55])
    assert found.duplicates == 1
    summary = waves.delay_summary(found, viewers=3)
    assert summary["expected"] == 9
    assert summary["received"] == 7
    assert summary["lost"] == 2
    assert summary["viewers_complete"] == 2  # viewers 0 and 1
    assert summary["updates_late"] == 1
    assert summary["deliveries_late"] == 1
    assert summary["delay_ms"]["max"] == pytest.approx(1500.0)
    assert summary["worst_update_seq"] == 2
    assert summary["worst_update_p99_ms"] == pytest.approx(1000 * (0.05 + 0.99 * 1.45), abs=0.1)


def test_no_pushes_no_deliveries() -> None:
    empty = np.array([], dtype=np.int32)
    found = waves.delays(empty, empty, np.array([], dtype=np.float64), [])
    summary = waves.delay_summary(found, viewers=5)
    assert (summary["expected"], summary["lost"], summary["delay_ms"]["max"]) == (0, 0, None)


# -- Pushpin's log -------------------------------------------------------------------------------
def token(exp: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"


def line(stamp: str, part: str, message: str) -> str:
    return f"[INFO] 2026-12-01 {stamp} [{part}] {message}\n"


def test_pushpin_log_tells_next_links_from_other_requests() -> None:
    stream = "http://127.0.0.1:7999/dashboards/load.load/stream/"
    t0 = waves.log_time("2026-12-01 10:00:00.000")
    fresh = f"{stream}?link=next&recover=true&es-meta={token(int(t0) + 60)}"
    stale = f"{stream}?link=next&recover=true&es-meta={token(int(t0) - 5)}"
    answered = "route=*,*,*,* code=200 0 #events-x=1"
    lines = [
        "2 Pushpins behind nginx...\n",
        line("10:00:00.100", "zurl", f"IN id=a1, GET {stream}"),
        line("10:00:00.120", "zurl", "OUT id=a1 code=200 0 M"),
        line("10:00:00.121", "proxy", f"GET {stream} -> 127.0.0.1:8000 accept"),
        line("10:00:01.000", "zurl", f"IN id=b2, GET {fresh}"),
        line("10:00:01.010", "zurl", "OUT id=b2 code=200 0"),
        line("10:00:01.011", "handler", f"GET {fresh} {answered}"),
        line("10:00:01.011", "handler", f"GET {fresh} {answered}"),
        line("10:00:02.000", "zurl", f"IN id=c3, GET {stale}"),
        line("10:00:02.010", "zurl", "OUT id=c3 code=400 45"),
        line("10:00:02.011", "handler", f"GET {stale} route=*,*,*,* error"),
        line("10:00:02.500", "handler", "control: POST /publish/ code=200 10 items=1"),
    ]  # fmt: skip
    log = waves.read_pushpin_log(lines)
    assert [(u.next_link, u.code) for u in log.upstream] == [
        (False, 200),
        (True, 200),
        (True, 400),
    ]
    assert [code for _, code in log.session_updates] == [200, 200, None]
    assert log.upstream[1].t == pytest.approx(t0 + 1.0)
    summary = waves.next_link_summary(log, t0, t0 + 10)
    assert summary["upstream_requests"] == 3
    assert summary["next_link_requests"] == 2
    assert summary["other_requests"] == 1
    assert summary["next_link_codes"] == {"200": 1, "400": 1}
    assert summary["next_links_refused"] == 1
    assert summary["expired_tokens_sent"] == 1
    assert summary["token_remaining_min_s"] == pytest.approx(-7.0)
    assert summary["stream_updates"] == 3
    assert summary["stream_updates_failed"] == 1
    later = waves.next_link_summary(log, t0 + 1.5, t0 + 10)  # only what fell in the window
    assert (later["next_link_requests"], later["stream_updates"]) == (1, 1)


# -- the bench-only time compression -------------------------------------------------------------
def test_compression_divides_token_lifetime_and_next_link_timeouts() -> None:
    # the package's own values are what a compression divides
    assert (timescale.ES_META_LIFETIME, timescale.ES_META_ROUND, timescale.NEXT_LINK_TIMEOUT) == (
        grip_hold.ES_META_LIFETIME,
        grip_hold.ES_META_ROUND,
        grip_hold.NEXT_LINK_TIMEOUT,
    )
    assert timescale.compressed(1) == (7200, 600, (1800, 3600))
    assert timescale.compressed(20) == (360, 30, (90, 180))
    assert timescale.compressed(60) == (120, 10, (30, 60))
    with pytest.raises(ValueError):
        timescale.compressed(0)


@pytest.mark.django_db
def test_the_grip_answer_uses_the_compressed_times(monkeypatch: Any, settings: Any) -> None:
    key = "k" * 40
    settings.GRIP_URL = "http://127.0.0.1:1?key=" + key
    settings.BENCH_HOLD_COMPRESS = 20.0
    # restored after the test, whatever ready() sets
    monkeypatch.setattr(grip_hold, "ES_META_LIFETIME", grip_hold.ES_META_LIFETIME)
    monkeypatch.setattr(grip_hold, "ES_META_ROUND", grip_hold.ES_META_ROUND)
    monkeypatch.setattr(grip_hold, "NEXT_LINK_TIMEOUT", grip_hold.NEXT_LINK_TIMEOUT)
    BenchProjectConfig("bench.project", bench_project).ready()
    sig = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, key, algorithm="HS256")
    timeouts, lifetimes = set(), set()
    for _ in range(20):
        request = RequestFactory().get("/dashboards/testapp.ops/stream/", HTTP_GRIP_SIG=sig)
        GripMiddleware(lambda r: HttpResponse()).process_request(request)
        before = int(time.time())
        response = grip_hold.answer(request, "dashboard.testapp.ops", None, "anonymous")
        GripMiddleware(HttpResponse).process_response(request, response)
        link = response["Grip-Link"]
        timeouts.add(int(link.rsplit("timeout=", 1)[1].split(";")[0]))
        uri = link[1 : link.index(">")]
        claims = jwt.decode(
            parse_qs(urlsplit(uri).query)["es-meta"][0],
            django_settings.SECRET_KEY.encode(),
            algorithms=["HS256"],
        )
        lifetimes.add(claims["exp"] - before)
    assert timeouts <= set(range(90, 181)) and len(timeouts) > 1
    assert all(360 <= lifetime <= 360 + 30 + 1 for lifetime in lifetimes)  # rounded up to 30 s


def test_without_compression_the_grip_answer_keeps_its_times(
    monkeypatch: Any, settings: Any
) -> None:
    monkeypatch.setattr(grip_hold, "ES_META_LIFETIME", grip_hold.ES_META_LIFETIME)
    monkeypatch.setattr(grip_hold, "ES_META_ROUND", grip_hold.ES_META_ROUND)
    monkeypatch.setattr(grip_hold, "NEXT_LINK_TIMEOUT", grip_hold.NEXT_LINK_TIMEOUT)
    settings.BENCH_HOLD_COMPRESS = 1.0
    BenchProjectConfig("bench.project", bench_project).ready()
    assert (grip_hold.ES_META_LIFETIME, grip_hold.ES_META_ROUND, grip_hold.NEXT_LINK_TIMEOUT) == (
        7200,
        600,
        (1800, 3600),
    )
