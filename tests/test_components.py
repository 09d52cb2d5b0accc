from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from dashboards_sse import Chart, Component, Dashboard, InvalidValue, Stat, registry
from dashboards_sse.components import MAX_TEXT_CHARS, format_number


class Board(Dashboard, abstract=True):
    """Bound to a registered slug by the `board` fixture."""

    count = Stat(label="Count", unit="req")
    ratio = Stat(label="Ratio", decimals=1)
    status = Stat(label="Status", text=True)
    latency = Chart(label="Latency", unit="ms", window=5)
    the_value = Stat()


@pytest.fixture
def board() -> Iterator[type[Dashboard]]:
    class ComponentsBoard(Board):
        slug = "t-components"

    yield ComponentsBoard
    registry.unregister(ComponentsBoard)


# -- format_number -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "decimals", "expected"),
    [
        (1234567, None, "1,234,567"),
        (0, None, "0"),
        (1234.5, None, "1,234.5"),
        (3.14159, None, "3.14"),
        (2.0, None, "2"),
        (-1500.25, None, "-1,500.25"),
        (12, 1, "12.0"),
        (1234.5678, 2, "1,234.57"),
        (7.6, 0, "8"),
    ],
)
def test_format_number(number: float, decimals: int | None, expected: str) -> None:
    assert format_number(number, decimals) == expected


# -- Component -----------------------------------------------------------------------------


def test_label_defaults_to_name(board: type[Dashboard]) -> None:
    assert board.components["the_value"].label == "The value"


def test_names(board: type[Dashboard]) -> None:
    component = board.components["the_value"]
    assert component.name == "the_value"
    assert component.qualified_name == "t-components.the_value"
    assert component.element_id == "dsse-t-components-the-value"
    assert repr(component) == "<Stat t-components.the_value>"


def test_unbound_component_names() -> None:
    component = Stat()
    assert component.qualified_name == "?."
    assert component.element_id == "dsse-unbound-"


def test_unbound_component_push() -> None:
    with pytest.raises(InvalidValue, match="is not declared on a Dashboard"):
        Stat().push(1)


def test_base_component_update_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        Component().update(None, 1)


def test_template_name_override() -> None:
    component = Stat(template_name="dashboards_sse/status.html")
    assert "dsse-status" in component.render({"value": 1, "change": None, "note": None})


# -- Stat values ---------------------------------------------------------------------------


def stat(board: type[Dashboard], name: str = "count") -> Stat:
    component = board.components[name]
    assert isinstance(component, Stat)
    return component


@pytest.mark.parametrize("value", [0, 12, -4, 2.5])
def test_stat_number(board: type[Dashboard], value: float) -> None:
    assert stat(board).update(None, value) == {"value": value, "change": None, "note": None}


def test_stat_decimal(board: type[Dashboard]) -> None:
    assert stat(board).update(None, Decimal("1.5"))["value"] == 1.5


def test_stat_mapping(board: type[Dashboard]) -> None:
    state = stat(board).update(None, {"value": 10, "change": -2.5, "note": "vs yesterday"})
    assert state == {"value": 10, "change": -2.5, "note": "vs yesterday"}


def test_stat_mapping_text_change(board: type[Dashboard]) -> None:
    state = stat(board).update(None, {"value": 10, "change": "+5%"})
    assert state == {"value": 10, "change": "+5%", "note": None}


def test_stat_ignores_previous_state(board: type[Dashboard]) -> None:
    previous = {"value": 1, "change": 1, "note": "old"}
    assert stat(board).update(previous, 2) == {"value": 2, "change": None, "note": None}


def test_stat_rejects_text(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue) as info:
        stat(board).update(None, "12")
    assert str(info.value) == (
        "dashboard 't-components', stat 'count': expected a number, got str '12'."
    )


def test_stat_text_accepts_text_and_numbers(board: type[Dashboard]) -> None:
    assert stat(board, "status").update(None, "degraded")["value"] == "degraded"
    assert stat(board, "status").update(None, 3)["value"] == 3


def test_stat_text_rejects_other(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="stat 'status': expected a number or text, got"):
        stat(board, "status").update(None, [1])


def test_stat_text_too_long(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="exceeds"):
        stat(board, "status").update(None, "x" * (MAX_TEXT_CHARS + 1))


@pytest.mark.parametrize("value", [True, False, None, [1], {1, 2}])
def test_stat_rejects_non_numbers(board: type[Dashboard], value: Any) -> None:
    with pytest.raises(InvalidValue, match="dashboard 't-components', stat 'count': expected"):
        stat(board).update(None, value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_stat_rejects_non_finite(board: type[Dashboard], value: float) -> None:
    with pytest.raises(InvalidValue, match="stat 'count': expected a finite number"):
        stat(board).update(None, value)


@pytest.mark.parametrize(
    "value",
    [{"value": 1, "colour": "red"}, {"change": 1}, {}, {"value": 1, 2: 3}],
)
def test_stat_rejects_mapping_keys(board: type[Dashboard], value: dict[Any, Any]) -> None:
    with pytest.raises(InvalidValue, match=r"stat 'count': a mapping needs 'value'"):
        stat(board).update(None, value)


def test_stat_rejects_bool_change(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="stat 'count' change: expected a number or text"):
        stat(board).update(None, {"value": 1, "change": True})


def test_stat_rejects_non_text_note(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="stat 'count' note: expected text, got int 3"):
        stat(board).update(None, {"value": 1, "note": 3})


def test_stat_rejects_nan_change(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="change: expected a finite number"):
        stat(board).update(None, {"value": 1, "change": math.nan})


def test_stat_rejects_signalling_nan_decimal(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue):
        stat(board).update(None, Decimal("sNaN"))


# -- Stat rendering ------------------------------------------------------------------------


def test_stat_render_empty(board: type[Dashboard]) -> None:
    html = stat(board).render(None)
    assert '<div class="dsse-label">Count</div>' in html
    assert "dsse-empty" in html


def test_stat_render_value_unit(board: type[Dashboard]) -> None:
    component = stat(board)
    html = component.render(component.update(None, 1234567))
    assert '<span class="dsse-number">1,234,567</span>' in html
    assert '<span class="dsse-unit">req</span>' in html
    assert "dsse-change" not in html


def test_stat_render_zero(board: type[Dashboard]) -> None:
    component = stat(board)
    html = component.render(component.update(None, 0))
    assert '<span class="dsse-number">0</span>' in html


def test_stat_render_decimals(board: type[Dashboard]) -> None:
    component = stat(board, "ratio")
    html = component.render(component.update(None, 3))
    assert '<span class="dsse-number">3.0</span>' in html


@pytest.mark.parametrize(
    ("change", "display", "trend"),
    [(3, "+3", "up"), (-2, "-2", "down"), (0, "0", "flat"), ("n/a", "n/a", "flat")],
)
def test_stat_render_change(
    board: type[Dashboard], change: float | str, display: str, trend: str
) -> None:
    component = stat(board)
    html = component.render(component.update(None, {"value": 1, "change": change}))
    assert f'<div class="dsse-change dsse-trend-{trend}">{display}</div>' in html


@pytest.mark.parametrize(
    ("options", "change", "display", "trend"),
    [
        ({"decimals": 0}, 3.5, "+3.5", "up"),  # the issue: the value's decimals made it "+4"
        ({"decimals": 0}, 3.14159, "+3.14", "up"),  # as given, at most two decimals
        ({"decimals": 2}, 3, "+3", "up"),
        ({"change_decimals": 1}, 3, "+3.0", "up"),
        ({"change_decimals": 1, "change_unit": "%"}, -0.25, "-0.2%", "down"),
        ({"change_unit": " pts"}, 1200, "+1,200 pts", "up"),
        ({"change_decimals": 1}, 0.04, "0.0", "flat"),  # shown as zero: no sign, flat
        ({"change_decimals": 1}, -0.04, "0.0", "flat"),
        ({"change_unit": "%"}, "n/a", "n/a", "flat"),  # text is shown as given
    ],
)
def test_stat_change_has_its_own_format(
    options: dict[str, Any], change: float | str, display: str, trend: str
) -> None:
    component = Stat(label="Orders", **options)
    html = component.render(component.update(None, {"value": 48120, "change": change}))
    assert f'<div class="dsse-change dsse-trend-{trend}">{display}</div>' in html


@pytest.mark.parametrize("decimals", [-1, 11, 1.5, True, "2"])
def test_stat_rejects_bad_change_decimals(decimals: Any) -> None:
    with pytest.raises(ValueError, match="Stat change_decimals is a whole number from 0 to 10"):
        Stat(change_decimals=decimals)


@pytest.mark.django_db
def test_stat_push_change_keyword(board: type[Dashboard]) -> None:
    result = stat(board, "ratio").push(48120, change=+3.5)
    assert '<div class="dsse-change dsse-trend-up">+3.5</div>' in result.html["ratio"]


def test_stat_render_escapes() -> None:
    component = Stat(label="<script>label</script>", text=True)
    state = component.update(
        None,
        {
            "value": "<script>value</script>",
            "change": "<script>change</script>",
            "note": "<script>note</script>",
        },
    )
    html = component.render(state)
    assert "<script>" not in html
    for part in ("label", "value", "change", "note"):
        assert f"&lt;script&gt;{part}&lt;/script&gt;" in html


def test_stat_render_is_pure(board: type[Dashboard]) -> None:
    component = stat(board)
    state = component.update(None, {"value": 5, "note": "same"})
    assert component.render(state) == component.render(state)


# -- Chart values --------------------------------------------------------------------------


def chart(board: type[Dashboard]) -> Chart:
    component = board.components["latency"]
    assert isinstance(component, Chart)
    return component


@pytest.mark.parametrize("window", [1, 0, Chart.MAX_WINDOW + 1])
def test_chart_window_bounds(window: int) -> None:
    with pytest.raises(ValueError, match="window must be between 2 and 5000"):
        Chart(window=window)


def test_chart_number_appends_at_now(board: type[Dashboard]) -> None:
    before = time.time()
    state = chart(board).update({"points": [[1, 1]]}, 7)
    after = time.time()
    assert state["points"][0] == [1, 1]
    x, y = state["points"][1]
    assert before <= x <= after
    assert y == 7


@pytest.mark.parametrize(
    "raw", [[10, 2], (10, 2), {"point": [10, 2]}, {"point": {"x": 10, "y": 2}}]
)
def test_chart_point(board: type[Dashboard], raw: Any) -> None:
    assert chart(board).update({"points": [[1, 1]]}, raw) == {"points": [[1, 1], [10, 2]]}


def test_chart_point_mapping(board: type[Dashboard]) -> None:
    assert chart(board).update(None, {"x": 10, "y": 2}) == {"points": [[10, 2]]}


def test_chart_decimal_number(board: type[Dashboard]) -> None:
    state = chart(board).update(None, Decimal("2.5"))
    assert state["points"][0][1] == 2.5


def test_chart_datetime_x(board: type[Dashboard]) -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    state = chart(board).update(None, (moment, 3))
    assert state == {"points": [[moment.timestamp(), 3]]}


def test_chart_points_append(board: type[Dashboard]) -> None:
    state = chart(board).update({"points": [[1, 1]]}, {"points": [[2, 2], {"x": 3, "y": 3}]})
    assert state == {"points": [[1, 1], [2, 2], [3, 3]]}


def test_chart_series_replaces(board: type[Dashboard]) -> None:
    state = chart(board).update({"points": [[1, 1], [2, 2]]}, {"series": [[5, 5]]})
    assert state == {"points": [[5, 5]]}


def test_chart_empty_series(board: type[Dashboard]) -> None:
    assert chart(board).update({"points": [[1, 1]]}, {"series": []}) == {"points": []}


def test_chart_window_keeps_newest(board: type[Dashboard]) -> None:
    state = chart(board).update(None, {"series": [[x, x * 10] for x in range(8)]})
    assert state == {"points": [[x, x * 10] for x in range(3, 8)]}


def test_chart_window_with_previous(board: type[Dashboard]) -> None:
    previous = {"points": [[x, 0] for x in range(5)]}
    state = chart(board).update(previous, [5, 1])
    assert state == {"points": [[1, 0], [2, 0], [3, 0], [4, 0], [5, 1]]}


def test_chart_sorted_by_x(board: type[Dashboard]) -> None:
    state = chart(board).update({"points": [[2, 2], [4, 4]]}, {"points": [[3, 3], [1, 1]]})
    assert state == {"points": [[1, 1], [2, 2], [3, 3], [4, 4]]}


def test_chart_late_point_outside_window_dropped(board: type[Dashboard]) -> None:
    previous = {"points": [[x, 0] for x in range(10, 15)]}
    assert chart(board).update(previous, [1, 9]) == previous


@pytest.mark.parametrize(
    "raw",
    [{"point": {"x": 1}}, {"point": {"y": 1}}, {"points": [{"x": 1}]}, {"series": [[1]]}],
)
def test_chart_rejects_point_without_x_or_y(board: type[Dashboard], raw: Any) -> None:
    with pytest.raises(InvalidValue, match="dashboard 't-components', chart 'latency': "):
        chart(board).update(None, raw)


def test_chart_rejects_too_many_points(board: type[Dashboard]) -> None:
    series = [[x, 1] for x in range(Chart.MAX_WINDOW + 1)]
    with pytest.raises(InvalidValue, match="5001 points exceed the limit of 5000"):
        chart(board).update(None, {"series": series})


@pytest.mark.parametrize(
    "raw",
    ["5", True, None, {"point": [1, 1], "points": []}, {"value": 1}, {}],
)
def test_chart_rejects_other_values(board: type[Dashboard], raw: Any) -> None:
    with pytest.raises(InvalidValue, match="chart 'latency': "):
        chart(board).update(None, raw)


def test_chart_rejects_nan(board: type[Dashboard]) -> None:
    with pytest.raises(InvalidValue, match="finite"):
        chart(board).update(None, math.nan)


@pytest.mark.parametrize(
    "kwargs", [{}, {"value": 1, "point": [1, 1]}, {"points": [], "series": []}]
)
def test_chart_push_needs_exactly_one(board: type[Dashboard], kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue, match="push exactly one of value, point=, points= or "):
        chart(board).push(**kwargs)


# -- Chart rendering -----------------------------------------------------------------------


def test_chart_render_empty(board: type[Dashboard]) -> None:
    html = chart(board).render(None)
    assert "No data yet" in html
    assert "<svg" not in html


def test_chart_render_points(board: type[Dashboard]) -> None:
    component = chart(board)
    html = component.render(component.update(None, {"series": [[1, 10], [2, 20], [3, 15]]}))
    assert html.count("<svg") == 1
    assert 'data-points="3"' in html
    assert '<span class="dsse-number">15</span><span class="dsse-unit">ms</span>' in html
    assert "<polyline" in html
    assert "No data yet" not in html


def test_chart_render_escapes_label() -> None:
    component = Chart(label="<script>x</script>")
    html = component.render({"points": [[1, 1]]})
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_chart_render_is_pure(board: type[Dashboard]) -> None:
    component = chart(board)
    state = component.update(None, {"series": [[1, 1], [2, 2]]})
    assert component.render(state) == component.render(state)
