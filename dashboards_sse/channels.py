"""Channel access: a stream reaches exactly its dashboard's channel, for users allowed now."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django_eventstream.channelmanager import ChannelManagerBase

from .dashboard import dashboard_for_channel
from .sharing import is_granted


def current_user(pk: Any) -> Any:
    """The user as the database has it now, None if deleted or inactive: permissions are cached
    on a user object, and deactivation or deletion happen while streams are open."""
    if pk is None:
        return None
    user = get_user_model()._default_manager.filter(pk=pk).first()
    return user if user is not None and getattr(user, "is_active", True) else None


class DashboardChannelManager(ChannelManagerBase):  # type: ignore[misc]
    """Channels come from the URL's dashboard (never from query parameters), and reading one
    applies that dashboard's permission rule — on the first request and on every
    Pushpin ``link=next``/``recover`` request after it (a share link's stream: its grant,
    checked by the view, admits its one channel instead)."""

    def get_channels_for_request(self, request: Any, view_kwargs: dict[str, Any]) -> set[str]:
        return set(view_kwargs.get("channels", ()))

    def can_read_channel(self, user: Any, channel: str) -> bool:
        if is_granted(channel):
            return True
        dashboard = dashboard_for_channel(channel)
        return dashboard is not None and dashboard.user_can_view(user)

    def is_channel_reliable(self, channel: str) -> bool:
        return True
