"""sql.py: a queryset compiled once runs with new values as the ORM itself would."""

from __future__ import annotations

import pytest
from django_eventstream.models import Event

from dashboards_sse.sql import compile_queryset

pytestmark = pytest.mark.django_db

STAND_INS = ("dashboards_sse:channel", -(2**62))


def events_after(channel: str, start: int) -> object:
    rows = Event.objects.filter(channel=channel, eid__gte=start).order_by("eid")
    return rows.values_list("eid", "type")[:3]


@pytest.fixture
def events() -> None:
    Event.objects.bulk_create(
        [
            Event(channel=channel, type="t", data="{}", eid=eid)
            for channel in "ab"
            for eid in range(6)
        ]
    )


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(("channel", "start"), [("a", 0), ("b", 2), ("b", 5), ("c", 0)])
def test_runs_as_the_queryset_with_the_values(channel: str, start: int) -> None:
    query = compile_queryset(events_after(*STAND_INS), STAND_INS)

    assert query.execute((channel, start)) == list(events_after(channel, start))


def test_bind_puts_each_value_in_its_stand_ins_place() -> None:
    query = compile_queryset(events_after(*STAND_INS), STAND_INS)

    params = query.bind(("a", 4))

    assert sorted(map(str, params)) == ["4", "a"]
    assert query.params != tuple(params)  # the compiled query keeps its stand-ins


def test_a_stand_in_used_twice_is_refused() -> None:
    twice = Event.objects.filter(channel="stand-in", type="stand-in")

    with pytest.raises(ValueError, match="2 times"):
        compile_queryset(twice, ["stand-in"])


def test_a_stand_in_missing_from_the_query_is_refused() -> None:
    with pytest.raises(ValueError, match="0 times"):
        compile_queryset(Event.objects.filter(channel="a"), ["missing"])


@pytest.mark.usefixtures("events")
def test_only_the_stand_in_is_replaced() -> None:
    query = Event.objects.filter(eid=1, channel="a").values_list("eid", "channel")

    compiled = compile_queryset(query, [1])

    assert compiled.execute([5]) == [(5, "a")]
    assert compiled.execute([9]) == []
