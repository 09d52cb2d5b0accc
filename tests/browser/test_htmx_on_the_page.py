"""A page that loads htmx itself ({% htmx_script %}, django-htmx) in Chromium through a real
Pushpin: its dashboard connects and follows pushes whether ``{% dashboards_sse_head %}`` loads
a second htmx (before or after the page's) or, with ``htmx=False``, uses the page's."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.test_live_page import open_live, push
from tests.live import Stack

# The warning of a root htmx's SSE extension did not connect (dashboards_sse.js).
NOT_CONNECTED_BY_HTMX = "htmx's SSE extension did not connect"


def htmx_scripts(page: Page) -> int:
    return page.locator('script[src*="django_htmx/htmx-2"]').count()


def console(page: Page) -> list[str]:
    messages: list[str] = []

    def record(message: ConsoleMessage) -> None:
        messages.append(message.text)

    page.on("console", record)
    return messages


@pytest.mark.parametrize("order", ["before", "after"])
def test_htmx_loaded_twice_still_connects(page: Page, stack: Stack, order: str) -> None:
    """{% htmx_script %} and {% dashboards_sse_head %}: two htmx copies. With the page's first,
    it processes the page without the SSE extension; the client connects the root itself and
    says in the console how to load htmx once."""
    messages = console(page)
    streams = open_live(page, stack, f"/htmx/{order}/")
    assert htmx_scripts(page) == 2
    push(stack, "cpu", "61.5")
    expect(page.locator("#dsse-testapp-ops-cpu .dsse-number")).to_have_text("61.5")
    assert len(streams) == 1, streams
    warned = [m for m in messages if NOT_CONNECTED_BY_HTMX in m]
    # The page's copy after ours: ours processes the page first, with its extension, and
    # creates its source through the page's copy (then global): no fallback, no error.
    assert len(warned) == (1 if order == "before" else 0), messages
    assert not [m for m in messages if "Error" in m], messages
    if warned:
        assert "{% dashboards_sse_head htmx=False %}" in warned[0]


def test_htmx_false_uses_the_pages_htmx(page: Page, stack: Stack) -> None:
    """{% htmx_script %} then {% dashboards_sse_head htmx=False %}: one htmx, whose SSE
    extension connects the dashboard (no fallback, no warning)."""
    messages = console(page)
    streams = open_live(page, stack, "/htmx/own/")
    assert htmx_scripts(page) == 1
    push(stack, "cpu", "62.5")
    expect(page.locator("#dsse-testapp-ops-cpu .dsse-number")).to_have_text("62.5")
    assert len(streams) == 1, streams
    assert not [m for m in messages if NOT_CONNECTED_BY_HTMX in m], messages
    # The source is the extension's: htmx keeps it in the root's internal data.
    assert page.evaluate(
        "htmx.version.startsWith('2.') && "
        "!!document.querySelector('[data-dsse-root]')['htmx-internal-data'].sseEventSource"
    )
