"""Test helpers for projects using dashboards_sse: capture pushes, no Pushpin needed.

    from dashboards_sse.testing import capture_pushes

    def test_order_updates_dashboard(db):
        with capture_pushes() as pushes:
            place_order()
        pushes.assert_pushed("shop.sales", "orders", 1285)
        assert "1,285" in pushes.html("shop.sales", "orders")

Or the pytest fixture ``dashboard_pushes`` (``pytest_plugin.py``, registered with pytest).
Pushes are still validated, rendered and stored (so a test needs database access), only not
published, and never coalesced (``max_rate``): every push is rendered, so tests do not depend
on timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .dashboard import Dashboard, ScopedDashboard
from .publish import recording
from .types import Pushed

_ANY: Any = object()

# A dashboard (slug or class), or one object of a scoped one (``StoreSales.for_(store)`` or
# ``"shop.store-sales/42"``); a scoped dashboard's slug or class matches all its objects.
Target = str | type[Dashboard] | ScopedDashboard


def _slug(dashboard: Target) -> str:
    if isinstance(dashboard, ScopedDashboard):
        return str(dashboard)
    return dashboard if isinstance(dashboard, str) else dashboard.slug


def _matches(pushed: Pushed, dashboard: Target) -> bool:
    slug, _, key = _slug(dashboard).partition("/")
    return pushed.dashboard == slug and (not key or pushed.scope_key == key)


class CapturedPushes(list[Pushed]):
    """Every :class:`~dashboards_sse.Pushed` recorded, in order, with assertion helpers."""

    def of(self, dashboard: Target, component: str | None = None) -> list[Pushed]:
        return [
            pushed
            for pushed in self
            if _matches(pushed, dashboard) and (component is None or component in pushed.values)
        ]

    def values(self, dashboard: Target, component: str) -> list[Any]:
        """The values pushed to one component, oldest first."""
        return [pushed.values[component] for pushed in self.of(dashboard, component)]

    def html(self, dashboard: Target, component: str) -> str:
        """The HTML viewers were last sent for one component."""
        sent = [p for p in self.of(dashboard) if component in p.html]
        if not sent:
            raise AssertionError(self._nothing(dashboard, component))
        return sent[-1].html[component]

    def assert_pushed(
        self,
        dashboard: Target,
        component: str | None = None,
        value: Any = _ANY,
        *,
        count: int | None = None,
    ) -> Pushed:
        """Assert a push happened (to ``component``, with ``value``); return the last match."""
        found = self.of(dashboard, component)
        if value is not _ANY:
            found = [
                pushed
                for pushed in found
                if (None if component is None else pushed.values.get(component)) == value
            ]
        if not found or (count is not None and len(found) != count):
            wanted = f"{count} push(es)" if count is not None else "a push"
            what = f" of {value!r}" if value is not _ANY else ""
            raise AssertionError(
                f"Expected {wanted}{what} to {_slug(dashboard)}"
                f"{'.' + component if component else ''}, got {len(found)}. "
                f"All pushes: {self._summary()}"
            )
        return found[-1]

    def assert_nothing_pushed(self, dashboard: Target | None = None) -> None:
        found = self if dashboard is None else self.of(dashboard)
        if found:
            raise AssertionError(f"Expected no pushes, got: {self._summary()}")

    def _nothing(self, dashboard: Target, component: str) -> str:
        return f"Nothing pushed to {_slug(dashboard)}.{component}. All pushes: {self._summary()}"

    def _summary(self) -> str:
        named = (f"{p.dashboard}/{p.scope_key}" if p.scope_key else p.dashboard for p in self)
        return "; ".join(f"{name} {p.values!r}" for name, p in zip(named, self, strict=True))


@contextmanager
def capture_pushes() -> Iterator[CapturedPushes]:
    """Record pushes made inside the block instead of sending them to Pushpin."""
    with recording(CapturedPushes()) as captured:
        yield captured
