from __future__ import annotations

from dashboards.component import Stat, Text
from dashboards.component.stat import StatData
from dashboards.dashboard import Dashboard, ModelDashboard
from dashboards.permissions import IsAdminUser
from dashboards.registry import registry

from dashboards_sse.contrib.django_dashboards import SSEChart, SSEStat
from tests.testapp.models import Store


class Live(Dashboard):
    notes = Text(value="Static text from django-dashboards")
    visitors = Stat(value=StatData(text="1,024", sub_text="static"))
    live_cpu = SSEStat(unit="%", decimals=1)
    traffic = SSEChart(window=5)
    orders = SSEStat()

    def get_orders_value(self, **kwargs: object) -> StatData:
        return StatData(text="17", sub_text="from get_orders_value")


class Staff(Dashboard):
    level = SSEStat()

    class Meta:
        permission_classes = [IsAdminUser]


class BaseBoard(Dashboard):
    shared = SSEStat()

    class Meta:
        abstract = True


class Child(BaseBoard):
    pass


class PerStore(ModelDashboard):
    """A page per store (a ModelDashboard): its SSE components stream per store."""

    sales = SSEStat()

    class Meta:
        model = Store
        lookup_field = "code"

    def get_sales_value(self, **kwargs: object) -> StatData:
        return StatData(text=f"{self.object.code}: no sales yet")


registry.register(Live)
registry.register(PerStore)
registry.register(Staff)
registry.register(Child)
