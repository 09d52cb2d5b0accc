"""The second demo dashboard, built with django-dashboards (Wildfish) instead of our own
Dashboard class: its Text and Stat render once per page view as usual, while the SSEStat and
SSEChart components next to them update live over the page's one SSE stream.

The same ``refresh --every 1`` loop that feeds the first dashboard calls the get_*_value
methods below once a second (``refresh_every``) and pushes their values to every viewer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dashboards.component import Stat, Text
from dashboards.component.layout import Card, ComponentLayout
from dashboards.component.stat import StatData
from dashboards.dashboard import Dashboard
from dashboards.registry import registry
from dashboards_sse.contrib.django_dashboards import SSEChart, SSEStat
from django.utils import timezone

from .network import network_rates, read_counters

EVERY_SECOND = timedelta(seconds=1)


class Network(Dashboard):
    about = Text(
        value="A django-dashboards dashboard: the Text and the Interfaces Stat are its own "
        "static components; Received, Packets and the chart are dashboards_sse's SSE "
        "components, pushed once a second and fanned out by Pushpin."
    )
    interfaces = Stat()
    received = SSEStat(unit=" KB/s", decimals=1, refresh_every=EVERY_SECOND)
    packets = SSEStat(unit="/s", decimals=0, refresh_every=EVERY_SECOND)
    throughput = SSEChart(
        window=120,
        refresh_every=EVERY_SECOND,
        figure={
            "data": [
                {"type": "scatter", "mode": "lines", "name": name, "x": [], "y": []}
                for name in ("received", "sent")
            ],
            "layout": {
                "height": 260,
                "margin": {"l": 50, "r": 10, "t": 10, "b": 30},
                "yaxis": {"title": {"text": "KB/s"}, "rangemode": "tozero"},
                "legend": {"orientation": "h"},
            },
        },
    )

    class Meta:
        name = "Network"
        verbose_name = "Network traffic"

    class Layout(Dashboard.Layout):
        components = ComponentLayout(
            Card("about", heading="Network traffic of this machine", grid_css_classes="span-12"),
            Card("received", heading="Received", grid_css_classes="span-4"),
            Card("packets", heading="Packets", grid_css_classes="span-4"),
            Card("interfaces", heading="Interfaces", grid_css_classes="span-4"),
            Card("throughput", heading="Throughput, last 2 minutes", grid_css_classes="span-12"),
        )

    def get_interfaces_value(self, **kwargs: Any) -> StatData:
        with open("/proc/net/dev") as dev:
            count = len(dev.readlines()) - 2
        return StatData(text=str(count), sub_text=f"{read_counters().packets:,} packets so far")

    def get_received_value(self, **kwargs: Any) -> dict[str, Any]:
        rates = network_rates()
        return {"value": rates.received_kb, "sub_text": f"sent {rates.sent_kb:,.1f} KB/s"}

    def get_packets_value(self, **kwargs: Any) -> float:
        return network_rates().packets

    def get_throughput_value(self, **kwargs: Any) -> dict[str, Any]:
        rates, now = network_rates(), timezone.now()
        return {"traces": {"received": [(now, rates.received_kb)], "sent": [(now, rates.sent_kb)]}}


registry.register(Network)
