"""Chart windows by time, gaps drawn as gaps, and the axes a chart renders."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboards_sse import Chart

T0 = datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC).timestamp()
TWO_MINUTES = timedelta(minutes=2)


def chart(**options: Any) -> Chart:
    component = Chart(label="CPU", unit="%", **options)
    component.name = "cpu"
    return component


def xs(state: dict[str, Any]) -> list[float]:
    return [p[0] for p in state["points"]]


def polylines(html: str) -> list[str]:
    return re.findall(r'<polyline class="dsse-line[^"]*" points="([^"]+)"', html)


def test_a_time_window_keeps_the_points_within_it_of_the_newest() -> None:
    cpu = chart(window=TWO_MINUTES)
    state = cpu.update(None, {"points": [(T0 + s, 1) for s in range(0, 300, 10)]})
    assert xs(state)[0] == T0 + 290 - 120 and xs(state)[-1] == T0 + 290
    assert len(state["points"]) == 13  # 170 s ... 290 s, both ends included


def test_after_a_restart_the_window_spans_its_time_not_the_old_points() -> None:
    # the issue: "CPU, last 2 minutes" spanned 12.5 minutes after a restart
    cpu = chart(window=TWO_MINUTES)
    state = cpu.update(None, {"points": [(T0 + s, 50) for s in range(0, 120)]})
    restarted = T0 + 119 + 630
    state = cpu.update(state, (restarted, 20))
    assert xs(state) == [restarted]


def test_a_datetime_x_and_a_time_window() -> None:
    cpu = chart(window=timedelta(seconds=30))
    moment = datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC)
    state = cpu.update(None, {"points": [(moment + timedelta(seconds=s), s) for s in range(60)]})
    assert len(state["points"]) == 31


def test_a_time_window_draws_its_whole_span() -> None:
    cpu = chart(window=TWO_MINUTES)
    html = str(cpu.render(cpu.update(None, {"points": [(T0 + 90, 1), (T0 + 120, 2)]})))
    (line,) = polylines(html)
    assert [float(pair.split(",")[0]) for pair in line.split()] == [750, 1000]
    ticks = re.findall(r'dsse-tick-x[^"]*" style="left: ([\d.]+)%">([^<]+)<', html)
    assert ticks == [
        ("0.0", "09:30:00"),
        ("25.0", "09:30:30"),
        ("50.0", "09:31:00"),
        ("75.0", "09:31:30"),
        ("100.0", "09:32:00"),
    ]


def test_a_count_window_still_counts_points() -> None:
    cpu = chart(window=5)
    state = cpu.update(None, {"points": [(T0 + s * 600, 1) for s in range(10)]})
    assert len(state["points"]) == 5
    assert cpu.window_seconds is None


def test_a_time_window_is_capped_at_max_window_points() -> None:
    cpu = chart(window=timedelta(days=1))
    state = cpu.update(None, {"points": [(T0 + s, 1) for s in range(Chart.MAX_WINDOW)]})
    state = cpu.update(state, {"points": [(T0 + Chart.MAX_WINDOW + s, 1) for s in range(10)]})
    assert len(state["points"]) == Chart.MAX_WINDOW


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"window": timedelta(0)}, "window must be a positive duration"),
        ({"window": 1.5}, "window is a number of points or a timedelta"),
        ({"window": True}, "window is a number of points or a timedelta"),
        ({"window": 1}, "window must be between 2 and"),
        ({"gap": 0}, "gap is a positive timedelta or number, 'auto' or None"),
        ({"gap": "sometimes"}, "gap is a positive timedelta or number"),
        ({"gap": timedelta(seconds=-1)}, "gap is a positive timedelta"),
    ],
)
def test_bad_windows_and_gaps(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Chart(**options)


def restart_points() -> list[tuple[float, float]]:
    """One a second, a 10-minute hole (the demo's publisher restarted), one a second again."""
    before = [(T0 + s, 10.0) for s in range(20)]
    after = [(T0 + 620 + s, 30.0) for s in range(20)]
    return before + after


def test_a_gap_is_drawn_as_a_gap() -> None:
    cpu = chart(window=timedelta(minutes=15))
    html = str(cpu.render(cpu.update(None, {"series": restart_points()})))
    assert len(polylines(html)) == 2
    assert 'data-segments="2"' in html
    assert html.count('d="M') == 1 and html.count(" Z") == 2  # the area breaks too


def test_an_explicit_gap() -> None:
    points = [(T0 + s, 1) for s in (0, 5, 10, 40, 45)]
    cpu = chart(gap=timedelta(seconds=20))
    assert len(polylines(str(cpu.render(cpu.update(None, {"series": points}))))) == 2
    cpu = chart(gap=60)
    assert len(polylines(str(cpu.render(cpu.update(None, {"series": points}))))) == 1


def test_gap_none_never_breaks_the_line() -> None:
    cpu = chart(gap=None)
    assert len(polylines(str(cpu.render(cpu.update(None, {"series": restart_points()}))))) == 1


def test_every_series_breaks_at_its_own_gaps() -> None:
    latency = Chart(label="Latency", series=["p50", "p99"], window=TWO_MINUTES * 10)
    latency.name = "latency"
    steady = [(T0 + 620 + s, 5.0) for s in range(20)]
    state = latency.update(None, {"p50": {"series": restart_points()}, "p99": {"series": steady}})
    html = str(latency.render(state))
    assert html.count('data-series="p50"') == 2 and html.count('data-series="p99"') == 1
    # the x axis: the whole window (20 min, a tick each 5), ending at the newest point of any
    # series (09:40:39): 09:40 is 39 s short of its end
    ticks = re.findall(r'dsse-tick-x[^"]*" style="left: ([\d.]+)%">([^<]+)<', html)
    assert ticks[-1] == ("96.75", "09:40") and len(ticks) == 4


def test_the_axes_have_ticks_and_the_unit() -> None:
    cpu = chart(y_min=0, y_max=100)
    html = str(cpu.render(cpu.update(None, {"series": [(T0, 12), (T0 + 60, 40)]})))
    y_ticks = re.findall(r'dsse-tick-y" style="bottom: ([\d.]+)%">([^<]+)<', html)
    assert y_ticks == [
        ("0.0", "0"),
        ("25.0", "25"),
        ("50.0", "50"),
        ("75.0", "75"),
        ("100.0", "100"),
    ]
    assert html.count('<line class="dsse-grid-line"') == 5
    assert '<span class="dsse-axis-unit">%</span>' in html
    assert '<line class="dsse-dot"' in html  # round however the SVG is stretched


def test_tick_positions_do_not_follow_the_locale(settings: Any) -> None:
    settings.LANGUAGE_CODE = "de"
    cpu = chart(y_min=0, y_max=2.5)
    html = str(cpu.render(cpu.update(None, {"series": [(T0, 1), (T0 + 60, 2)]})))
    assert 'style="bottom: 40.0%"' in html and "40,0" not in html
