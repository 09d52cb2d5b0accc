"""Bench settings: the conventions of tests/settings.py (GripMiddleware, IMMEDIATE sqlite),
with everything per run coming from the environment the harness sets:

BENCH_DB        sqlite file in the run's temp dir
BENCH_GRIP_URL  Pushpin's publish URL with ?key=... (unset: embedded / polling / redis modes)
BENCH_GRIP_URLS several, space-separated (GRIP_PROXIES: bench/instances.py)
BENCH_REDIS_URL redis://127.0.0.1:<port>/0 for the Redis baseline
BENCH_GRIP_LINK_TIMEOUT  a timeout for GRIP next links (bench/scoped.py's what-if; unset: none)
BENCH_FAST_PATH 0: Pushpin's stream requests through Django's handler, not stream_fast_path
BENCH_HOLD_COMPRESS  F: the es-meta token's lifetime and the next-link timeouts divided by F
                (bench/hold.py --compress, bench-only: project.timescale; unset: 1)
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_eventstream",
    "django_htmx",
    "dashboards_sse",
    "bench.project",
]

# Requests are counted outside Django (asgi.py: middleware.RequestCounter).
MIDDLEWARE = [
    "django_grip.GripMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
if os.environ.get("BENCH_GRIP_LINK_TIMEOUT"):  # bench/scoped.py --grip-link-timeout (a what-if)
    MIDDLEWARE.insert(0, "bench.project.middleware.GripLinkTimeout")

ROOT_URLCONF = "bench.project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB", "/tmp/dashboards-sse-bench.sqlite3"),
        # Persistent connections, as a production site sets them: every stream connect is a
        # request, and opening a connection per request costs as much as the answer.
        "CONN_MAX_AGE": 600,
        # IMMEDIATE as in the tests; WAL so the baselines' many readers (embedded streams,
        # polls) never block the publisher's writes: their best case, not ours.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
GRIP_URL = os.environ.get("BENCH_GRIP_URL") or None
if os.environ.get("BENCH_GRIP_URLS"):  # several Pushpins (bench/instances.py): publish to each
    from gripcontrol import parse_grip_uri

    GRIP_URL = None
    GRIP_PROXIES = [parse_grip_uri(url) for url in os.environ["BENCH_GRIP_URLS"].split()]
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
BENCH_HOLD_COMPRESS = float(os.environ.get("BENCH_HOLD_COMPRESS") or 1)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
