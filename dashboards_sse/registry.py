"""The registry of declared dashboards, filled as Dashboard subclasses are defined.

Adapters (contrib.django_dashboards) add *finders*: callables that register the dashboards they
derive from another framework's classes, run before a lookup misses and before a full listing,
plus *aliases* from those classes to the dashboards they registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .exceptions import UnknownDashboard

if TYPE_CHECKING:
    from .dashboard import Dashboard

_dashboards: dict[str, type[Dashboard]] = {}
_finders: list[Callable[[], None]] = []
_aliases: dict[type, type[Dashboard]] = {}


@dataclass(frozen=True)
class DeclarationProblem:
    """A dashboard declared wrongly: not registered, reported by ``manage.py check``."""

    id: str
    message: str
    hint: str


# Filled while dashboards.py modules are imported; checks.py turns them into system errors.
problems: list[DeclarationProblem] = []


def add_finder(finder: Callable[[], None]) -> None:
    if finder not in _finders:
        _finders.append(finder)


def alias(source: type, dashboard: type[Dashboard]) -> None:
    """Let ``get_dashboard(source)`` answer ``dashboard`` (a class of another framework)."""
    _aliases[source] = dashboard


def _find() -> None:
    for finder in _finders:
        finder()


def register(dashboard: type[Dashboard]) -> None:
    existing = _dashboards.get(dashboard.slug)
    if existing is not None and _path(existing) != _path(dashboard):
        problems.append(
            DeclarationProblem(
                "dashboards_sse.E006",
                f"Two dashboards share the slug {dashboard.slug!r}: {_path(existing)} and "
                f"{_path(dashboard)}; the second is not registered.",
                "Set a distinct `slug = ...` on one of them.",
            )
        )
        return
    _dashboards[dashboard.slug] = dashboard  # a re-imported module replaces its own class


def unregister(dashboard: type[Dashboard]) -> None:
    if is_registered(dashboard):
        del _dashboards[dashboard.slug]


def get_dashboard(slug: str | type[Dashboard]) -> type[Dashboard]:
    """The dashboard class for a slug or class (an adapted class gives the dashboard derived
    from it). Raises UnknownDashboard."""
    from .dashboard import Dashboard

    if isinstance(slug, type):
        if issubclass(slug, Dashboard):
            return slug
        if slug not in _aliases:
            _find()
        if slug in _aliases:
            return _aliases[slug]
        raise UnknownDashboard(
            f"{slug.__module__}.{slug.__qualname__} is not a live dashboard: subclass "
            "dashboards_sse.Dashboard, or declare SSE components on a django-dashboards "
            "Dashboard (dashboards_sse.contrib.django_dashboards)."
        )
    if slug not in _dashboards:
        _find()
    try:
        return _dashboards[slug]
    except KeyError:
        known = ", ".join(sorted(_dashboards)) or "none"
        raise UnknownDashboard(f"No dashboard {slug!r}. Known dashboards: {known}.") from None


def is_registered(dashboard: type[Dashboard]) -> bool:
    return _dashboards.get(dashboard.slug) is dashboard


def get_dashboards() -> list[type[Dashboard]]:
    _find()
    return [_dashboards[slug] for slug in sorted(_dashboards)]


def dashboard_for_channel(channel: str) -> type[Dashboard] | None:
    found = _by_channel(channel)
    if found is None:
        _find()
        found = _by_channel(channel)
    return found


def _by_channel(channel: str) -> type[Dashboard] | None:
    return next((board for board in _dashboards.values() if board.channel == channel), None)


def _path(dashboard: type[Dashboard]) -> str:
    return f"{dashboard.__module__}.{dashboard.__qualname__}"
