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
STATIC_URL = "/static/"
GRIP_URL = os.environ.get("DSSE_GRIP_URL") or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/login/"
# Short reconnect backoff so fault drills recover within seconds.
DASHBOARDS_SSE = {"RECONNECT_MAX_MS": 2000}
