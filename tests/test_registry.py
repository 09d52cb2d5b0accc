from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboards_sse import Dashboard, UnknownDashboard, registry
from tests.testapp.dashboards import Ops, Secret


@pytest.fixture
def cleanup() -> Iterator[list[type[Dashboard]]]:
    declared: list[type[Dashboard]] = []
    yield declared
    for dashboard in declared:
        registry.unregister(dashboard)


def make(slug: str) -> type[Dashboard]:
    return type("Made", (Dashboard,), {"__module__": __name__, "slug": slug})


def test_get_dashboard_by_slug() -> None:
    assert registry.get_dashboard("testapp.ops") is Ops


class _NoProtocolCheck(type):
    def __instancecheck__(cls, instance: object) -> bool:
        raise AssertionError("isinstance() of the Board protocol on a slug")


def test_a_slug_is_looked_up_without_the_protocol_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # isinstance() of a runtime Protocol costs ~12 µs: a tenth of a push() in a batch
    monkeypatch.setattr(registry, "Board", _NoProtocolCheck("Board", (), {}))
    assert registry.get_dashboard("testapp.ops") is Ops
    with pytest.raises(UnknownDashboard):
        registry.get_dashboard("no.such")


def test_get_dashboard_by_class() -> None:
    assert registry.get_dashboard(Secret) is Secret


def test_get_dashboard_unknown() -> None:
    with pytest.raises(UnknownDashboard) as info:
        registry.get_dashboard("nope")
    message = str(info.value)
    assert message.startswith("No dashboard 'nope'. Known dashboards: ")
    assert "testapp.ops" in message
    assert "testapp.secret" in message


def test_unknown_dashboard_is_lookup_error() -> None:
    with pytest.raises(LookupError):
        registry.get_dashboard("nope")


def test_get_dashboards_sorted(cleanup: list[type[Dashboard]]) -> None:
    cleanup.append(make("t-registry.aaa"))
    slugs = [dashboard.slug for dashboard in registry.get_dashboards()]
    assert slugs == sorted(slugs)
    assert {"t-registry.aaa", "testapp.ops", "testapp.secret"} <= set(slugs)


def test_dashboard_for_channel() -> None:
    assert registry.dashboard_for_channel("dashboard.testapp.ops") is Ops
    assert registry.dashboard_for_channel("testapp.ops") is None
    assert registry.dashboard_for_channel("dashboard.nope") is None


def test_unregister(cleanup: list[type[Dashboard]]) -> None:
    board = make("t-registry.gone")
    registry.unregister(board)
    with pytest.raises(UnknownDashboard):
        registry.get_dashboard("t-registry.gone")
    assert registry.dashboard_for_channel("dashboard.t-registry.gone") is None


def test_unregister_other_class_keeps_registered(cleanup: list[type[Dashboard]]) -> None:
    board = make("t-registry.kept")
    cleanup.append(board)

    class Impostor(Dashboard, abstract=True):
        slug = "t-registry.kept"

    registry.unregister(Impostor)
    assert registry.get_dashboard("t-registry.kept") is board


def test_same_path_replaces(cleanup: list[type[Dashboard]]) -> None:
    first = make("t-registry.reimported")
    second = make("t-registry.reimported")
    cleanup.append(second)
    assert first is not second
    assert registry.get_dashboard("t-registry.reimported") is second


def test_other_path_same_slug(cleanup: list[type[Dashboard]]) -> None:
    board = make("t-registry.taken")
    cleanup.append(board)
    registry.problems.clear()
    try:
        type("Other", (Dashboard,), {"__module__": __name__, "slug": "t-registry.taken"})
        (problem,) = registry.problems
    finally:
        registry.problems.clear()
    assert f"{__name__}.Made" in problem.message
    assert f"{__name__}.Other" in problem.message
    assert problem.hint == "Set a distinct `slug = ...` on one of them."
    assert registry.get_dashboard("t-registry.taken") is board


def test_on_register_hears_of_later_boards(cleanup: list[type[Dashboard]]) -> None:
    heard: list[object] = []
    registry.on_register(heard.append)
    try:
        board = make("t-registry.heard")
        cleanup.append(board)
    finally:
        registry._listeners.remove(heard.append)
    assert heard == [board]


def test_channel_lookup_follows_a_replaced_class(cleanup: list[type[Dashboard]]) -> None:
    first = make("t-registry.replaced")
    second = make("t-registry.replaced")
    cleanup.append(second)
    assert registry.dashboard_for_channel("dashboard.t-registry.replaced") is second
    assert first is not second
