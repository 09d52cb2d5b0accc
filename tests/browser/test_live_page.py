"""The dashboard page in Chromium, through a real Pushpin, updated by other processes."""

from __future__ import annotations

import time

from playwright.sync_api import Page, Request, expect

from tests.live import Stack

PAGE = "/dashboards/testapp.ops/"


def open_live(
    page: Page, stack: Stack, path: str = PAGE, live: str = "[data-dsse-root]"
) -> list[str]:
    """Open a page through Pushpin, wait until its first ``live`` element (a dashboard root, or
    a django-dashboards SSE component) is live; return the stream URLs requested."""
    streams: list[str] = []

    def record(request: Request) -> None:
        if "/stream/" in request.url:
            streams.append(request.url)

    page.on("request", record)
    page.goto(stack.proxy_url + path)
    expect(page.locator(live).first).to_have_attribute("data-dsse-status", "live", timeout=15_000)
    return streams


def push(stack: Stack, component: str, value: str) -> None:
    done = stack.manage("dashboards_sse", "push", "testapp.ops", component, value)
    assert done.returncode == 0, done.stderr


def test_stat_shows_value_pushed_from_another_process(page: Page, stack: Stack) -> None:
    open_live(page, stack)
    push(stack, "cpu", "87.5")
    expect(page.locator("#dsse-testapp-ops-cpu .dsse-number")).to_have_text("87.5")
    expect(page.locator(".dsse-status-text")).to_have_text("live")


def test_chart_shows_new_point(page: Page, stack: Stack) -> None:
    push(stack, "latency", '{"series": [[1, 10], [2, 20]]}')
    open_live(page, stack)
    svg = page.locator("#dsse-testapp-ops-latency svg")
    expect(svg).to_have_attribute("data-points", "2")
    push(stack, "latency", f"[{time.time()}, 15]")
    expect(svg).to_have_attribute("data-points", "3")
    expect(page.locator("#dsse-testapp-ops-latency .dsse-latest .dsse-number")).to_have_text("15")


def test_one_stream_connection_per_page(page: Page, stack: Stack) -> None:
    streams = open_live(page, stack)
    push(stack, "cpu", "11")
    push(stack, "status", "ok")
    expect(page.locator("#dsse-testapp-ops-status .dsse-number")).to_have_text("ok")
    assert len(streams) == 1, streams
    assert page.locator("[sse-connect]").count() == 1
    assert page.locator("[sse-swap]").count() == 4


def test_custom_layout_shares_one_connection(page: Page, stack: Stack) -> None:
    streams = open_live(page, stack, "/custom/")
    push(stack, "cpu", "42")
    expect(page.locator("#dsse-testapp-ops-cpu .dsse-number")).to_have_text("42.0")
    assert len(streams) == 1, streams


def test_script_in_value_is_shown_as_text(page: Page, stack: Stack) -> None:
    open_live(page, stack)
    payload = "<script>window.__owned = 1</script><b>bold</b>"
    push(stack, "status", payload)
    status = page.locator("#dsse-testapp-ops-status .dsse-number")
    expect(status).to_have_text(payload)
    assert page.evaluate("window.__owned") is None
    assert page.locator("#dsse-testapp-ops-status b").count() == 0


def test_update_pushed_before_stream_opens_is_shown(page: Page, stack: Stack) -> None:
    """The page carries the event id it was rendered at; the stream resumes from it."""
    page.route("**/static/dashboards_sse/dashboards_sse.js", lambda route: _delayed(route, stack))
    page.goto(stack.proxy_url + PAGE)
    expect(page.locator("[data-dsse-root]")).to_have_attribute(
        "data-dsse-status", "live", timeout=15_000
    )
    expect(page.locator("#dsse-testapp-ops-cpu .dsse-number")).to_have_text("55.5")


def _delayed(route, stack: Stack) -> None:  # type: ignore[no-untyped-def]
    # Runs after the HTML was rendered and before the stream opens: the gap to close.
    push(stack, "cpu", "55.5")
    route.continue_()
