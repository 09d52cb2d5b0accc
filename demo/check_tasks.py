"""Check the tasks demo in Chromium against a running ``make demo`` (Playwright, ``test`` extra):

    python demo/check_tasks.py http://127.0.0.1:7999/

Logs in as ann (her inbox in two tabs) and as bob (his inbox in a tab), has bob create a task
assigned to ann with the form, and checks that both of ann's tabs show the notification and the
new count within seconds, that bob's inbox does not change, and that a new tab of ann's shows
the notification too (it is stored). Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
from tests.browser.chromium import launch

INBOX = '[data-dsse-dashboard="tasks.inbox"]'
SHOWS = """([text, count]) => {
    const root = document.querySelector('[data-dsse-dashboard="tasks.inbox"]');
    return root.querySelector('[sse-swap=latest]').innerText.includes(text)
        && root.querySelector('[sse-swap=open_tasks] .dsse-value').innerText.trim() === count;
}"""


def log_in(browser: Browser, base: str, username: str, password: str) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/tasks/")
    return context


def open_inbox(context: BrowserContext, base: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/dashboards/tasks.inbox/")
    page.wait_for_selector("[data-dsse-status=live]", timeout=15_000)
    return page


def inbox(page: Page) -> tuple[str, str]:
    """(open-task count, notification text) as the page shows them."""
    count = page.inner_text(f'{INBOX} [sse-swap="open_tasks"] .dsse-value').strip()
    return count, page.inner_text(f'{INBOX} [sse-swap="latest"]')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the demo's URL, as make demo prints it")
    parser.add_argument("--within", type=float, default=5.0, help="seconds (default 5)")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            ann = log_in(browser, base, "ann", "ann-demo")
            ann_tabs = [open_inbox(ann, base), open_inbox(ann, base)]
            bob = log_in(browser, base, "bob", "bob-demo")
            bob_inbox = open_inbox(bob, base)
            count, _ = inbox(ann_tabs[0])
            bob_before = inbox(bob_inbox)

            title = f"Check the demo {time.strftime('%H:%M:%S')}"
            form = bob.pages[0]
            form.fill("input[name=title]", title)
            form.select_option("select[name=project]", label="Website")
            form.select_option("select[name=assigned_to]", label="ann")
            started = time.monotonic()
            form.click("text=Create task")
            wanted = [f"New task: {title} (Website)", str(int(count) + 1)]
            for number, tab in enumerate(ann_tabs, 1):
                tab.wait_for_function(SHOWS, arg=wanted, timeout=args.within * 1000)
                print(f"ann's tab {number}: {inbox(tab)} after {time.monotonic() - started:.2f} s")
            time.sleep(1)
            if inbox(bob_inbox) != bob_before:
                print(f"FAIL: bob's inbox changed: {bob_before} -> {inbox(bob_inbox)}")
                return 1
            print("bob's inbox: unchanged")
            new_tab = open_inbox(ann, base)
            if wanted[0] not in inbox(new_tab)[1]:
                print(f"FAIL: a new tab of ann's shows {inbox(new_tab)}")
                return 1
            print("a new tab of ann's: shows it")
        finally:
            browser.close()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
