"""Channel access for django-eventstream: a stream reaches exactly its dashboard's channel."""

from __future__ import annotations

from typing import Any

from django_eventstream.channelmanager import ChannelManagerBase

from .registry import dashboard_for_channel


class DashboardChannelManager(ChannelManagerBase):  # type: ignore[misc]
    """Channels come from the URL's dashboard (never from query parameters), and reading one
    applies that dashboard's permission rule — on the first request and on every
    Pushpin ``link=next``/``recover`` request after it."""

    def get_channels_for_request(self, request: Any, view_kwargs: dict[str, Any]) -> set[str]:
        return set(view_kwargs.get("channels", ()))

    def can_read_channel(self, user: Any, channel: str) -> bool:
        dashboard = dashboard_for_channel(channel)
        return dashboard is not None and dashboard.user_can_view(user)

    def is_channel_reliable(self, channel: str) -> bool:
        return True
