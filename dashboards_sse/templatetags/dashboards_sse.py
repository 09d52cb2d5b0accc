"""Template tags: ``{% dashboards_sse_head %}``, ``{% dashboard %}``, ``{% component %}`` and the
``{% dashboard_stream %}`` block for custom layouts. Each live root opens one SSE connection.

A scoped dashboard takes its object (or key) after the slug: ``{% dashboard "shop.store-sales"
store %}``; a per-user one (``scope = "user"``) shows the viewer's own without one."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_htmx.jinja import htmx_script

from ..conf import get_settings
from ..dashboard import Target, get_target
from ..sharing import is_granted
from ..snapshot import Snapshot, stream_attrs, take_snapshot

register = template.Library()

SNAPSHOT_KEY = "_dashboards_sse_snapshot"


# htmx 2's SSE extension as django-htmx ships it (the same file htmx_script(extensions=...) loads).
SSE_EXTENSION = "django_htmx/ext/hx-sse-2.min.js"


@register.simple_tag(takes_context=True)
def dashboards_sse_head(context: template.Context, htmx: bool = True) -> SafeString:
    """Our styles, htmx 2 and its SSE extension (django-htmx's static files), our client script.

    ``{% dashboards_sse_head htmx=False %}`` on a page that loads htmx 2 itself (django-htmx's
    ``{% htmx_script %}``, or its own): only the SSE extension is added, to the page's htmx.
    Put it after the page's htmx. Two copies of htmx would each process the page, and the one
    that does it first lacks the SSE extension (the client then connects without it and says so
    in the console).
    """
    nonce = context.get("csp_nonce")
    nonce_attr = format_html(' nonce="{}"', nonce) if nonce else ""

    def script(path: str) -> SafeString:
        return format_html('<script src="{}" defer{}></script>', static(path), nonce_attr)

    return mark_safe(
        format_html(
            '<link rel="stylesheet" href="{}">', static("dashboards_sse/dashboards_sse.css")
        )
        + (htmx_script(extensions="hx-sse", nonce=nonce) if htmx else script(SSE_EXTENSION))
        + script("dashboards_sse/dashboards_sse.js")
    )


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def _may_view(context: template.Context, board: Target) -> bool:
    """The viewer's permission, or a share link's grant of this one board (sharing.py)."""
    return is_granted(board.channel) or board.user_can_view(_user(context))


def _target(context: template.Context, dashboard: Any, scope: Any = None) -> Target:
    return get_target(dashboard, scope, _user(context))


KIOSK_ON = frozenset({"1", "true", "yes", "on"})
KIOSK_OFF = frozenset({"0", "false", "no", "off"})


def kiosk(context: template.Context) -> bool:
    """The wall-screen layout: ``?kiosk=1`` on the page's URL, else the KIOSK setting
    (``?kiosk=0`` turns a KIOSK setting off for one page)."""
    request = context.get("request")
    asked = (getattr(request, "GET", None) or {}).get("kiosk", "").lower()
    if asked in KIOSK_ON or asked in KIOSK_OFF:
        return asked in KIOSK_ON
    return get_settings().kiosk


def _wrap(
    context: template.Context, dashboard: Target, snapshot: Snapshot, content: str
) -> SafeString:
    return SafeString(
        render_to_string(
            "dashboards_sse/stream_root.html",
            {
                "dashboard": dashboard,
                "snapshot": snapshot,
                "stream_url": dashboard.stream_url(),
                "stream_attrs": stream_attrs(snapshot.last_event_id),
                "content": SafeString(content),
                "kiosk": kiosk(context),
            },
        )
    )


def _forbidden(dashboard: Target) -> SafeString:
    return SafeString(render_to_string("dashboards_sse/forbidden.html", {"dashboard": dashboard}))


@register.simple_tag(takes_context=True)
def dashboard(context: template.Context, slug: Any, scope: Any = None) -> SafeString:
    """The whole dashboard, live: ``{% dashboard "shop.sales" %}`` (``{% dashboard
    "shop.store-sales" store %}`` for a scoped one)."""
    board = _target(context, slug, scope)
    if not _may_view(context, board):
        return _forbidden(board)
    snapshot = take_snapshot(board)
    content = render_to_string(
        "dashboards_sse/dashboard.html", {"dashboard": board, "snapshot": snapshot}
    )
    return _wrap(context, board, snapshot, content)


@register.simple_tag(takes_context=True)
def component(context: template.Context, *args: str) -> SafeString:
    """One live component: ``{% component "shop.sales" "orders" %}`` (a scoped dashboard's:
    ``{% component "shop.store-sales" "orders" store %}``), or ``{% component "orders" %}``
    inside ``{% dashboard_stream %}`` (one connection for all)."""
    snapshot: Snapshot | None = context.get(SNAPSHOT_KEY)
    if len(args) == 1 and snapshot is not None:
        name = args[0]
        item = next((i for i in snapshot.components if i.component.name == name), None)
        if item is None:  # raises UnknownComponent with the list of names
            snapshot.dashboard.get_component(name)
        return SafeString(render_to_string("dashboards_sse/component.html", {"item": item}))
    if len(args) not in (2, 3):
        raise template.TemplateSyntaxError(
            "{% component %} takes a dashboard slug and a component name (and the object of a "
            "scoped dashboard), or just a name inside {% dashboard_stream %}."
        )
    board = _target(context, *args[:1], *args[2:])
    board.get_component(args[1])
    if not _may_view(context, board):
        return _forbidden(board)
    single = take_snapshot(board, [args[1]])
    html = render_to_string("dashboards_sse/component.html", {"item": single.components[0]})
    return _wrap(context, board, single, html)


class DashboardStreamNode(template.Node):
    def __init__(
        self,
        slug: template.base.FilterExpression,
        scope: template.base.FilterExpression | None,
        nodelist: template.NodeList,
    ):
        self.slug = slug
        self.scope = scope
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        scope = None if self.scope is None else self.scope.resolve(context)
        board = _target(context, self.slug.resolve(context), scope)
        if not _may_view(context, board):
            return _forbidden(board)
        snapshot = take_snapshot(board)
        with context.push({SNAPSHOT_KEY: snapshot, "dashboard": board}):
            content = self.nodelist.render(context)
        return _wrap(context, board, snapshot, content)


@register.tag("dashboard_stream")
def dashboard_stream(parser: Parser, token: Token) -> DashboardStreamNode:
    """``{% dashboard_stream "shop.sales" %}...{% component "orders" %}...``
    ``{% enddashboard_stream %}``: your own layout, one connection for every component inside.
    """
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError(
            "{% dashboard_stream %} takes a dashboard slug (and a scoped dashboard's object)."
        )
    nodelist = parser.parse(("enddashboard_stream",))
    parser.delete_first_token()
    scope = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    return DashboardStreamNode(parser.compile_filter(bits[1]), scope, nodelist)
