from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from dashboards_sse import Chart, Dashboard, Stat, UnknownComponent, UnknownDashboard, registry
from dashboards_sse.checks import check_settings
from tests.testapp.dashboards import Ops, Secret


@pytest.fixture
def cleanup() -> Iterator[list[type[Dashboard]]]:
    """Dashboards a test declares; unregistered afterwards."""
    declared: list[type[Dashboard]] = []
    yield declared
    for dashboard in declared:
        registry.unregister(dashboard)


def test_default_slug_from_module(cleanup: list[type[Dashboard]]) -> None:
    class CamelCase(Dashboard):
        pass

    cleanup.append(CamelCase)
    assert CamelCase.slug == "tests.camel-case"
    assert registry.get_dashboard("tests.camel-case") is CamelCase


def test_default_slug_uses_app_label(cleanup: list[type[Dashboard]]) -> None:
    class ServerLoad2Stats(Dashboard):
        __module__ = "tests.testapp.dashboards"

    cleanup.append(ServerLoad2Stats)
    assert ServerLoad2Stats.slug == "testapp.server-load2-stats"


def test_testapp_slugs() -> None:
    assert Ops.slug == "testapp.ops"
    assert Secret.slug == "testapp.secret"


def test_explicit_slug_title_channel(cleanup: list[type[Dashboard]]) -> None:
    class Named(Dashboard):
        slug = "t-dashboard.named"
        title = "A title"

    cleanup.append(Named)
    assert Named.slug == "t-dashboard.named"
    assert Named.title == "A title"
    assert Named.channel == "dashboard.t-dashboard.named"


def test_default_title(cleanup: list[type[Dashboard]]) -> None:
    class Untitled(Dashboard):
        slug = "t-dashboard.untitled"

    cleanup.append(Untitled)
    assert Untitled.title == "Untitled"


def test_components_in_order() -> None:
    assert list(Ops.components) == ["cpu", "status", "requests", "latency"]
    assert all(component.dashboard is Ops for component in Ops.components.values())
    assert Ops.cpu is Ops.components["cpu"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["slug", "title", "push", "channel", "components", "get_thing"])
def test_component_name_clash(name: str, problems: list[Any]) -> None:
    type("Clash", (Dashboard,), {"__module__": __name__, name: Stat()})
    (problem,) = problems
    assert problem.id == "dashboards_sse.E007"
    assert f"component name(s) {name!r} clash" in problem.message
    (error,) = [e for e in check_settings() if e.id == "dashboards_sse.E007"]
    assert "Rename the component" in (error.hint or "")
    with pytest.raises(UnknownDashboard):
        registry.get_dashboard("tests.clash")


def test_inherited_components_are_copied(cleanup: list[type[Dashboard]]) -> None:
    class Base(Dashboard):
        slug = "t-dashboard.base"
        cpu = Stat(label="CPU")

    class Child(Base):
        slug = "t-dashboard.child"
        load = Chart()

    cleanup.extend([Base, Child])
    base_cpu = Base.components["cpu"]
    child_cpu = Child.components["cpu"]
    assert child_cpu is not base_cpu
    assert base_cpu.dashboard is Base
    assert child_cpu.dashboard is Child
    assert child_cpu.label == "CPU"
    assert Child.cpu is child_cpu  # type: ignore[attr-defined]
    assert list(Base.components) == ["cpu"]
    assert list(Child.components) == ["cpu", "load"]
    assert child_cpu.qualified_name == "t-dashboard.child.cpu"
    assert base_cpu.qualified_name == "t-dashboard.base.cpu"


def test_abstract_not_registered(cleanup: list[type[Dashboard]]) -> None:
    class Template(Dashboard, abstract=True):
        slug = "t-dashboard.abstract"
        cpu = Stat()

    class Concrete(Template):
        slug = "t-dashboard.concrete"

    cleanup.append(Concrete)
    with pytest.raises(UnknownDashboard):
        registry.get_dashboard("t-dashboard.abstract")
    assert registry.get_dashboard("t-dashboard.concrete") is Concrete
    assert Concrete.components["cpu"].dashboard is Concrete
    assert Template not in registry.get_dashboards()


def test_duplicate_slug(cleanup: list[type[Dashboard]], problems: list[Any]) -> None:
    class First(Dashboard):
        slug = "t-dashboard.dup"

    cleanup.append(First)

    class Second(Dashboard):
        slug = "t-dashboard.dup"

    (problem,) = problems
    assert problem.id == "dashboards_sse.E006"
    assert "Two dashboards share the slug 't-dashboard.dup'" in problem.message
    assert registry.get_dashboard("t-dashboard.dup") is First


def test_get_component_unknown() -> None:
    with pytest.raises(
        UnknownComponent,
        match=r"Dashboard 'testapp.ops' has no component 'nope'. "
        r"Components: cpu, status, requests, latency\.",
    ):
        Ops.get_component("nope")


# -- providers -----------------------------------------------------------------------------


def test_providers(cleanup: list[type[Dashboard]]) -> None:
    class Provided(Dashboard):
        slug = "t-dashboard.provided"
        given = Stat(value=lambda: 1)
        method = Stat()
        neither = Stat()

        def get_method_value(self) -> int:
            return 2

    cleanup.append(Provided)
    given = Provided.get_provider("given")
    method = Provided.get_provider("method")
    assert given is not None
    assert method is not None
    assert (given(), method()) == (1, 2)
    assert Provided.get_provider("neither") is None
    assert Provided.provided_values() == {"given": 1, "method": 2}


def test_value_callable_wins_over_method(cleanup: list[type[Dashboard]]) -> None:
    class Both(Dashboard):
        slug = "t-dashboard.both"
        cpu = Stat(value=lambda: "callable")

        def get_cpu_value(self) -> str:
            return "method"

    cleanup.append(Both)
    assert Both.provided_values() == {"cpu": "callable"}


def test_provider_unknown_component() -> None:
    with pytest.raises(UnknownComponent):
        Ops.get_provider("nope")


def test_testapp_provided_values() -> None:
    assert Ops.provided_values() == {"requests": 42}


# -- access --------------------------------------------------------------------------------


@pytest.fixture
def by_rule(cleanup: list[type[Dashboard]]) -> Any:
    def make(rule: Any) -> type[Dashboard]:
        board = type(
            "Ruled",
            (Dashboard,),
            {"__module__": __name__, "slug": "t-dashboard.ruled", "permission": rule},
        )
        cleanup.append(board)
        return board

    return make


def test_no_permission_anyone(by_rule: Any) -> None:
    board = by_rule(None)
    assert board.user_can_view(None)
    assert board.user_can_view(AnonymousUser())


@pytest.mark.django_db
def test_login_required(by_rule: Any, user: Any) -> None:
    board = by_rule("login")
    assert not board.user_can_view(None)
    assert not board.user_can_view(AnonymousUser())
    assert board.user_can_view(user)


@pytest.mark.django_db
def test_permission_string(user: Any, viewer: Any, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser("admin")
    assert not Secret.user_can_view(None)
    assert not Secret.user_can_view(AnonymousUser())
    assert not Secret.user_can_view(user)
    assert Secret.user_can_view(viewer)
    assert Secret.user_can_view(admin)


@pytest.mark.django_db
def test_permission_string_inactive_user(viewer: Any, django_user_model: Any) -> None:
    viewer.is_active = False
    viewer.save()
    assert not Secret.user_can_view(django_user_model.objects.get(pk=viewer.pk))


@pytest.mark.django_db
def test_permission_callable(by_rule: Any, user: Any) -> None:
    seen: list[Any] = []

    def rule(who: Any) -> bool:
        seen.append(who)
        return who.is_authenticated and who.username == "plain"

    board = by_rule(rule)
    assert not board.user_can_view(None)
    assert isinstance(seen[0], AnonymousUser)
    assert not board.user_can_view(AnonymousUser())
    assert board.user_can_view(user)


@pytest.fixture
def problems() -> Iterator[list[Any]]:
    """Declaration problems recorded during the test (cleared after)."""
    registry.problems.clear()
    yield registry.problems
    registry.problems.clear()
