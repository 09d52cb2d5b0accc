"""The registry of declared dashboards, filled as Dashboard subclasses are defined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .exceptions import UnknownDashboard

if TYPE_CHECKING:
    from .dashboard import Dashboard

_dashboards: dict[str, type[Dashboard]] = {}


@dataclass(frozen=True)
class DeclarationProblem:
    """A dashboard declared wrongly: not registered, reported by ``manage.py check``."""

    id: str
    message: str
    hint: str


# Filled while dashboards.py modules are imported; checks.py turns them into system errors.
problems: list[DeclarationProblem] = []


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
    """The dashboard class for a slug (a class is returned as is). Raises UnknownDashboard."""
    if isinstance(slug, type):
        return slug
    try:
        return _dashboards[slug]
    except KeyError:
        known = ", ".join(sorted(_dashboards)) or "none"
        raise UnknownDashboard(f"No dashboard {slug!r}. Known dashboards: {known}.") from None


def is_registered(dashboard: type[Dashboard]) -> bool:
    return _dashboards.get(dashboard.slug) is dashboard


def get_dashboards() -> list[type[Dashboard]]:
    return [_dashboards[slug] for slug in sorted(_dashboards)]


def dashboard_for_channel(channel: str) -> type[Dashboard] | None:
    for dashboard in _dashboards.values():
        if dashboard.channel == channel:
            return dashboard
    return None


def _path(dashboard: type[Dashboard]) -> str:
    return f"{dashboard.__module__}.{dashboard.__qualname__}"
