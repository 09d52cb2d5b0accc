from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from dashboards_sse import conf
from dashboards_sse.conf import get_settings


def test_defaults(settings: Any) -> None:
    del settings.DASHBOARDS_SSE  # the test settings shorten the reconnect backoff
    config = get_settings()
    assert config.grip_url is None
    assert config.grip_prefix == ""
    assert config.pushpin_required is False
    assert config.publish_timeout == 5.0
    assert config.publish_request_timeout == 2.0
    assert config.max_html_bytes == 64 * 1024
    assert config.embedded_poll_interval == 0.25
    assert config.keep_alive == 15.0
    assert (config.reconnect_base_ms, config.reconnect_max_ms) == (500, 30_000)
    assert config.publish_url is None
    assert config.signing_key is None


def test_overrides(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": "1.5", "MAX_HTML_BYTES": 10, "KEEP_ALIVE": 3}
    config = get_settings()
    assert config.publish_timeout == 1.5
    assert config.max_html_bytes == 10
    assert config.keep_alive == 3.0


def test_none_means_defaults(settings: Any) -> None:
    settings.DASHBOARDS_SSE = None
    assert get_settings().publish_timeout == 5.0


def test_unknown_setting(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 1, "TIMEOUT": 1, "COLOUR": "red"}
    with pytest.raises(ImproperlyConfigured) as info:
        get_settings()
    assert str(info.value).startswith(
        "Unknown DASHBOARDS_SSE setting(s): COLOUR, TIMEOUT. Known: PUSHPIN_REQUIRED, "
    )


def test_grip_url(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561?key=secret&iss=me"
    config = get_settings()
    assert config.grip_url == "http://127.0.0.1:5561?key=secret&iss=me"
    assert config.publish_url == "http://127.0.0.1:5561/publish/"
    assert config.signing_key == "secret"
    assert config.pushpin_required is True


@pytest.mark.parametrize(
    ("grip_url", "publish_url"),
    [
        ("http://pushpin:5561/", "http://pushpin:5561/publish/"),
        ("https://pushpin/base", "https://pushpin/base/publish/"),
        ("https://pushpin/base/?key=x", "https://pushpin/base/publish/"),
    ],
)
def test_publish_url(settings: Any, grip_url: str, publish_url: str) -> None:
    settings.GRIP_URL = grip_url
    assert get_settings().publish_url == publish_url


def test_grip_url_without_key(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561"
    assert get_settings().signing_key is None


def test_empty_grip_url(settings: Any) -> None:
    settings.GRIP_URL = ""
    config = get_settings()
    assert config.grip_url is None
    assert config.pushpin_required is False


@pytest.mark.parametrize(("required", "expected"), [(False, False), (True, True), (0, False)])
def test_pushpin_required_explicit(settings: Any, required: Any, expected: bool) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561"
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": required}
    assert get_settings().pushpin_required is expected


def test_pushpin_required_without_grip_url(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": True}
    assert get_settings().pushpin_required is True


def test_grip_prefix(settings: Any) -> None:
    settings.GRIP_PREFIX = "app-"
    assert get_settings().grip_prefix == "app-"


def test_eventstream_defaults_set_by_app() -> None:
    assert django_settings.EVENTSTREAM_STORAGE_CLASS == conf.STORAGE_CLASS
    assert django_settings.EVENTSTREAM_CHANNELMANAGER_CLASS == conf.CHANNEL_MANAGER_CLASS
