"""Bench-only views: the two baselines and the request counter's read-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django_eventstream.utils import sse_encode_event
from django_eventstream.views import events

from dashboards_sse.models import ComponentState

from .dashboards import Load, RawLoad

REDIS_CHANNEL = "bench-load-value"
# redis-py's asyncio ConnectionPool defaults to max_connections=100: a pub/sub view holding one
# connection per viewer then fails at viewer 101 ("Too many connections"). Raised for the bench.
REDIS_MAX_CONNECTIONS = 60_000
PREAMBLE = ":" + " " * 2048 + "\n\nevent: stream-open\ndata:\n\n"

_redis_pool: Any = None


def raw_stream(request: HttpRequest) -> HttpResponseBase:
    """The raw stack's stream: django-eventstream's own view on Load's channel (bench/micro.py
    connect measures it side by side with ours)."""
    response: HttpResponseBase = events(request, channels=[Load.channel])
    return response


def raw_send_event_stream(request: HttpRequest) -> HttpResponseBase:
    """django-eventstream's own view on RawLoad's channel, which only ``send_event`` publishes
    to (bench/throughput.py)."""
    response: HttpResponseBase = events(request, channels=[RawLoad.channel])
    return response


def fragment(request: HttpRequest) -> HttpResponse:
    """The polling model (django-dashboards' poll_rate): the Stat's current HTML, rendered from
    its stored state on every request."""
    row = ComponentState.objects.filter(dashboard=Load.slug, component="value").first()
    html = Load.value.render(row.state if row else None)
    response = HttpResponse(html)
    response["Content-Length"] = str(len(response.content))
    response["Cache-Control"] = "no-cache"
    return response


def _redis_client() -> Any:
    import redis.asyncio

    global _redis_pool
    if _redis_pool is None:  # one pool for the server's single event loop
        _redis_pool = redis.asyncio.ConnectionPool.from_url(
            settings.BENCH_REDIS_URL, max_connections=REDIS_MAX_CONNECTIONS
        )
    return redis.asyncio.Redis(connection_pool=_redis_pool)


async def redis_stream(request: HttpRequest) -> StreamingHttpResponse:
    """The tutorial recipe: an async view subscribing each connection to Redis pub/sub and
    streaming every message as an SSE event (the publisher sends rendered HTML)."""
    pubsub = _redis_client().pubsub()
    await pubsub.subscribe(REDIS_CHANNEL)  # before "stream-open": nothing published is missed

    async def events() -> AsyncIterator[str]:
        try:
            yield PREAMBLE
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield sse_encode_event("value", message["data"].decode())
        finally:
            await pubsub.aclose()

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    return response
