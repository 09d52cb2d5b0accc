"""The client never shows an older state after a newer one: Chromium on a real page, its stream
answered by the test with events replayed, duplicated and out of order (what Pushpin's gap
recovery and a reconnect's replay can deliver)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Route, expect

from dashboards_sse.publish import wire
from tests.live import Stack
from tests.testapp.dashboards import Ops

PAGE = "/dashboards/testapp.ops/"
CHANNEL = "dashboard.testapp.ops"


def html(name: str, value: Any) -> str:
    component = Ops.get_component(name)
    return str(component.render(component.update(None, value)))


def update(number: int, **values: Any) -> str:
    """A dsse-update event as the server sends it."""
    data = wire.message(wire.replace(name, html(name, value)) for name, value in values.items())
    return f"event: dsse-update\nid: {CHANNEL}:{number}\ndata: {data}\n\n"


def legacy(number: int, name: str, value: Any) -> str:
    """An event stored before one message per push: type = component, data = its HTML."""
    lines = "".join(f"data: {line}\n" for line in html(name, value).split("\n"))
    return f"event: {name}\nid: {CHANNEL}:{number}\n{lines}\n"


OPEN = ":" + " " * 2048 + "\n\nevent: stream-open\ndata:\n\n"


def test_only_newer_events_are_applied(page: Page, stack: Stack) -> None:
    bodies: list[str] = []
    resumed_from: list[str] = []

    def answer(route: Route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        resumed_from.append(query.get("lastEventId", [""])[0])
        body = bodies.pop(0) if bodies else ""  # nothing new: the stream ends, it reconnects
        route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=OPEN + body
        )

    page.route(re.compile(r".*/stream/.*"), answer)
    page.goto(stack.proxy_url + PAGE)
    root = page.locator("[data-dsse-root]")
    # The page's own render-time id, n: everything up to it is already on the page.
    start = root.get_attribute("data-dsse-last-event-id") or ""
    n = int(start.rsplit(":", 1)[1])
    cpu = page.locator("#dsse-testapp-ops-cpu .dsse-number")
    status = page.locator("#dsse-testapp-ops-status .dsse-number")

    # The next connection gets these, out of order (applied as-is, the page would end on 10).
    bodies.append(
        update(n + 2, cpu=30, status="third")
        + update(n + 3, cpu=40)
        + update(n + 1, cpu=20, status="second")  # older than the last applied: dropped
        + update(n + 3, cpu=40)  # the same again: dropped
        + update(n, cpu=10)  # as old as the page: dropped
        + legacy(n + 2, "status", "legacy old")  # an event of the old format, older: dropped
    )
    expect(cpu).to_have_text("40.0", timeout=15_000)
    expect(status).to_have_text("third")
    expect(root).to_have_attribute("data-dsse-last-event-id", f"{CHANNEL}:{n + 3}")

    # A reconnect's replay overlaps what was applied, then goes on (old format too).
    bodies.append(
        update(n + 3, cpu=40)  # dropped
        + update(n + 2, cpu=30)  # dropped
        + legacy(n + 4, "status", "legacy new")
        + update(n + 5, cpu=50)
        + update(n + 4, cpu=45)  # dropped
    )
    expect(cpu).to_have_text("50.0", timeout=15_000)
    expect(status).to_have_text("legacy new")
    expect(root).to_have_attribute("data-dsse-last-event-id", f"{CHANNEL}:{n + 5}")
    expect(root).to_have_attribute("data-dsse-dropped-duplicate", "2")
    expect(root).to_have_attribute("data-dsse-dropped-older", "5")
    # Every reconnect resumed from the newest id applied, never from an older one.
    assert resumed_from[0] == start
    numbers = [int(resumed.rsplit(":", 1)[1]) for resumed in resumed_from]
    assert numbers == sorted(numbers) and n + 3 in numbers, resumed_from
