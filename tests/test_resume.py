from __future__ import annotations

import pytest
from django.test import RequestFactory

from dashboards_sse.resume import (
    MAX_EVENT_ID_CHARS,
    InvalidEventId,
    parse_last_event_id,
)

CHANNEL = "dashboard.testapp.ops"
factory = RequestFactory()


def parse(query: str = "", header: str | None = None) -> int | None:
    extra = {} if header is None else {"HTTP_LAST_EVENT_ID": header}
    return parse_last_event_id(factory.get("/stream/" + query, **extra), CHANNEL)


def test_none_given() -> None:
    assert parse() is None


def test_empty_values_ignored() -> None:
    assert parse("?lastEventId=", header="") is None


def test_header() -> None:
    assert parse(header="dashboard.testapp.ops:42") == 42


def test_query_param() -> None:
    assert parse("?lastEventId=dashboard.testapp.ops:7") == 7


def test_header_wins_over_query_param() -> None:
    assert parse("?lastEventId=dashboard.testapp.ops:7", header="dashboard.testapp.ops:42") == 42


def test_last_non_empty_query_param_wins() -> None:
    query = "?lastEventId=dashboard.testapp.ops:1&lastEventId=dashboard.testapp.ops:2&lastEventId="
    assert parse(query) == 2


def test_other_channels_ignored() -> None:
    assert parse(header="dashboard.other:5") is None
    assert parse(header="dashboard.other:5,dashboard.testapp.ops:9,x:1") == 9


def test_quoted_channel() -> None:
    assert (
        parse_last_event_id(
            factory.get("/", HTTP_LAST_EVENT_ID="dashboard.a%20b:3"), "dashboard.a b"
        )
        == 3
    )


def test_zero() -> None:
    assert parse(header="dashboard.testapp.ops:0") == 0


@pytest.mark.parametrize(
    "raw",
    [
        "error",
        "42",
        "dashboard.testapp.ops:",
        "dashboard.testapp.ops:abc",
        "dashboard.testapp.ops:-1",
        "dashboard.testapp.ops:1.5",
        "dashboard.testapp.ops:٣",
        "dashboard.testapp.ops:²",
        "dashboard.testapp.ops:1,",
        "dashboard.testapp.ops:1,garbage",
    ],
)
def test_malformed(raw: str) -> None:
    with pytest.raises(InvalidEventId, match="Malformed event id"):
        parse(header=raw)


def test_malformed_query_param() -> None:
    with pytest.raises(InvalidEventId, match="expected 'channel:number"):
        parse("?lastEventId=error")


def test_too_long() -> None:
    raw = "dashboard.testapp.ops:1," * (MAX_EVENT_ID_CHARS // 20)
    with pytest.raises(InvalidEventId, match=r"^Malformed event id: too long\.$"):
        parse(header=raw[: MAX_EVENT_ID_CHARS + 1])


def test_longest_allowed() -> None:
    tail = "," + CHANNEL + ":1"
    raw = "x:" + "0" * (MAX_EVENT_ID_CHARS - len(tail) - 2) + tail
    assert len(raw) == MAX_EVENT_ID_CHARS
    assert parse(header=raw) == 1


def test_invalid_event_id_is_value_error() -> None:
    assert issubclass(InvalidEventId, ValueError)
