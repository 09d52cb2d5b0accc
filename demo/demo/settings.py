"""Settings for the dashboards_sse demo.

Every deployment value comes from the environment and has a working local default:

- ``DJANGO_SECRET_KEY``: a fixed, insecure key locally; compose requires a real one.
- ``DJANGO_DEBUG``: true locally (``0``/``false``/``no``/``off`` turn it off).
- ``DJANGO_ALLOWED_HOSTS``: comma-separated, ``127.0.0.1,localhost`` by default.
- ``DEMO_DB``: the sqlite file, ``demo/db.sqlite3`` by default.
- ``DEMO_PG_HOST``: use PostgreSQL on that host instead (``DEMO_PG_PORT``, ``DEMO_PG_NAME``,
  ``DEMO_PG_USER``, ``DEMO_PG_PASSWORD``; name and user default to ``dashboards``).
- ``GRIP_URL``: Pushpin's publish URL with its signing key, ``http://pushpin:5561?key=...``.
  Unset means *embedded mode*: Django serves the streams itself (run it under ASGI).
- ``GRIP_URLS``: several such URLs, separated by spaces, for a fleet of Pushpins (instead of
  ``GRIP_URL``): every publish goes to each.
- ``DJANGO_TIME_ZONE``: used for chart axis labels, ``UTC`` by default.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-dashboards-sse-demo-only"
DEBUG = env_bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

# Pushpin mode when set; when unset there is no GRIP_URL setting at all (embedded mode).
if os.environ.get("GRIP_URL"):
    GRIP_URL = os.environ["GRIP_URL"]
elif os.environ.get("GRIP_URLS"):
    from gripcontrol import parse_grip_uri

    # Never both GRIP_URL and GRIP_PROXIES: django-grip would grow the list on every request.
    GRIP_PROXIES = [parse_grip_uri(url) for url in os.environ["GRIP_URLS"].split()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django_eventstream",
    "django_htmx",
    "dashboards_sse",
    "hosts",
    # The second dashboard, built with django-dashboards and our SSE components.
    "dashboards",
    "traffic",
    # Scoped dashboards: a stream per user (an inbox) and per project, fed by a task list.
    "tasks",
]

MIDDLEWARE = [
    "django_grip.GripMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB") or str(BASE_DIR / "db.sqlite3"),
        # The web server and the publisher write to the same file.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}
if os.environ.get("DEMO_PG_HOST"):
    # Several web servers and publishers (compose --profile scale) share one PostgreSQL.
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DEMO_PG_HOST"],
        "PORT": os.environ.get("DEMO_PG_PORT", "5432"),
        "NAME": os.environ.get("DEMO_PG_NAME", "dashboards"),
        "USER": os.environ.get("DEMO_PG_USER", "dashboards"),
        "PASSWORD": os.environ.get("DEMO_PG_PASSWORD", ""),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
LANGUAGE_CODE = "en-us"

# The task page (tasks.urls) logs in with Django's own login view.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tasks:index"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
# `collectstatic` target (the container image); demo/urls.py serves static files itself.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
