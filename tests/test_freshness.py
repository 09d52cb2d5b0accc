"""How old a value is on the page ("updated N s ago"), stale components, and the markup the
client script ticks from."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django_eventstream.models import Event

from dashboards_sse import Component, Dashboard, Stat, push, registry
from dashboards_sse.freshness import age_text, is_stale
from dashboards_sse.models import ComponentState
from dashboards_sse.snapshot import take_snapshot


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "updated just now"),  # a clock a little ahead: never "in 3 s"
        (0, "updated just now"),
        (1.9, "updated just now"),
        (2, "updated 2 s ago"),
        (59.9, "updated 59 s ago"),
        (60, "updated 1 min ago"),
        (3599, "updated 59 min ago"),
        (7200, "updated 2 h ago"),
        (3 * 86400 + 5, "updated 3 d ago"),
    ],
)
def test_age_text(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


def test_is_stale() -> None:
    assert not is_stale(1000, None, 1000)  # no stale_after: never
    assert not is_stale(30, 30, 0)
    assert is_stale(30.1, 30, 0)
    assert not is_stale(None, 30, 10)  # nothing yet: counted from the page's render
    assert is_stale(None, 30, 31)


@pytest.mark.parametrize("stale_after", [0, -1, timedelta(0), True])
def test_stale_after_must_be_positive(stale_after: Any) -> None:
    with pytest.raises(ValueError, match="stale_after must be a positive duration"):
        Stat(stale_after=stale_after)


def test_stale_after_takes_a_timedelta_or_seconds() -> None:
    assert Stat(stale_after=timedelta(minutes=1)).stale_after == 60
    assert Stat(stale_after=5).stale_after == 5
    assert Component().stale_after is None


@pytest.fixture
def heartbeat() -> Iterator[type[Dashboard]]:
    class Heartbeat(Dashboard):
        slug = "t-freshness.heartbeat"
        orders = Stat(stale_after=timedelta(seconds=30))
        uptime = Stat()  # no stale_after: an age, never stale
        queue = Stat(stale_after=10)  # never pushed
        provided = Stat(value=lambda: 7, stale_after=10)

    yield Heartbeat
    registry.unregister(Heartbeat)


def attributes(html: str, name: str) -> dict[str, str]:
    tag = re.search(rf'<div class="dsse-component[^>]*sse-swap="{name}"[^>]*>', html)
    assert tag is not None, name
    return dict(re.findall(r'(data-dsse-[a-z-]+)(?:="([^"]*)")?', tag.group(0)))


def render(board: type[Dashboard]) -> str:
    request = RequestFactory().get("/")
    template = Template('{% load dashboards_sse %}{% dashboard "t-freshness.heartbeat" %}')
    return template.render(Context({"request": request}))


def backdate(board: type[Dashboard], name: str, seconds: float) -> None:
    """As if ``name`` had last been pushed ``seconds`` ago."""
    row = ComponentState.objects.get(dashboard=board.slug, component=name)
    ComponentState.objects.filter(pk=row.pk).update(
        updated=row.updated - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_the_page_says_how_old_each_value_is(heartbeat: type[Dashboard]) -> None:
    push(heartbeat, orders=12, uptime=3)
    backdate(heartbeat, "uptime", 600)
    before = time.time() * 1000
    html = render(heartbeat)
    now = float(re.search(r'data-dsse-now="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert before <= now <= time.time() * 1000
    orders = attributes(html, "orders")
    assert orders["data-dsse-age"] == "updated just now"
    assert orders["data-dsse-stale-after"] == "30000"
    assert "data-dsse-stale" not in orders
    assert now - 5000 < float(orders["data-dsse-updated"]) <= now
    uptime = attributes(html, "uptime")
    assert uptime["data-dsse-age"] == "updated 10 min ago"
    assert "data-dsse-stale-after" not in uptime and "data-dsse-stale" not in uptime


@pytest.mark.django_db
def test_a_value_older_than_stale_after_renders_stale(heartbeat: type[Dashboard]) -> None:
    push(heartbeat, orders=12)
    backdate(heartbeat, "orders", 45)
    orders = attributes(render(heartbeat), "orders")
    assert "data-dsse-stale" in orders
    assert orders["data-dsse-age"] == "updated 45 s ago"


@pytest.mark.django_db
def test_no_value_yet_has_no_age_and_a_provider_value_is_fresh(heartbeat: type[Dashboard]) -> None:
    html = render(heartbeat)
    queue = attributes(html, "queue")
    assert "data-dsse-updated" not in queue and "data-dsse-age" not in queue
    assert queue["data-dsse-stale-after"] == "10000" and "data-dsse-stale" not in queue
    provided = attributes(html, "provided")
    assert provided["data-dsse-age"] == "updated just now"


@pytest.mark.django_db
def test_snapshot_carries_update_times(heartbeat: type[Dashboard]) -> None:
    push(heartbeat, orders=12)
    snap = take_snapshot(heartbeat)
    items = {item.component.name: item for item in snap.components}
    assert items["orders"].updated is not None
    assert snap.rendered_at - 5 < items["orders"].updated <= snap.rendered_at
    assert items["queue"].updated is None and items["queue"].updated_ms is None


@pytest.mark.django_db
def test_each_message_says_when_it_was_sent(heartbeat: type[Dashboard]) -> None:
    before = time.time()
    result = push(heartbeat, orders=12)
    assert result.sent_at is not None and before <= result.sent_at <= time.time()
    event = Event.objects.get(channel=heartbeat.channel, eid=result.event_id)
    assert json.loads(json.loads(event.data))["t"] == round(result.sent_at * 1000)  # JSON text
