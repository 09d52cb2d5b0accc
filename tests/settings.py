"""Settings for the test suite; integration tests override GRIP_URL via environment."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-secret-key-not-for-production-use-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django_eventstream",
    "django_htmx",
    "dashboards_sse",
    "tests.testapp",
]
# The django-dashboards adapter's tests run wherever django-dashboards is installed.
DJANGO_DASHBOARDS = find_spec("dashboards") is not None
if DJANGO_DASHBOARDS:
    INSTALLED_APPS += ["dashboards", "tests.ddapp"]

MIDDLEWARE = [
    "django_grip.GripMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DSSE_TEST_DB", str(BASE_DIR / "test.sqlite3")),
        # IMMEDIATE: concurrent publishers wait for the write lock instead of failing with
        # "database is locked" when a read transaction upgrades to a write.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        "TEST": {"NAME": os.environ.get("DSSE_TEST_DB_TEST") or None},
    }
}
# DSSE_TEST_PG="[user@]host:port/dbname" runs on PostgreSQL instead (trust auth, no password),
# e.g. a throwaway cluster from `python -m tests.postgres`; pytest-django creates its
# test_<dbname> next to it.
if _pg := os.environ.get("DSSE_TEST_PG"):
    _user, _, _address = _pg.rpartition("@")
    _host_port, _, _name = _address.partition("/")
    _host, _, _port = _host_port.rpartition(":")
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _name,
        "USER": _user or "postgres",
        "HOST": _host,
        "PORT": _port,
        "TEST": {"NAME": os.environ.get("DSSE_TEST_DB_TEST") or None},
    }

STATIC_URL = "/static/"
GRIP_URL = os.environ.get("DSSE_GRIP_URL") or None
if os.environ.get("DSSE_GRIP_URLS"):  # a Pushpin fleet: space-separated GRIP URLs
    from gripcontrol import parse_grip_uri

    GRIP_PROXIES = [parse_grip_uri(url) for url in os.environ["DSSE_GRIP_URLS"].split()]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/login/"
# Short reconnect backoff so fault drills recover within seconds.
DASHBOARDS_SSE: dict[str, float] = {"RECONNECT_MAX_MS": 2000, "RECONNECT_SPREAD_MS": 500}
if os.environ.get("DSSE_PUBLISH_TIMEOUT"):  # fault drills: report a dead proxy sooner
    DASHBOARDS_SSE["PUBLISH_TIMEOUT"] = float(os.environ["DSSE_PUBLISH_TIMEOUT"])
