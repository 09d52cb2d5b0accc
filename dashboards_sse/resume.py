"""Parsing the event id a client resumes from (``Last-Event-ID`` header or ``lastEventId``)."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest

MAX_EVENT_ID_CHARS = 1_000


class InvalidEventId(ValueError):
    pass


def parse_last_event_id(request: HttpRequest, channel: str) -> int | None:
    """The last event id the client saw on ``channel``, None when it sent none.

    Ids look like ``dashboard.shop.sales:42`` (django-eventstream's ``channel:id`` list).
    Anything else is refused with a message instead of a server error.
    """
    raw = request.META.get("HTTP_LAST_EVENT_ID") or next(
        (value for value in reversed(request.GET.getlist("lastEventId")) if value), ""
    )
    if not raw:
        return None
    if len(raw) > MAX_EVENT_ID_CHARS:
        raise InvalidEventId("Malformed event id: too long.")
    found: int | None = None
    for part in raw.split(","):
        name, sep, number = part.rpartition(":")
        if not sep or not number.isascii() or not number.isdigit():
            raise InvalidEventId(
                f"Malformed event id {raw[:80]!r}: expected 'channel:number[,...]'."
            )
        if unquote(name) == channel:
            found = int(number)
    return found
