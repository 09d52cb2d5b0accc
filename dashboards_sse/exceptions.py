"""The errors a user of dashboards_sse can meet, each with a message naming what went wrong."""

from __future__ import annotations


class DashboardsSSEError(Exception):
    """Base class for every error raised by dashboards_sse."""


class UnknownDashboard(DashboardsSSEError, LookupError):
    """No dashboard is registered under the given slug."""


class UnknownComponent(DashboardsSSEError, LookupError):
    """The dashboard has no component of the given name."""


class InvalidValue(DashboardsSSEError, ValueError):
    """A pushed value does not fit its component (type, shape or size)."""


class PublishError(DashboardsSSEError):
    """An update was stored but Pushpin did not accept it within the retry budget.

    The event stays in the stream history: clients that reconnect replay it.
    """
