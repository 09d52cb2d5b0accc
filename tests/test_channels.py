from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django_eventstream.eventrequest import EventRequest
from django_eventstream.utils import get_channelmanager

from dashboards_sse.channels import DashboardChannelManager

OPS = "dashboard.testapp.ops"
SECRET = "dashboard.testapp.secret"
manager = DashboardChannelManager()
factory = RequestFactory()


def test_eventstream_uses_our_manager() -> None:
    assert isinstance(get_channelmanager(), DashboardChannelManager)


def test_channels_from_view_kwargs() -> None:
    request = factory.get("/", {"channel": SECRET, "channels": SECRET})
    assert manager.get_channels_for_request(request, {"channels": [OPS]}) == {OPS}


def test_no_channels_without_view_kwargs() -> None:
    request = factory.get("/", {"channel": SECRET})
    assert manager.get_channels_for_request(request, {}) == set()


def test_event_request_ignores_channel_param() -> None:
    request = factory.get("/", {"channel": SECRET})
    request.user = AnonymousUser()
    event_request = EventRequest(request, view_kwargs={"channels": [OPS]})
    assert set(event_request.channels) == {OPS}


def test_event_request_without_view_channels() -> None:
    request = factory.get("/", {"channel": SECRET})
    request.user = AnonymousUser()
    with pytest.raises(EventRequest.Error, match="No channels specified"):
        EventRequest(request, view_kwargs={})


@pytest.mark.parametrize("channel", ["dashboard.nope", "testapp.ops", "events-" + OPS, ""])
def test_unknown_channel_unreadable(channel: str) -> None:
    assert manager.can_read_channel(None, channel) is False


def test_public_channel_readable() -> None:
    assert manager.can_read_channel(None, OPS) is True


@pytest.mark.django_db
def test_permission_applied(user: Any, viewer: Any) -> None:
    assert manager.can_read_channel(None, SECRET) is False
    assert manager.can_read_channel(user, SECRET) is False
    assert manager.can_read_channel(viewer, SECRET) is True


def test_channels_reliable() -> None:
    assert manager.is_channel_reliable(OPS) is True
