"""Validation of pushed values into plain JSON-able data (numbers, strings, points)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .exceptions import InvalidValue

Point = tuple[float, float]


def describe(value: Any) -> str:
    """A short, safe description of a bad value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def as_number(value: Any, where: str, what: str = "a number") -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidValue(f"{where}: expected {what}, got {describe(value)}.")
    number: int | float | Decimal = value
    if isinstance(number, Decimal):
        if not number.is_finite():
            raise InvalidValue(f"{where}: expected a finite number, got {number!r}.")
        number = float(number)
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidValue(f"{where}: expected a finite number, got {number!r}.")
    return number


def as_timestamp(value: Any, where: str) -> float | int:
    """An x coordinate: a number, or a datetime/date turned into epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).timestamp()
    return as_number(value, where, "a number or datetime for x")


def as_text(value: Any, where: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"{where}: expected text, got {describe(value)}.")
    if len(value) > max_chars:
        raise InvalidValue(f"{where}: text of {len(value)} characters exceeds {max_chars}.")
    if "\x00" in value:
        raise InvalidValue(f"{where}: text contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # e.g. undecodable bytes from argv, kept as lone surrogates
        raise InvalidValue(f"{where}: text is not valid UTF-8.") from None
    return value


def as_point(
    value: Any, where: str, x: Callable[[Any, str], Any] = as_timestamp
) -> tuple[Any, float | int]:
    """(x, y) from a pair or ``{"x", "y"}``; ``x`` reads the x coordinate (default: a number
    or a datetime as epoch seconds)."""
    if isinstance(value, Mapping):
        if set(value) != {"x", "y"}:
            raise InvalidValue(f"{where}: a point needs exactly the keys x and y, got {value!r}.")
        value = (value["x"], value["y"])
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidValue(
            f"{where}: a point is (x, y) or {{'x': ..., 'y': ...}}, got {describe(value)}."
        )
    return (x(value[0], where), as_number(value[1], where, "a number for y"))


def as_points(value: Any, where: str, max_points: int) -> list[Point]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidValue(f"{where}: a series is a list of (x, y) points, got {describe(value)}.")
    if len(value) > max_points:
        raise InvalidValue(f"{where}: {len(value)} points exceed the limit of {max_points}.")
    return [as_point(item, where) for item in value]
