"""The errors a user of dashboards_sse can meet, each with a message naming what went wrong."""

from __future__ import annotations

from typing import Any


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


class InvalidShare(DashboardsSSEError):
    """A share link that gives no access: forged or mistyped, unknown, expired, revoked, or
    for another dashboard (the message says which)."""


class UnknownShare(DashboardsSSEError, LookupError):
    """No share grant has the given id."""


class PublishError(DashboardsSSEError):
    """An update was stored but Pushpin did not accept it within ``PUBLISH_TIMEOUT``.

    The event stays in the stream history: clients that reconnect replay it.
    ``may_still_arrive`` says whether open streams may get it anyway: True when a request
    reached Pushpin but no answer came in time (it may be delivering it), False when none did
    or Pushpin refused it.
    """

    def __init__(
        self,
        message: str,
        *,
        may_still_arrive: bool = False,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.may_still_arrive = may_still_arrive
        # The stored events as GRIP publish items: publish these again to deliver the update
        # (``publish.republish``); pushing again would store it a second time.
        self.items = items or []

    def _details(self) -> dict[str, Any]:
        return {"may_still_arrive": self.may_still_arrive, "items": self.items}

    def __reduce__(self) -> Any:
        # Picklable with its details: Celery stores a task's exception in its result backend.
        return _rebuild, (type(self), (str(self),), self._details())


class PartialPublishError(PublishError):
    """Some GRIP proxies accepted an update and others did not, within the retry budget.

    Viewers on the proxies that accepted it have it. Those on a failed proxy get it when that
    proxy next accepts an update on the channel (Pushpin sees the gap in the event ids and
    fetches the missing events from Django) or when they reconnect. Pushing again would show
    the update twice to everybody else, so Celery's tasks do not retry this error.
    """

    def __init__(
        self,
        message: str,
        accepted: list[str],
        failed: dict[str, str],
        *,
        may_still_arrive: bool = False,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, may_still_arrive=may_still_arrive, items=items)
        self.accepted = accepted  # publish URLs that accepted the update
        self.failed = failed  # publish URL -> what went wrong

    def __reduce__(self) -> Any:
        return _rebuild, (type(self), (str(self), self.accepted, self.failed), self._details())


def _rebuild(cls: type[PublishError], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return cls(*args, **kwargs)


class PushpinConfigError(DashboardsSSEError, ValueError):
    """A Pushpin setting (address, port, run dir, signing key) that our config cannot use."""


class NotPublishedWarning(UserWarning):
    """An update was stored but published to no GRIP proxy, and no stream can show it live:
    this process has no GRIP_URL or GRIP_PROXIES while ``PUSHPIN_REQUIRED`` is True.

    (Without ``PUSHPIN_REQUIRED`` a process without a proxy is in embedded mode: streams that
    Django serves itself read the stored update, so it is delivered and nothing is warned.)
    """
