"""Scoped dashboards: one declaration, a stream per store (testapp.store-sales) or per user
(testapp.inbox). Keys, pushes, storage, providers, model sync, pages, streams, tags, the CLI."""

from __future__ import annotations

import json
import time
import uuid
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_eventstream.models import Event

from dashboards_sse import (
    Dashboard,
    InvalidKey,
    InvalidValue,
    Stat,
    UnknownScope,
    batch,
    push,
    registry,
)
from dashboards_sse.channels import DashboardChannelManager
from dashboards_sse.checks import check_settings
from dashboards_sse.dashboard import ScopedDashboard, dashboard_for_channel, get_target
from dashboards_sse.models import ComponentState
from dashboards_sse.publish import store
from dashboards_sse.testing import CapturedPushes
from tests.testapp.dashboards import Inbox, Ops, StoreSales
from tests.testapp.models import Order, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(django_user_model: Any) -> tuple[Store, Store, Any]:
    """Two stores; a user on the staff of the first only."""
    north = Store.objects.create(name="North", code="north")
    south = Store.objects.create(name="South", code="south")
    clerk = django_user_model.objects.create_user("clerk")
    north.staff.add(clerk)
    return north, south, clerk


def state(store: Store, name: str) -> Any:
    row = ComponentState.objects.get(
        dashboard="testapp.store-sales", scope=store.code, component=name
    )
    return row.state


def updates(channel: str) -> list[list[str]]:
    rows = Event.objects.filter(channel=channel, eid__gt=0).order_by("eid")
    return [[u["component"] for u in json.loads(json.loads(r.data))["updates"]] for r in rows]


# -- keys ----------------------------------------------------------------------------------


def test_for_takes_an_object_or_its_key(stores: tuple[Store, Store, Any]) -> None:
    north, _, _ = stores
    assert StoreSales.for_(north) == StoreSales.for_("north")
    assert StoreSales.for_(north).channel == "dashboard.testapp.store-sales/north"
    assert str(StoreSales.for_(north)) == "testapp.store-sales/north"
    assert StoreSales.for_(north).object == north
    assert (
        Inbox.for_(7).scope_key == "7" and Inbox.for_(uuid.UUID(int=1)).scope_key.count("-") == 4
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a/b", "malformed scope key"),
        ("", "malformed scope key"),
        ("x" * 101, "malformed scope key"),
        ("stream", "not 'stream'"),
        ("é", "malformed scope key"),
        (1.5, "not float"),
        (True, "not bool"),
        (None, "not NoneType"),
    ],
)
def test_bad_keys_are_refused_before_any_query(
    value: Any, problem: str, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0), pytest.raises(InvalidKey, match=problem):
        StoreSales.for_(value)


def test_an_object_of_another_model_or_unsaved_is_refused(django_user_model: Any) -> None:
    with pytest.raises(InvalidKey, match=r"scoped by testapp\.Store, got a User object"):
        StoreSales.for_(django_user_model.objects.create_user("x"))
    with pytest.raises(InvalidKey, match="no pk yet"):
        Inbox.for_(django_user_model(username="unsaved"))


def test_an_unscoped_dashboard_has_no_for() -> None:
    with pytest.raises(InvalidValue, match="is not scoped"):
        Ops.for_(1)


# -- pushing and storing -------------------------------------------------------------------


def test_a_scoped_dashboard_itself_cannot_be_pushed_to() -> None:
    with pytest.raises(InvalidValue, match=r"is scoped .* push\(Dashboard\.for_\(obj\), \.\.\.\)"):
        push("testapp.store-sales", orders=1)
    with pytest.raises(InvalidValue, match="is scoped"):
        StoreSales.revenue.push(1)
    assert not ComponentState.objects.exists()


def test_pushes_to_one_object_stay_in_its_stream(stores: tuple[Store, Store, Any]) -> None:
    north, south, _ = stores
    StoreSales.for_(north).orders.push(12)
    StoreSales.for_(north).push(orders=13, revenue=480)
    push(StoreSales.for_("south"), revenue=5)
    assert state(north, "orders")["value"] == 13 and state(north, "revenue")["value"] == 480
    assert state(south, "revenue")["value"] == 5
    assert not ComponentState.objects.filter(scope="south", component="orders").exists()
    assert updates("dashboard.testapp.store-sales/north") == [["orders"], ["orders", "revenue"]]
    assert updates("dashboard.testapp.store-sales/south") == [["revenue"]]


def test_a_batch_is_one_message_per_object(stores: tuple[Store, Store, Any]) -> None:
    with batch():
        for store in Store.objects.all():
            StoreSales.for_(store).push(orders=1)
            StoreSales.for_(store).push(revenue=2)
    for code in ("north", "south"):
        assert updates(f"dashboard.testapp.store-sales/{code}") == [["orders", "revenue"]]


def test_a_batch_costs_the_same_queries_for_any_number_of_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store, "_last_trim", time.monotonic())  # no trim in the counts

    def queries_of_a_batch(keys: range) -> int:
        with CaptureQueriesContext(connection) as queries, batch():
            for key in keys:
                StoreSales.for_(f"s{key}").push(orders=key, revenue=2 * key)
        return len(queries)

    for _ in ("new objects (counters and states created)", "stored ones"):
        assert queries_of_a_batch(range(3)) == queries_of_a_batch(range(3, 60))
    assert queries_of_a_batch(range(60)) <= 8
    saved = ComponentState.objects.get(scope="s59", component="revenue")
    assert saved.state["value"] == 118
    assert updates("dashboard.testapp.store-sales/s59") == [["orders", "revenue"]] * 3


def test_unscoped_states_are_unchanged() -> None:
    push("testapp.ops", cpu=1)
    assert ComponentState.objects.get(dashboard="testapp.ops").scope == ""


# -- providers and model sync --------------------------------------------------------------


def test_providers_get_the_object(stores: tuple[Store, Store, Any]) -> None:
    north, _, _ = stores
    Order.objects.bulk_create([Order(store=north), Order(store=north)])  # no signals
    pushed = StoreSales.for_(north).refresh()
    assert pushed is not None and pushed.values == {"orders": 2}


def test_refresh_covers_every_object_scopes_yields(
    stores: tuple[Store, Store, Any], dashboard_pushes: CapturedPushes
) -> None:
    StoreSales.refresh()
    assert sorted(state(store, "orders")["value"] for store in Store.objects.all()) == [0, 0]
    assert len(dashboard_pushes) == 2


def test_a_model_change_refreshes_only_the_objects_it_touches(
    stores: tuple[Store, Store, Any],
    dashboard_pushes: CapturedPushes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, south, _ = stores
    with django_capture_on_commit_callbacks(execute=True):
        Order.objects.create(store=south, amount=3)
    (pushed,) = dashboard_pushes.of("testapp.store-sales", "orders")
    assert pushed.values == {"orders": 1}
    assert state(south, "orders")["value"] == 1
    assert not ComponentState.objects.filter(scope="north").exists()
    with django_capture_on_commit_callbacks(execute=True):
        Order.objects.create(store=None)  # no store: nothing to refresh
    assert len(dashboard_pushes.of("testapp.store-sales", "orders")) == 1


def test_refresh_on_a_scoped_dashboard_needs_a_mapping() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=r"refresh_on=\{Order: 'store'\}"):

        class Unmapped(Dashboard):
            slug = "t-scoped.unmapped"
            scope = Store
            count = Stat(value=lambda store: 1, refresh_on=[Order])

    registry.unregister(registry.get_dashboard("t-scoped.unmapped"))


def test_refresh_every_without_scopes_is_a_check_error() -> None:
    class Timed(Dashboard):
        slug = "t-scoped.timed"
        scope = Store
        count = Stat(value=lambda store: 1, refresh_every=5)

    try:
        errors = [error for error in check_settings() if error.id == "dashboards_sse.E012"]
        assert len(errors) == 1 and "'t-scoped.timed'" in errors[0].msg
        with pytest.raises(InvalidValue, match="define a scopes"):
            Timed.refresh()
    finally:
        registry.unregister(Timed)


# -- lookups, pages and streams ------------------------------------------------------------


def test_channels_resolve_without_scanning(
    stores: tuple[Store, Store, Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        target = dashboard_for_channel("dashboard.testapp.store-sales/north")
        assert target == StoreSales.for_("north")
        assert dashboard_for_channel("dashboard.testapp.store-sales") is None  # no object
        assert dashboard_for_channel("dashboard.testapp.ops/north") is None  # not scoped
        assert dashboard_for_channel("dashboard.testapp.store-sales/a%b") is None
        assert dashboard_for_channel("other.testapp.ops") is None


def test_the_channel_manager_applies_the_object_rule(stores: tuple[Store, Store, Any]) -> None:
    _, _, clerk = stores
    manager = DashboardChannelManager()
    assert manager.can_read_channel(clerk, "dashboard.testapp.store-sales/north")
    assert not manager.can_read_channel(clerk, "dashboard.testapp.store-sales/south")
    assert not manager.can_read_channel(None, "dashboard.testapp.store-sales/north")
    assert not manager.can_read_channel(clerk, "dashboard.testapp.store-sales/nowhere")
    me = f"dashboard.testapp.inbox/{clerk.pk}"
    assert manager.can_read_channel(clerk, me)
    assert not manager.can_read_channel(clerk, f"dashboard.testapp.inbox/{clerk.pk + 1}")


def test_pages(stores: tuple[Store, Store, Any], client: Client) -> None:
    _, _, clerk = stores
    page = "/dashboards/testapp.store-sales/"
    for path in (page + "north/", page + "nowhere/"):  # anonymous: no difference shown
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(clerk)
    response = client.get(page + "north/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Store sales — North" in body
    assert 'sse-connect="/dashboards/testapp.store-sales/north/stream/"' in body
    assert 'id="dsse-testapp-store-sales-orders-north"' in body
    assert client.get(page + "south/").status_code == 403
    assert client.get(page + "nowhere/").status_code == 404
    assert client.get(page + "a.b!/").status_code == 404  # malformed: no such object
    assert client.get(page).status_code == 404  # a page per object
    assert client.get("/dashboards/testapp.ops/north/").status_code == 404  # not scoped


def test_the_inbox_page_is_the_viewers_own(client: Client, django_user_model: Any) -> None:
    ann = django_user_model.objects.create_user("ann")
    bob = django_user_model.objects.create_user("bob")
    assert client.get("/dashboards/testapp.inbox/").status_code == 302  # log in first
    Inbox.for_(ann).latest.push("New task: write tests")
    client.force_login(ann)
    response = client.get("/dashboards/testapp.inbox/")
    assert response.status_code == 200
    assert "New task: write tests" in response.content.decode()
    assert f"/dashboards/testapp.inbox/{ann.pk}/stream/" in response.content.decode()
    assert client.get(f"/dashboards/testapp.inbox/{bob.pk}/").status_code == 403


def test_streams(stores: tuple[Store, Store, Any], client: Client) -> None:
    _, _, clerk = stores
    stream = "/dashboards/testapp.store-sales/{}/stream/"
    assert client.get(stream.format("north")).status_code == 403
    assert client.get(stream.format("nowhere")).status_code == 403  # anonymous: the same
    client.force_login(clerk)
    assert client.get(stream.format("south")).status_code == 403
    response = client.get(stream.format("nowhere"))
    assert response.status_code == 404
    assert "has no object 'nowhere'" in response.content.decode()
    assert client.get(stream.format("bad!key")).status_code == 404


def test_template_tags_take_the_object(stores: tuple[Store, Store, Any]) -> None:
    north, _, clerk = stores
    request = RequestFactory().get("/")
    request.user = clerk
    html = Template(
        "{% load dashboards_sse %}{% dashboard 'testapp.store-sales' store %}"
        "{% dashboard_stream 'testapp.store-sales' 'north' %}{% component 'orders' %}"
        "{% enddashboard_stream %}{% component 'testapp.store-sales' 'revenue' store %}"
        "{% dashboard 'testapp.inbox' %}"
    ).render(Context({"store": north, "request": request}))
    assert html.count('sse-connect="/dashboards/testapp.store-sales/north/stream/"') == 3
    assert f'sse-connect="/dashboards/testapp.inbox/{clerk.pk}/stream/"' in html
    with pytest.raises(UnknownScope, match=r"is scoped by testapp\.Store: name an object"):
        Template("{% load dashboards_sse %}{% dashboard 'testapp.store-sales' %}").render(
            Context({"request": request})
        )


def test_get_target(stores: tuple[Store, Store, Any]) -> None:
    north, _, clerk = stores
    assert get_target("testapp.ops") is Ops
    assert get_target("testapp.store-sales", north) == StoreSales.for_(north)
    assert get_target(Inbox, user=clerk) == Inbox.for_(clerk)
    assert isinstance(get_target(StoreSales.for_(north)), ScopedDashboard)
    with pytest.raises(UnknownScope, match="is not scoped"):
        get_target("testapp.ops", "north")


# -- the CLI -------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("dashboards_sse", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cli_push_and_refresh_take_a_key(stores: tuple[Store, Store, Any]) -> None:
    north, _, _ = stores
    out = run("push", "testapp.store-sales", "orders", "7", "--key", "north")
    assert out.startswith("stored testapp.store-sales/north orders (event ")  # embedded mode
    assert state(north, "orders")["value"] == 7
    with pytest.raises(CommandError, match=r"scoped by testapp\.Store .* --key <key>"):
        run("push", "testapp.store-sales", "orders", "7")
    with pytest.raises(CommandError, match=r"no testapp\.Store with the key 'nowhere'"):
        run("push", "testapp.store-sales", "orders", "7", "--key", "nowhere")
    with pytest.raises(CommandError, match="malformed scope key"):
        run("push", "testapp.store-sales", "orders", "7", "--key", "no/pe")
    Order.objects.bulk_create([Order(store=north)])
    run("refresh", "testapp.store-sales", "--key", "north")
    assert state(north, "orders")["value"] == 1
    with pytest.raises(CommandError, match="exactly one"):
        run("refresh", "--key", "north")


def test_user_model_lookups_by_key_are_one_query(
    django_user_model: Any, django_assert_num_queries: Any
) -> None:
    ann = django_user_model.objects.create_user("ann")
    target = Inbox.for_(str(ann.pk))
    with django_assert_num_queries(1):
        assert target.object == ann and target.object == ann  # fetched once
    assert Inbox.for_("999999").object is None
    assert get_user_model().objects.count() == 1


def test_moving_an_instance_refreshes_the_object_it_left_too(
    stores: tuple[Store, Store, Any],
    dashboard_pushes: CapturedPushes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    north, south, _ = stores
    with django_capture_on_commit_callbacks(execute=True):
        order = Order.objects.create(store=north)
    assert state(north, "orders")["value"] == 1
    order = Order.objects.get(pk=order.pk)  # as a view would load it
    order.store = south
    with django_capture_on_commit_callbacks(execute=True):
        order.save()
    assert (state(north, "orders")["value"], state(south, "orders")["value"]) == (0, 1)
    order.store = None  # and leaving every store refreshes the last one
    with django_capture_on_commit_callbacks(execute=True):
        order.save()
    assert state(south, "orders")["value"] == 0


def test_a_scoped_stream_connect_fetches_the_object_once(
    stores: tuple[Store, Store, Any], settings: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.test_views import grip_sig

    _, _, clerk = stores
    settings.GRIP_URL = "http://127.0.0.1:5561?key=" + "k" * 40
    client = Client()
    client.force_login(clerk)
    with django_assert_max_num_queries(6) as queries:  # session, user, store, staff, counter…
        response = client.get(
            "/dashboards/testapp.store-sales/north/stream/", HTTP_GRIP_SIG=grip_sig()
        )
    assert response.status_code == 200
    store_reads = [q for q in queries.captured_queries if 'FROM "testapp_store"' in q["sql"]]
    assert len(store_reads) == 1, store_reads
