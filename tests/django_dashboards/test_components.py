from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

from dashboards.component.stat import StatData
from django.test import Client

from dashboards_sse import InvalidValue, push
from dashboards_sse.contrib.django_dashboards import SSEChart, SSEStat
from dashboards_sse.dashboard import get_dashboard
from dashboards_sse.testing import capture_pushes
from tests.ddapp.dashboards import Live, PerStore

pytestmark = pytest.mark.django_db
PAGE = "/dd/ddapp/live/"


def page(client: Client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def live_element(html: str, name: str) -> str:
    """The opening tag of the SSE element of component ``name``."""
    match = re.search(rf'<div class="dsse-live[^>]*data-dsse-event="{name}"[^>]*>', html)
    assert match, f"no SSE element for {name}"
    return match.group(0)


# -- declaration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SSEStat(defer=lambda **kw: 1), "SSEStat renders inline .* drop defer"),
        (lambda: SSEChart(defer_url=lambda **kw: "/"), "SSEChart renders inline"),
        (lambda: SSEStat(max_rate=0), "max_rate must be between 0 and 1000"),
        (lambda: SSEStat(refresh_every=-1), "refresh_every must be positive"),
        (lambda: SSEChart(window=1), "SSEChart window must be between 2 and 5000"),
        (lambda: SSEStat(value=type("S", (), {"serialize": 1})), "SSEStat shows StatData"),
    ],
)
def test_declaration_errors(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_upstream_css_defaults_apply() -> None:
    assert SSEStat().css_classes["stat"] == "stat"  # django-dashboards' Stat defaults
    assert SSEStat(css_classes={"stat": "big"}).css_classes["text"] == "stat__text"


# -- pushing -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "state"),
    [
        (42.5, {"text": "42.5%", "change_by": None, "change_by_text": None, "sub_text": ""}),
        (1234, {"text": "1,234.0%", "change_by": None, "change_by_text": None, "sub_text": ""}),
        ("ok", {"text": "ok", "change_by": None, "change_by_text": None, "sub_text": ""}),
        (
            {"value": 3, "change_by": -1.5, "sub_text": "vs 1 min ago"},
            {
                "text": "3.0%",
                "change_by": -1.5,
                "change_by_text": None,
                "sub_text": "vs 1 min ago",
            },
        ),
        (
            StatData(text="9", change_by=2, change_by_text="+2", sub_text="n"),
            {"text": "9", "change_by": 2, "change_by_text": "+2", "sub_text": "n"},
        ),
    ],
)
def test_stat_values(raw: Any, state: dict[str, Any]) -> None:
    with capture_pushes():
        assert push(Live, live_cpu=raw).states["live_cpu"] == state


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1], "expected a number or text, got list"),
        (True, "expected a number or text, got bool"),
        ({"value": 1, "text": "x"}, "a mapping needs one of 'text' or 'value'"),
        ({"change_by": 1}, "a mapping needs one of 'text' or 'value'"),
        ({"value": 1, "colour": "red"}, "got keys \\['colour', 'value'\\]"),
        ({"value": 1, "change_by": "up"}, "change_by: expected a number"),
        ({"value": 1, "sub_text": "x" * 501}, "text of 501 characters exceeds 500"),
        ("x" * 2001, "text of 2001 characters exceeds 2000"),
    ],
)
def test_bad_stat_values(raw: Any, message: str) -> None:
    with capture_pushes(), pytest.raises(InvalidValue, match=r"dashboard 'dd\.ddapp_live', stat"):
        push(Live, live_cpu=raw)
    with capture_pushes(), pytest.raises(InvalidValue, match=message):
        push(Live, live_cpu=raw)


def test_stat_event_is_the_upstream_html() -> None:
    with capture_pushes() as pushes:
        push(Live, live_cpu={"value": 87.5, "change_by": 2.0, "sub_text": "<b>note</b>"})
    html = pushes.html("dd.ddapp_live", "live_cpu")
    assert "<h2>87.5%</h2>" in html
    assert 'id="component-ddddapplivecomponentlive_cpu-inner"' in html  # template_id
    assert '<div class="stat">' in html
    assert "&lt;b&gt;note&lt;/b&gt;" in html  # escaped by the upstream template


def test_push_leaves_the_shared_instance_unchanged() -> None:
    """django-dashboards shares one component instance between every request: a push renders
    a copy."""
    component = Live.components["live_cpu"]
    before = dict(vars(component))
    with capture_pushes():
        push(Live, live_cpu=55, traffic=3)
    assert vars(component) == before
    assert Live.components["live_cpu"] is component
    assert component.value == StatData(text="\N{EN DASH}")


def test_chart_points_and_figure() -> None:
    with capture_pushes() as pushes:
        push(Live, traffic={"points": [(1, 10), (2, 20)]})
        push(Live, traffic=[3, 30])
    event = json.loads(pushes.html("dd.ddapp_live", "traffic"))
    assert event["target"] == "ddddapplivecomponenttraffic"
    assert (event["generation"], event["appended"], event["window"]) == (0, [3], 5)
    assert event["figure"]["data"][0]["y"] == [10, 20, 30]
    assert event["config"] == {"displayModeBar": "hover", "staticPlot": False, "responsive": True}
    with capture_pushes() as pushes:
        push(Live, traffic={"data": [{"type": "bar", "x": ["a"], "y": [1]}]})
    event = json.loads(pushes.html("dd.ddapp_live", "traffic"))
    assert (event["generation"], event["appended"]) == (1, [0])
    assert event["figure"]["data"][0]["type"] == "bar"


def test_bad_chart_value() -> None:
    with capture_pushes(), pytest.raises(InvalidValue, match="chart 'traffic': expected a figure"):
        push(Live, traffic=True)


# -- the page ------------------------------------------------------------------------------
def test_page_before_any_push(client: Client) -> None:
    html = page(client)
    stat = live_element(html, "live_cpu")
    assert 'data-dsse-stream="/dashboards/dd.ddapp_live/stream/"' in stat
    assert 'data-dsse-last-event-id="dashboard.dd.ddapp_live:0"' in stat
    assert "<h2>\N{EN DASH}</h2>" in html  # placeholder of a pushed-only Stat
    assert "<h2>17</h2>" in html  # get_orders_value, as django-dashboards renders it
    assert 'data-dsse-chart="null"' in live_element(html, "traffic")
    assert "Static text from django-dashboards" in html  # upstream components stay
    assert "/static/dashboards_sse/django_dashboards.js" in html
    assert "/static/dashboards/vendor/js/plotly.min.js" in html


def test_page_shows_stored_states(client: Client) -> None:
    with capture_pushes() as pushes:
        push(Live, live_cpu=12, traffic={"point": (1, 5)})
    html = page(client)
    assert "<h2>12.0%</h2>" in html
    chart = live_element(html, "traffic")
    assert 'data-dsse-chart="{&quot;generation&quot;:0,&quot;appended&quot;:[1]}"' in chart
    assert 'data-dsse-chart-target="ddddapplivecomponenttraffic"' in chart
    assert "Plotly.newPlot(\n            'ddddapplivecomponenttraffic'" in html
    last = max(pushes[0].event_ids.values())
    assert f'data-dsse-last-event-id="dashboard.dd.ddapp_live:{last}"' in chart


def test_every_element_of_a_page_resumes_from_one_id(client: Client) -> None:
    with capture_pushes():
        push(Live, live_cpu=1)
    html = page(client)
    ids = set(re.findall(r'data-dsse-last-event-id="([^"]+)"', html))
    assert len(ids) == 1


def test_figure_text_cannot_close_the_page_script(client: Client) -> None:
    with capture_pushes():
        push(Live, traffic={"data": [{"type": "bar", "name": "</script><img src=x>", "y": [1]}]})
    html = page(client)
    assert "<img src=x>" not in html
    assert "\\u003c/script\\u003e\\u003cimg src=x\\u003e" in html


def test_unpushed_components_show_their_provider_value(
    isolated_twins: None, client: Client, settings: Any
) -> None:
    """A provider returns what a push takes (a number, points): the page renders it the same
    way, without storing it, so the chart's counters stay unknown."""
    from dashboards.dashboard import Dashboard
    from dashboards.registry import registry as upstream_registry

    class Feed(Dashboard):
        level = SSEStat(unit=" m", decimals=2)
        feed = SSEChart()

        def get_level_value(self, **kwargs: Any) -> float:
            return 3.14159

        def get_feed_value(self, **kwargs: Any) -> dict[str, Any]:
            return {"points": [(1, 4), (2, 8)]}

        class Meta:
            app_label = "ddapp"

    upstream_registry.register(Feed)
    settings.ROOT_URLCONF = "tests.django_dashboards.urls_feed"
    try:
        response = client.get("/dd/ddapp/feed/")
    finally:
        upstream_registry.remove(Feed)
    html = response.content.decode()
    assert "<h2>3.14 m</h2>" in html
    assert '"y":[4,8]' in html
    assert 'data-dsse-chart="null"' in live_element(html, "feed")


@pytest.mark.django_db
def test_a_model_dashboard_page_streams_its_own_object(client: Client) -> None:
    from tests.testapp.models import Store

    for code in ("north", "south"):
        Store.objects.create(name=code.title(), code=code)
    push(get_dashboard(PerStore).for_("south"), sales="south: 3")
    html = client.get("/dd/ddapp/perstore/north/").content.decode()
    assert 'data-dsse-stream="/dashboards/dd.ddapp_perstore/north/stream/"' in html
    assert "north: no sales yet" in html  # the provider, given this page's object
    south = client.get("/dd/ddapp/perstore/south/").content.decode()
    assert "south: 3" in south  # what was pushed to that store, and only there
    # our URL of the object's page leads to django-dashboards' page of it
    response = client.get("/dashboards/dd.ddapp_perstore/north/")
    assert response.status_code == 302 and response["Location"] == "/dd/ddapp/perstore/north/"
