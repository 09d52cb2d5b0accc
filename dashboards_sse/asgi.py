"""A fast path for Pushpin's stream requests, in front of Django's ASGI application::

    # mysite/asgi.py
    from dashboards_sse.asgi import stream_fast_path
    application = stream_fast_path(get_asgi_application())

Django's ASGI handler runs every synchronous middleware in a thread hop of its own, twice: on a
stream connect that costs more than our whole answer (``python -m bench.micro connect``). A
request that came through Pushpin (it carries ``Grip-Sig``) for one of our stream URLs is
answered here instead, in one hop: the same view, behind only the middleware it needs —
django-grip's, and Django's session and authentication middleware when MIDDLEWARE has them —
with the database connection handled as Django's request signals would. Everything else (pages,
embedded streams, every other URL) goes to the wrapped application unchanged.

What the fast path skips, so opt in knowing it: your other middleware never sees Pushpin's
stream requests (a dashboard's ``permission`` receives the user from the session; a middleware
that picks a tenant's database or sets the user by other means does not run for them).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.exception import response_for_exception
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body

STREAM_VIEW = ("dashboards_sse.views", "dashboard_stream")

# The middleware a stream request needs, in MIDDLEWARE's order, when MIDDLEWARE has them.
NEEDED_MIDDLEWARE = (
    "django_grip.GripMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)


def stream_fast_path(application: ASGIApp) -> ASGIApp:
    """``application`` with Pushpin's stream requests answered in one thread hop."""
    return StreamFastPath(application)


class StreamFastPath:
    def __init__(self, application: ASGIApp) -> None:
        self.application = application
        self._middleware: list[Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _from_pushpin(scope):
            await self.application(scope, receive, send)
            return
        answer = await sync_to_async(self._answer, thread_sensitive=True)(scope)
        if answer is None:  # not one of our streams: Django's as usual
            await self.application(scope, receive, send)
            return
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _answer(self, scope: Scope) -> Answer | None:
        request = ASGIRequest(scope, io.BytesIO(b""))
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        view = match.func
        # by name: importing the views needs the app registry, and this module is imported
        # by asgi.py before get_asgi_application() sets Django up
        if (view.__module__, view.__name__) != STREAM_VIEW:
            return None
        close_old_connections()  # what Django's request_started does
        response: HttpResponseBase | None = None
        try:
            middleware = self._middleware_instances()
            try:
                for instance in middleware:
                    instance.process_request(request)
                response = view(request, *match.args, **match.kwargs)
            except Exception as exc:  # as Django's handler answers (and logs) it: 400, 500...
                response = response_for_exception(request, exc)
            if response.streaming:  # an embedded stream after all: Django's handler serves it
                return None
            for instance in reversed(middleware):
                if hasattr(instance, "process_response"):
                    response = instance.process_response(request, response)
            return _finished(response)
        finally:
            if response is None:
                close_old_connections()  # what Django's request_finished does
            else:
                response.close()  # request_finished (closing old connections), here in the
                # thread that used them

    def _middleware_instances(self) -> list[Any]:
        if self._middleware is None:  # on first use: auth's middleware needs the app registry

            def nothing(request: HttpRequest) -> HttpResponse:
                raise AssertionError("the fast path calls process_request/response only")

            self._middleware = [
                import_string(path)(nothing)
                for path in settings.MIDDLEWARE
                if path in NEEDED_MIDDLEWARE
            ]
        return self._middleware


def _from_pushpin(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    return any(name == b"grip-sig" for name, _ in scope["headers"])


def _finished(response: HttpResponseBase) -> Answer:
    """What is sent for ``response``: its status, headers (cookies too) and body."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()
    ]
    for cookie in response.cookies.values():
        headers.append((b"set-cookie", cookie.output(header="").strip().encode("latin-1")))
    body = response.content if isinstance(response, HttpResponse) else b""
    return response.status_code, headers, body
