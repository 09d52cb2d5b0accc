"""Feed: items pushed one at a time, sent as item actions (event size independent of the list),
stored whole (trimmed, newest first), rendered the same on a page and in a replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django_eventstream.models import Event

from dashboards_sse import Feed, InvalidValue, batch, push
from dashboards_sse.models import ComponentState
from tests.testapp.dashboards import Activity

pytestmark = pytest.mark.django_db
CHANNEL = "dashboard.testapp.activity"


def sent() -> list[list[dict[str, Any]]]:
    rows = Event.objects.filter(channel=CHANNEL, eid__gt=0).order_by("eid")
    return [json.loads(json.loads(row.data))["updates"] for row in rows]


def keys(name: str = "events") -> list[str]:
    state = ComponentState.objects.get(dashboard="testapp.activity", component=name).state
    return [item["key"] for item in state["items"]]


def test_an_item_push_sends_one_insert_of_that_item() -> None:
    Activity.events.push({"id": "a", "text": "deploy started", "level": "ok"})
    ((insert,),) = sent()
    assert (insert["component"], insert["action"], insert["key"]) == ("events", "insert", "a")
    assert insert["html"].startswith('<li class="dsse-item dsse-level-ok" data-dsse-key="a">')
    assert "deploy started" in insert["html"]


def test_event_size_does_not_grow_with_the_list() -> None:
    sizes = []
    for n in range(40):
        Activity.log.push({"id": f"n{n}", "text": "the same length"})
        sizes.append(len(Event.objects.filter(channel=CHANNEL).order_by("-eid")[0].data))
    assert max(sizes[5:]) - min(sizes[5:]) <= 4  # a remove of the trimmed one, then constant
    assert len(keys("log")) == 5


def test_newest_first_and_trimmed_server_side() -> None:
    for n in range(5):
        Activity.events.push({"id": f"e{n}", "text": f"event {n}"})
    assert keys() == ["e4", "e3", "e2"]  # limit=3, newest first
    last = sent()[-1]
    assert [(u["action"], u["key"]) for u in last] == [("remove", "e1"), ("insert", "e4")]


def test_insert_of_a_shown_key_replaces_it() -> None:
    Activity.events.push({"id": "x", "text": "first"})
    Activity.events.push({"id": "x", "text": "second"})
    assert keys() == ["x"]
    (update,) = sent()[-1]
    assert update["action"] == "insert" and "second" in update["html"]


def test_remove_and_clear() -> None:
    for n in range(3):
        Activity.events.push({"id": f"r{n}", "text": "x"})
    Activity.events.remove("r1")
    assert keys() == ["r2", "r0"]
    assert sent()[-1] == [{"component": "events", "action": "remove", "key": "r1"}]
    Activity.events.clear()
    assert keys() == []
    assert sent()[-1] == [{"component": "events", "action": "clear"}]


def test_a_batch_is_one_message_of_item_actions() -> None:
    with batch():
        for n in range(3):
            push("testapp.activity", events=f"batched {n}")
    (message,) = sent()
    assert [u["action"] for u in message] == ["insert"] * 3
    assert ["batched 0" in message[0]["html"], "batched 2" in message[2]["html"]] == [True, True]


def test_page_and_replay_render_the_same_items() -> None:
    Activity.events.push({"id": "p", "title": "Build", "text": "green", "url": "/builds/7"})
    state = ComponentState.objects.get(component="events").state
    page = str(Activity.events.render(state))
    (insert,) = sent()[-1]
    assert insert["html"] in page  # the item's HTML is the same in both
    assert 'data-dsse-items data-dsse-limit="3" data-dsse-order="newest-first"' in page
    assert '<a class="dsse-item-body" href="/builds/7"><strong>Build</strong> green</a>' in page


def test_every_field_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    Activity.events.push({"id": "s", "title": evil, "text": evil, "url": "/a?b=<x>"[:3]})
    (insert,) = sent()[-1]
    assert "<script>" not in insert["html"] and "&lt;script&gt;" in insert["html"]


def test_oldest_first_renders_in_push_order() -> None:
    for n in range(3):
        Activity.log.push({"id": f"o{n}", "text": f"line {n}"})
    page = str(Activity.log.render(ComponentState.objects.get(component="log").state))
    assert page.index("line 0") < page.index("line 2")
    assert 'data-dsse-order="oldest-first"' in page


def test_time_is_kept_and_shown() -> None:
    moment = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    Activity.events.push({"id": "t", "text": "at a time", "time": moment})
    (insert,) = sent()[-1]
    assert ">09:30:05</time>" in insert["html"]  # the test settings' TIME_ZONE is UTC


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (42, "an item is text or a mapping"),
        ({"text": "x", "colour": "red"}, "unknown item field"),
        ({"level": "info"}, "needs 'text' or 'title'"),
        ({"text": "x", "level": "fatal"}, "item level 'fatal'"),
        ({"text": "x", "url": "javascript:alert(1)"}, "http"),
        ({"text": "x", "id": "a b"}, "item id 'a b'"),
        ({"text": "x", "id": 1.5}, "an item id is text or an int"),
        ({"text": "x" * 3000}, "exceeds 2000"),
        ({"remove": None}, "an item id"),
        ({"clear": "yes"}, "clear with"),
    ],
)
def test_bad_items_name_the_problem_and_store_nothing(value: Any, problem: str) -> None:
    where = r"dashboard 'testapp\.activity', feed 'events'"
    with pytest.raises(InvalidValue, match=where) as info:
        Activity.events.push(value)
    assert problem in str(info.value)
    assert not ComponentState.objects.exists() and not Event.objects.exists()


def test_limits_are_checked_at_declaration() -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        Feed(limit=0)
    with pytest.raises(ValueError, match="order must be one of"):
        Feed(order="random")


def test_a_whole_set_keeps_its_order_and_an_unchanged_push_sends_nothing() -> None:
    items = [{"id": f"w{n}", "text": f"item {n}", "time": 1e9 + n} for n in range(3)]
    Activity.events.push(items)  # newest first, as given
    assert keys() == ["w0", "w1", "w2"]
    count = len(sent())
    Activity.events.push(items)  # the same again: nothing changes on screen
    assert len(sent()) == count  # no event at all
    assert keys() == ["w0", "w1", "w2"]
