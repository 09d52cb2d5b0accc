from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from dashboards_sse.charts import (
    HEIGHT,
    WIDTH,
    auto_gap,
    nice_ceiling,
    plot_line,
    plot_series,
    split_at_gaps,
    x_step,
    y_scale,
)

TOP, BOTTOM, MIDDLE = 0.0, float(HEIGHT), HEIGHT / 2
T0 = datetime(2024, 5, 1, 9, 30, 0, tzinfo=UTC).timestamp()


def coords(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.split())]


def y_labels(points: list[tuple[float, float]], **options: float) -> list[str]:
    plot = plot_line(points, **options)
    assert plot is not None
    return [tick.label for tick in plot.axes.y_ticks]


def x_labels(points: list[tuple[float, float]], **options: object) -> list[str]:
    plot = plot_line(points, **options)  # type: ignore[arg-type]
    assert plot is not None
    return [tick.label for tick in plot.axes.x_ticks]


def test_empty() -> None:
    assert plot_line([]) is None
    assert plot_series({"a": [], "b": []}) is None


def test_two_points_span_the_box() -> None:
    plot = plot_line([(0, 0), (10, 6)])
    assert plot is not None
    assert coords(plot.line) == [(0, BOTTOM), (WIDTH, TOP)]
    assert plot.segments == [plot.line]
    assert (plot.last_x, plot.last_y) == (WIDTH, TOP)
    assert plot.count == 2
    assert (plot.width, plot.height) == (WIDTH, HEIGHT)
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "6")
    assert (plot.x_first_label, plot.x_last_label) == ("0", "10")


def test_area_closes_along_the_bottom() -> None:
    plot = plot_line([(0, 0), (10, 6)])
    assert plot is not None
    assert plot.area == "M0.0,300 L0.0,300.0 L1000.0,0.0 L1000.0,300 Z"


def test_single_point() -> None:
    plot = plot_line([(5, 3)])
    assert plot is not None
    assert plot.count == 1
    assert coords(plot.line) == [(WIDTH, TOP)]
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "3")
    assert [tick.label for tick in plot.axes.x_ticks] == ["5"]


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
    assert (plot.y_bottom_label, plot.y_top_label) == ("0", "8")


def test_flat_series_with_equal_bounds() -> None:
    plot = plot_line([(1, 7), (2, 7)], y_min=7, y_max=7)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [MIDDLE, MIDDLE]
    assert (plot.y_bottom_label, plot.y_top_label) == ("6", "8")


@pytest.mark.parametrize(
    ("ys", "labels"),
    [
        ((40, 80), ["0", "20", "40", "60", "80"]),
        ((0.3, 37), ["0", "10", "20", "30", "40"]),
        ((1, 51), ["0", "20", "40", "60"]),
        ((3, 101), ["0", "50", "100", "150"]),
        ((-3, 4), ["-4", "-2", "0", "2", "4"]),
        ((-3, -1), ["-3", "-2.5", "-2", "-1.5", "-1"]),
        ((0.001, 0.0042), ["0", "0.002", "0.004", "0.006"]),
        ((0.1, 0.9), ["0", "0.25", "0.5", "0.75", "1"]),
    ],
)
def test_y_ticks_are_three_to_five_nice_numbers(
    ys: tuple[float, float], labels: list[str]
) -> None:
    assert y_labels([(0, ys[0]), (1, ys[1])]) == labels


@pytest.mark.parametrize(
    "ys", [(0, 1), (0, 7), (0, 13), (0, 99), (0, 101), (-7, 3), (12, 12.5), (0, 12345.6)]
)
def test_y_scale_covers_the_data_in_three_to_five_steps(ys: tuple[float, float]) -> None:
    low, high, step = y_scale(list(ys), None, None)
    assert low <= min(ys) and high >= max(ys)
    assert 2 <= round((high - low) / step) <= 4
    assert nice_ceiling(step) == pytest.approx(step)


def test_y_min_y_max_clamp() -> None:
    plot = plot_line([(0, -50), (1, 50), (2, 150)], y_min=0, y_max=100)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [BOTTOM, MIDDLE, TOP]
    assert [t.label for t in plot.axes.y_ticks] == ["0", "25", "50", "75", "100"]
    assert [t.percent for t in plot.axes.y_ticks] == [0, 25, 50, 75, 100]
    assert [t.at for t in plot.axes.y_ticks] == [300, 225, 150, 75, 0]


def test_a_fixed_bound_off_the_steps_is_labelled_too() -> None:
    assert y_labels([(0, 1.2), (1, 2.2)], y_min=0, y_max=2.5) == ["0", "1", "2", "2.5"]
    # ... unless it would crowd its neighbour
    assert y_labels([(0, 1.2), (1, 2.2)], y_min=0, y_max=2.1) == ["0", "1", "2"]


def test_y_min_only() -> None:
    plot = plot_line([(0, 5), (1, 10)], y_min=0)
    assert plot is not None
    assert [y for _, y in coords(plot.line)] == [MIDDLE, TOP]


def test_labels_thousands_and_decimals() -> None:
    assert y_labels([(0, 1), (1, 2)], y_min=0.125, y_max=12345.6) == [
        "0.12",
        "5,000",
        "10,000",
        "12,346",
    ]


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
    # 55 s: a tick each 15 s, on whole quarter minutes
    assert [t.label for t in plot.axes.x_ticks] == ["09:30:15", "09:30:30", "09:30:45", "09:31:00"]


@pytest.mark.parametrize(
    ("span", "step"),
    [(10, 5), (55, 15), (120, 30), (600, 300), (3600, 900), (6 * 3600, 7200), (86400, 21600)],
)
def test_time_steps_give_three_to_five_ticks(span: float, step: float) -> None:
    assert x_step(T0, T0 + span) == (step, 0.0)
    count = len(x_labels([(T0, 1), (T0 + span, 2)]))
    assert 3 <= count <= 5


def test_time_ticks_of_minutes_and_hours() -> None:
    assert x_labels([(T0, 1), (T0 + 600, 2)]) == ["09:30", "09:35", "09:40"]
    assert x_labels([(T0, 1), (T0 + 4 * 3600, 2)]) == ["10:00", "11:00", "12:00", "13:00"]


def test_epoch_x_labels_follow_current_timezone() -> None:
    moment = datetime(2024, 5, 1, 9, 30, 5, tzinfo=UTC).timestamp()
    with timezone.override("Europe/Paris"):
        plot = plot_line([(moment, 1)])
        hourly = x_labels([(T0, 1), (T0 + 4 * 3600, 2)])
    assert plot is not None
    assert plot.x_first_label == "11:30:05"
    assert hourly == ["12:00", "13:00", "14:00", "15:00"]  # whole hours there, not in UTC


def test_values_below_y_min_sit_at_the_bottom() -> None:
    plot = plot_line([(0, 30), (1, 40)], y_min=100)
    assert plot is not None
    assert float(plot.y_bottom_label) < float(plot.y_top_label)
    assert [y for _, y in coords(plot.line)] == [BOTTOM, BOTTOM]


def test_x_range_fixes_the_axis_to_a_window() -> None:
    # two minutes shown, data only in the last 30 s: the line sits in the right quarter
    plot = plot_line([(T0 + 90, 1), (T0 + 120, 2)], x_range=(T0, T0 + 120))
    assert plot is not None
    assert [x for x, _ in coords(plot.line)] == [750, 1000]
    assert [t.label for t in plot.axes.x_ticks] == [
        "09:30:00",
        "09:30:30",
        "09:31:00",
        "09:31:30",
        "09:32:00",
    ]
    assert [t.align for t in plot.axes.x_ticks] == ["start", "middle", "middle", "middle", "end"]


def test_split_at_gaps() -> None:
    points = [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (10.0, 1.0), (11.0, 1.0)]
    assert split_at_gaps(points, 3) == [points[:3], points[3:]]
    assert split_at_gaps(points, None) == [points]
    assert split_at_gaps([], 3) == []


def test_auto_gap_is_three_times_the_median_spacing() -> None:
    assert auto_gap([0, 1, 2, 3, 600]) == 3
    assert auto_gap([0, 1, 600]) is None  # too few points to tell a gap from irregular pushes
    assert auto_gap([5, 5, 5, 5]) is None


def test_a_gap_breaks_the_line_and_its_area() -> None:
    points = [(0.0, 1.0), (1.0, 2.0), (2.0, 1.0), (10.0, 1.0), (11.0, 2.0)]
    plot = plot_line(points, gap=3)
    assert plot is not None
    assert len(plot.segments) == 2
    assert [len(coords(s)) for s in plot.segments] == [3, 2]
    assert plot.area.count("M") == 2 and plot.area.count("Z") == 2
    assert coords(plot.line) == [c for s in plot.segments for c in coords(s)]


def test_series_break_at_their_own_gaps() -> None:
    plot = plot_series(
        {"a": [(0, 1), (1, 1), (9, 1)], "b": [(0, 2), (9, 2)]}, gaps={"a": 2, "b": None}
    )
    assert plot is not None
    assert [len(line.segments) for line in plot.lines] == [2, 1]


def test_bars_label_their_slots() -> None:
    hours = [(T0 + 3600 * i, float(i)) for i in range(12)]
    plot = plot_series({"": hours}, bars=True)
    assert plot is not None
    assert len(plot.bars) == 12 and plot.lines == []
    labels = [t.label for t in plot.axes.x_ticks]
    assert labels == ["09:30", "12:30", "15:30", "18:30"]
    assert plot.axes.x_ticks[0].percent == pytest.approx(100 / 24, abs=0.01)
