from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import transaction
from django_eventstream.models import Event
from django_eventstream.utils import sse_encode_event

from dashboards_sse import (
    InvalidValue,
    NotPublishedWarning,
    PublishError,
    Pushed,
    UnknownComponent,
    UnknownDashboard,
    batch,
    push,
)
from dashboards_sse.models import ComponentState
from dashboards_sse.publish import wire
from tests.conftest import PublishServer
from tests.testapp.dashboards import Ops

CHANNEL = "dashboard.testapp.ops"


def events() -> list[Event]:
    return list(Event.objects.filter(channel=CHANNEL, eid__gt=0).order_by("eid"))


def states() -> dict[str, Any]:
    return dict(
        ComponentState.objects.filter(dashboard="testapp.ops").values_list("component", "state")
    )


def updates(event: Event) -> dict[str, str]:
    """A stored event's components and their HTML (the one-message-per-push format)."""
    assert event.type == wire.UPDATE_EVENT
    message = json.loads(json.loads(event.data))
    assert message["v"] == wire.WIRE_VERSION
    assert all(update["action"] == "replace" for update in message["updates"])
    return {update["component"]: update["html"] for update in message["updates"]}


def assert_nothing_stored() -> None:
    assert Event.objects.count() == 0
    assert ComponentState.objects.count() == 0


# -- storing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_push_stores_state_and_event() -> None:
    result = push("testapp.ops", cpu=12.5)

    assert isinstance(result, Pushed)
    assert result.dashboard == "testapp.ops"
    assert result.states == {"cpu": {"value": 12.5, "change": None, "note": None}}
    assert result.html == {"cpu": str(Ops.components["cpu"].render(result.states["cpu"]))}
    assert '<span class="dsse-number">12.5</span>' in result.html["cpu"]
    assert result.published is False
    (event,) = events()
    assert result.event_ids == {"cpu": event.eid} and result.event_id == event.eid
    assert updates(event) == {"cpu": result.html["cpu"]}
    row = ComponentState.objects.get(dashboard="testapp.ops", component="cpu")
    assert row.state == result.states["cpu"]
    assert row.event_id == event.eid


@pytest.mark.django_db
def test_push_of_several_components_is_one_event() -> None:
    first = push("testapp.ops", cpu=1, status="ok", latency=5)
    second = push("testapp.ops", cpu=2)

    one = first.event_id
    assert first.event_ids == {"cpu": one, "status": one, "latency": one}
    assert second.event_ids == {"cpu": one + 1}
    assert [(e.eid, list(updates(e))) for e in events()] == [
        (one, ["cpu", "status", "latency"]),
        (one + 1, ["cpu"]),
    ]
    assert updates(events()[0]) == first.html
    assert set(states()) == {"cpu", "status", "latency"}
    assert states()["cpu"]["value"] == 2


@pytest.mark.django_db
def test_push_updates_stored_state() -> None:
    for y in range(7):
        push("testapp.ops", latency=[y, y])
    assert states()["latency"] == {"points": [[y, y] for y in range(2, 7)]}
    assert ComponentState.objects.count() == 1


@pytest.mark.django_db
def test_push_by_class() -> None:
    assert push(Ops, cpu=1).dashboard == "testapp.ops"


@pytest.mark.django_db
def test_dashboard_push() -> None:
    result = Ops.push(cpu=3, status="fine")
    assert set(result.event_ids) == {"cpu", "status"}


@pytest.mark.django_db
def test_stat_push_with_change_and_note() -> None:
    Ops.components["cpu"].push(4, change=1.5, note="up")  # type: ignore[call-arg]
    assert states()["cpu"] == {"value": 4, "change": 1.5, "note": "up"}


@pytest.mark.django_db
def test_chart_push_keywords() -> None:
    chart = Ops.components["latency"]
    chart.push(point=(1, 10))  # type: ignore[call-arg]
    chart.push(points=[(2, 20), (3, 30)])  # type: ignore[call-arg]
    assert states()["latency"] == {"points": [[1, 10], [2, 20], [3, 30]]}
    chart.push(series=[(9, 9)])  # type: ignore[call-arg]
    assert states()["latency"] == {"points": [[9, 9]]}


# -- refusing before storing ---------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_dashboard_stores_nothing() -> None:
    with pytest.raises(UnknownDashboard, match="No dashboard 'nope'"):
        push("nope", cpu=1)
    assert_nothing_stored()


@pytest.mark.django_db
def test_unknown_component_stores_nothing() -> None:
    with pytest.raises(UnknownComponent, match="no component 'nope'"):
        push("testapp.ops", cpu=1, nope=2)
    assert_nothing_stored()


@pytest.mark.django_db
def test_invalid_value_stores_nothing() -> None:
    with pytest.raises(InvalidValue, match=r"dashboard 'testapp\.ops', stat 'cpu'"):
        push("testapp.ops", status="fine", cpu="high")
    assert_nothing_stored()


@pytest.mark.django_db
def test_invalid_value_keeps_previous_state() -> None:
    push("testapp.ops", cpu=1, latency=1)
    before = (Event.objects.count(), states())
    with pytest.raises(InvalidValue):
        push("testapp.ops", cpu=2, latency="x")
    assert (Event.objects.count(), states()) == before


@pytest.mark.django_db
def test_push_nothing() -> None:
    with pytest.raises(InvalidValue, match="push needs at least one component=value"):
        push("testapp.ops")
    assert_nothing_stored()


@pytest.mark.django_db
def test_oversized_html_stores_nothing(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"MAX_HTML_BYTES": 100}
    with pytest.raises(InvalidValue, match=r"exceeds MAX_HTML_BYTES \(100\)"):
        push("testapp.ops", cpu=1)
    assert_nothing_stored()


# -- publishing ----------------------------------------------------------------------------


def expected_item(
    html: dict[str, str], event_id: int, sent_at: float | None = None
) -> dict[str, Any]:
    data = wire.message((wire.replace(name, text) for name, text in html.items()), sent_at)
    return {
        "channel": "events-dashboard.testapp.ops",
        "id": str(event_id),
        "prev-id": str(event_id - 1),
        "formats": {
            "http-stream": {
                "content": sse_encode_event(wire.UPDATE_EVENT, data, event_id="%I", escape=True),
                "content-filters": ["build-id"],
            }
        },
    }


@pytest.mark.django_db(transaction=True)
def test_no_grip_url_no_post(publish_server: PublishServer) -> None:
    result = push("testapp.ops", cpu=1)
    assert result.published is False
    assert publish_server.requests == []


@pytest.mark.django_db(transaction=True)
def test_one_post_per_push(settings: Any, publish_server: PublishServer) -> None:
    settings.GRIP_URL = publish_server.url + "?key=" + "k" * 40

    result = push("testapp.ops", cpu=1, status="100% fine", latency=[1, 2])

    assert result.published is True
    assert len(publish_server.requests) == 1
    method, path, body = publish_server.requests[0]
    assert (method, path) == ("POST", "/publish/")
    # one message
    assert body == {"items": [expected_item(result.html, result.event_id, result.sent_at)]}
    content = body["items"][0]["formats"]["http-stream"]["content"]
    assert content.startswith("event: dsse-update\nid: %I\ndata: {")
    assert content.count("\ndata: ") == 1  # one line, whatever newlines the HTML has
    assert "100%% fine" in content

    push("testapp.ops", cpu=2)
    assert len(publish_server.requests) == 2
    assert [item["id"] for item in publish_server.requests[1][2]["items"]] == [
        str(result.event_id + 1)
    ]


@pytest.mark.django_db(transaction=True)
def test_publish_grip_prefix(settings: Any, publish_server: PublishServer) -> None:
    settings.GRIP_URL = publish_server.url
    settings.GRIP_PREFIX = "pre-"
    push("testapp.ops", cpu=1)
    (item,) = publish_server.requests[0][2]["items"]
    assert item["channel"] == "pre-events-dashboard.testapp.ops"


@pytest.mark.django_db(transaction=True)
def test_publish_waits_for_commit(settings: Any, publish_server: PublishServer) -> None:
    settings.GRIP_URL = publish_server.url
    with transaction.atomic():
        result = push("testapp.ops", cpu=1)
        assert result.published is False
        assert publish_server.requests == []
    assert len(publish_server.requests) == 1
    (item,) = publish_server.requests[0][2]["items"]
    assert item["id"] == str(result.event_ids["cpu"])


@pytest.mark.django_db(transaction=True)
def test_publish_skipped_on_rollback(settings: Any, publish_server: PublishServer) -> None:
    settings.GRIP_URL = publish_server.url
    with pytest.raises(RuntimeError), transaction.atomic():
        push("testapp.ops", cpu=1)
        raise RuntimeError
    assert publish_server.requests == []
    assert_nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_publish_refused_raises_after_storing(
    settings: Any, publish_server: PublishServer
) -> None:
    settings.GRIP_URL = publish_server.url
    publish_server.status = 400
    with pytest.raises(PublishError, match="refused the update"):
        push("testapp.ops", cpu=1)
    assert len(events()) == 1
    assert states()["cpu"]["value"] == 1


@pytest.mark.django_db(transaction=True)
def test_publish_after_commit_failure_is_logged(
    settings: Any, publish_server: PublishServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings.GRIP_URL = publish_server.url
    publish_server.status = 400
    with caplog.at_level(logging.ERROR, logger="dashboards_sse"), transaction.atomic():
        push("testapp.ops", cpu=1)
    assert len(publish_server.requests) == 1
    assert "publishing to 'testapp.ops' after commit failed" in caplog.text
    assert len(events()) == 1


# -- batch() -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_batch_one_post_one_event_per_dashboard(
    settings: Any, publish_server: PublishServer
) -> None:
    settings.GRIP_URL = publish_server.url

    with batch() as pushes:
        first = push("testapp.ops", cpu=1, latency=[1, 10])
        push("testapp.ops", cpu=2, latency=[2, 20])
        push("testapp.secret", level=3)
        assert publish_server.requests == [] and not events()  # nothing before the end

    assert pushes == [first, pushes[1], pushes[2]]
    assert [(list(updates(e)), e.eid) for e in events()] == [(["cpu", "latency"], 1)]
    assert states()["cpu"]["value"] == 2  # the newest value wins
    assert states()["latency"]["points"] == [[1, 10], [2, 20]]  # a Chart keeps every point
    (request,) = publish_server.requests
    channels = [item["channel"] for item in request[2]["items"]]
    assert channels == ["events-dashboard.testapp.ops", "events-dashboard.testapp.secret"]
    assert first.event_ids == {"cpu": 1, "latency": 1} and first.published
    assert "2" in first.html["cpu"]  # what viewers were sent for it


@pytest.mark.django_db
def test_batch_checks_each_value_at_its_push() -> None:
    with pytest.raises(InvalidValue, match="'cpu'"), batch():
        push("testapp.ops", cpu=1)
        push("testapp.ops", cpu="not a number")
    assert_nothing_stored()


@pytest.mark.django_db
def test_batch_is_all_or_nothing() -> None:
    with pytest.raises(RuntimeError), batch():
        push("testapp.ops", cpu=1)
        raise RuntimeError("job failed")
    assert_nothing_stored()
    with pytest.raises(UnknownComponent), batch():
        push("testapp.ops", cpu=1)
        push("testapp.ops", nope=1)
    assert_nothing_stored()


@pytest.mark.django_db
def test_batch_oversized_html_stores_nothing(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"MAX_HTML_BYTES": 500}
    with pytest.raises(InvalidValue, match="MAX_HTML_BYTES"), batch():
        push("testapp.ops", cpu=1)
        push("testapp.ops", latency={"series": [[x, x] for x in range(5)]})
    assert_nothing_stored()


@pytest.mark.django_db
def test_nested_batch_joins_the_outer_one() -> None:
    with batch() as outer:
        push("testapp.ops", cpu=1)
        with batch() as inner:
            second = push("testapp.ops", cpu=2)
        assert inner == [second]
        assert not events()  # stored when the outermost batch ends
    assert [list(updates(e)) for e in events()] == [["cpu"]]
    assert len(outer) == 2 and outer[1] is second


@pytest.mark.django_db
def test_empty_batch() -> None:
    with batch() as pushes:
        pass
    assert pushes == []
    assert_nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_batch_over_max_body_is_several_posts_in_order(
    settings: Any, publish_server: PublishServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards_sse.publish import grip as transport

    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 1)  # one item per POST
    settings.GRIP_URL = publish_server.url
    with batch():
        for value in range(3):
            push("testapp.ops", cpu=value, status=f"status {value}")
            push("testapp.secret", level=value)

    ids = [item["id"] for _, _, body in publish_server.requests for item in body["items"]]
    assert len(publish_server.requests) == 2
    assert ids == ["1", "1"]  # one event per dashboard, in push order


@pytest.mark.django_db(transaction=True)
def test_a_message_over_the_size_limit_is_split(
    settings: Any, publish_server: PublishServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 300)  # each component's HTML is bigger
    settings.GRIP_URL = publish_server.url
    result = push("testapp.ops", cpu=1, status="ok")
    assert [list(updates(e)) for e in events()] == [["cpu"], ["status"]]
    assert result.event_ids == {"cpu": 1, "status": 2} and result.event_id == 2
    (request,) = publish_server.requests  # still one POST
    assert [item["id"] for item in request[2]["items"]] == ["1", "2"]
    rows = ComponentState.objects.filter(dashboard="testapp.ops")
    assert dict(rows.values_list("component", "event_id")) == {"cpu": 1, "status": 2}


# -- no GRIP proxy -------------------------------------------------------------------------


@pytest.mark.django_db
def test_embedded_mode_says_so_once_in_the_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a proxy, stored is delivered (embedded streams read the storage): no warning,
    one log line per process saying where the updates go."""
    from dashboards_sse.publish import pipeline

    monkeypatch.setattr(pipeline, "_told_embedded", False)
    with caplog.at_level(logging.INFO, logger="dashboards_sse"):
        push("testapp.ops", cpu=1)
        push("testapp.ops", cpu=2)
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "dashboards_sse: no GRIP_URL or GRIP_PROXIES in this process's settings: updates are "
        "stored and reach the streams Django serves itself (embedded mode), not pages served "
        "through Pushpin."
    )


@pytest.mark.django_db
def test_pushpin_required_without_a_proxy_warns(settings: Any) -> None:
    """No stream can show the update (streams need Pushpin, nothing is published to it)."""
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": True}
    with pytest.warns(NotPublishedWarning) as warned:
        result = push("testapp.ops", cpu=4)
    assert result.published is False and result.event_id is not None  # stored all the same
    assert str(warned[0].message).startswith(
        "dashboards_sse: the update of testapp.ops is stored but not published: no GRIP_URL or "
        "GRIP_PROXIES in this process's settings, and PUSHPIN_REQUIRED is True"
    )
    assert warned[0].filename == __file__  # points at the push() call


@pytest.mark.django_db
def test_nothing_to_publish_warns_nothing(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": True}
    result = push("testapp.activity", events={"remove": "absent"})  # no change on screen
    assert result.event_id is None  # no event: nothing went unpublished, no warning
