"""A Feed in Chromium through a real Pushpin: item actions from other processes insert,
replace, remove and clear rows in the DOM, trimmed to the limit; a replay after reconnect adds
none twice."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_live_page import open_live
from tests.live import Stack

PAGE = "/dashboards/testapp.activity/"
ROWS = "#dsse-testapp-activity-events li"


def push(stack: Stack, value: str) -> None:
    done = stack.manage("dashboards_sse", "push", "testapp.activity", "events", value)
    assert done.returncode == 0, done.stderr


def texts(page: Page) -> list[str]:
    return page.locator(ROWS + " .dsse-item-body").all_inner_texts()


def test_item_actions_update_the_rows(page: Page, stack: Stack) -> None:
    push(stack, '{"clear": true}')
    open_live(page, stack, PAGE)
    for n in range(4):
        push(stack, f'{{"id": "b{n}", "text": "build {n}", "level": "ok"}}')
    expect(page.locator(ROWS)).to_have_count(3)  # limit 3: the oldest went
    assert texts(page) == ["build 3", "build 2", "build 1"]
    toast = page.locator("[data-dsse-root] .dsse-toast")  # toast=True: the newest, briefly
    expect(toast).to_have_attribute("data-dsse-shown", "")
    expect(toast).to_contain_text("build 3")
    expect(toast).to_have_attribute("role", "status")
    push(stack, '{"id": "b2", "text": "build 2 failed", "level": "error"}')  # replaces b2
    expect(page.locator('[data-dsse-key="b2"]')).to_contain_text("build 2 failed")
    expect(page.locator('[data-dsse-key="b2"]')).to_have_class("dsse-item dsse-level-error")
    assert texts(page) == ["build 3", "build 2 failed", "build 1"]
    push(stack, '{"remove": "b3"}')
    expect(page.locator(ROWS)).to_have_count(2)
    push(stack, '{"clear": true}')
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page.locator("#dsse-testapp-activity-events .dsse-feed-empty")).to_be_visible()


def test_a_replay_adds_no_row_twice(page: Page, stack: Stack) -> None:
    def log(value: str) -> None:
        done = stack.manage("dashboards_sse", "push", "testapp.activity", "log", value)
        assert done.returncode == 0, done.stderr

    rows = "#dsse-testapp-activity-log li"
    log('{"clear": true}')
    open_live(page, stack, PAGE)
    rendered_id = page.locator("[data-dsse-root]").get_attribute("data-dsse-last-event-id")
    for n in range(3):
        log(f'{{"id": "l{n}", "text": "line {n}"}}')
    expect(page.locator(rows)).to_have_count(3)
    # Resume from the page's id with the client's ordering reset: every insert comes again
    # (the log keeps 5, so a duplicate would show).
    page.evaluate(
        """(id) => {
            const source = window.dashboardsSSE.sources[0];
            source.applied = null;
            source.lastEventId = id;
            source.reconnectNow();
        }""",
        rendered_id,
    )
    log('{"id": "l3", "text": "line 3"}')
    expect(page.locator('[data-dsse-key="l3"]')).to_have_count(1)
    bodies = page.locator(rows + " .dsse-item-body").all_inner_texts()
    assert bodies == ["line 0", "line 1", "line 2", "line 3"]  # oldest first, once each


def test_thresholds_and_status_change_the_state_live(page: Page, stack: Stack) -> None:
    def panel(name: str, value: str) -> None:
        done = stack.manage("dashboards_sse", "push", "testapp.activity", name, value)
        assert done.returncode == 0, done.stderr

    panel("load", "1")
    panel("health", "ok")
    open_live(page, stack, PAGE)
    meter = page.locator("#dsse-testapp-activity-load [role=meter]")
    expect(meter).to_have_attribute("data-dsse-state", "ok")
    panel("load", "3.5")
    expect(meter).to_have_attribute("data-dsse-state", "crit")
    expect(meter).to_have_attribute("aria-valuenow", "3.5")
    panel("health", '{"status": "down", "text": "db unreachable"}')
    badge = page.locator("#dsse-testapp-activity-health .dsse-status-badge")
    expect(badge).to_have_attribute("data-dsse-state", "down")
    expect(badge).to_have_text("db unreachable")


def test_table_rows_land_in_sort_order_and_leave(page: Page, stack: Stack) -> None:
    def top(value: str) -> None:
        done = stack.manage("dashboards_sse", "push", "testapp.activity", "top", value)
        assert done.returncode == 0, done.stderr

    top("[]")
    open_live(page, stack, PAGE)
    rows = "#dsse-testapp-activity-top tbody tr"
    for pid, cpu in ((1, 5), (2, 50), (3, 20)):
        top(f'{{"pid": {pid}, "name": "proc{pid}", "cpu": {cpu}}}')
    expect(page.locator(rows)).to_have_count(3)
    top('{"pid": 4, "name": "proc4", "cpu": 30}')  # between 2 and 3; 1 drops off (limit 3)
    expect(page.locator(rows + '[data-dsse-key="1"]')).to_have_count(0)
    keys = page.locator(rows).evaluate_all("rows => rows.map(r => r.dataset.dsseKey)")
    assert keys == ["2", "4", "3"]
    expect(page.locator(rows + '[data-dsse-key="4"] td').last).to_have_text("30.0%")
    top('{"pid": 3, "name": "proc3", "cpu": 60}')  # moves to the top: a remove and an insert
    expect(page.locator(rows).first).to_have_attribute("data-dsse-key", "3")
    keys = page.locator(rows).evaluate_all("rows => rows.map(r => r.dataset.dsseKey)")
    assert keys == ["3", "2", "4"]


def test_data_reaches_the_pages_own_script(page: Page, stack: Stack) -> None:
    done = stack.manage("dashboards_sse", "push", "testapp.activity", "prices", '{"tea": 1}')
    assert done.returncode == 0, done.stderr
    open_live(page, stack, PAGE)
    element = "#dsse-testapp-activity-prices"
    assert page.evaluate(f"window.dashboardsSSE.data(document.querySelector('{element}'))") == {
        "tea": 1
    }
    page.evaluate(
        f"""document.querySelector('{element}').addEventListener('dsse:data',
            (event) => {{ window.__prices = event.detail; }})"""
    )
    done = stack.manage("dashboards_sse", "push", "testapp.activity", "prices", '{"tea": 2.5}')
    assert done.returncode == 0, done.stderr
    page.wait_for_function("() => window.__prices && window.__prices.tea === 2.5")
