"""django-dashboards pages with SSEStat/SSEChart in Chromium, through a real Pushpin, updated
by other processes (contrib.django_dashboards and django_dashboards.js)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.test_freshness_page import contrast
from tests.browser.test_live_page import open_live as open_page
from tests.live import Stack

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

PAGE = "/dd/ddapp/live/"
TWIN = "dd.ddapp_live"
LIVE = "[data-dsse-live]"
CPU = '[data-dsse-event="live_cpu"]'
TRAFFIC = '[data-dsse-event="traffic"]'
ORDERS = '[data-dsse-event="orders"]'
# A line trace without points: pushed before a chart test opens the page, so each test starts
# from a known figure although the chart's state lives on in the session's database.
EMPTY_LINE = json.dumps({"data": [{"type": "scatter", "mode": "lines", "x": [], "y": []}]})

# Counts the plot updates django_dashboards.js makes (it calls the global Plotly's methods).
COUNT_PLOTLY_CALLS = """() => {
    window.__plotly = {extendTraces: 0, react: 0};
    for (const name of Object.keys(window.__plotly)) {
        const original = Plotly[name];
        Plotly[name] = function (...args) {
            window.__plotly[name] += 1;
            return original.apply(this, args);
        };
    }
}"""


def open_live(page: Page, stack: Stack) -> list[str]:
    return open_page(page, stack, PAGE, live=LIVE)


def push(stack: Stack, component: str, value: str) -> None:
    done = stack.manage("dashboards_sse", "push", TWIN, component, value)
    assert done.returncode == 0, done.stderr


def chart_target(page: Page) -> str:
    target = page.locator(TRAFFIC).get_attribute("data-dsse-chart-target")
    assert target, "the chart element names no Plotly div"
    return target


def plotted(page: Page, target: str) -> dict[str, Any]:
    """The first trace as Plotly shows it: its type and y values."""
    return page.evaluate(  # type: ignore[no-any-return]
        "(id) => { const trace = document.getElementById(id).data[0];"
        " return {type: trace.type || 'scatter', y: Array.from(trace.y || [])}; }",
        target,
    )


def expect_y(page: Page, target: str, expected: list[float], timeout: float = 10_000) -> None:
    """Wait until the plot's y values are ``expected``, then compare (a clear failure)."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "([id, want]) => JSON.stringify(Array.from(document.getElementById(id).data[0].y"
            " || [])) === JSON.stringify(want)",
            arg=[target, expected],
            timeout=timeout,
        )
    assert plotted(page, target)["y"] == expected


def plotly_calls(page: Page) -> dict[str, int]:
    return page.evaluate("() => ({...window.__plotly})")  # type: ignore[no-any-return]


def open_chart(page: Page, stack: Stack) -> str:
    """Reset the chart to an empty line, open the page and count Plotly calls from now on."""
    push(stack, "traffic", EMPTY_LINE)
    open_live(page, stack)
    target = chart_target(page)
    assert plotted(page, target) == {"type": "scatter", "y": []}
    page.evaluate(COUNT_PLOTLY_CALLS)
    return target


def test_stat_shows_value_pushed_from_another_process(page: Page, stack: Stack) -> None:
    open_live(page, stack)
    cpu = page.locator(f"{CPU} h2")
    expect(cpu).not_to_have_text("87.5%")
    push(stack, "live_cpu", "87.5")
    expect(cpu).to_have_text("87.5%")  # SSEStat(unit="%", decimals=1)
    elements = page.locator(LIVE)
    expect(elements).to_have_count(3)
    for index in range(3):
        expect(elements.nth(index)).to_have_attribute("data-dsse-status", "live")


def test_one_stream_for_all_sse_components(page: Page, stack: Stack) -> None:
    """Three SSE components, one connection: browsers allow few per origin over HTTP/1.1."""
    streams = open_live(page, stack)
    push(stack, "orders", '{"text": "42", "sub_text": "pushed"}')
    push(stack, "live_cpu", "12")
    expect(page.locator(f"{ORDERS} h2")).to_have_text("42")
    expect(page.locator(f"{ORDERS} .stat__text")).to_have_text("pushed")
    expect(page.locator(f"{CPU} h2")).to_have_text("12.0%")
    assert len(streams) == 1, streams
    assert streams[0].startswith(f"{stack.proxy_url}/dashboards/{TWIN}/stream/"), streams
    assert page.evaluate("window.dashboardsSSE.sources.length") == 1
    # The page's static django-dashboards components render as before.
    expect(page.locator("#component-ddddapplivecomponentnotes-inner")).to_have_text(
        "Static text from django-dashboards"
    )
    expect(page.locator("#component-ddddapplivecomponentvisitors-inner h2")).to_have_text("1,024")


def test_chart_points_extend_the_plot_within_its_window(page: Page, stack: Stack) -> None:
    target = open_chart(page, stack)
    push(stack, "traffic", "1")
    expect_y(page, target, [1])
    assert plotly_calls(page) == {"extendTraces": 1, "react": 0}
    # More points than the window (5), pushed in quick succession by another process.
    done = stack.run_python("for y in range(2, 8):\n    push('dd.ddapp_live', traffic=y)\n")
    assert done.returncode == 0, done.stderr
    expect_y(page, target, [3, 4, 5, 6, 7])
    assert plotly_calls(page) == {"extendTraces": 7, "react": 0}


def test_pushed_figure_replaces_the_chart(page: Page, stack: Stack) -> None:
    target = open_chart(page, stack)
    push(stack, "traffic", "9")
    expect_y(page, target, [9])
    bar = {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], "layout": {}}
    push(stack, "traffic", json.dumps(bar))
    page.wait_for_function(
        "(id) => document.getElementById(id).data[0].type === 'bar'", arg=target
    )
    assert plotted(page, target) == {"type": "bar", "y": [1, 2]}
    assert plotly_calls(page) == {"extendTraces": 1, "react": 1}
    # Points pushed afterwards extend the new figure.
    push(stack, "traffic", '{"x": "c", "y": 5}')
    expect_y(page, target, [1, 2, 5])
    assert plotted(page, target)["type"] == "bar"
    assert plotly_calls(page) == {"extendTraces": 2, "react": 1}


def test_replayed_chart_events_do_not_duplicate_points(page: Page, stack: Stack) -> None:
    """A reconnect resumes from an id; events already drawn come again and must be skipped."""
    target = open_chart(page, stack)
    # The id the page was rendered with (the stream's root element rewrites its own copy).
    rendered_id = page.locator(TRAFFIC).get_attribute("data-dsse-last-event-id")
    assert rendered_id
    for y in ("1", "2", "3"):
        push(stack, "traffic", y)
    expect_y(page, target, [1, 2, 3])
    page.evaluate(
        """(id) => {
            const source = window.dashboardsSSE.sources[0];
            window.__reopened = 0;
            window.__applied = 0;
            source.onopen = () => { window.__reopened += 1; };
            source.addEventListener("dsse-update", () => { window.__applied += 1; });
            source.lastEventId = id;  // resume from the page's id: the three come again
            source.reconnectNow();
        }""",
        rendered_id,
    )
    page.wait_for_function("() => window.__reopened === 1")
    expect(page.locator(LIVE).first).to_have_attribute("data-dsse-status", "live")
    push(stack, "traffic", "4")
    page.wait_for_function("() => window.__applied >= 1")
    expect_y(page, target, [1, 2, 3, 4])
    # The three events after the rendered id were replayed and dropped (not newer than the
    # last applied), then the new one applied: only the new point drawn.
    root = page.locator(LIVE).first
    expect(root).to_have_attribute("data-dsse-dropped-older", "2")
    expect(root).to_have_attribute("data-dsse-dropped-duplicate", "1")
    assert page.evaluate("window.__applied") == 1
    assert plotly_calls(page) == {"extendTraces": 4, "react": 0}


def test_html_in_stat_value_is_shown_as_text(page: Page, stack: Stack) -> None:
    payload = "<script>window.__owned = 1</script><b>bold</b>"
    open_live(page, stack)
    push(stack, "live_cpu", payload)
    cpu = page.locator(f"{CPU} h2")
    expect(cpu).to_have_text(payload)
    assert page.evaluate("window.__owned") is None
    assert page.locator(f"{CPU} b").count() == 0
    assert page.locator(f"{CPU} script").count() == 0
    # The page rendered from the stored state escapes it too.
    page.reload()
    expect(cpu).to_have_text(payload)
    assert page.evaluate("window.__owned") is None
    assert page.locator(f"{CPU} b").count() == 0


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_stats_are_readable_in_either_scheme(page: Page, stack: Stack, scheme: Any) -> None:
    """django-dashboards' stat.css keeps .stat #fafafa in dark mode, where its text is #fafafa
    too; our CSS gives every Stat of the page (SSEStat and its own) the scheme's card colour."""
    page.emulate_media(color_scheme=scheme)
    open_live(page, stack)
    stats = page.locator(".stat")
    assert stats.count() >= 3  # live_cpu, orders and the static visitors
    for index in range(stats.count()):
        text, background = (
            stats.nth(index).evaluate(f"el => getComputedStyle(el).{prop}")
            for prop in ("color", "backgroundColor")
        )
        assert contrast(str(text), str(background)) >= 4.5, (scheme, index, text, background)
