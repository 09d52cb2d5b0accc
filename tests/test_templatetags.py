from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, RequestFactory

from dashboards_sse import UnknownComponent, UnknownDashboard, push
from tests.testapp.dashboards import Ops

pytestmark = pytest.mark.django_db

OPS_STREAM = 'sse-connect="/dashboards/testapp.ops/stream/"'
FORBIDDEN = "You do not have access to the dashboard"


def render(source: str, user: Any = None, **context: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user if user is not None else AnonymousUser()
    return Template("{% load dashboards_sse %}" + source).render(
        Context({"request": request, **context})
    )


def swapped(html: str) -> list[str]:
    return re.findall(r'sse-swap="([^"]+)"', html)


def test_dashboard() -> None:
    html = render('{% dashboard "testapp.ops" %}')
    assert html.count("sse-connect=") == 1
    assert OPS_STREAM in html
    assert 'hx-ext="sse"' in html
    assert 'data-dsse-last-event-id="dashboard.testapp.ops:0"' in html
    assert 'data-dsse-dashboard="testapp.ops"' in html
    assert swapped(html) == ["cpu", "status", "requests", "latency"]
    for name in ("cpu", "status", "requests", "latency"):
        assert html.count(f'id="dsse-testapp-ops-{name}"') == 1
    assert '<h2 class="dsse-title">Operations</h2>' in html


def test_dashboard_renders_snapshot() -> None:
    result = push("testapp.ops", cpu=12.5)
    html = render('{% dashboard "testapp.ops" %}')
    assert result.html["cpu"] in html
    assert f'data-dsse-last-event-id="dashboard.testapp.ops:{result.event_ids["cpu"]}"' in html


def test_dashboard_from_variable() -> None:
    html = render("{% dashboard board %}", board=Ops)
    assert OPS_STREAM in html


def test_dashboard_backoff_settings(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {
        "RECONNECT_BASE_MS": 100,
        "RECONNECT_MAX_MS": 2000,
        "RECONNECT_SPREAD_MS": 700,
    }
    html = render('{% dashboard "testapp.ops" %}')
    assert 'data-dsse-backoff-base="100"' in html
    assert 'data-dsse-backoff-max="2000"' in html
    assert 'data-dsse-backoff-spread="700"' in html


def test_dashboard_unknown() -> None:
    with pytest.raises(UnknownDashboard):
        render('{% dashboard "nope" %}')


def test_dashboard_forbidden(user: Any) -> None:
    for who in (None, user):
        html = render('{% dashboard "testapp.secret" %}', user=who)
        assert FORBIDDEN in html
        assert "“Secret”" in html
        assert "sse-connect" not in html
        assert "sse-swap" not in html


def test_dashboard_forbidden_without_request() -> None:
    html = Template('{% load dashboards_sse %}{% dashboard "testapp.secret" %}').render(Context())
    assert FORBIDDEN in html


def test_dashboard_permitted(viewer: Any) -> None:
    html = render('{% dashboard "testapp.secret" %}', user=viewer)
    assert 'sse-connect="/dashboards/testapp.secret/stream/"' in html
    assert swapped(html) == ["level"]


def test_dashboard_stream() -> None:
    html = render(
        '{% dashboard_stream "testapp.ops" %}<h1>{{ dashboard.title }}</h1>'
        '{% component "cpu" %}{% component "latency" %}{% enddashboard_stream %}'
    )
    assert html.count("sse-connect=") == 1
    assert OPS_STREAM in html
    assert swapped(html) == ["cpu", "latency"]
    assert "<h1>Operations</h1>" in html
    assert "data-dsse-last-event-id=" in html


def test_dashboard_stream_page(client: Client) -> None:
    response = client.get("/custom/")
    html = response.content.decode()
    assert html.count("sse-connect=") == 1
    assert swapped(html) == ["cpu", "latency"]
    assert "<h1>Custom layout</h1>" in html


def test_dashboard_stream_forbidden(user: Any) -> None:
    html = render(
        '{% dashboard_stream "testapp.secret" %}<p>inside</p>{% component "level" %}'
        "{% enddashboard_stream %}",
        user=user,
    )
    assert FORBIDDEN in html
    assert "inside" not in html
    assert "sse-connect" not in html


def test_dashboard_stream_unknown_component() -> None:
    with pytest.raises(UnknownComponent, match="no component 'nope'"):
        render(
            '{% dashboard_stream "testapp.ops" %}{% component "nope" %}{% enddashboard_stream %}'
        )


def test_dashboard_stream_needs_slug() -> None:
    with pytest.raises(TemplateSyntaxError, match="takes a dashboard slug"):
        render("{% dashboard_stream %}{% enddashboard_stream %}")


def test_component_standalone() -> None:
    result = push("testapp.ops", cpu=3)
    html = render('{% component "testapp.ops" "cpu" %}')
    assert html.count("sse-connect=") == 1
    assert OPS_STREAM in html
    assert swapped(html) == ["cpu"]
    assert result.html["cpu"] in html
    assert f'data-dsse-last-event-id="dashboard.testapp.ops:{result.event_ids["cpu"]}"' in html


def test_components_standalone_each_connect() -> None:
    html = render('{% component "testapp.ops" "cpu" %}{% component "testapp.ops" "status" %}')
    assert html.count(OPS_STREAM) == 2
    assert swapped(html) == ["cpu", "status"]


def test_component_standalone_inside_stream_connects_itself() -> None:
    html = render(
        '{% dashboard_stream "testapp.ops" %}{% component "cpu" %}'
        '{% component "testapp.secret" "level" %}{% enddashboard_stream %}'
    )
    assert html.count(OPS_STREAM) == 1
    assert FORBIDDEN in html


def test_component_standalone_forbidden(user: Any) -> None:
    html = render('{% component "testapp.secret" "level" %}', user=user)
    assert FORBIDDEN in html
    assert "sse-connect" not in html


def test_component_standalone_unknown() -> None:
    message = r"Dashboard 'testapp\.ops' has no component 'nope'"
    with pytest.raises(UnknownComponent, match=message):
        render('{% component "testapp.ops" "nope" %}')


def test_component_unknown_checked_before_permission() -> None:
    with pytest.raises(UnknownComponent):
        render('{% component "testapp.secret" "nope" %}')


def test_component_name_outside_stream() -> None:
    with pytest.raises(TemplateSyntaxError, match="takes a dashboard slug and a component name"):
        render('{% component "cpu" %}')


def test_head() -> None:
    html = render("{% dashboards_sse_head %}")
    assert '<link rel="stylesheet" href="/static/dashboards_sse/dashboards_sse.css">' in html
    assert '<script src="/static/django_htmx/htmx-2.min.js"' in html
    assert '<script src="/static/django_htmx/ext/hx-sse-2.min.js"' in html
    assert '<script src="/static/dashboards_sse/dashboards_sse.js" defer></script>' in html
    assert html.index("htmx-2.min.js") < html.index("hx-sse-2.min.js")
    assert "nonce" not in html


def test_head_nonce() -> None:
    html = render("{% dashboards_sse_head %}", csp_nonce="abc123")
    assert html.count('nonce="abc123"') == 3
    assert '<script src="/static/dashboards_sse/dashboards_sse.js" defer nonce="abc123">' in html


def test_head_without_htmx() -> None:
    """The page loads htmx itself: only the SSE extension (for the page's htmx) and ours."""
    html = render("{% dashboards_sse_head htmx=False %}", csp_nonce="abc123")
    assert "htmx-2" not in html
    assert html == (
        '<link rel="stylesheet" href="/static/dashboards_sse/dashboards_sse.css">'
        '<script src="/static/django_htmx/ext/hx-sse-2.min.js" defer nonce="abc123"></script>'
        '<script src="/static/dashboards_sse/dashboards_sse.js" defer nonce="abc123"></script>'
    )


def test_page_includes_head(client: Client) -> None:
    html = client.get("/dashboards/testapp.ops/").content.decode()
    assert "/static/django_htmx/ext/hx-sse-2.min.js" in html
    assert "/static/dashboards_sse/dashboards_sse.js" in html


def render_at(url: str, source: str) -> str:
    request = RequestFactory().get(url)
    request.user = AnonymousUser()
    return Template("{% load dashboards_sse %}" + source).render(Context({"request": request}))


@pytest.mark.parametrize(
    ("url", "setting", "kiosk"),
    [
        ("/", False, False),
        ("/?kiosk=1", False, True),
        ("/?kiosk=true", False, True),
        ("/", True, True),
        ("/?kiosk=0", True, False),  # one page out of a KIOSK setting
        ("/?kiosk=maybe", False, False),  # not a yes: the setting decides
        ("/?kiosk=maybe", True, True),
    ],
)
def test_kiosk_from_the_url_or_the_setting(
    settings: Any, url: str, setting: bool, kiosk: bool
) -> None:
    settings.DASHBOARDS_SSE = {"KIOSK": setting}
    for source in ('{% dashboard "testapp.ops" %}', '{% component "testapp.ops" "cpu" %}'):
        html = render_at(url, source)
        assert ("data-dsse-kiosk" in html) is kiosk, (url, setting, source)


def test_kiosk_on_the_package_page(client: Client) -> None:
    assert "data-dsse-kiosk" in client.get("/dashboards/testapp.ops/?kiosk=1").content.decode()
    assert "data-dsse-kiosk" not in client.get("/dashboards/testapp.ops/").content.decode()
