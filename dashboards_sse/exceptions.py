"""The errors a user of dashboards_sse can meet, each with a message naming what went wrong."""

from __future__ import annotations


class DashboardsSSEError(Exception):
    """Base class for every error raised by dashboards_sse."""


class UnknownDashboard(DashboardsSSEError, LookupError):
    """No dashboard is registered under the given slug."""


class UnknownScope(DashboardsSSEError, LookupError):
    """A scoped dashboard has no object of the given key (or none was named)."""


class UnknownComponent(DashboardsSSEError, LookupError):
    """The dashboard has no component of the given name."""


class InvalidValue(DashboardsSSEError, ValueError):
    """A pushed value does not fit its component (type, shape or size)."""


class InvalidKey(InvalidValue):
    """A scope key that cannot name an object (wrong type, characters or length)."""


class PublishError(DashboardsSSEError):
    """An update was stored but Pushpin did not accept it within the retry budget.

    The event stays in the stream history: clients that reconnect replay it.
    """


class PartialPublishError(PublishError):
    """Some GRIP proxies accepted an update and others did not, within the retry budget.

    Viewers on the proxies that accepted it have it. Those on a failed proxy get it when that
    proxy next accepts an update on the channel (Pushpin sees the gap in the event ids and
    fetches the missing events from Django) or when they reconnect. Pushing again would show
    the update twice to everybody else, so Celery's tasks do not retry this error.
    """

    def __init__(self, message: str, accepted: list[str], failed: dict[str, str]) -> None:
        super().__init__(message)
        self.accepted = accepted  # publish URLs that accepted the update
        self.failed = failed  # publish URL -> what went wrong

    def __reduce__(
        self,
    ) -> tuple[type[PartialPublishError], tuple[str, list[str], dict[str, str]]]:
        # Picklable with its details: Celery stores a task's exception in its result backend.
        return type(self), (str(self), self.accepted, self.failed)


class NotPublishedWarning(UserWarning):
    """An update was stored but published to no GRIP proxy, and no stream can show it live:
    this process has no GRIP_URL or GRIP_PROXIES while ``PUSHPIN_REQUIRED`` is True.

    (Without ``PUSHPIN_REQUIRED`` a process without a proxy is in embedded mode: streams that
    Django serves itself read the stored update, so it is delivered and nothing is warned.)
    """
