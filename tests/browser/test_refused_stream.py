"""A refused stream in Chromium: the status badge says why (the server's few words in the
Dashboards-SSE-Reason header) instead of staying on "connecting"."""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.browser.test_live_page import PAGE, open_live
from tests.live import Stack


def test_direct_stream_where_pushpin_is_required(page: Page, stack: Stack) -> None:
    """The page straight from Django (not through Pushpin, which GRIP_URL makes required): the
    stream gets 403 and the badge says to open it through Pushpin, at once (a 4xx is not a
    hiccup), while the client keeps retrying with backoff."""
    fetched: list[str] = []

    def record(request: Request) -> None:
        if "/stream/" in request.url and request.resource_type == "fetch":
            fetched.append(request.url)

    page.on("request", record)
    page.goto(stack.django_url + PAGE)
    root = page.locator("[data-dsse-root]")
    expect(root).to_have_attribute("data-dsse-reason", "open it through Pushpin", timeout=15_000)
    expect(root).to_have_attribute("data-dsse-status", "offline")
    expect(page.locator(".dsse-status-text")).to_have_text("offline: open it through Pushpin")
    page.wait_for_timeout(2500)  # a few more attempts (the test settings cap backoff at 2 s)
    assert len(fetched) == 1, fetched  # the reason is fetched once per failure streak
    expect(page.locator(".dsse-status-text")).to_have_text("offline: open it through Pushpin")


def test_a_live_page_shows_no_reason(page: Page, stack: Stack) -> None:
    open_live(page, stack)
    root = page.locator("[data-dsse-root]")
    assert root.get_attribute("data-dsse-reason") is None
    expect(page.locator(".dsse-status-text")).to_have_text("live")
