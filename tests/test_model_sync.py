from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Sum

from dashboards_sse import Dashboard, Stat, registry
from dashboards_sse.testing import CapturedPushes
from tests.testapp.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop() -> Iterator[type[Dashboard]]:
    class Shop(Dashboard):
        slug = "t-sync.shop"
        orders = Stat(value=lambda: Order.objects.count(), refresh_on=["testapp.Order"])
        revenue = Stat(refresh_on=[Order])
        untouched = Stat(value=lambda: 1)

        def get_revenue_value(self) -> int:
            return Order.objects.aggregate(total=Sum("amount"))["total"] or 0

    yield Shop
    registry.unregister(Shop)


def test_one_push_per_transaction(shop: type[Dashboard], dashboard_pushes: CapturedPushes) -> None:
    with transaction.atomic():
        for amount in (10, 20, 30):
            Order.objects.create(amount=amount)
        dashboard_pushes.assert_nothing_pushed()  # nothing before the commit
    pushed = dashboard_pushes.assert_pushed(shop, count=1)
    assert pushed.values == {"orders": 3, "revenue": 60}


def test_each_autocommitted_save_pushes(
    shop: type[Dashboard], dashboard_pushes: CapturedPushes
) -> None:
    order = Order.objects.create(amount=5)
    order.amount = 7
    order.save()
    order.delete()
    assert dashboard_pushes.values(shop, "revenue") == [5, 7, 0]
    assert dashboard_pushes.values(shop, "orders") == [1, 1, 0]


def test_rolled_back_changes_push_nothing(
    shop: type[Dashboard], dashboard_pushes: CapturedPushes
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Order.objects.create(amount=10)
        raise RuntimeError("rollback")
    dashboard_pushes.assert_nothing_pushed()
    Order.objects.create(amount=1)
    assert dashboard_pushes.values(shop, "orders") == [1]


def test_bulk_operations_need_an_explicit_refresh(
    shop: type[Dashboard], dashboard_pushes: CapturedPushes
) -> None:
    Order.objects.bulk_create([Order(amount=1), Order(amount=2)])
    dashboard_pushes.assert_nothing_pushed()
    shop.refresh()
    assert dashboard_pushes.assert_pushed(shop).values == {
        "orders": 2,
        "revenue": 3,
        "untouched": 1,
    }


def test_failing_provider_is_logged_not_raised(
    shop: type[Dashboard], dashboard_pushes: CapturedPushes, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Dashboard):
        slug = "t-sync.broken"
        count = Stat(value=lambda: "not a number", refresh_on=[Order])

    try:
        Order.objects.create(amount=1)  # the save itself succeeds
    finally:
        registry.unregister(Broken)
    assert "refreshing t-sync.broken after a model change failed" in caplog.text
    dashboard_pushes.assert_pushed(shop)


def test_refresh_on_without_provider_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="refresh_on needs a provider"):

        class NoProvider(Dashboard):
            slug = "t-sync.no-provider"
            count = Stat(refresh_on=[Order])

    registry.unregister(registry.get_dashboard("t-sync.no-provider"))


def test_refresh_of_a_component_without_provider_is_invalid(shop: type[Dashboard]) -> None:
    from dashboards_sse import InvalidValue

    class Plain(Dashboard):
        slug = "t-sync.plain"
        level = Stat()

    try:
        with pytest.raises(InvalidValue, match="has no provider"):
            Plain.refresh("level")
        assert Plain.refresh() is None
    finally:
        registry.unregister(Plain)
