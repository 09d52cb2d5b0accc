from __future__ import annotations

from datetime import timedelta
from typing import Any

from dashboards_sse import Chart, Column, Dashboard, Data, Feed, Gauge, Stat, Status, Table
from tests.testapp.models import Order, Store


class Ops(Dashboard):
    title = "Operations"

    cpu = Stat(label="CPU", unit="%", decimals=1)
    status = Stat(label="Status", text=True)
    requests = Stat(label="Requests", value=lambda: 42)
    latency = Chart(label="Latency", unit="ms", window=5)


class Heartbeat(Dashboard):
    """A publisher expected every few seconds: the page's ages and stale state."""

    title = "Heartbeat"

    beat = Stat(label="Beat", stale_after=timedelta(seconds=3))
    steady = Stat(label="Steady")


class Secret(Dashboard):
    title = "Secret"
    permission = "testapp.view_secret"

    level = Stat(label="Level")


class Sensors(Dashboard):
    title = "Sensors"

    temperature = Stat(label="Temperature", unit="°C", max_rate=2)
    trace = Chart(label="Trace", window=20, max_rate=2)
    door = Stat(label="Door", text=True)
    history = Chart(label="History", window=3000)


class Wall(Dashboard):
    """Seven panels, as on a wall screen: one push of all of them is one message."""

    title = "Wall"

    orders = Stat(label="Orders")
    revenue = Stat(label="Revenue", unit="€")
    visitors = Stat(label="Visitors")
    conversion = Stat(label="Conversion", unit="%", decimals=1)
    errors = Stat(label="Errors")
    state = Stat(label="State", text=True)
    p95 = Chart(label="p95", unit="ms", window=10)


def store_staff(user: Any, store: Store) -> bool:
    return bool(user.is_authenticated and store.staff.filter(pk=user.pk).exists())


class StoreSales(Dashboard):
    """One declaration, a stream per store, viewed by that store's staff."""

    title = "Store sales"
    scope = Store
    scope_field = "code"
    permission = store_staff

    orders = Stat(
        label="Orders",
        value=lambda store: store.order_set.count(),
        refresh_on={Order: "store"},
    )
    revenue = Stat(label="Revenue", unit="€")
    recent = Table(columns=["id", "amount"], follow={Order: "store"}, order_by="-id", limit=5)

    @classmethod
    def scopes(cls) -> Any:
        return Store.objects.all()


class Inbox(Dashboard):
    """Per user: only that user may view it, on every tab they have open."""

    title = "Inbox"
    scope = "user"

    latest = Stat(label="Latest", text=True)
    unread = Stat(label="Unread")


class Activity(Dashboard):
    """Lists: a feed of the newest three events, and a log that appends at the bottom."""

    title = "Activity"

    events = Feed(label="Latest events", limit=3, toast=True)
    log = Feed(label="Log", limit=5, order="oldest-first")
    archive = Feed(label="Archive", limit=1000)
    prices = Data(label="Prices")
    health = Status(label="Health")
    load = Gauge(label="Load", max=4, thresholds=[(0, "ok"), (2, "warn"), (3, "crit")])
    top = Table(
        label="Top processes",
        columns=["name", Column("cpu", label="CPU", format="number", decimals=1, unit="%")],
        key="pid",
        order_by="-cpu",
        limit=3,
    )


class Orders(Dashboard):
    """Row broadcasting: the newest orders, following the model's saves and deletes."""

    title = "Orders"

    latest = Table(
        columns=["id", Column("amount", format="number")],
        value=lambda: Order.objects.order_by("-id")[:5],
        follow=Order,
        order_by="-id",
        limit=5,
    )
