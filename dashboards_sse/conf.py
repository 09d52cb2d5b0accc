"""Every setting dashboards_sse reads, in one place, with its default.

Users set ``DASHBOARDS_SSE = {...}`` in their settings; Pushpin's address and signing key come
from django-grip's ``GRIP_URL`` (``http://127.0.0.1:5561?key=...``) so there is one source of
truth for both publishing and verifying ``Grip-Sig``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # Refuse streams that did not come through Pushpin. Default: True when GRIP_URL is set.
    "PUSHPIN_REQUIRED": None,
    # Total time push() keeps retrying an unreachable Pushpin before raising PublishError.
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
}

STORAGE_CLASS = "django_eventstream.storage.DjangoModelStorage"
CHANNEL_MANAGER_CLASS = "dashboards_sse.channels.DashboardChannelManager"


@dataclass(frozen=True)
class Settings:
    grip_url: str | None
    grip_prefix: str
    pushpin_required: bool
    publish_timeout: float
    publish_request_timeout: float
    max_html_bytes: int
    embedded_poll_interval: float
    keep_alive: float
    reconnect_base_ms: int
    reconnect_max_ms: int

    @property
    def publish_url(self) -> str | None:
        """Pushpin's HTTP publish endpoint, derived from GRIP_URL."""
        if not self.grip_url:
            return None
        parts = urlsplit(self.grip_url)
        path = parts.path.rstrip("/") + "/publish/"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    @property
    def signing_key(self) -> str | None:
        """The key Pushpin signs Grip-Sig with (GRIP_URL's ``key`` parameter)."""
        if not self.grip_url:
            return None
        values = parse_qs(urlsplit(self.grip_url).query).get("key")
        return values[0] if values else None


def get_settings() -> Settings:
    """Read the settings now (cheap; tests override settings freely)."""
    user = getattr(settings, "DASHBOARDS_SSE", {}) or {}
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"Unknown DASHBOARDS_SSE setting(s): {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(DEFAULTS)}."
        )
    values = {**DEFAULTS, **user}
    grip_url = getattr(settings, "GRIP_URL", None) or None
    required = values["PUSHPIN_REQUIRED"]
    return Settings(
        grip_url=grip_url,
        grip_prefix=getattr(settings, "GRIP_PREFIX", ""),
        pushpin_required=bool(grip_url) if required is None else bool(required),
        publish_timeout=float(values["PUBLISH_TIMEOUT"]),  # type: ignore[arg-type]
        publish_request_timeout=float(values["PUBLISH_REQUEST_TIMEOUT"]),  # type: ignore[arg-type]
        max_html_bytes=int(values["MAX_HTML_BYTES"]),  # type: ignore[call-overload]
        embedded_poll_interval=float(values["EMBEDDED_POLL_INTERVAL"]),  # type: ignore[arg-type]
        keep_alive=float(values["KEEP_ALIVE"]),  # type: ignore[arg-type]
        reconnect_base_ms=int(values["RECONNECT_BASE_MS"]),  # type: ignore[call-overload]
        reconnect_max_ms=int(values["RECONNECT_MAX_MS"]),  # type: ignore[call-overload]
    )
