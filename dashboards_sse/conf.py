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
    RECONNECT_SPREAD_MS: int
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
    # A live stream that drops (Pushpin restarted, a network blip) comes back at a random time
    # within this window: every screen of a big audience drops at once, and N viewers then
    # reach Django at about N / window a second instead of all within RECONNECT_BASE_MS.
    "RECONNECT_SPREAD_MS": 3_000,
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
    reconnect_spread_ms: int
    kiosk: bool = False

    @property
    def publishes(self) -> bool:
        """True when updates go to GRIP proxies (False: embedded mode)."""
        return bool(self.proxies)


# The Django settings get_settings() reads: a change to any of them clears its cache.
READ_SETTINGS = frozenset({"DASHBOARDS_SSE", "GRIP_URL", "GRIP_PROXIES", "GRIP_PREFIX"})


@dataclass(frozen=True)
class SettingProblem:
    """A setting dashboards_sse cannot use: the system check reports it under ``id``."""

    id: str
    message: str
    hint: str


# The type each DASHBOARDS_SSE value must have (None: PUSHPIN_REQUIRED's "decide for me").
NUMBER = "a number"
WHOLE_NUMBER = "a whole number"
BOOLEAN_OR_NONE = "True, False or None"
KINDS: Final[dict[str, str]] = {
    "PUSHPIN_REQUIRED": BOOLEAN_OR_NONE,
    "PUBLISH_TIMEOUT": NUMBER,
    "PUBLISH_REQUEST_TIMEOUT": NUMBER,
    "MAX_HTML_BYTES": WHOLE_NUMBER,
    "EMBEDDED_POLL_INTERVAL": NUMBER,
    "KEEP_ALIVE": NUMBER,
    "RECONNECT_BASE_MS": WHOLE_NUMBER,
    "RECONNECT_MAX_MS": WHOLE_NUMBER,
    "RECONNECT_SPREAD_MS": WHOLE_NUMBER,
    "KIOSK": BOOLEAN_OR_NONE,
}


def _as_kind(value: Any, kind: str) -> Any:
    """``value`` as ``kind``; ValueError when it is not one. Numbers may be numeric strings
    (read from the environment), never booleans; every number here must be positive."""
    if kind == BOOLEAN_OR_NONE:
        # Never a string: "false" would be true.
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    number = float(value)  # ValueError for "abc"
    if kind == WHOLE_NUMBER:
        if not number.is_integer():
            raise ValueError
        number = int(number)
    if not number > 0:  # also NaN
        raise ValueError
    return number


def setting_problems() -> list[SettingProblem]:
    """What is wrong with ``DASHBOARDS_SSE``, ``GRIP_URL`` and ``GRIP_PREFIX`` (GRIP_PROXIES is
    checked by grip_proxies()): unknown keys, values of the wrong type."""
    user = getattr(settings, "DASHBOARDS_SSE", None) or {}
    if not isinstance(user, dict):
        return [
            SettingProblem(
                "dashboards_sse.E015",
                f"DASHBOARDS_SSE must be a dict, got {type(user).__name__}.",
                'Write DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 5.0, ...}, or remove it.',
            )
        ]
    problems: list[SettingProblem] = []
    unknown = sorted(set(user) - set(DEFAULTS), key=str)
    if unknown:
        problems.append(
            SettingProblem(
                "dashboards_sse.E014",
                f"Unknown DASHBOARDS_SSE setting(s): {', '.join(map(str, unknown))}.",
                f"Check the spelling; the known keys are {', '.join(DEFAULTS)}.",
            )
        )
    for key, kind in KINDS.items():
        if key not in user:
            continue
        try:
            _as_kind(user[key], kind)
        except (ValueError, OverflowError):
            problems.append(
                SettingProblem(
                    "dashboards_sse.E015",
                    f"DASHBOARDS_SSE[{key!r}] must be "
                    f"{kind if kind == BOOLEAN_OR_NONE else 'a positive ' + kind[2:]}, "
                    f"got {user[key]!r}.",
                    f"The default is {dict(DEFAULTS)[key]!r}; remove the key to use it.",
                )
            )
    problems += _grip_setting_problems()
    return problems


def _grip_setting_problems() -> list[SettingProblem]:
    problems: list[SettingProblem] = []
    url = getattr(settings, "GRIP_URL", None)
    if url and not isinstance(url, str):
        problems.append(
            SettingProblem(
                "dashboards_sse.E016",
                f"GRIP_URL must be a string, got {type(url).__name__}.",
                "GRIP_URL = 'http://127.0.0.1:5561?key=...' (Pushpin's publish endpoint and "
                "its sig_key); for several proxies use GRIP_PROXIES.",
            )
        )
    elif url and not parse_grip_uri(url)["control_uri"].startswith(("http://", "https://")):
        # Shown without its query string: the key is there and stays out of messages.
        problems.append(
            SettingProblem(
                "dashboards_sse.E016",
                f"GRIP_URL is not an http:// or https:// URL ({url.split('?')[0]!r} "
                "without its query).",
                "GRIP_URL = 'http://127.0.0.1:5561?key=...' (Pushpin's publish endpoint and "
                "its sig_key).",
            )
        )
    prefix = getattr(settings, "GRIP_PREFIX", "")
    if not isinstance(prefix, str):
        problems.append(
            SettingProblem(
                "dashboards_sse.E016",
                f"GRIP_PREFIX must be a string, got {type(prefix).__name__}.",
                "It prefixes every GRIP channel name; remove it unless several sites share "
                "one Pushpin.",
            )
        )
    return problems


@functools.cache
def get_settings() -> Settings:
    """The settings, read once and cached (cleared when a test changes one of them).

    Raises ImproperlyConfigured naming the first problem (the system checks report them all).
    """
    problems = setting_problems()
    if problems:
        first = problems[0]
        raise ImproperlyConfigured(f"{first.message} {first.hint} ({first.id})")
    user: dict[str, Any] = getattr(settings, "DASHBOARDS_SSE", None) or {}
    values = {key: _as_kind(value, KINDS[key]) for key, value in {**DEFAULTS, **user}.items()}
    proxies = grip_proxies()
    required = values["PUSHPIN_REQUIRED"]
    return Settings(
        proxies=proxies,
        grip_prefix=getattr(settings, "GRIP_PREFIX", ""),
        pushpin_required=bool(proxies) if required is None else required,
        publish_timeout=float(values["PUBLISH_TIMEOUT"]),
        publish_request_timeout=float(values["PUBLISH_REQUEST_TIMEOUT"]),
        max_html_bytes=values["MAX_HTML_BYTES"],
        embedded_poll_interval=float(values["EMBEDDED_POLL_INTERVAL"]),
        keep_alive=float(values["KEEP_ALIVE"]),
        reconnect_base_ms=values["RECONNECT_BASE_MS"],
        reconnect_max_ms=values["RECONNECT_MAX_MS"],
        reconnect_spread_ms=values["RECONNECT_SPREAD_MS"],
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
