"""The registry of declared boards, by slug and by channel, filled as they are defined.

It knows boards only by the protocol in ``types.py``: ``dashboard.py`` registers its classes here
and narrows what it looks up to ``Dashboard`` (``dashboard.get_dashboard``), so this module sits
below both the declarative API and the publishing pipeline.

Adapters (contrib.django_dashboards) add *finders*: callables that register the boards they
derive from another framework's classes, run before a lookup misses and before a full listing,
plus *aliases* from those classes to the boards they registered. ``on_register`` listeners
(model_sync) hear of every board registered after they subscribed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exceptions import UnknownDashboard
from .types import Board

_dashboards: dict[str, Board] = {}
_by_channel: dict[str, Board] = {}
_finders: list[Callable[[], None]] = []
_aliases: dict[type, Board] = {}
_listeners: list[Callable[[Board], None]] = []


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


def on_register(listener: Callable[[Board], None]) -> None:
    """Call ``listener(board)`` for every board registered from now on."""
    if listener not in _listeners:
        _listeners.append(listener)


def alias(source: type, dashboard: Board) -> None:
    """Let ``get_dashboard(source)`` answer ``dashboard`` (a class of another framework)."""
    _aliases[source] = dashboard


def _find() -> None:
    for finder in _finders:
        finder()


def register(dashboard: Board) -> None:
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
    if existing is not None:  # a re-imported module replaces its own class
        _by_channel.pop(existing.channel, None)
    _dashboards[dashboard.slug] = dashboard
    if dashboard.channel:  # a scoped dashboard's objects have one each (dashboard.py)
        _by_channel[dashboard.channel] = dashboard
    for listener in _listeners:
        listener(dashboard)


def unregister(dashboard: Board) -> None:
    if is_registered(dashboard):
        del _dashboards[dashboard.slug]
        _by_channel.pop(dashboard.channel, None)


def get_dashboard(slug: str | type | Board) -> Board:
    """The board for a slug, or a board itself (an adapted class gives the board derived from
    it). Raises UnknownDashboard."""
    if isinstance(slug, str):  # first: isinstance() of a runtime Protocol costs ~12 µs
        return _by_slug(slug)
    if isinstance(slug, Board):
        return slug
    if isinstance(slug, type):
        if slug not in _aliases:
            _find()
        if slug in _aliases:
            return _aliases[slug]
        raise UnknownDashboard(
            f"{slug.__module__}.{slug.__qualname__} is not a live dashboard: subclass "
            "dashboards_sse.Dashboard, or declare SSE components on a django-dashboards "
            "Dashboard (dashboards_sse.contrib.django_dashboards)."
        )
    return _by_slug(slug)


def _by_slug(slug: str) -> Board:
    if slug not in _dashboards:
        _find()
    try:
        return _dashboards[slug]
    except KeyError:
        known = ", ".join(sorted(_dashboards)) or "none"
        raise UnknownDashboard(f"No dashboard {slug!r}. Known dashboards: {known}.") from None


def is_registered(dashboard: Board) -> bool:
    return _dashboards.get(dashboard.slug) is dashboard


def get_dashboards() -> list[Board]:
    _find()
    return [_dashboards[slug] for slug in sorted(_dashboards)]


def dashboard_for_channel(channel: str) -> Board | None:
    """The board streaming on ``channel`` (a dict lookup: Pushpin asks on every request)."""
    if channel not in _by_channel:
        _find()
    return _by_channel.get(channel)


def _path(dashboard: Any) -> str:
    return f"{dashboard.__module__}.{dashboard.__qualname__}"
