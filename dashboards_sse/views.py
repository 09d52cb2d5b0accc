"""The dashboard page and its stream.

The stream is answered one of three ways: a request that came through Pushpin (verified
``Grip-Sig``) gets GRIP hold instructions from django-eventstream and Django is done at once;
a direct request gets 403 when Pushpin is required (the default with ``GRIP_URL``), otherwise
Django streams it itself (embedded mode).
"""

from __future__ import annotations

import math
import random
from typing import Any
from urllib.parse import urlencode

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
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django_eventstream.views import events

from . import sharing
from .channels import current_user
from .conf import Settings, get_settings
from .dashboard import ScopedDashboard, Target, get_dashboard, get_target, resolved
from .embedded import EmbeddedStream
from .exceptions import InvalidKey, InvalidShare, UnknownDashboard, UnknownScope
from .publish.wire import forbidden_event, share_channel
from .resume import InvalidEventId, parse_last_event_id
from .scopes import USER


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
    token = share_token(request)
    if token is not None:
        return shared_page(request, slug, key, token)
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
            return _text(HttpResponseForbidden, f"You may not view the dashboard {slug!r}.")
        return _text(HttpResponseNotFound, str(exc))
    config = get_settings()
    grip = getattr(request, "grip", None)
    proxied = bool(grip and grip.proxied)
    if request.META.get("HTTP_GRIP_SIG") and not (grip and grip.signed):
        return _text(
            HttpResponseForbidden,
            "Grip-Sig did not verify: the request did not come from our Pushpin "
            "(or the key in GRIP_URL or GRIP_PROXIES differs from Pushpin's sig_key).",
        )
    if not proxied and config.pushpin_required:
        return _text(
            HttpResponseForbidden,
            "This stream is served through Pushpin: open it via the proxy, not Django directly.",
        )
    try:
        last_id = parse_last_event_id(request, dashboard.channel)
    except InvalidEventId as exc:
        return _text(HttpResponseBadRequest, str(exc))

    token = share_token(request)
    if token is not None:
        shared: HttpResponseBase = await sync_to_async(shared_stream)(
            request, dashboard, token, last_id, config
        )
        return shared

    if request.GET.get("es-meta"):
        # Pushpin's follow-up requests carry the user in a token django-eventstream signed;
        # it re-applies the permission with that user (see channels.py). A bad token is 400.
        if not proxied or not valid_es_meta(request.GET["es-meta"]):
            return _text(HttpResponseBadRequest, "Invalid or expired es-meta token.")
        user = None
    elif not await sync_to_async(dashboard.user_can_view)(user):
        return _text(HttpResponseForbidden, f"You may not view the dashboard {slug!r}.")

    if proxied:
        response: HttpResponseBase = await sync_to_async(_hold)(request, dashboard)
        return response

    stream = EmbeddedStream(
        dashboard.channel,
        last_id,
        config,
        lambda: dashboard.user_can_view(current_user(user.pk if user else None)),
    )
    return _streaming(request, stream)


def _streaming(request: HttpRequest, stream: EmbeddedStream) -> StreamingHttpResponse:
    body = stream.__aiter__() if isinstance(request, ASGIRequest) else iter(stream)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# -- share links (sharing.py) --------------------------------------------------------------


def share_token(request: HttpRequest) -> str | None:
    """A share link's token: in the URL (a link's first visit; Pushpin's follow-up requests),
    else in the cookie its first visit set."""
    return request.GET.get(sharing.TOKEN_PARAM) or request.COOKIES.get(sharing.COOKIE) or None


def _unshared(response: HttpResponseBase) -> HttpResponseBase:
    """No Referer from this page to anywhere, and no copy kept by a cache."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _share_denied(request: HttpRequest, message: str, from_cookie: bool) -> HttpResponse:
    response = render(
        request, "dashboards_sse/share_denied.html", {"message": message}, status=403
    )
    if from_cookie:  # a dead cookie would shadow the normal (login) page for good
        response.delete_cookie(sharing.COOKIE, path=request.path)
    _unshared(response)
    return response


def shared_page(request: HttpRequest, slug: str, key: str | None, token: str) -> HttpResponse:
    """A share link's page, read only. Its first visit trades the token in the URL for a
    cookie scoped to this dashboard's path and redirects to the clean URL (same query, minus
    the token), so the token is in no address bar, history entry or Referer."""
    from_cookie = not request.GET.get(sharing.TOKEN_PARAM)
    try:
        grant = sharing.check(token, slug, key or "")
        target = _find(slug, key, None)
    except InvalidShare as exc:
        return _share_denied(request, str(exc), from_cookie)
    except NotFound:
        return _share_denied(request, "This share link's dashboard no longer exists.", False)
    if target.external_page_url() is not None:
        return _share_denied(request, "This dashboard cannot be shared.", False)
    if not from_cookie:
        query = request.GET.copy()
        del query[sharing.TOKEN_PARAM]
        clean = request.path + (f"?{query.urlencode()}" if query else "")
        redirect_response = HttpResponseRedirect(clean)
        redirect_response.set_cookie(
            sharing.COOKIE,
            token,
            max_age=max(1, int(sharing.seconds_left(grant))),
            path=target.page_url(),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        _unshared(redirect_response)
        return redirect_response
    with sharing.granted(target):
        response = render(request, "dashboards_sse/page.html", {"dashboard": target})
    _unshared(response)
    return response


def shared_stream(
    request: HttpRequest, target: Target, token: str, last_id: int | None, config: Settings
) -> HttpResponseBase:
    """A share link's stream: the grant admits its one channel. Through Pushpin the stream
    also listens on the grant's channel (revoke closes it), its follow-up requests carry the
    token and re-check the grant, and its next link comes no later than the grant's expiry."""
    grip = getattr(request, "grip", None)
    proxied = bool(grip and grip.proxied)
    es_meta = request.GET.get("es-meta")
    if es_meta and not (proxied and valid_es_meta(es_meta)):
        return _text(HttpResponseBadRequest, "Invalid or expired es-meta token.")
    try:
        grant = sharing.check(token, target.slug, target.scope_key)
    except InvalidShare as exc:
        if proxied and request.GET.get("link") == "next":
            # A follow-up of a held stream: Pushpin sends this to the viewer (who stops and
            # shows offline), and with no hold and no next link the stream ends.
            return HttpResponse(forbidden_event(str(exc)), content_type="text/event-stream")
        return _text(HttpResponseForbidden, str(exc))
    if not proxied:
        stream = EmbeddedStream(
            target.channel,
            last_id,
            config,
            lambda: sharing.still_valid(grant.pk),
            sharing.EMBEDDED_RECHECK_SECONDS,
            "This share link was revoked or has expired.",
        )
        return _streaming(request, stream)
    with sharing.granted(target):
        response = _hold(request, target)
    instruct = getattr(grip, "instruct", None)
    if instruct is not None:
        instruct.add_channel(share_channel(grant.pk))
        if instruct.next_link:
            if sharing.TOKEN_PARAM not in request.GET:  # it came in the cookie
                instruct.next_link += "&" + urlencode({sharing.TOKEN_PARAM: token})
            until_expiry = max(1, math.ceil(sharing.seconds_left(grant)))
            instruct.next_link_timeout = min(instruct.next_link_timeout, until_expiry)
    return response
