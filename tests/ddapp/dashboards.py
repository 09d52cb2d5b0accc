from __future__ import annotations

from dashboards.component import Stat, Text
from dashboards.component.stat import StatData
from dashboards.dashboard import Dashboard
from dashboards.permissions import IsAdminUser
from dashboards.registry import registry

from dashboards_sse.contrib.django_dashboards import SSEChart, SSEStat


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


registry.register(Live)
registry.register(Staff)
registry.register(Child)
