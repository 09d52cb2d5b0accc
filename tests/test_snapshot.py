from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from dashboards_sse import Dashboard, Stat, UnknownComponent, push, registry, snapshot
from dashboards_sse.snapshot import current_event_id, take_snapshot
from tests.testapp.dashboards import Ops

pytestmark = pytest.mark.django_db


def html_of(snap: snapshot.Snapshot) -> dict[str, str]:
    return {item.component.name: str(item.html) for item in snap.components}


def test_current_event_id_without_events() -> None:
    assert current_event_id(Ops) == "dashboard.testapp.ops:0"


def test_current_event_id() -> None:
    push("testapp.ops", cpu=1)
    event_id = push("testapp.ops", cpu=2).event_ids["cpu"]
    assert current_event_id(Ops) == f"dashboard.testapp.ops:{event_id}"


def test_snapshot_renders_every_component() -> None:
    snap = take_snapshot(Ops)
    assert snap.dashboard is Ops
    assert snap.last_event_id == "dashboard.testapp.ops:0"
    assert [item.component for item in snap.components] == list(Ops.components.values())


def test_snapshot_uses_stored_state() -> None:
    result = push("testapp.ops", cpu=12.5, latency=[1, 2])
    snap = take_snapshot(Ops)
    html = html_of(snap)
    assert html["cpu"] == result.html["cpu"]
    assert html["latency"] == result.html["latency"]
    assert snap.last_event_id == f"dashboard.testapp.ops:{result.event_ids['latency']}"


def test_snapshot_uses_provider_without_state() -> None:
    html = html_of(take_snapshot(Ops))
    assert '<span class="dsse-number">42</span>' in html["requests"]
    assert html["cpu"] == Ops.components["cpu"].render(None)
    assert "dsse-empty" in html["cpu"]


def test_stored_state_wins_over_provider() -> None:
    push("testapp.ops", requests=7)
    html = html_of(take_snapshot(Ops))
    assert '<span class="dsse-number">7</span>' in html["requests"]
    assert "42" not in html["requests"]


def test_snapshot_of_some_components() -> None:
    snap = take_snapshot(Ops, ["latency", "cpu"])
    assert [item.component.name for item in snap.components] == ["latency", "cpu"]


def test_snapshot_unknown_component() -> None:
    with pytest.raises(UnknownComponent):
        take_snapshot(Ops, ["nope"])


def test_event_id_read_before_states(monkeypatch: pytest.MonkeyPatch) -> None:
    """An update landing between reading the id and the states is rendered and replayed."""
    before = push("testapp.ops", cpu=1).event_ids["cpu"]
    read_id = snapshot.current_event_id

    def id_then_push(dashboard: type[Dashboard]) -> str:
        event_id = read_id(dashboard)
        push("testapp.ops", cpu=99)
        return event_id

    monkeypatch.setattr(snapshot, "current_event_id", id_then_push)
    snap = take_snapshot(Ops)
    assert snap.last_event_id == f"dashboard.testapp.ops:{before}"
    assert '<span class="dsse-number">99.0</span>' in html_of(snap)["cpu"]


@pytest.fixture
def broken() -> Iterator[type[Dashboard]]:
    def fail() -> int:
        raise RuntimeError("database down")

    class Broken(Dashboard):
        slug = "t-snapshot.broken"
        failing = Stat(value=fail)
        invalid = Stat(value=lambda: "not a number")
        fine = Stat(value=lambda: 5)

    yield Broken
    registry.unregister(Broken)


def test_failing_provider_renders_placeholder(
    broken: type[Dashboard], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="dashboards_sse"):
        html = html_of(take_snapshot(broken))
    assert html["failing"] == broken.components["failing"].render(None)
    assert html["invalid"] == broken.components["invalid"].render(None)
    assert '<span class="dsse-number">5</span>' in html["fine"]
    messages = [record.getMessage() for record in caplog.records]
    assert "dashboards_sse: provider for t-snapshot.broken.failing failed" in messages
    assert "dashboards_sse: provider for t-snapshot.broken.invalid failed" in messages
    assert "database down" in caplog.text
