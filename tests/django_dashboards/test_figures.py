from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

from dashboards_sse import InvalidValue
from dashboards_sse.contrib.django_dashboards import figures

WHERE = "chart"


def line(*ys: float, name: str = "a") -> dict[str, Any]:
    return {"type": "scatter", "name": name, "x": list(range(len(ys))), "y": list(ys)}


def test_figure_from_plotly_figure_with_numpy_arrays() -> None:
    """Plotly 6+ writes numpy arrays as base64 'bdata', which django-dashboards' plotly.js
    2.12 cannot draw: they are decoded to lists."""
    go = pytest.importorskip("plotly.graph_objects")
    numpy = pytest.importorskip("numpy")
    figure = go.Figure(go.Scatter(x=numpy.arange(3), y=numpy.array([1.5, 2.0, 3.25])))
    assert "bdata" in figure.to_json()
    result = figures.as_figure(figure, WHERE)
    assert result["data"][0]["x"] == [0, 1, 2]
    assert result["data"][0]["y"] == [1.5, 2.0, 3.25]
    assert "bdata" not in json.dumps(result)


def test_figure_from_json_text_and_mapping() -> None:
    text = json.dumps({"data": [line(1, 2)], "layout": {"title": {"text": "t"}}})
    assert figures.as_figure(text, WHERE)["layout"] == {"title": {"text": "t"}}
    assert figures.as_figure({"data": []}, WHERE) == {"data": [], "layout": {}}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "text pushed to a chart must be a figure's JSON"),
        ({"layout": {}}, "a figure is a mapping with a 'data' list"),
        ({"data": [1]}, "every trace in 'data' must be a mapping"),
        ({"data": [], "layout": []}, "'layout' must be a mapping"),
        ({"data": [{"y": [float("nan")]}]}, "not plain JSON data"),
        ({"data": [{"y": {1, 2}}]}, "not plain JSON data"),
        ({"data": [{}] * 51}, "51 traces exceed the limit of 50"),
        ({"data": [{"y": {"dtype": "c16", "bdata": ""}}]}, "dtype 'c16'"),
        ({"data": [{"z": {"dtype": "f8", "bdata": "", "shape": "2, 2"}}]}, "shape '2, 2'"),
    ],
)
def test_bad_figures(raw: Any, message: str) -> None:
    with pytest.raises(InvalidValue, match=f"^chart: .*{message}"):
        figures.as_figure(raw, WHERE)


def test_additions_forms() -> None:
    now = figures.additions(7, WHERE)
    assert list(now) == [0] and now[0][0][1] == 7 and isinstance(now[0][0][0], str)
    assert figures.additions((1, 2), WHERE) == {0: [(1, 2)]}
    assert figures.additions({"x": "a", "y": 2}, WHERE) == {0: [("a", 2)]}
    assert figures.additions({"point": [1, 2]}, WHERE) == {0: [(1, 2)]}
    assert figures.additions({"points": [(1, 2), (3, 4)]}, WHERE) == {0: [(1, 2), (3, 4)]}
    assert figures.additions({"traces": {"in": [(1, 2)], 1: [(1, 3)]}}, WHERE) == {
        "in": [(1, 2)],
        1: [(1, 3)],
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (True, "expected a figure, a number, a point"),
        (None, "expected a figure, a number, a point"),
        ({"point": 1, "points": 2}, "exactly one key of 'point', 'points' or 'traces'"),
        ({"traces": []}, "'traces' maps trace names or indexes to points"),
        ({"points": "12"}, "points are a list of"),
        ({"points": [(1, 2)] * 5001}, "5001 points exceed the limit of 5000"),
        ((1, 2, 3), "a point is"),
        ((1, "high"), "expected a number for y"),
        (({"a"}, 1), "a number, text or datetime for x"),
        (("x" * 201, 1), "text of 201 characters exceeds 200"),
        ({"x": 1}, "a mapping is a figure"),
        ({"point": {"x": 1, "z": 2}}, "exactly the keys x and y"),
    ],
)
def test_bad_additions(raw: Any, message: str) -> None:
    with pytest.raises(InvalidValue, match=f"^chart.*{message}"):
        figures.additions(raw, WHERE)


def test_x_values() -> None:
    aware = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert figures.x_value(aware, WHERE) == "2026-01-02 03:04:05"  # TIME_ZONE is UTC
    assert figures.x_value(date(2026, 1, 2), WHERE) == "2026-01-02"
    assert figures.x_value("mon", WHERE) == "mon"
    assert figures.x_value(1.5, WHERE) == 1.5


def test_append_counts_and_window() -> None:
    state = figures.replaced(None, {"data": [line(1, 2, 3), line(name="b")], "layout": {}})
    assert (state["generation"], state["appended"]) == (0, [0, 0])
    grown = figures.appended(state, {0: [(3, 4), (4, 5)], "b": [(0, 9)]}, 4, WHERE)
    assert grown["figure"]["data"][0]["y"] == [2, 3, 4, 5]  # the newest 4
    assert grown["figure"]["data"][0]["x"] == [1, 2, 3, 4]
    assert grown["figure"]["data"][1]["y"] == [9]
    assert grown["appended"] == [2, 1]
    assert state["figure"]["data"][0]["y"] == [1, 2, 3]  # the stored state is not touched


def test_replace_bumps_generation() -> None:
    first = figures.replaced(None, {"data": [line(1)], "layout": {}})
    second = figures.replaced(figures.appended(first, {0: [(1, 1)]}, 5, WHERE), first["figure"])
    assert (second["generation"], second["appended"]) == (1, [0])


@pytest.mark.parametrize(
    ("trace", "message"), [(2, "no trace 2; traces: \\['a'\\]"), ("zz", "no trace 'zz'")]
)
def test_unknown_trace(trace: int | str, message: str) -> None:
    state = figures.replaced(None, {"data": [line(1)], "layout": {}})
    with pytest.raises(InvalidValue, match=message):
        figures.appended(state, {trace: [(1, 1)]}, 5, WHERE)


def test_append_needs_xy_lists() -> None:
    state = figures.replaced(None, {"data": [{"type": "pie", "x": "nope"}], "layout": {}})
    with pytest.raises(InvalidValue, match="trace 0 has no x/y lists to append to"):
        figures.appended(state, {0: [(1, 1)]}, 5, WHERE)


def test_script_json_cannot_close_a_script() -> None:
    text = figures.script_json({"name": "</script><b>&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><b>&"}


def test_append_needs_explicit_x() -> None:
    """Plotly numbers a trace without x itself; appended points would misalign x and y."""
    state = figures.replaced(None, {"data": [{"type": "bar", "y": [1, 2]}], "layout": {}})
    with pytest.raises(InvalidValue, match="trace 0 has y values but no x list"):
        figures.appended(state, {0: [(1, 1)]}, 5, WHERE)
    empty = figures.replaced(None, {"data": [{"type": "scatter"}], "layout": {}})
    assert figures.appended(empty, {0: [(1, 1)]}, 5, WHERE)["figure"]["data"][0]["x"] == [1]
