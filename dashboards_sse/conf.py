"""Every setting dashboards_sse reads, in one place, with its default.

Users set ``DASHBOARDS_SSE = {...}`` in their settings. The GRIP proxies (Pushpin, or a hosted
GRIP service) come from django-grip's own settings, so one value serves both publishing and
verifying ``Grip-Sig``: ``GRIP_URL`` (``http://127.0.0.1:5561?key=...``) for one proxy, or
``GRIP_PROXIES`` (a list of ``{"control_uri": ..., "key": ...}``) for a fleet.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final, TypedDict
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from gripcontrol import parse_grip_uri


class UserSettings(TypedDict):
    """``settings.DASHBOARDS_SSE``: every key optional (see DEFAULTS)."""

    PUSHPIN_REQUIRED: bool | None
    PUBLISH_TIMEOUT: float
    PUBLISH_REQUEST_TIMEOUT: float
    MAX_HTML_BYTES: int
    EMBEDDED_POLL_INTERVAL: float
    KEEP_ALIVE: float
    RECONNECT_BASE_MS: int
    RECONNECT_MAX_MS: int
    KIOSK: bool


DEFAULTS: Final[UserSettings] = {
    # Refuse streams that did not come through Pushpin (default: True when a proxy is set).
    "PUSHPIN_REQUIRED": None,
    # Total time push() keeps retrying an unreachable proxy before raising PublishError.
    "PUBLISH_TIMEOUT": 5.0,
    # Timeout of one HTTP request to Pushpin's publish endpoint.
    "PUBLISH_REQUEST_TIMEOUT": 2.0,
    # Largest rendered HTML of one component, in bytes (Pushpin accepts 1 MB per publish).
    "MAX_HTML_BYTES": 64 * 1024,
    # Embedded mode (no Pushpin): how often a held stream looks for new events.
    "EMBEDDED_POLL_INTERVAL": 0.25,
    # Embedded mode: seconds between keep-alive comments on an idle stream.
    "KEEP_ALIVE": 15.0,
    # Client reconnect backoff: first ceiling and cap, in milliseconds (full jitter below).
    "RECONNECT_BASE_MS": 500,
    "RECONNECT_MAX_MS": 30_000,
    # Every dashboard page in the wall-screen layout (?kiosk=1 asks for it per page).
    "KIOSK": False,
}

STORAGE_CLASS = "django_eventstream.storage.DjangoModelStorage"
CHANNEL_MANAGER_CLASS = "dashboards_sse.channels.DashboardChannelManager"


# What django-grip accepts in a GRIP_PROXIES entry (gripcontrol's names).
PROXY_FIELDS = ("control_uri", "key", "control_iss", "verify_key", "verify_iss")


@dataclass(frozen=True)
class GripProxy:
    """One GRIP proxy: where to publish, how to authenticate, how its Grip-Sig is verified."""

    control_uri: str
    key: str | bytes | None = None  # signs Grip-Sig (Pushpin's sig_key); publish credential
    control_iss: str | None = None  # publish with a JWT of this issuer instead of a bearer key
    verify_key: str | bytes | None = None  # verifies Grip-Sig instead of key (a public key)
    verify_iss: str | None = None

    @property
    def publish_url(self) -> str:
        """The proxy's HTTP publish endpoint (``<control_uri>/publish/``)."""
        parts = urlsplit(self.control_uri)
        path = parts.path.rstrip("/") + "/publish/"
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    @property
    def signing_key(self) -> str | bytes | None:
        """The shared secret Grip-Sig is signed with, unless a public key verifies it."""
        return None if self.verify_key else self.key

    @classmethod
    def from_url(cls, url: str) -> GripProxy:
        # django-grip's own parser: the same reading as its own
        return cls.from_entry(parse_grip_uri(url), "GRIP_URL")

    @classmethod
    def from_entry(cls, entry: Any, where: str) -> GripProxy:
        if not isinstance(entry, dict) or not isinstance(entry.get("control_uri"), str):
            # Names the fields, never their values: an entry carries a secret key.
            got = f"fields {sorted(entry)}" if isinstance(entry, dict) else type(entry).__name__
            raise ImproperlyConfigured(
                f"{where} must be a dict with a 'control_uri' string (and usually 'key'), "
                f"e.g. {{'control_uri': 'http://pushpin-1:5561', 'key': KEY}}; got {got}."
            )
        unknown = set(entry) - set(PROXY_FIELDS)
        if unknown:
            raise ImproperlyConfigured(
                f"{where} has unknown field(s) {', '.join(sorted(unknown))}; "
                f"django-grip reads {', '.join(PROXY_FIELDS)}."
            )
        fields: dict[str, Any] = {name: entry.get(name) or None for name in PROXY_FIELDS}
        return cls(**fields)


@dataclass(frozen=True)
class Settings:
    proxies: tuple[GripProxy, ...]
    grip_prefix: str
    pushpin_required: bool
    publish_timeout: float
    publish_request_timeout: float
    max_html_bytes: int
    embedded_poll_interval: float
    keep_alive: float
    reconnect_base_ms: int
    reconnect_max_ms: int
    kiosk: bool = False

    @property
    def publishes(self) -> bool:
        """True when updates go to GRIP proxies (False: embedded mode)."""
        return bool(self.proxies)


# The Django settings get_settings() reads: a change to any of them clears its cache.
READ_SETTINGS = frozenset({"DASHBOARDS_SSE", "GRIP_URL", "GRIP_PROXIES", "GRIP_PREFIX"})


@functools.cache
def get_settings() -> Settings:
    """The settings, read once and cached (cleared when a test changes one of them)."""
    user: dict[str, Any] = getattr(settings, "DASHBOARDS_SSE", {}) or {}
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(
            f"Unknown DASHBOARDS_SSE setting(s): {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(DEFAULTS)}."
        )
    values: dict[str, Any] = {**DEFAULTS, **user}
    proxies = grip_proxies()
    required = values["PUSHPIN_REQUIRED"]
    return Settings(
        proxies=proxies,
        grip_prefix=getattr(settings, "GRIP_PREFIX", ""),
        pushpin_required=bool(proxies) if required is None else bool(required),
        publish_timeout=float(values["PUBLISH_TIMEOUT"]),
        publish_request_timeout=float(values["PUBLISH_REQUEST_TIMEOUT"]),
        max_html_bytes=int(values["MAX_HTML_BYTES"]),
        embedded_poll_interval=float(values["EMBEDDED_POLL_INTERVAL"]),
        keep_alive=float(values["KEEP_ALIVE"]),
        reconnect_base_ms=int(values["RECONNECT_BASE_MS"]),
        reconnect_max_ms=int(values["RECONNECT_MAX_MS"]),
        kiosk=bool(values["KIOSK"]),
    )


def _clear_cache(setting: str, **kwargs: Any) -> None:
    if setting in READ_SETTINGS:
        get_settings.cache_clear()


setting_changed.connect(_clear_cache, dispatch_uid="dashboards_sse.conf")


def grip_proxies() -> tuple[GripProxy, ...]:
    """The proxies from ``GRIP_PROXIES``, else ``GRIP_URL``. Both set is refused by the system
    check (dashboards_sse.E004): django-grip then grows its proxy list on every request."""
    entries = getattr(settings, "GRIP_PROXIES", None)
    if entries:
        if not isinstance(entries, (list, tuple)):
            raise ImproperlyConfigured(
                f"GRIP_PROXIES must be a list of dicts, got {type(entries).__name__}."
            )
        proxies = tuple(
            GripProxy.from_entry(entry, f"GRIP_PROXIES[{index}]")
            for index, entry in enumerate(entries)
        )
        urls = [proxy.publish_url for proxy in proxies]
        if len(set(urls)) < len(urls):
            raise ImproperlyConfigured(
                f"GRIP_PROXIES lists a proxy twice ({', '.join(urls)}): each would get every "
                "update twice."
            )
        return proxies
    url = getattr(settings, "GRIP_URL", None)
    return (GripProxy.from_url(url),) if url else ()
