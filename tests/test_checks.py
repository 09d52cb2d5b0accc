from __future__ import annotations

from typing import Any

import pytest
from django.core import checks

from dashboards_sse.channels import DashboardChannelManager
from dashboards_sse.checks import check_settings

GOOD_GRIP_URL = "http://127.0.0.1:5561?key=" + "k" * 32


def ids() -> list[str | None]:
    return [error.id for error in check_settings()]


def test_default_settings_pass() -> None:
    assert check_settings() == []


def test_good_grip_settings_pass(settings: Any) -> None:
    settings.GRIP_URL = GOOD_GRIP_URL
    assert check_settings() == []


@pytest.mark.parametrize("app", ["django_eventstream", "django_htmx"])
def test_e001_missing_app(settings: Any, app: str) -> None:
    settings.INSTALLED_APPS = [name for name in settings.INSTALLED_APPS if name != app]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E001"
    assert error.level == checks.ERROR
    assert repr(app) in error.msg


def test_e002_grip_middleware_missing(settings: Any) -> None:
    settings.GRIP_URL = GOOD_GRIP_URL
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "django_grip.GripMiddleware"]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E002"
    assert "GripMiddleware" in error.msg


def test_no_e002_without_grip_url(settings: Any) -> None:
    settings.MIDDLEWARE = []
    assert check_settings() == []


@pytest.mark.parametrize(
    "grip_url",
    [
        "http://127.0.0.1:5561",
        "http://127.0.0.1:5561?key=",
        "http://127.0.0.1:5561?key=changeme",
        "http://127.0.0.1:5561?key=" + "k" * 31,
    ],
    ids=["no-key", "empty", "changeme", "31-bytes"],
)
def test_e003_weak_key(settings: Any, grip_url: str) -> None:
    settings.GRIP_URL = grip_url
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E003"
    assert "32 bytes" in error.msg


def test_e003_counts_bytes(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561?key=" + "é" * 16  # 16 characters, 32 bytes
    assert check_settings() == []


def test_e004_grip_proxies(settings: Any) -> None:
    settings.GRIP_URL = GOOD_GRIP_URL
    settings.GRIP_PROXIES = [{"control_uri": "http://127.0.0.1:5561", "key": "k" * 32}]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E004"


def test_errors_together(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561"
    settings.MIDDLEWARE = []
    settings.GRIP_PROXIES = [{"control_uri": "http://127.0.0.1:5561"}]
    assert ids() == ["dashboards_sse.E004", "dashboards_sse.E002", "dashboards_sse.E003"]


def test_fleet_passes(settings: Any) -> None:
    settings.GRIP_PROXIES = [
        {"control_uri": f"http://pushpin-{n}:5561", "key": "k" * 32} for n in (1, 2)
    ]
    assert check_settings() == []


def test_e003_names_the_weak_proxy_of_a_fleet(settings: Any) -> None:
    settings.GRIP_PROXIES = [
        {"control_uri": "http://pushpin-1:5561", "key": "k" * 32},
        {"control_uri": "http://pushpin-2:5561", "key": "short"},
    ]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E003"
    assert error.msg.startswith("The GRIP proxy http://pushpin-2:5561 needs a signing key")


def test_e010_malformed_grip_proxies(settings: Any) -> None:
    settings.GRIP_PROXIES = [{"uri": "http://pushpin-1:5561"}]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E010"
    assert "GRIP_PROXIES[0] must be a dict with a 'control_uri' string" in error.msg


PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----"


def test_verify_key_replaces_the_key_check(settings: Any) -> None:
    """A hosted service signs Grip-Sig with its private key: the publish key (an API token)
    is not what protects the streams, so its length is not checked."""
    settings.GRIP_PROXIES = [
        {"control_uri": "https://api.example/service/x", "key": "tok", "verify_key": PUBLIC_KEY}
    ]
    assert check_settings() == []


def test_e011_public_verify_key_needs_cryptography(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards_sse import checks as module

    monkeypatch.setattr(module, "find_spec", lambda name: None)
    settings.GRIP_PROXIES = [
        {"control_uri": "https://api.example/service/x", "key": "tok", "verify_key": PUBLIC_KEY}
    ]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E011"
    assert "'cryptography' package is not installed" in error.msg


def test_registered(settings: Any) -> None:
    settings.GRIP_URL = GOOD_GRIP_URL
    settings.MIDDLEWARE = []
    errors = checks.run_checks(tags=[checks.Tags.compatibility])
    assert "dashboards_sse.E002" in [error.id for error in errors]


def test_w001_grip_middleware_not_first(settings: Any) -> None:
    settings.GRIP_URL = GOOD_GRIP_URL
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[1:], "django_grip.GripMiddleware"]
    (warning,) = check_settings()
    assert (warning.id, warning.level) == ("dashboards_sse.W001", checks.WARNING)


@pytest.mark.parametrize("value", [None, ""])
def test_e005_storage_disabled(settings: Any, value: str | None) -> None:
    settings.EVENTSTREAM_STORAGE_CLASS = value
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E005"
    assert "neither stored nor replayed" in error.msg


@pytest.mark.parametrize(
    "manager",
    ["django_eventstream.channelmanager.DefaultChannelManager", "no.such.Manager"],
)
def test_w002_foreign_channel_manager(settings: Any, manager: str) -> None:
    settings.EVENTSTREAM_CHANNELMANAGER_CLASS = manager
    (warning,) = check_settings()
    assert warning.id == "dashboards_sse.W002"


def test_channel_manager_subclass_passes(settings: Any) -> None:
    settings.EVENTSTREAM_CHANNELMANAGER_CLASS = "tests.test_checks.OwnManager"
    assert check_settings() == []


class OwnManager(DashboardChannelManager):
    pass


def test_e014_unknown_dashboards_sse_key(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 1, "TIMEOUT": 1, "COLOUR": "red"}
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E014"
    assert error.msg == "Unknown DASHBOARDS_SSE setting(s): COLOUR, TIMEOUT."
    assert error.hint is not None and "PUBLISH_TIMEOUT" in error.hint


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("PUBLISH_TIMEOUT", "soon", "must be a positive number, got 'soon'"),
        ("PUBLISH_TIMEOUT", True, "must be a positive number, got True"),
        ("PUBLISH_TIMEOUT", [5], "must be a positive number, got [5]"),
        ("KEEP_ALIVE", 0, "must be a positive number, got 0"),
        ("KEEP_ALIVE", float("nan"), "must be a positive number, got nan"),
        ("MAX_HTML_BYTES", 10.5, "must be a positive whole number, got 10.5"),
        ("RECONNECT_MAX_MS", None, "must be a positive whole number, got None"),
        ("PUSHPIN_REQUIRED", "false", "must be True, False or None, got 'false'"),
        ("PUSHPIN_REQUIRED", 2, "must be True, False or None, got 2"),
    ],
)
def test_e015_wrong_type(settings: Any, key: str, value: Any, expected: str) -> None:
    settings.DASHBOARDS_SSE = {key: value}
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E015"
    assert error.msg == f"DASHBOARDS_SSE[{key!r}] {expected}."


def test_e015_not_a_dict(settings: Any) -> None:
    settings.DASHBOARDS_SSE = [("KEEP_ALIVE", 3)]
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E015"
    assert error.msg == "DASHBOARDS_SSE must be a dict, got list."


def test_every_problem_is_reported_together(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"KEEP_ALIVE": "x", "MAX_HTML_BYTES": -1, "TYPO": 1}
    settings.GRIP_URL = 5561
    assert ids() == [
        "dashboards_sse.E014",
        "dashboards_sse.E015",
        "dashboards_sse.E015",
        "dashboards_sse.E016",
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GRIP_URL", 5561, "GRIP_URL must be a string, got int."),
        ("GRIP_URL", ["http://127.0.0.1:5561"], "GRIP_URL must be a string, got list."),
        (
            "GRIP_URL",
            "127.0.0.1:5561?key=secret",
            "GRIP_URL is not an http:// or https:// URL ('127.0.0.1:5561' without its query).",
        ),
        ("GRIP_PREFIX", 1, "GRIP_PREFIX must be a string, got int."),
    ],
)
def test_e016_grip_setting_of_the_wrong_type(
    settings: Any, name: str, value: Any, expected: str
) -> None:
    setattr(settings, name, value)
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E016"
    assert error.msg == expected
    assert "secret" not in error.msg  # a key never ends up in logs


def test_e017_urls_not_included(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls_without_dashboards"
    (error,) = check_settings()
    assert error.id == "dashboards_sse.E017"
    assert error.hint is not None
    assert "include('dashboards_sse.urls')" in error.hint


def test_w004_pushpin_required_without_a_proxy(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": True}
    (warning,) = check_settings()
    assert warning.id == "dashboards_sse.W004"
    assert warning.level == checks.WARNING
