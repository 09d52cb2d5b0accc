"""Wall-screen honesty in Chromium: ages that tick against the server's clock, stale components
and the badge that stops looking live, the kiosk layout, and the light and dark themes."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_live_page import open_live
from tests.live import Stack

PAGE = "/dashboards/testapp.heartbeat/"
BEAT = "#dsse-testapp-heartbeat-beat"
STEADY = "#dsse-testapp-heartbeat-steady"
# A viewer whose clock is an hour ahead of the server's.
SKEWED_CLOCK = "{ const real = Date.now; Date.now = () => real() + 3600 * 1000; }"


def push(stack: Stack, component: str, value: str) -> None:
    done = stack.manage("dashboards_sse", "push", "testapp.heartbeat", component, value)
    assert done.returncode == 0, done.stderr


def colour(page: Page, selector: str, prop: str, pseudo: str | None = None) -> str:
    return str(
        page.eval_on_selector(
            selector,
            "(el, [prop, pseudo]) => getComputedStyle(el, pseudo).getPropertyValue(prop)",
            [prop, pseudo],
        )
    )


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two computed rgb() colours."""

    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_age_ticks_from_the_servers_clock_and_goes_stale(page: Page, stack: Stack) -> None:
    page.add_init_script(SKEWED_CLOCK)
    push(stack, "beat", "1")
    push(stack, "steady", "1")
    open_live(page, stack, PAGE)
    beat, root = page.locator(BEAT), page.locator("[data-dsse-root]")
    # an hour of client clock skew changes nothing: the age is the server's
    expect(beat).to_have_attribute("data-dsse-age", re.compile(r"updated (just now|\d s ago)"))
    expect(beat).not_to_have_attribute("data-dsse-stale", re.compile(".*"))
    expect(beat).to_have_attribute("data-dsse-age", re.compile(r"updated [2-9] s ago"))  # ticks
    # stale_after=3 s passes with no push: stale, and the badge says so
    expect(beat).to_have_attribute("data-dsse-stale", "", timeout=6_000)
    expect(root).to_have_attribute("data-dsse-stale", "1")
    expect(root).to_have_attribute("data-dsse-status", "live")
    badge = page.locator("span.dsse-status")
    expect(badge).to_have_attribute("data-dsse-stale-text", "1 stale")
    # the dot is amber (the stale outline's colour), not green
    assert colour(page, ".dsse-status-dot", "background-color") == colour(
        page, BEAT, "outline-color"
    )
    assert "stale" in colour(page, BEAT, "content", "::after")
    # a component without stale_after only ages
    assert page.locator(STEADY).get_attribute("data-dsse-stale") is None
    # a push: fresh again, and the badge with it
    push(stack, "beat", "2")
    expect(beat.locator(".dsse-number")).to_have_text("2")
    # its time is the message's, by the server's clock (not the client's, an hour ahead)
    assert abs(int(beat.get_attribute("data-dsse-updated") or 0) / 1000 - time.time()) < 10
    expect(beat).not_to_have_attribute("data-dsse-stale", re.compile(".*"))
    expect(beat).to_have_attribute("data-dsse-age", re.compile(r"updated (just now|1 s ago)"))
    expect(root).not_to_have_attribute("data-dsse-stale", re.compile(".*"))
    expect(badge).not_to_have_attribute("data-dsse-stale-text", re.compile(".*"))


@pytest.mark.parametrize(
    ("viewport", "expected"),
    [({"width": 1920, "height": 1080}, 19.44), ({"width": 1280, "height": 800}, 14.0)],
)
def test_kiosk_scales_type_to_the_viewport_and_hides_chrome(
    page: Page, stack: Stack, viewport: dict[str, int], expected: float
) -> None:
    page.set_viewport_size(viewport)
    open_live(page, stack, "/custom/?kiosk=1")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size == pytest.approx(expected, abs=0.05)  # min(1.05vw, 1.8vh), at least 14px
    expect(page.locator("nav.dsse-kiosk-hide")).to_be_hidden()
    open_live(page, stack, "/custom/")
    expect(page.locator("nav.dsse-kiosk-hide")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"


@pytest.mark.parametrize(
    ("scheme", "card"), [("dark", "rgb(30, 41, 59)"), ("light", "rgb(255, 255, 255)")]
)
def test_themes_follow_the_system_with_readable_contrast(
    page: Page, stack: Stack, scheme: Any, card: str
) -> None:
    page.emulate_media(color_scheme=scheme)
    push(stack, "beat", "1")
    open_live(page, stack, PAGE)
    background = colour(page, BEAT, "background-color")
    assert background == card
    for selector, minimum in ((f"{BEAT} .dsse-number", 7), (f"{BEAT} .dsse-label", 4.5)):
        ratio = contrast(colour(page, selector, "color"), background)
        assert ratio >= minimum, (scheme, selector, ratio)
    assert contrast(colour(page, BEAT, "color", "::after"), background) >= 4.5  # the age
