"""Scoped dashboards in Chromium through a real Pushpin: each store's page shows its own pushes
only, and a per-user inbox updates on every tab of that user and nobody else's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.live import Stack

STORES = """
from tests.testapp.models import Store
for code in ("north", "south"):
    Store.objects.get_or_create(code=code, defaults={"name": code.title()})
"""


def staff_of(code: str) -> str:
    return (
        f"from tests.testapp.models import Store\nStore.objects.get(code={code!r}).staff.add(user)"
    )


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def logged_in(
    stack: Stack, browser: Browser, opened: list[BrowserContext], **login: str
) -> BrowserContext:
    cookie = stack.login(**login)["Cookie"].split("=", 1)[1]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": stack.proxy_url}])
    opened.append(context)
    return context


def open_live(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    root = page.locator("[data-dsse-root]")
    expect(root).to_have_attribute("data-dsse-status", "live", timeout=15_000)
    return page


def test_each_store_page_shows_its_own_pushes(
    stack: Stack, browser: Browser, contexts: list[BrowserContext]
) -> None:
    assert stack.run_python(STORES).returncode == 0
    north = logged_in(stack, browser, contexts, username="page-north", code=staff_of("north"))
    south = logged_in(stack, browser, contexts, username="page-south", code=staff_of("south"))
    url = stack.proxy_url + "/dashboards/testapp.store-sales/{}/"
    tabs = [open_live(north, url.format("north")) for _ in range(2)]
    other = open_live(south, url.format("south"))
    before = other.locator("#dsse-testapp-store-sales-revenue-south").inner_text()
    done = stack.manage(
        "dashboards_sse", "push", "testapp.store-sales", "revenue", "1234", "--key", "north"
    )
    assert done.returncode == 0, done.stderr
    for tab in tabs:
        number = tab.locator("#dsse-testapp-store-sales-revenue-north .dsse-number")
        expect(number).to_have_text("1,234")
    other.wait_for_timeout(1000)
    assert other.locator("#dsse-testapp-store-sales-revenue-south").inner_text() == before


def test_an_inbox_updates_every_tab_of_its_user_only(
    stack: Stack, browser: Browser, contexts: list[BrowserContext]
) -> None:
    ann = logged_in(stack, browser, contexts, username="inbox-ann")
    bob = logged_in(stack, browser, contexts, username="inbox-bob")
    inbox = stack.proxy_url + "/dashboards/testapp.inbox/"
    ann_tabs = [open_live(ann, inbox) for _ in range(2)]
    bob_tab = open_live(bob, inbox)
    done = stack.run_python(
        "from django.contrib.auth import get_user_model\n"
        "from tests.testapp.dashboards import Inbox\n"
        "ann = get_user_model().objects.get(username='inbox-ann')\n"
        "Inbox.for_(ann).latest.push('New task: ship it')"
    )
    assert done.returncode == 0, done.stderr
    for tab in ann_tabs:
        expect(tab.locator("[data-dsse-root] .dsse-number").first).to_have_text(
            "New task: ship it"
        )
    bob_tab.wait_for_timeout(1000)
    assert "ship it" not in bob_tab.locator("[data-dsse-root]").inner_text()
    # A new tab shows the stored notification at once (and resumes from there).
    late = open_live(ann, inbox)
    expect(late.locator("[data-dsse-root] .dsse-number").first).to_have_text("New task: ship it")
