"""System checks: misconfiguration surfaces at startup, not as a hang at the first stream."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from . import registry
from .channels import DashboardChannelManager
from .conf import CHANNEL_MANAGER_CLASS, STORAGE_CLASS, GripProxy, get_settings, setting_problems
from .dashboard import get_dashboards
from .scopes import scope_model

GRIP_MIDDLEWARE = "django_grip.GripMiddleware"
MIN_KEY_BYTES = 32


def register() -> None:
    """Register the system checks (from the app's ready())."""
    checks.register(check_settings, checks.Tags.compatibility)


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    registry.get_dashboards()  # runs adapters' finders, which report their problems too
    errors: list[checks.CheckMessage] = [
        checks.Error(problem.message, hint=problem.hint, id=problem.id)
        for problem in registry.problems
    ]
    errors += _scope_checks()
    for app in ("django_eventstream", "django_htmx"):
        if app not in settings.INSTALLED_APPS:
            errors.append(
                checks.Error(
                    f"{app!r} is not in INSTALLED_APPS.",
                    hint=f"Add {app!r}: dashboards_sse needs its models or static files.",
                    id="dashboards_sse.E001",
                )
            )
    if not getattr(settings, "EVENTSTREAM_STORAGE_CLASS", None):
        errors.append(
            checks.Error(
                "EVENTSTREAM_STORAGE_CLASS is empty: events are neither stored nor replayed.",
                hint=f"Remove the setting (dashboards_sse then uses {STORAGE_CLASS!r}) or name a "
                "django-eventstream storage class.",
                id="dashboards_sse.E005",
            )
        )
    manager = getattr(settings, "EVENTSTREAM_CHANNELMANAGER_CLASS", CHANNEL_MANAGER_CLASS)
    if not _is_dashboard_channel_manager(manager):
        errors.append(
            checks.Warning(
                f"EVENTSTREAM_CHANNELMANAGER_CLASS is {manager!r}.",
                hint="Pushpin's follow-up requests then skip the dashboards' permission rules; "
                f"subclass {CHANNEL_MANAGER_CLASS!r} or remove the setting.",
                id="dashboards_sse.W002",
            )
        )
    problems = setting_problems()
    if problems:  # the checks below read the settings: they wait until these are fixed
        return errors + [
            checks.Error(problem.message, hint=problem.hint, id=problem.id)
            for problem in problems
        ]
    return errors + _grip_checks() + _url_checks()


# An include of dashboards_sse.urls the checks can reverse (any slug: none is looked up).
URLS_INCLUDE = "path('dashboards/', include('dashboards_sse.urls'))"


def _url_checks() -> list[checks.CheckMessage]:
    """dashboards_sse.urls is included: every page and stream URL is reversed from it."""
    try:
        reverse("dashboards_sse:stream", args=["app.dashboard"])
    except NoReverseMatch:
        return [
            checks.Error(
                "dashboards_sse's URLs are not in the URLconf: the dashboard pages and their "
                "streams have no URL, and every {% dashboard %} tag fails.",
                hint=f"Add {URLS_INCLUDE} to your urlpatterns (ROOT_URLCONF).",
                id="dashboards_sse.E017",
            )
        ]
    return []


def _scope_checks() -> list[checks.CheckMessage]:
    """Scoped dashboards: a scope that names a model, refreshes that know which objects."""
    errors: list[checks.CheckMessage] = []
    for dashboard in get_dashboards():
        if dashboard.scope is None:
            continue
        try:
            scope_model(dashboard.scope)
        except (LookupError, ValueError) as exc:
            errors.append(
                checks.Error(
                    f"Dashboard {dashboard.slug!r}: scope {dashboard.scope!r} names no model "
                    f"({exc}).",
                    hint='Set scope to a model, "app_label.Model", or "user".',
                    id="dashboards_sse.E013",
                )
            )
            continue
        timed = [n for n, c in dashboard.components.items() if c.refresh_every is not None]
        if timed and not dashboard.has_scopes():
            errors.append(
                checks.Error(
                    f"Dashboard {dashboard.slug!r} is scoped and its component(s) "
                    f"{', '.join(timed)} have refresh_every, but it has no scopes() classmethod: "
                    "a scheduled refresh would not know which objects to refresh.",
                    hint="Define `@classmethod def scopes(cls): return Store.objects.all()` "
                    "(objects or keys), or drop refresh_every.",
                    id="dashboards_sse.E012",
                )
            )
    return errors


def _grip_checks() -> list[checks.CheckMessage]:
    """GRIP_URL / GRIP_PROXIES: readable, one of them, signed with a strong key."""
    errors: list[checks.CheckMessage] = []
    if getattr(settings, "GRIP_URL", None) and getattr(settings, "GRIP_PROXIES", None):
        errors.append(
            checks.Error(
                "Both GRIP_URL and GRIP_PROXIES are set.",
                hint="django-grip then appends GRIP_URL to GRIP_PROXIES on every request "
                "(the list grows without end). Set GRIP_URL for one proxy, or list every "
                "proxy in GRIP_PROXIES.",
                id="dashboards_sse.E004",
            )
        )
    try:
        config = get_settings()
    except ImproperlyConfigured as exc:
        return [*errors, checks.Error(str(exc), id="dashboards_sse.E010")]
    if not config.proxies:
        if config.pushpin_required:
            errors.append(
                checks.Warning(
                    'DASHBOARDS_SSE["PUSHPIN_REQUIRED"] is True but no GRIP proxy is set '
                    "(GRIP_URL or GRIP_PROXIES).",
                    hint="Streams are only served through Pushpin, yet updates pushed from "
                    "this process are stored and never published to it: set GRIP_URL to "
                    "Pushpin's publish endpoint, or remove PUSHPIN_REQUIRED (embedded mode).",
                    id="dashboards_sse.W004",
                )
            )
        return errors
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if GRIP_MIDDLEWARE not in middleware:
        errors.append(
            checks.Error(
                "A GRIP proxy is set (GRIP_URL or GRIP_PROXIES) but django_grip.GripMiddleware "
                "is not in MIDDLEWARE.",
                hint="Add 'django_grip.GripMiddleware' at the top of MIDDLEWARE, or the streams "
                "cannot tell Pushpin's requests from direct ones.",
                id="dashboards_sse.E002",
            )
        )
    elif middleware[0] != GRIP_MIDDLEWARE:
        errors.append(
            checks.Warning(
                "django_grip.GripMiddleware is not the first MIDDLEWARE.",
                hint="Put it first: middleware above it can answer or rewrite a stream response "
                "before the GRIP instructions are added.",
                id="dashboards_sse.W001",
            )
        )
    for proxy in config.proxies:
        errors += _key_checks(proxy, len(config.proxies) > 1)
    return errors


def _key_checks(proxy: GripProxy, fleet: bool) -> list[checks.CheckMessage]:
    where = f"The GRIP proxy {proxy.control_uri}" if fleet else "GRIP_URL"
    if proxy.verify_key:
        if _is_public_key(proxy.verify_key) and find_spec("cryptography") is None:
            return [
                checks.Error(
                    f"{where} verifies Grip-Sig with a public key, but the 'cryptography' "
                    "package is not installed: every signed request would be refused.",
                    hint="pip install 'django-dashboards-sse[hosted]'",
                    id="dashboards_sse.E011",
                )
            ]
        return []
    key = proxy.signing_key or ""
    size = len(key if isinstance(key, bytes) else key.encode())
    if size < MIN_KEY_BYTES or key == "changeme":
        return [
            checks.Error(
                f"{where} needs a signing key of at least {MIN_KEY_BYTES} bytes "
                "(?key=..., the same value as Pushpin's sig_key).",
                hint="Without it anybody can forge Grip-Sig and bypass Pushpin. "
                "`python manage.py dashboards_sse pushpin --print-key` prints the key our Pushpin "
                "config signs with (it creates the key file if missing).",
                id="dashboards_sse.E003",
            )
        ]
    return []


def _is_public_key(key: str | bytes) -> bool:
    return (key.encode() if isinstance(key, str) else key).lstrip().startswith(b"-----BEGIN")


def _is_dashboard_channel_manager(path: str) -> bool:
    try:
        manager = import_string(path)
    except ImportError:
        return False
    return isinstance(manager, type) and issubclass(manager, DashboardChannelManager)
