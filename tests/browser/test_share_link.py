"""A share link in Chromium through a real Pushpin: a browser with no login opens it, the token
leaves the address bar and sends no Referer, pushes arrive, and revoking it takes the page
offline."""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.live import Stack

SECRET = "/dashboards/testapp.secret/"


def test_a_wall_screen_follows_its_share_link_until_revoked(stack: Stack, page: Page) -> None:
    done = stack.manage(
        "dashboards_sse", "share", "testapp.secret", "--expires", "1h", "--label", "Lobby TV",
        "--base-url", stack.proxy_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = done.stdout.splitlines()[0]
    grant_id = link.rsplit("share=", 1)[1].split(":", 1)[0]
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))

    page.goto(link + "&kiosk=1")
    assert page.url == f"{stack.proxy_url}{SECRET}?kiosk=1"  # the token left the URL
    root = page.locator("[data-dsse-root]")
    expect(root).to_have_attribute("data-dsse-status", "live", timeout=15_000)
    pushed = stack.manage("dashboards_sse", "push", "testapp.secret", "level", "77")
    assert pushed.returncode == 0, pushed.stderr
    expect(page.locator(".dsse-number").first).to_have_text("77", timeout=10_000)

    from_page = [r for r in requests if r.resource_type != "document"]  # scripts, CSS, stream
    assert any("/stream/" in r.url for r in from_page)
    assert any("/static/" in r.url for r in from_page)
    for request in from_page:
        assert "share=" not in request.url, request.url
        assert not request.headers.get("referer"), (request.url, request.headers["referer"])
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script reads the token

    revoked = stack.manage("dashboards_sse", "share", "--revoke", grant_id)
    assert revoked.returncode == 0, revoked.stderr
    expect(root).to_have_attribute("data-dsse-status", "offline", timeout=5_000)
    page.reload()
    assert "was revoked on" in page.content()
