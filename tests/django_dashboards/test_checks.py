from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

from dashboards_sse.contrib.django_dashboards import checks


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_clean_on_a_supported_django(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.django, "VERSION", (6, 0, 3, "final", 0))
    assert checks.check_django_dashboards() == []


def test_warns_from_django_6_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.django, "VERSION", (6, 1, 0, "final", 0))
    (warning,) = checks.check_django_dashboards()
    assert warning.id == "dashboards_sse.W003"
    assert "django-dashboards pages fail on Django" in warning.msg


def test_app_must_be_installed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.django, "VERSION", (5, 2, 0, "final", 0))
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "dashboards"]
    assert ids(checks.check_django_dashboards()) == ["dashboards_sse.E009"]
