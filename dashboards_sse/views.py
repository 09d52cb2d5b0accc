"""The dashboard page and its stream.

The stream is answered one of three ways: a request that came through Pushpin (verified
``Grip-Sig``) gets GRIP hold instructions (hold.py) and Django is done at once;
a direct request gets 403 when Pushpin is required (the default with ``GRIP_URL``), otherwise
Django streams it itself (embedded mode).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseNotFound,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render

from . import hold, sharing
from .channels import current_user
from .conf import Settings, get_settings
from .dashboard import ScopedDashboard, Target, get_dashboard, get_target
from .embedded import EmbeddedStream
from .exceptions import InvalidKey, InvalidShare, UnknownDashboard, UnknownScope
from .publish import wire
from .refusals import Refusal, grip_refusal, not_permitted, refuse
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


def _still_allowed(target: Target, viewer: str) -> bool:
    """Whether the viewer of a Pushpin follow-up request may still view ``target``: a public
    dashboard needs no user, others the user as the database has them now."""
    if target.is_public():
        return True
    return target.user_can_view(current_user(None if viewer == hold.ANONYMOUS else viewer))


def _stream_user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def dashboard_stream(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponseBase:
    """A sync view: under ASGI its whole answer is one hop to Django's sync thread (an async
    view took one per lookup); an embedded stream is still served asynchronously."""
    user = _stream_user(request)
    try:
        dashboard = _find(slug, key, user)
    except NotFound as exc:
        if key is not None and user is None:  # an anonymous user learns nothing of objects
            return refuse(request, not_permitted(slug))
        return _text(HttpResponseNotFound, str(exc))
    config = get_settings()
    grip = getattr(request, "grip", None)
    proxied = bool(grip and grip.proxied)
    refusal = grip_refusal(request, config)
    if refusal is not None:
        return refuse(request, refusal)
    try:
        last_id = parse_last_event_id(request, dashboard.channel)
    except InvalidEventId as exc:
        return _text(HttpResponseBadRequest, str(exc))

    token = share_token(request)
    if token is not None:
        return shared_stream(request, dashboard, token, last_id, config)

    if request.GET.get("es-meta"):
        # Pushpin's follow-up requests (next link, recovery) carry the viewer in a token
        # hold.py signed; the permission is applied again to them, as the database has them.
        if not proxied:
            return _text(HttpResponseBadRequest, "Invalid es-meta token: not from Pushpin.")
        try:
            viewer = hold.read_es_meta(request.GET["es-meta"], dashboard.channel)
        except hold.EsMetaError as exc:
            return _text(HttpResponseBadRequest, str(exc))
        if not _still_allowed(dashboard, viewer):
            text = f"Access to the dashboard {slug!r} was revoked."
            return HttpResponse(
                wire.forbidden_event(text, [dashboard.channel]), content_type="text/event-stream"
            )
        if request.GET.get("recover") == "true":
            last_id = hold.recovered_id(request, dashboard.channel, config.grip_prefix)
    elif not dashboard.user_can_view(user):
        return refuse(request, not_permitted(slug))
    else:
        viewer = hold.user_id(user)

    if proxied:
        return hold.answer(request, dashboard.channel, last_id, viewer, config.grip_prefix)

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
    if es_meta:
        if not proxied:
            return _text(HttpResponseBadRequest, "Invalid es-meta token: not from Pushpin.")
        try:
            hold.read_es_meta(es_meta, target.channel)
        except hold.EsMetaError as exc:
            return _text(HttpResponseBadRequest, str(exc))
        if request.GET.get("recover") == "true":
            last_id = hold.recovered_id(request, target.channel, config.grip_prefix)
    try:
        grant = sharing.check(token, target.slug, target.scope_key)
    except InvalidShare as exc:
        if proxied and request.GET.get("link") == "next":
            # A follow-up of a held stream: Pushpin sends this to the viewer (who stops and
            # shows offline), and with no hold and no next link the stream ends.
            return HttpResponse(wire.forbidden_event(str(exc)), content_type="text/event-stream")
        return refuse(request, Refusal("share link refused", str(exc), misconfigured=False))
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
    response = hold.answer(request, target.channel, last_id, hold.ANONYMOUS, config.grip_prefix)
    instruct = getattr(grip, "instruct", None)
    if instruct is not None:
        instruct.add_channel(wire.share_channel(grant.pk))
        if instruct.next_link:
            if sharing.TOKEN_PARAM not in request.GET:  # it came in the cookie
                instruct.next_link += "&" + urlencode({sharing.TOKEN_PARAM: token})
            until_expiry = max(1, math.ceil(sharing.seconds_left(grant)))
            instruct.next_link_timeout = min(instruct.next_link_timeout, until_expiry)
    return response
