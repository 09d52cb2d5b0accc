"""The GRIP answer to a stream request that came through Pushpin: all Django does per viewer.

Pushpin holds the connection; Django answers once with instructions — hold it as a stream on
the dashboard's channel from this event id, send keep-alives, ask again at the next link — and
the events the client missed. This is django-eventstream's answer (``to_grip_response``): its
channel names and filters, composite ids, ``es-meta`` token and replay, so its storage, its
per-user channel (revocation) and Pushpin's recovery requests work unchanged. Without what it
adds to a connect (``python -m bench.micro connect`` measures both): up to three storage
queries where one does (the replay reads from the client's id on; the counter only when there
is none), its own request parsing and user lookup (the view has done both), and 2 KB of
padding per connect for browsers without EventSource.
"""

from __future__ import annotations

import functools
import json
import random
import time
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import jwt
from django.conf import settings
from django.db import router
from django.http import HttpRequest, HttpResponse
from django_eventstream.models import Event, EventCounter
from django_eventstream.utils import add_default_headers, build_id_escape, sse_encode_event
from django_grip import Channel

from .sql import CompiledQuery, compile_queryset

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Events replayed in one answer; more and the answer is not held: Pushpin sends it and asks the
# next link (from the last one sent) at once. django-eventstream's limit.
REPLAY_LIMIT = 100
# How long an es-meta token (the user and channel of Pushpin's follow-up requests) is valid at
# least; every next link renews it. Longer than the longest next-link timeout.
ES_META_LIFETIME = 7200
# Tokens expire on a multiple of this many seconds, so every viewer of a stream (all anonymous
# viewers of a dashboard, a user's tabs) answered in the same window gets the same next link:
# Pushpin refreshes up to 100 streams with the same link in one request, and at most 10
# different links a second (its handler's update limiter, Pushpin 1.36). With a token to the
# second, 10,000 viewers connected over a minute held ~50 different links per dashboard.
ES_META_ROUND = 600
KEEP_ALIVE = "event: keep-alive\ndata:\n\n"
KEEP_ALIVE_SECONDS = 20
# How long Pushpin holds a stream before asking Django for its next link, in seconds, at random
# in this range. Without a timeout Pushpin asks every 120 s; it groups streams of one URL path
# by their timeout and refreshes each group at once, through that limiter: a wave per group.
# Spread over 30 minutes, a Pushpin refreshes up to ~18,000 streams of different links (per-user
# or per-object dashboards) per round without queueing them; a stream waiting for its refresh
# holds back its updates (bench/scoped.py measured 64 % of deliveries lost at 5,000 viewers of
# 1,000 scopes with Pushpin's 120 s).
NEXT_LINK_TIMEOUT = (1800, 3600)
ANONYMOUS = "anonymous"
# What the connect queries are compiled with, in place of a channel and an event id.
CHANNEL_STAND_IN = "dashboards_sse:channel"
START_STAND_IN = -(2**62)


class Replay(NamedTuple):
    """What a stream gets first: the stored events after the client's id (its newest id, if
    it sent none), whether that id is gone from the history, and whether there is more."""

    events: list[tuple[int, str, Any]]  # (id, type, data)
    last_id: int  # the id the stream holds from: the last event sent (or the start)
    reset: bool  # the client's id is no longer stored: its page may be stale
    more: bool


class EsMetaError(ValueError):
    """An ``es-meta`` token that is not ours, has expired or names another stream."""


def user_id(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """How the answer names a viewer (django-eventstream's: the pk, or ``anonymous``)."""
    return str(user.pk) if user is not None and user.is_authenticated else ANONYMOUS


def read_es_meta(token: str, channel: str) -> str:
    """The viewer a Pushpin follow-up request is for (as ``user_id`` names them), from the
    token this module put in its next link. Raises EsMetaError."""
    try:
        claims = jwt.decode(token, settings.SECRET_KEY.encode(), algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise EsMetaError(f"Invalid or expired es-meta token ({exc}).") from None
    if claims.get("channels") != [channel] or not isinstance(claims.get("user"), str):
        raise EsMetaError("The es-meta token is for another stream.")
    viewer: str = claims["user"]
    return viewer


# Signed once per stream, viewer and window (ES_META_ROUND): signing was a tenth of a connect.
@functools.lru_cache(maxsize=1024)
def es_meta(channel: str, viewer: str, expires: int, secret: str) -> str:
    """The ``es-meta`` token of a next link: ``viewer`` on ``channel`` until ``expires``."""
    claims = {"iss": "es", "exp": expires, "channels": [channel], "user": viewer}
    return jwt.encode(claims, secret.encode(), algorithm="HS256")


def replay(channel: str, start: int | None) -> Replay:
    """The events of ``channel`` after ``start`` (the client's last id), in one query; with
    no ``start`` none, from the channel's newest id (a second query only then, or when
    ``start`` is not stored)."""
    if start is None:
        return Replay([], _current_id(channel), False, False)
    rows = _replay_query(router.db_for_read(Event)).execute((channel, start))
    if not rows or rows[0][0] != start:
        # Not stored (trimmed, or a client ahead of this database): from the newest id, with
        # a reset when that is not where the client is.
        current = _current_id(channel)
        return Replay([], current, current != start, False)
    events = [(eid, kind, json.loads(data)) for eid, kind, data in rows[1:]]
    more = len(events) > REPLAY_LIMIT
    events = events[:REPLAY_LIMIT]
    return Replay(events, events[-1][0] if events else start, False, more)


def _current_id(channel: str) -> int:
    rows = _counter_query(router.db_for_read(EventCounter)).execute((channel,))
    return int(rows[0][0] or 0) if rows else 0


# Compiled once per database: building these querysets cost more than running them.
@functools.cache
def _replay_query(alias: str) -> CompiledQuery:
    events = Event.objects.using(alias).filter(channel=CHANNEL_STAND_IN, eid__gte=START_STAND_IN)
    rows = events.order_by("eid").values_list("eid", "type", "data")[: REPLAY_LIMIT + 2]
    return compile_queryset(rows, (CHANNEL_STAND_IN, START_STAND_IN))


@functools.cache
def _counter_query(alias: str) -> CompiledQuery:
    counter = EventCounter.objects.using(alias).filter(name=CHANNEL_STAND_IN)
    return compile_queryset(counter.values_list("value")[:1], (CHANNEL_STAND_IN,))


def recovered_id(request: HttpRequest, channel: str, prefix: str) -> int | None:
    """On Pushpin's recovery request, the id it last delivered on ``channel`` (its
    ``Grip-Last``), None when it names none."""
    last = getattr(request.grip, "last", None) or {}  # type: ignore[attr-defined]
    name = f"events-{quote(channel)}"
    value = last.get(prefix + name) or last.get(name) or ""
    return int(value) if value.isascii() and value.isdigit() else None


def answer(
    request: HttpRequest, channel: str, start: int | None, viewer: str, prefix: str = ""
) -> HttpResponse:
    """The GRIP answer for ``viewer`` to hold ``channel`` from ``start`` (the client's last
    id: its Last-Event-ID, or on a recovery request the id Pushpin last delivered).
    ``prefix`` is GRIP_PREFIX, which django_grip puts before the channel names it sends."""
    found = replay(channel, start)
    quoted = quote(channel)
    stream_id = f"{quoted}:{found.last_id}"
    is_next = request.GET.get("link") == "next"
    body = "" if is_next else "event: stream-open\ndata:\n\n"
    if found.reset:
        body += sse_encode_event(
            "stream-reset", {"channels": [channel]}, event_id=stream_id, json_encode=True
        )
    for eid, kind, data in found.events:
        body += sse_encode_event(kind, data, event_id=f"{quoted}:{eid}", escape=True)
    response = HttpResponse(body, content_type="text/event-stream")
    add_default_headers(response, request=request)

    params = request.GET.copy()
    params["link"] = "next"
    if found.more:  # not held: Pushpin asks for the rest at once
        params["lastEventId"] = stream_id
        params.pop("recover", None)
    else:
        params["recover"] = "true"
        params.pop("lastEventId", None)
    expires = -(-(int(time.time()) + ES_META_LIFETIME) // ES_META_ROUND) * ES_META_ROUND
    params["es-meta"] = es_meta(channel, viewer, expires, settings.SECRET_KEY)

    instruct = request.grip.start_instruct()  # type: ignore[attr-defined]
    instruct.set_next_link(
        f"{request.path}?{params.urlencode()}",
        timeout=None if found.more else random.randint(*NEXT_LINK_TIMEOUT),
    )
    events_channel = Channel(f"events-{quoted}", prev_id=str(found.last_id))
    events_channel.filters += ["build-id", "skip-users"]
    user_channel = Channel(f"user-{viewer}")
    user_channel.filters.append("require-sub")
    instruct.add_channels([events_channel, user_channel])
    if not found.more:
        instruct.set_hold_stream()
    # Pushpin fills in the channel's id under its full (prefixed) name
    instruct.meta["id_format"] = f"{build_id_escape(quoted)}:%({prefix}events-{quoted})s"
    instruct.meta["user"] = viewer
    instruct.set_keep_alive(KEEP_ALIVE, KEEP_ALIVE_SECONDS)
    return response
