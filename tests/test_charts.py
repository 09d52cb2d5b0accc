from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from dashboards_sse.charts import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_LEFT,
    PAD_RIGHT,
    PAD_TOP,
    WIDTH,
    nice_ceiling,
    plot_line,
)

LEFT, RIGHT = PAD_LEFT, WIDTH - PAD_RIGHT
TOP, BOTTOM = PAD_TOP, HEIGHT - PAD_BOTTOM
MIDDLE = (TOP + BOTTOM) / 2


def coords(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.split())]


def test_empty() -> None:
    assert plot_line([]) is None


def test_two_points_span_the_box() -> None:
    plot = plot_line([(0, 0), (10, 5)])
    assert plot is not None
    assert coords(plot.line) == [(LEFT, BOTTOM), (RIGHT, TOP)]
    assert (plot.last_x, plot.last_y) == (RIGHT, TOP)
    assert plot.count == 2
    assert (plot.width, plot.height) == (WIDTH, HEIGHT)
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "5")
    assert (plot.x_first_label, plot.x_last_label) == ("0", "10")


def test_area_closes_along_the_bottom() -> None:
    plot = plot_line([(0, 0), (10, 5)])
    assert plot is not None
    assert plot.area == "M40.0,102 L40.0,102.0 L312.0,8.0 L312.0,102 Z"


def test_single_point() -> None:
    plot = plot_line([(5, 3)])
    assert plot is not None
    assert plot.count == 1
    assert coords(plot.line) == [(RIGHT, 45.6)]
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "5")
    assert plot.x_first_label == plot.x_last_label == "5"


def test_flat_zero_series_sits_on_the_zero_baseline() -> None:
    plot = plot_line([(1, 0), (2, 0), (3, 0)])
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [BOTTOM] * 3
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "1")


def test_flat_series_is_level() -> None:
    plot = plot_line([(1, 7), (2, 7), (3, 7)])
    assert plot is not None
    heights = {y for _, y in coords(plot.line)}
    assert len(heights) == 1
    assert TOP < heights.pop() < BOTTOM
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "10")


def test_flat_series_with_equal_bounds() -> None:
    plot = plot_line([(1, 7), (2, 7)], y_min=7, y_max=7)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [MIDDLE, MIDDLE]
    assert (plot.y_bottom_label, plot.y_top_label) == ("6", "8")


def test_non_negative_data_starts_at_zero() -> None:
    plot = plot_line([(0, 40), (1, 80)])
    assert plot is not None
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "100")
    assert [y for _, y in coords(plot.line)] == [64.4, 26.8]


def test_negative_data_gets_a_readable_floor() -> None:
    plot = plot_line([(0, -3), (1, 4)])
    assert plot is not None
    assert (plot.y_bottom_label, plot.y_top_label) == ("-5", "5")


def test_all_negative_data() -> None:
    plot = plot_line([(0, -3), (1, -1)])
    assert plot is not None
    assert (plot.y_bottom_label, plot.y_top_label) == ("-5", "-1")
    assert coords(plot.line)[1][1] == TOP


def test_y_min_y_max_clamp() -> None:
    plot = plot_line([(0, -50), (1, 50), (2, 150)], y_min=0, y_max=100)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [BOTTOM, MIDDLE, TOP]
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "100")


def test_y_min_only() -> None:
    plot = plot_line([(0, 5), (1, 10)], y_min=0)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [MIDDLE, TOP]


def test_labels_thousands_and_decimals() -> None:
    plot = plot_line([(0, 1), (1, 2)], y_min=0.125, y_max=12345.6)
    assert plot is not None
    assert plot.y_top_label == "12,346"
    assert plot.y_bottom_label == "0.12"


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(1, 1), (3, 5), (5, 5), (7, 10), (2.2, 2.5), (101, 200), (0.3, 0.5), (12345.6, 20000)],
)
def test_nice_ceiling(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_epoch_x_labels_are_times_of_day() -> None:
    first = datetime(2024, 5, 1, 9, 30, 5, tzinfo=UTC).timestamp()
    last = datetime(2024, 5, 1, 9, 31, 0, tzinfo=UTC).timestamp()
    plot = plot_line([(first, 1), (last, 2)])
    assert plot is not None
    assert (plot.x_first_label, plot.x_last_label) == ("09:30:05", "09:31:00")


def test_epoch_x_labels_follow_current_timezone() -> None:
    moment = datetime(2024, 5, 1, 9, 30, 5, tzinfo=UTC).timestamp()
    with timezone.override("Europe/Paris"):
        plot = plot_line([(moment, 1)])
    assert plot is not None
    assert plot.x_first_label == "11:30:05"


def test_values_below_y_min_sit_at_the_bottom() -> None:
    plot = plot_line([(0, 30), (1, 40)], y_min=100)
    assert plot is not None
    assert float(plot.y_bottom_label) < float(plot.y_top_label)
    assert [y for _, y in coords(plot.line)] == [BOTTOM, BOTTOM]
