"""The dashboard page and its stream.

The stream is answered one of three ways: a request that came through Pushpin (verified
``Grip-Sig``) gets GRIP hold instructions from django-eventstream and Django is done at once;
a direct request gets 403 when Pushpin is required (the default with ``GRIP_URL``), otherwise
Django streams it itself (embedded mode).

A refused stream says which problem it is — Django without GRIP_URL behind Pushpin, no
GripMiddleware, a signing key that differs from Pushpin's, a direct request where Pushpin is
required, no permission — in its body, in the server log and, in a few words, in the
``Dashboards-SSE-Reason`` header, which the page's status badge shows (an EventSource cannot
read a failed answer, so the client fetches it once).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

import jwt
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseNotFound,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django_eventstream.views import events

from .channels import current_user
from .conf import Settings, get_settings
from .dashboard import ScopedDashboard, Target, get_dashboard, get_target, resolved
from .embedded import EmbeddedStream
from .exceptions import InvalidKey, UnknownDashboard, UnknownScope
from .resume import InvalidEventId, parse_last_event_id
from .scopes import USER

logger = logging.getLogger("dashboards_sse")


class NotFound(Exception):
    """No such dashboard or object (the message says which)."""


def _find(slug: str, key: str | None, user: Any) -> Target:
    """The dashboard, or the object stream of a scoped one, a URL names (raises NotFound)."""
    try:
        dashboard = get_dashboard(slug)
        if key is None and dashboard.is_scoped() and dashboard.scope != USER:
            raise UnknownScope(
                f"The dashboard {slug!r} has a page per object: /dashboards/{slug}/<key>/."
            )
        target = get_target(dashboard, key, user if key is None else None)
    except (UnknownDashboard, UnknownScope, InvalidKey) as exc:
        raise NotFound(str(exc)) from None
    if isinstance(target, ScopedDashboard) and target.object is None:
        raise NotFound(f"The dashboard {slug!r} has no object {key!r}.")
    return target


def dashboard_page(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponse:
    try:
        dashboard = get_dashboard(slug)
        if key is None and dashboard.scope == USER and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())  # the viewer's own: who?
        target = _find(slug, key, request.user)
    except UnknownDashboard as exc:
        raise Http404(str(exc)) from None
    except NotFound as exc:
        if not request.user.is_authenticated:  # an anonymous user learns nothing of objects
            return redirect_to_login(request.get_full_path())
        raise Http404(str(exc)) from None
    external = target.external_page_url()
    if external is not None:
        return redirect(external)  # its framework's view applies its own access rules
    if not target.user_can_view(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(f"You may not view the dashboard {slug!r}.")
    return render(request, "dashboards_sse/page.html", {"dashboard": target})


def _text(response_class: type[HttpResponse], message: str) -> HttpResponse:
    return response_class(message + "\n", content_type="text/plain; charset=utf-8")


# The header carrying a refused stream's reason in a few words, for the page's status badge.
REASON_HEADER = "Dashboards-SSE-Reason"


@dataclass(frozen=True)
class Refusal:
    """Why a stream is refused: a few words for the page, the whole story for the body and
    the log (``misconfigured``: the site's setup is wrong, not the viewer's access)."""

    reason: str
    message: str
    misconfigured: bool = True


NO_GRIP_URL = Refusal(
    "Django has no GRIP_URL",
    "This request came through Pushpin (it carries Grip-Sig), but this Django has no GRIP_URL "
    "or GRIP_PROXIES: it can neither verify the signature nor publish updates to Pushpin. Set "
    "GRIP_URL = 'http://127.0.0.1:5561?key=<Pushpin's sig_key>' in the settings of the Django "
    "that Pushpin forwards to (e.g. GRIP_URL = os.environ.get('GRIP_URL')).",
)
NO_MIDDLEWARE = Refusal(
    "GripMiddleware missing",
    "django_grip.GripMiddleware is not in MIDDLEWARE: Django cannot tell Pushpin's requests "
    "from direct ones. Add 'django_grip.GripMiddleware' at the top of MIDDLEWARE (system check "
    "dashboards_sse.E002).",
)
KEY_DIFFERS = Refusal(
    "Pushpin key differs",
    "Grip-Sig did not verify: the key in GRIP_URL (or GRIP_PROXIES) differs from Pushpin's "
    "sig_key, or the request did not come from our Pushpin. Give both the same key.",
)
DIRECT = Refusal(
    "open it through Pushpin",
    "This stream is served through Pushpin: open it via the proxy, not Django directly "
    "(GRIP_URL or GRIP_PROXIES is set, so PUSHPIN_REQUIRED defaults to True).",
)


def not_permitted(slug: str) -> Refusal:
    return Refusal("not permitted", f"You may not view the dashboard {slug!r}.", False)


def _refuse(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """403 with the refusal's message, its reason in a header, and a line in the log."""
    response = _text(HttpResponseForbidden, refusal.message)
    response[REASON_HEADER] = refusal.reason
    logger.log(
        logging.WARNING if refusal.misconfigured else logging.INFO,
        "dashboards_sse: stream %s refused (%s): %s",
        request.path,
        refusal.reason,
        refusal.message,
    )
    return response


def _grip_refusal(request: HttpRequest, config: Settings) -> Refusal | None:
    """Why a stream request cannot be served as it came, as far as GRIP goes (None: it can)."""
    grip = getattr(request, "grip", None)
    signed_header = bool(request.META.get("HTTP_GRIP_SIG"))
    if grip is None and (signed_header or config.pushpin_required):
        return NO_MIDDLEWARE
    if signed_header and not (grip and grip.signed):
        return KEY_DIFFERS if config.publishes else NO_GRIP_URL
    if not (grip and grip.proxied) and config.pushpin_required:
        return DIRECT
    return None


# How long Pushpin holds a stream before asking Django for its next link, in seconds. Without
# one Pushpin asks every 120 s, through a handler limiter of 10 a second (Pushpin 1.36): from
# ~1,200 held streams of different channels on, the refreshes queue and so do the streams'
# updates (bench/scoped.py measured 64 % of deliveries lost at 5,000 viewers of 1,000 scopes,
# and none with a timeout). Below the 1 h lifetime of django-eventstream's es-meta token, and
# spread so that streams opened together are not refreshed together.
NEXT_LINK_TIMEOUT = (1200, 1800)


def _hold(request: HttpRequest, target: Target) -> HttpResponseBase:
    """django-eventstream's GRIP answer; its channel check reuses the resolved target, and
    its next link gets a (spread) timeout."""
    with resolved(target):
        response: HttpResponseBase = events(request, channels=[target.channel])
    instruct = getattr(getattr(request, "grip", None), "instruct", None)
    if instruct is not None and instruct.next_link and not instruct.next_link_timeout:
        instruct.next_link_timeout = random.randint(*NEXT_LINK_TIMEOUT)
    return response


def valid_es_meta(token: str) -> bool:
    """Whether django-eventstream's ``es-meta`` token is its own, unexpired (it would raise)."""
    try:
        jwt.decode(token, settings.SECRET_KEY.encode(), algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    return True


def _stream_user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


async def dashboard_stream(
    request: HttpRequest, slug: str, key: str | None = None
) -> HttpResponseBase:
    user = await sync_to_async(_stream_user)(request)
    try:
        dashboard = await sync_to_async(_find)(slug, key, user)
    except NotFound as exc:
        if key is not None and user is None:  # an anonymous user learns nothing of objects
            return _refuse(request, not_permitted(slug))
        return _text(HttpResponseNotFound, str(exc))
    config = get_settings()
    grip = getattr(request, "grip", None)
    proxied = bool(grip and grip.proxied)
    refusal = _grip_refusal(request, config)
    if refusal is not None:
        return _refuse(request, refusal)
    try:
        last_id = parse_last_event_id(request, dashboard.channel)
    except InvalidEventId as exc:
        return _text(HttpResponseBadRequest, str(exc))

    if request.GET.get("es-meta"):
        # Pushpin's follow-up requests carry the user in a token django-eventstream signed;
        # it re-applies the permission with that user (see channels.py). A bad token is 400.
        if not proxied or not valid_es_meta(request.GET["es-meta"]):
            return _text(HttpResponseBadRequest, "Invalid or expired es-meta token.")
        user = None
    elif not await sync_to_async(dashboard.user_can_view)(user):
        return _refuse(request, not_permitted(slug))

    if proxied:
        response: HttpResponseBase = await sync_to_async(_hold)(request, dashboard)
        return response

    stream = EmbeddedStream(
        dashboard.channel,
        last_id,
        config,
        lambda: dashboard.user_can_view(current_user(user.pk if user else None)),
    )
    body = stream.__aiter__() if isinstance(request, ASGIRequest) else iter(stream)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
