from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from dashboards_sse import conf
from dashboards_sse.conf import GripProxy, get_settings


def test_defaults(settings: Any) -> None:
    del settings.DASHBOARDS_SSE  # the test settings shorten the reconnect backoff
    get_settings.cache_clear()  # pytest-django sends no setting_changed for a deletion
    config = get_settings()
    assert config.proxies == ()
    assert config.publishes is False
    assert config.grip_prefix == ""
    assert config.pushpin_required is False
    assert config.publish_timeout == 5.0
    assert config.publish_request_timeout == 2.0
    assert config.max_html_bytes == 64 * 1024
    assert config.embedded_poll_interval == 0.25
    assert config.keep_alive == 15.0
    assert (config.reconnect_base_ms, config.reconnect_max_ms) == (500, 30_000)


def test_overrides(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": "1.5", "MAX_HTML_BYTES": 10, "KEEP_ALIVE": 3}
    config = get_settings()
    assert config.publish_timeout == 1.5
    assert config.max_html_bytes == 10
    assert config.keep_alive == 3.0


def test_settings_are_cached_until_one_changes(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"KEEP_ALIVE": 3}
    first = get_settings()
    assert get_settings() is first  # read once
    settings.DASHBOARDS_SSE = {"KEEP_ALIVE": 4}  # setting_changed clears the cache
    assert get_settings().keep_alive == 4.0
    settings.GRIP_URL = "http://127.0.0.1:5561"
    assert get_settings().publishes


def test_none_means_defaults(settings: Any) -> None:
    settings.DASHBOARDS_SSE = None
    assert get_settings().publish_timeout == 5.0


def test_unknown_setting(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 1, "TIMEOUT": 1, "COLOUR": "red"}
    with pytest.raises(ImproperlyConfigured) as info:
        get_settings()
    assert str(info.value).startswith(
        "Unknown DASHBOARDS_SSE setting(s): COLOUR, TIMEOUT. Check the spelling; the known keys "
        "are PUSHPIN_REQUIRED, "
    )
    assert str(info.value).endswith("(dashboards_sse.E014)")


def test_grip_url(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561?key=secret&iss=me"
    config = get_settings()
    assert config.proxies == (
        GripProxy(control_uri="http://127.0.0.1:5561", key="secret", control_iss="me"),
    )
    assert config.proxies[0].publish_url == "http://127.0.0.1:5561/publish/"
    assert config.proxies[0].signing_key == "secret"
    assert config.publishes is True
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
    (proxy,) = get_settings().proxies
    assert proxy.publish_url == publish_url


def test_grip_url_without_key(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:5561"
    assert get_settings().proxies[0].signing_key is None


def test_grip_url_base64_key_and_verify_key(settings: Any) -> None:
    """Parsed as django-grip parses it: base64: keys decoded; a verify key replaces the key
    for Grip-Sig (a hosted service signs with its private key)."""
    settings.GRIP_URL = (
        "https://api.fastly.example/service/abc?verify-iss=fastly:abc&key=base64:c2VjcmV0"
        "&verify-key=base64:cHVibGlj"
    )
    (proxy,) = get_settings().proxies
    assert proxy.publish_url == "https://api.fastly.example/service/abc/publish/"
    assert (proxy.key, proxy.verify_key, proxy.verify_iss) == (b"secret", b"public", "fastly:abc")
    assert proxy.signing_key is None


def test_empty_grip_url(settings: Any) -> None:
    settings.GRIP_URL = ""
    config = get_settings()
    assert config.proxies == ()
    assert config.pushpin_required is False


def test_grip_proxies(settings: Any) -> None:
    settings.GRIP_PROXIES = [
        {"control_uri": "http://pushpin-1:5561", "key": "k1"},
        {"control_uri": "http://pushpin-2:5561/", "key": "k2", "control_iss": "me"},
    ]
    config = get_settings()
    assert [proxy.publish_url for proxy in config.proxies] == [
        "http://pushpin-1:5561/publish/",
        "http://pushpin-2:5561/publish/",
    ]
    assert [proxy.key for proxy in config.proxies] == ["k1", "k2"]
    assert config.proxies[1].control_iss == "me"
    assert config.pushpin_required is True


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://pushpin-1:5561", "GRIP_PROXIES must be a list of dicts, got str."),
        (["http://pushpin-1:5561"], "GRIP_PROXIES[0] must be a dict with a 'control_uri'"),
        ([{"key": "k"}], "GRIP_PROXIES[0] must be a dict with a 'control_uri'"),
        ([{"uri": "http://a:1", "key": "secret"}], "GRIP_PROXIES[0] must be a dict"),
        (
            [{"control_uri": "http://a:1"}, {"control_uri": "http://b:1", "token": "k"}],
            "GRIP_PROXIES[1] has unknown field(s) token; django-grip reads control_uri, key",
        ),
        (
            [{"control_uri": "http://a:1"}, {"control_uri": "http://a:1/"}],
            "GRIP_PROXIES lists a proxy twice",
        ),
    ],
)
def test_bad_grip_proxies(settings: Any, value: Any, message: str) -> None:
    settings.GRIP_PROXIES = value
    with pytest.raises(ImproperlyConfigured) as info:
        get_settings()
    assert str(info.value).startswith(message)
    assert "secret" not in str(info.value)  # a key never ends up in logs


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


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("PUBLISH_TIMEOUT", "3", 3.0), ("MAX_HTML_BYTES", "2048", 2048), ("MAX_HTML_BYTES", 8.0, 8)],
)
def test_numeric_strings_and_whole_floats_are_read(
    settings: Any, key: str, value: Any, expected: float
) -> None:
    """Values read from the environment are strings; they work when they are numbers."""
    settings.DASHBOARDS_SSE = {key: value}
    read = getattr(get_settings(), key.lower())
    assert read == expected
    assert type(read) is type(expected)


def test_a_value_of_the_wrong_type_is_improperly_configured(settings: Any) -> None:
    """Not a TypeError deep inside the first push: the problem, its fix and its check id."""
    settings.DASHBOARDS_SSE = {"KEEP_ALIVE": "often"}
    with pytest.raises(ImproperlyConfigured) as info:
        get_settings()
    assert str(info.value) == (
        "DASHBOARDS_SSE['KEEP_ALIVE'] must be a positive number, got 'often'. The default is "
        "15.0; remove the key to use it. (dashboards_sse.E015)"
    )
