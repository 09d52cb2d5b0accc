"""Scoped dashboards through a real Pushpin: a push to one store reaches that store's viewers and
never another's; a per-user push reaches every tab of that user and no one else; a viewer who
loses access is cut off within a second; a reconnect replays its own scope's events."""

from __future__ import annotations

import time

from tests.live import Stack
from tests.sse import SSEClient

STORE = "/dashboards/testapp.store-sales/{}/stream/"
STORES = """
from tests.testapp.models import Store
for code in ("north", "south"):
    Store.objects.get_or_create(code=code, defaults={"name": code.title()})
"""


def staff_of(code: str) -> str:
    """Login code (``stack.login``) making the new user staff of one store."""
    return (
        "from tests.testapp.models import Store\n"
        f"Store.objects.get(code={code!r}).staff.add(user)"
    )


def open_stream(stack: Stack, path: str, headers: dict[str, str]) -> SSEClient:
    client = SSEClient(stack.proxy_url + path, headers=headers)
    assert client.status == 200, client.body()
    client.wait_for("stream-open")
    return client


def quiet(client: SSEClient, seconds: float) -> list[str]:
    """The updates a client gets within ``seconds`` (keep-alives aside)."""
    deadline = time.monotonic() + seconds
    got: list[str] = []
    while time.monotonic() < deadline:
        got += [e.type for e in client.events(timeout=deadline - time.monotonic())]
    return [kind for kind in got if kind != "keep-alive"]


def test_a_push_to_one_store_reaches_only_its_viewers(stack: Stack) -> None:
    assert stack.run_python(STORES).returncode == 0
    north = stack.login("north-clerk", code=staff_of("north"))
    south = stack.login("south-clerk", code=staff_of("south"))
    with (
        open_stream(stack, STORE.format("north"), north) as first,
        open_stream(stack, STORE.format("north"), north) as second,
        open_stream(stack, STORE.format("south"), south) as other,
    ):
        done = stack.manage(
            "dashboards_sse", "push", "testapp.store-sales", "orders", "41", "--key", "north"
        )
        assert done.returncode == 0, done.stderr
        for client in (first, second):
            event = client.wait_for("orders", contains=">41<")
            assert event.id and event.id.startswith("dashboard.testapp.store-sales/north:")
        assert quiet(other, 1.5) == []


def test_a_store_refuses_other_staff_and_anonymous(stack: Stack) -> None:
    assert stack.run_python(STORES).returncode == 0
    south = stack.login("south-only", code=staff_of("south"))
    for headers in (south, {}):
        with SSEClient(stack.proxy_url + STORE.format("north"), headers=headers) as client:
            assert client.status == 403, client.status
    with SSEClient(stack.proxy_url + STORE.format("nowhere"), headers=south) as client:
        assert client.status == 404


def test_a_per_user_push_reaches_every_tab_of_that_user_only(stack: Stack) -> None:
    ann = stack.login("ann")
    bob = stack.login("bob")
    ann_pk = int(
        stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            "print(get_user_model().objects.get(username='ann').pk)"
        ).stdout
    )
    inbox = f"/dashboards/testapp.inbox/{ann_pk}/stream/"
    with (
        open_stream(stack, inbox, ann) as tab1,
        open_stream(stack, inbox, ann) as tab2,
        SSEClient(stack.proxy_url + inbox, headers=bob) as intruder,
    ):
        assert intruder.status == 403  # bob may not open ann's inbox
        done = stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            "from tests.testapp.dashboards import Inbox\n"
            "ann = get_user_model().objects.get(username='ann')\n"
            "Inbox.for_(ann).latest.push('New task: review')"
        )
        assert done.returncode == 0, done.stderr
        for tab in (tab1, tab2):
            assert "New task: review" in tab.wait_for("latest").data


def test_losing_access_cuts_the_stream_within_a_second(stack: Stack) -> None:
    assert stack.run_python(STORES).returncode == 0
    clerk = stack.login("leaving-clerk", code=staff_of("north"))
    with open_stream(stack, STORE.format("north"), clerk) as client:
        done = stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            "from tests.testapp.models import Store\n"
            "user = get_user_model().objects.get(username='leaving-clerk')\n"
            "Store.objects.get(code='north').staff.remove(user)\n"
            "from dashboards_sse.access import access_changed\n"
            "access_changed(user)"
        )
        assert done.returncode == 0, done.stderr
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 2:
            try:
                client.events(timeout=0.2)
            except ConnectionError:
                closed = True
                break
        assert closed, "the stream stayed open"
        assert time.monotonic() - started < 1.5
    # reconnecting, the rule applies again: the clerk is no longer staff of north
    with SSEClient(stack.proxy_url + STORE.format("north"), headers=clerk) as again:
        assert again.status == 403


def test_a_reconnect_replays_its_own_scope(stack: Stack) -> None:
    assert stack.run_python(STORES).returncode == 0
    clerk = stack.login("replaying-clerk", code=staff_of("north"))
    first = stack.run_python(
        "from tests.testapp.dashboards import StoreSales\n"
        "print(StoreSales.for_('north').push(orders=1).event_id)\n"
        "StoreSales.for_('south').push(orders=99)\n"
        "StoreSales.for_('north').push(orders=2)"
    )
    assert first.returncode == 0, first.stderr
    resume = f"dashboard.testapp.store-sales/north:{int(first.stdout)}"
    with open_stream(stack, STORE.format("north"), {**clerk, "Last-Event-ID": resume}) as client:
        event = client.wait_for("orders")
        assert ">2<" in event.data  # the next north event, not south's
