"""Fault drills in Chromium: each ends with every page showing the last pushed state.

They stop and start servers, so they run on a stack of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.live import Stack, running_stack
from tests.relay import Relay

PAGE = "/dashboards/testapp.ops/"
CPU = "#dsse-testapp-ops-cpu .dsse-number"
ROOT = "[data-dsse-root]"


@pytest.fixture(scope="module")
def drill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from running_stack(Path(tmp_path_factory.mktemp("drills")))


@pytest.fixture
def relay(drill_stack: Stack) -> Iterator[Relay]:
    relay = Relay(drill_stack.proxy_port)
    yield relay
    relay.close()


@pytest.fixture
def pages(browser: Browser, relay: Relay) -> Iterator[list[Page]]:
    """Three viewers, connected through the relay, live."""
    contexts = [browser.new_context() for _ in range(3)]
    opened = []
    for context in contexts:
        page = context.new_page()
        page.goto(relay.url + PAGE)
        opened.append(page)
    for page in opened:
        expect_status(page, "live")
    yield opened
    for context in contexts:
        context.close()


def expect_status(page: Page, status: str) -> None:
    expect(page.locator(ROOT)).to_have_attribute("data-dsse-status", status, timeout=20_000)


def expect_everywhere(pages: list[Page], text: str) -> None:
    for page in pages:
        expect(page.locator(CPU)).to_have_text(text, timeout=20_000)


def push_cpu(stack: Stack, value: float) -> int:
    done = stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", str(value))
    return done.returncode


def test_network_drop_mid_stream(pages: list[Page], relay: Relay, drill_stack: Stack) -> None:
    assert push_cpu(drill_stack, 1) == 0
    expect_everywhere(pages, "1.0")
    relay.pause()  # every connection reset, reconnects refused
    for page in pages:
        expect(page.locator(ROOT)).not_to_have_attribute("data-dsse-status", "live")
    assert push_cpu(drill_stack, 2) == 0  # while the viewers are cut off
    assert push_cpu(drill_stack, 3) == 0
    relay.resume()
    for page in pages:
        expect_status(page, "live")
    expect_everywhere(pages, "3.0")


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_pushpin_restarted_with_pushes_while_down(
    pages: list[Page], drill_stack: Stack, how: str
) -> None:
    assert push_cpu(drill_stack, 10) == 0
    expect_everywhere(pages, "10.0")
    if how == "sigterm":
        drill_stack.stop("pushpin")
        assert push_cpu(drill_stack, 11) == 1  # PublishError: stored, not delivered
        for page in pages:
            expect(page.locator(ROOT)).not_to_have_attribute("data-dsse-status", "live")
    else:
        drill_stack.kill_pushpin_runner()  # services orphaned, still serving
        assert push_cpu(drill_stack, 11) == 0
    assert push_cpu(drill_stack, 12) in (0, 1)
    drill_stack.start_pushpin()  # cleans up orphans; viewers reconnect and replay
    for page in pages:
        expect_status(page, "live")
    expect_everywhere(pages, "12.0")


def test_django_restarted(pages: list[Page], relay: Relay, drill_stack: Stack) -> None:
    # Pushpin asks Django for a catch-up ("recover") about a second after each new stream;
    # a stream whose catch-up is still pending when Django goes down waits for Django.
    pages[0].wait_for_timeout(2500)
    drill_stack.stop("django")
    assert push_cpu(drill_stack, 20) == 0  # Pushpin holds the streams: still delivered
    expect_everywhere(pages, "20.0")
    relay.drop()  # viewers reconnect while Django is down: Pushpin answers 502
    for page in pages:
        expect(page.locator(ROOT)).not_to_have_attribute("data-dsse-status", "live")
    assert push_cpu(drill_stack, 21) == 0
    drill_stack.start_django()
    for page in pages:
        expect_status(page, "live")
    expect_everywhere(pages, "21.0")


FORKING_PUBLISHER = """
import os
from django.db import connections
push("testapp.ops", requests=0)  # the parent publishes first; children inherit its state
connections.close_all()  # each child opens its own database connection
children, failed = [], 0
for value in range(1, {forks} + 1):
    pid = os.fork()
    if pid == 0:
        try:
            push("testapp.ops", requests=value)
        except BaseException:
            os._exit(1)
        os._exit(0)
    children.append(pid)
    while len(children) >= 8 or (value == {forks} and children):
        failed += os.waitpid(children.pop(0), 0)[1] != 0
print(failed)
"""
ONE_SHOT = "push('testapp.ops', requests={value})\nimport os\nos._exit(0)"
LATEST = (
    "from dashboards_sse.models import ComponentState\n"
    "row = ComponentState.objects.get(dashboard='testapp.ops', component='requests')\n"
    "print(row.state['value'], row.event_id)"
)


def test_two_hundred_one_shot_publishers(pages: list[Page], drill_stack: Stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.sse import SSEClient

    counter = SSEClient(drill_stack.proxy_url + "/dashboards/testapp.ops/stream/")
    counter.wait_for("stream-open")
    forked = drill_stack.run_python(FORKING_PUBLISHER.replace("{forks}", "160"), timeout=300)
    assert forked.returncode == 0, forked.stderr
    assert forked.stdout.strip() == "0", "forked publishers failed"

    def one_shot(value: int) -> str:
        if value % 2:
            done = drill_stack.run_python(ONE_SHOT.replace("{value}", str(value)))
        else:
            done = drill_stack.manage(
                "dashboards_sse", "push", "testapp.ops", "requests", str(value)
            )
        return done.stderr if done.returncode else ""

    with ThreadPoolExecutor(4) as pool:
        assert [error for error in pool.map(one_shot, range(161, 200)) if error] == []

    latest = drill_stack.run_python(LATEST)
    value, last_id = (int(part) for part in latest.stdout.split())
    received = []
    while not received or received[-1] < last_id:
        event = counter.wait_for("requests", timeout=20)
        received.append(int(event.id.rsplit(":", 1)[1]))  # type: ignore[union-attr]
    counter.close()
    assert len(received) == 200  # every push delivered once, none lost, none twice
    assert received == list(range(received[0], received[0] + 200))
    for page in pages:
        expect(page.locator("#dsse-testapp-ops-requests .dsse-number")).to_have_text(
            f"{value:,}", timeout=20_000
        )
