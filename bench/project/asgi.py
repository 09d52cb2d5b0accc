"""The bench's ASGI application: Django behind ``stream_fast_path`` (as a site tuned for many
viewers runs it: README, "Scaling"; ``BENCH_FAST_PATH=0`` for Django's handler alone), inside
the request counter. ``BENCH_GRIP_LINK_TIMEOUT`` (a Django middleware the fast path would skip)
implies Django's handler."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from dashboards_sse.asgi import stream_fast_path

from .middleware import RequestCounter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
django_application = get_asgi_application()
fast_path = os.environ.get("BENCH_FAST_PATH", "1") != "0"
if fast_path and not os.environ.get("BENCH_GRIP_LINK_TIMEOUT"):
    application = RequestCounter(stream_fast_path(django_application))
else:
    application = RequestCounter(django_application)
