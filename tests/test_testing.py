from __future__ import annotations

import pytest

from dashboards_sse import push
from dashboards_sse.models import ComponentState
from dashboards_sse.testing import CapturedPushes, capture_pushes
from tests.conftest import PublishServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_captures_values_and_html_without_publishing(
    settings: pytest.FixtureRequest, publish_server: PublishServer
) -> None:
    settings.GRIP_URL = publish_server.url + "?key=" + "k" * 40  # type: ignore[attr-defined]
    with capture_pushes() as pushes:
        push("testapp.ops", cpu=12.5, status="ok")
        push("testapp.ops", cpu=13)
    assert publish_server.requests == []
    assert pushes.values("testapp.ops", "cpu") == [12.5, 13]
    assert ">13.0<" in pushes.html("testapp.ops", "cpu")
    pushes.assert_pushed("testapp.ops", "status", "ok", count=1)
    assert ComponentState.objects.get(component="cpu").state["value"] == 13  # still stored


def test_publishing_resumes_after_the_block(
    settings: pytest.FixtureRequest, publish_server: PublishServer
) -> None:
    settings.GRIP_URL = publish_server.url + "?key=" + "k" * 40  # type: ignore[attr-defined]
    with capture_pushes():
        pass
    push("testapp.ops", cpu=1)
    assert len(publish_server.requests) == 1


def test_assert_pushed_failures_explain(dashboard_pushes: CapturedPushes) -> None:
    push("testapp.ops", cpu=1)
    with pytest.raises(AssertionError, match=r"Expected a push of 2 to testapp\.ops\.cpu, got 0"):
        dashboard_pushes.assert_pushed("testapp.ops", "cpu", 2)
    with pytest.raises(AssertionError, match="Expected 2 push"):
        dashboard_pushes.assert_pushed("testapp.ops", "cpu", count=2)
    with pytest.raises(AssertionError, match="Expected no pushes"):
        dashboard_pushes.assert_nothing_pushed()
    with pytest.raises(AssertionError, match=r"Nothing pushed to testapp\.ops\.status"):
        dashboard_pushes.html("testapp.ops", "status")
    dashboard_pushes.assert_nothing_pushed("testapp.secret")


def test_invalid_push_is_not_captured(dashboard_pushes: CapturedPushes) -> None:
    from dashboards_sse import InvalidValue

    with pytest.raises(InvalidValue):
        push("testapp.ops", cpu="high")
    dashboard_pushes.assert_nothing_pushed()


@pytest.mark.django_db
def test_captured_pushes_tell_the_objects_of_a_scoped_dashboard_apart() -> None:
    from tests.testapp.dashboards import Inbox

    with capture_pushes() as pushes:
        Inbox.for_(1).latest.push("for one")
        Inbox.for_(2).latest.push("for two")
    assert pushes.values(Inbox.for_(1), "latest") == ["for one"]
    assert pushes.values("testapp.inbox/2", "latest") == ["for two"]
    assert pushes.values(Inbox, "latest") == ["for one", "for two"]  # every object
    pushes.assert_pushed(Inbox.for_(2), "latest", "for two", count=1)
    with pytest.raises(AssertionError, match=r"testapp\.inbox/1 "):
        pushes.assert_pushed(Inbox.for_(3), "latest")
