"""Row broadcasting (Table follow=Model): one row action per saved or deleted instance, pushed
when the transaction commits, nothing on a rollback; on a scoped dashboard, to the row's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django_eventstream.models import Event

from dashboards_sse.models import ComponentState
from tests.testapp.models import Order, Store

pytestmark = pytest.mark.django_db(transaction=True)
CHANNEL = "dashboard.testapp.orders"


def sent(channel: str = CHANNEL) -> list[list[tuple[str, str]]]:
    rows = Event.objects.filter(channel=channel, eid__gt=0).order_by("eid")
    updates = [json.loads(json.loads(row.data))["updates"] for row in rows]
    return [[(u["action"], u.get("key", "")) for u in message] for message in updates]


def shown(slug: str = "testapp.orders", scope: str = "", name: str = "latest") -> list[str]:
    state = ComponentState.objects.get(dashboard=slug, scope=scope, component=name).state
    return [row["key"] for row in state["items"]]


def test_created_updated_deleted_rows_are_one_action_each() -> None:
    order = Order.objects.create(amount=10)
    key = str(order.pk)
    assert sent() == [[("insert", key)]]
    order.amount = 12
    order.save()
    assert sent()[-1] == [("insert", key)]  # the same key: replaced where it is
    state = ComponentState.objects.get(component="latest").state
    assert state["items"][0]["cells"]["amount"] == 12
    order.delete()
    assert sent()[-1] == [("remove", key)]
    assert shown() == []


def test_a_rollback_sends_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Order.objects.create(amount=1)
        raise RuntimeError("the view failed")
    assert sent() == []
    kept = Order.objects.create(amount=2)  # the next commit sends only its own row
    assert sent() == [[("insert", str(kept.pk))]]


def test_the_first_change_of_an_empty_table_shows_the_providers_rows() -> None:
    Order.objects.bulk_create([Order(amount=n) for n in range(3)])  # no signals
    created = Order.objects.create(amount=9)
    assert len(shown()) == 4 and shown()[0] == str(created.pk)  # not a one-row table


def test_one_transaction_of_several_rows() -> None:
    with transaction.atomic():
        first = Order.objects.create(amount=1)
        second = Order.objects.create(amount=2)
    # Nothing was stored: the first change shows the provider's rows (both are committed);
    # the second row is then shown already, so its own push sends nothing.
    assert sent() == [[("insert", str(first.pk)), ("insert", str(second.pk))]]
    assert shown() == [str(second.pk), str(first.pk)]  # order_by -id
    third = Order.objects.create(amount=3)
    assert sent()[-1] == [("insert", str(third.pk))]  # one row action from then on


def test_rows_go_to_their_scope_only() -> None:
    north = Store.objects.create(name="North", code="north")
    Store.objects.create(name="South", code="south")
    order = Order.objects.create(store=north, amount=5)
    assert shown("testapp.store-sales", "north", "recent") == [str(order.pk)]
    assert not ComponentState.objects.filter(scope="south").exists()
    channel = "dashboard.testapp.store-sales/north"
    assert ("insert", str(order.pk)) in [action for message in sent(channel) for action in message]


def test_the_provider_shows_the_newest_rows_on_a_page(client: Any) -> None:
    Order.objects.bulk_create([Order(amount=n) for n in range(7)])  # no signals
    ComponentState.objects.all().delete()
    html = client.get("/dashboards/testapp.orders/").content.decode()
    assert html.count("<tr data-dsse-key=") == 5
