from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from dashboards_sse.exceptions import InvalidValue
from dashboards_sse.values import as_number, as_point, as_points, as_text, as_timestamp, describe


def test_describe_names_type_and_value() -> None:
    assert describe("abc") == "str 'abc'"


def test_describe_truncates_long_values() -> None:
    text = describe("x" * 200)
    assert text.startswith("str 'xxx")
    assert text.endswith("...")
    assert len(text) == len("str ") + 60


@pytest.mark.parametrize("value", [0, 7, -3, 2.5, 1e300])
def test_as_number_accepts_numbers(value: float) -> None:
    assert as_number(value, "here") == value


def test_as_number_turns_decimal_into_float() -> None:
    result = as_number(Decimal("12.25"), "here")
    assert result == 12.25
    assert isinstance(result, float)


@pytest.mark.parametrize("value", [True, False, "1", None, [1], b"1"])
def test_as_number_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(InvalidValue, match=r"^here: expected a number, got "):
        as_number(value, "here")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, Decimal("NaN")])
def test_as_number_rejects_non_finite(value: Any) -> None:
    with pytest.raises(InvalidValue, match="here: expected a finite number"):
        as_number(value, "here")


def test_as_number_names_what_was_expected() -> None:
    with pytest.raises(InvalidValue, match="expected a number or text, got list"):
        as_number([], "here", "a number or text")


def test_as_timestamp_datetime() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert as_timestamp(moment, "here") == moment.timestamp()


def test_as_timestamp_date() -> None:
    assert as_timestamp(date(2024, 5, 1), "here") == datetime(2024, 5, 1).timestamp()


def test_as_timestamp_number() -> None:
    assert as_timestamp(3, "here") == 3


def test_as_timestamp_rejects_text() -> None:
    with pytest.raises(InvalidValue, match="a number or datetime for x"):
        as_timestamp("2024-05-01", "here")


def test_as_text_accepts_text() -> None:
    assert as_text("ok", "here", 10) == "ok"


def test_as_text_rejects_non_text() -> None:
    with pytest.raises(InvalidValue, match="here: expected text, got int 5"):
        as_text(5, "here", 10)


def test_as_text_rejects_too_long() -> None:
    with pytest.raises(InvalidValue, match="text of 11 characters exceeds 10"):
        as_text("x" * 11, "here", 10)


def test_as_text_rejects_nul() -> None:
    with pytest.raises(InvalidValue, match="NUL"):
        as_text("a\x00b", "here", 10)


@pytest.mark.parametrize("value", [(1, 2), [1, 2], {"x": 1, "y": 2}])
def test_as_point_shapes(value: Any) -> None:
    assert as_point(value, "here") == (1, 2)


@pytest.mark.parametrize("value", [{"x": 1}, {"y": 2}, {"x": 1, "y": 2, "z": 3}, {"a": 1, "b": 2}])
def test_as_point_rejects_wrong_keys(value: dict[str, int]) -> None:
    with pytest.raises(InvalidValue, match="exactly the keys x and y"):
        as_point(value, "here")


@pytest.mark.parametrize("value", [[1], [1, 2, 3], "12", b"12", 5, None])
def test_as_point_rejects_wrong_shapes(value: Any) -> None:
    with pytest.raises(InvalidValue, match=r"a point is \(x, y\)"):
        as_point(value, "here")


def test_as_point_rejects_bad_y() -> None:
    with pytest.raises(InvalidValue, match="a number for y"):
        as_point((1, "2"), "here")


def test_as_points_list() -> None:
    assert as_points([(1, 2), {"x": 3, "y": 4}], "here", 10) == [(1, 2), (3, 4)]


@pytest.mark.parametrize("value", ["12", {"x": 1, "y": 2}, 5])
def test_as_points_rejects_non_list(value: Any) -> None:
    with pytest.raises(InvalidValue, match="a series is a list"):
        as_points(value, "here", 10)


def test_as_points_rejects_too_many() -> None:
    with pytest.raises(InvalidValue, match="3 points exceed the limit of 2"):
        as_points([(1, 1), (2, 2), (3, 3)], "here", 2)


def test_text_with_undecodable_bytes_is_invalid() -> None:
    text = b"caf\xe9".decode("utf-8", "surrogateescape")  # what argv gives for Latin-1 bytes
    with pytest.raises(InvalidValue, match="not valid UTF-8"):
        as_text(text, "here", 100)
