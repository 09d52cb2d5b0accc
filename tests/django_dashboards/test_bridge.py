from __future__ import annotations

import logging
from typing import Any

import pytest

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

from dashboards.component.stat import StatData
from dashboards.dashboard import Dashboard, ModelDashboard
from dashboards.permissions import BasePermission
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from dashboards_sse import InvalidValue, UnknownDashboard, batch, push, registry
from dashboards_sse.contrib.django_dashboards import LiveDashboard, SSEStat
from dashboards_sse.models import ComponentState
from dashboards_sse.testing import capture_pushes
from tests.ddapp.dashboards import Child, Live, Staff


def twin(upstream: type) -> type[LiveDashboard]:
    board = registry.get_dashboard(upstream)
    assert issubclass(board, LiveDashboard)
    return board


def test_twins_are_registered() -> None:
    board = twin(Live)
    assert registry.get_dashboard("dd.ddapp_live") is board
    assert (board.slug, board.title, board.channel) == (
        "dd.ddapp_live",
        "Live",
        "dashboard.dd.ddapp_live",
    )
    assert {name: c.kind for name, c in board.components.items()} == {
        "live_cpu": "stat",
        "traffic": "chart",
        "orders": "stat",
    }
    assert board.upstream is Live
    assert "dd.ddapp_staff" in [b.slug for b in registry.get_dashboards()]


def test_a_class_that_is_not_live() -> None:
    with pytest.raises(UnknownDashboard, match=r"tests\.conftest\.PublishServer is not a live"):
        from tests.conftest import PublishServer

        registry.get_dashboard(PublishServer)


def test_inherited_component_is_the_subclass_own() -> None:
    """django-dashboards shares a base class's component instance with its subclasses."""
    component = Child.components["shared"]
    assert component.dashboard is Child
    assert twin(Child).get_component("shared").upstream is component
    assert component.template_id == "ddddappchildcomponentshared"


@pytest.mark.django_db
def test_push_batch_and_refresh() -> None:
    with capture_pushes() as pushes, batch():
        push(Live, live_cpu=1)
        push("dd.ddapp_live", live_cpu=2)
        twin(Live).get_component("live_cpu").push(3)
    assert [p.states["live_cpu"]["text"] for p in pushes] == ["1.0%", "2.0%", "3.0%"]
    assert all("<h2>3.0%</h2>" in p.html["live_cpu"] for p in pushes)  # one event, the newest
    with capture_pushes() as pushes:
        twin(Live).refresh()
    # get_orders_value, called without django-dashboards' __init__ (it rebinds shared values)
    pushes.assert_pushed("dd.ddapp_live", "orders")
    assert pushes[0].values == {
        "orders": {
            "text": "17",
            "sub_text": "from get_orders_value",
            "change_by": None,
            "change_by_text": None,
            "change_by_display": None,
        }
    }
    assert twin(Live).get_provider("live_cpu") is None  # pushed only
    state = ComponentState.objects.get(dashboard="dd.ddapp_live", component="orders").state
    assert state["text"] == "17"


def test_permission_classes_apply(django_user_model: Any) -> None:
    board = twin(Staff)
    staff = django_user_model(username="s", is_staff=True)
    assert board.user_can_view(staff)
    assert not board.user_can_view(django_user_model(username="p"))
    assert not board.user_can_view(None)
    assert not board.user_can_view(AnonymousUser())
    assert twin(Live).user_can_view(None)  # DASHBOARDS_DEFAULT_PERMISSION_CLASSES: AllowAny


@pytest.mark.django_db
def test_stream_refused_without_permission(client: Client) -> None:
    response = client.get("/dashboards/dd.ddapp_staff/stream/")
    assert response.status_code == 403
    assert response.content == b"You may not view the dashboard 'dd.ddapp_staff'.\n"


def test_failing_permission_class_denies(
    isolated_twins: None, caplog: pytest.LogCaptureFixture
) -> None:
    class NeedsSession(BasePermission):
        def has_permission(self, request: Any, dashboard: Any) -> bool:
            return bool(request.session["ok"])  # our request carries only the user

    class Fragile(Dashboard):
        level = SSEStat()

        class Meta:
            app_label = "ddapp"
            permission_classes = [NeedsSession]

    with caplog.at_level(logging.ERROR, logger="dashboards_sse"):
        assert not twin(Fragile).user_can_view(None)
    assert "a permission class of" in caplog.text


@pytest.mark.django_db
def test_page_url_redirects_to_django_dashboards(client: Client) -> None:
    response = client.get("/dashboards/dd.ddapp_live/")
    assert (response.status_code, response["Location"]) == (302, "/dd/ddapp/live/")


@pytest.mark.django_db
def test_unrouted_dashboard_has_no_page(isolated_twins: None, client: Client) -> None:
    class Unrouted(Dashboard):  # never given to django-dashboards' registry
        level = SSEStat()

        class Meta:
            app_label = "ddapp"

    twin(Unrouted)
    response = client.get("/dashboards/dd.ddapp_unrouted/")
    assert response.status_code == 404


def test_a_model_dashboard_without_model_is_reported(isolated_twins: None) -> None:
    class PerObject(ModelDashboard):
        level = SSEStat()

        class Meta:
            app_label = "ddapp"

    with pytest.raises(UnknownDashboard):
        registry.get_dashboard(PerObject)
    (problem,) = [p for p in registry.problems if p.id == "dashboards_sse.E008"]
    assert "PerObject: a ModelDashboard with SSE components but no Meta.model" in problem.message


@pytest.mark.django_db
def test_a_model_dashboard_is_scoped_to_its_object(
    isolated_twins: None, django_user_model: Any
) -> None:
    from tests.testapp.models import Store

    class PerStore(ModelDashboard):
        sales = SSEStat()
        visits = SSEStat(value=lambda **kwargs: StatData(text=kwargs["object"].name))

        class Meta:
            app_label = "ddapp"
            model = Store
            lookup_field = "code"

        def get_sales_value(self, **kwargs: Any) -> StatData:
            return StatData(text=f"{self.object.code} sales")

    board = registry.get_dashboard(PerStore)
    assert board.scope is Store and board.scope_field == "code"
    north = Store.objects.create(name="North", code="north")
    target = board.for_(north)
    assert target.channel == "dashboard.dd.ddapp_perstore/north"
    values = target.provided_values()  # get_value() serialises StatData to a dict
    assert (values["sales"]["text"], values["visits"]["text"]) == ("north sales", "North")
    pushed = target.refresh()
    assert pushed is not None and "north sales" in pushed.html["sales"]
    with pytest.raises(InvalidValue, match="is scoped"):
        push(PerStore, sales=1)
    assert target.user_can_view(django_user_model.objects.create_user("any"))


def test_dashboard_defined_late_is_found(isolated_twins: None) -> None:
    class Late(Dashboard):
        level = SSEStat()

        class Meta:
            app_label = "ddapp"

    assert registry.get_dashboard("dd.ddapp_late").upstream is Late
