"""Charts with several series on one scale (and a legend), and bar charts."""

from __future__ import annotations

from typing import Any

import pytest

from dashboards_sse import Chart, InvalidValue
from dashboards_sse.charts import plot_series


def latency() -> Chart:
    chart = Chart(label="Latency", unit="ms", series=["p50", "p95", "p99"], window=3)
    chart.name = "latency"
    return chart


def test_a_push_updates_the_series_it_names() -> None:
    chart = latency()
    state = chart.update(None, {"p50": (1, 10), "p95": (1, 40)})
    state = chart.update(state, {"p99": {"points": [(1, 90), (2, 95)]}, "p50": (2, 12)})
    assert state == {
        "series": {"p50": [[1, 10], [2, 12]], "p95": [[1, 40]], "p99": [[1, 90], [2, 95]]}
    }
    for x in range(3, 6):
        state = chart.update(state, {"p50": (x, x)})
    assert [p[0] for p in state["series"]["p50"]] == [3, 4, 5]  # the window, per series


def test_the_series_share_one_scale_and_a_legend() -> None:
    chart = latency()
    state = chart.update(None, {"p50": (1, 10), "p95": (2, 40), "p99": (3, 90)})
    html = str(chart.render(state))
    assert html.count("<polyline") == 3 and 'data-series="p95"' in html
    assert (
        '<li class="dsse-series-2"><span class="dsse-swatch" aria-hidden="true"></span>p95' in html
    )
    assert 'aria-label="Latency, p50 10ms, p95 40ms, p99 90ms, 3 points"' in html
    plot = plot_series(
        {name: [(p[0], p[1]) for p in points] for name, points in state["series"].items()}
    )
    assert plot is not None and plot.y_top_label == "100"  # one scale for all three


def test_a_bar_chart() -> None:
    chart = Chart(label="Orders per hour", style="bar", window=24)
    chart.name = "orders"
    state = chart.update(None, {"series": [(h, h * 2) for h in range(4)]})
    html = str(chart.render(state))
    assert html.count('<rect class="dsse-bar"') == 4 and "<polyline" not in html
    assert "latest 6" in html


@pytest.mark.parametrize(
    ("raw", "problem"),
    [({"p90": 1}, "unknown series p90"), (12, "push a mapping of series"), ({}, "a mapping")],
)
def test_bad_series_pushes(raw: Any, problem: str) -> None:
    with pytest.raises(InvalidValue, match=problem):
        latency().update(None, raw)


def test_declaration_errors() -> None:
    with pytest.raises(ValueError, match="identifiers"):
        Chart(series=["p 50"])
    with pytest.raises(ValueError, match="identifiers"):
        Chart(series=["points"])
    with pytest.raises(ValueError, match="one series"):
        Chart(series=["a", "b"], style="bar")
    with pytest.raises(ValueError, match="style is one of"):
        Chart(style="pie")
