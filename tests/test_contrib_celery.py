from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from dashboards_sse import Chart, Dashboard, Stat, registry
from dashboards_sse.exceptions import PartialPublishError, PublishError

celery = pytest.importorskip("celery", reason="the celery extra is not installed")

from dashboards_sse.contrib.celery import (  # noqa: E402
    beat_schedule,
    push_task,
    refresh_task,
    republish_task,
)
from dashboards_sse.models import ComponentState  # noqa: E402
from tests.conftest import PublishServer  # noqa: E402


@pytest.fixture
def scheduled() -> Iterator[type[Dashboard]]:
    class Scheduled(Dashboard):
        slug = "t-celery.scheduled"
        fast = Stat(value=lambda: 1, refresh_every=timedelta(seconds=5))
        also_fast = Chart(value=lambda: 2, refresh_every=5)
        slow = Stat(value=lambda: 3, refresh_every=timedelta(minutes=1))
        manual = Stat()

    yield Scheduled
    registry.unregister(Scheduled)


def test_beat_schedule_groups_components_by_interval(scheduled: type[Dashboard]) -> None:
    schedule = beat_schedule()
    assert schedule["dashboards_sse t-celery.scheduled every 5s"] == {
        "task": "dashboards_sse.refresh",
        "schedule": timedelta(seconds=5),
        "args": ("t-celery.scheduled", ["fast", "also_fast"]),
    }
    assert schedule["dashboards_sse t-celery.scheduled every 60s"]["args"] == (
        "t-celery.scheduled",
        ["slow"],
    )
    assert not [key for key in schedule if "testapp" in key]  # nothing declared there


@pytest.mark.parametrize("every", [0, -1, timedelta(0)])
def test_refresh_every_must_be_positive(every: object) -> None:
    with pytest.raises(ValueError, match="refresh_every must be positive"):
        Stat(refresh_every=every)  # type: ignore[arg-type]


def test_only_republishing_is_retried() -> None:
    assert republish_task.autoretry_for == (PublishError,)
    assert republish_task.max_retries == 5
    for task in (push_task, refresh_task):  # their push stored the update: never pushed again
        assert not getattr(task, "autoretry_for", ())


@pytest.mark.django_db(transaction=True)
def test_push_task_runs_eagerly(dashboard_pushes: object) -> None:
    answer = push_task.apply(args=("testapp.ops", {"cpu": 12})).get()
    assert answer["dashboard"] == "testapp.ops" and "cpu" in answer["event_ids"]


@pytest.mark.django_db(transaction=True)
def test_an_unaccepted_push_is_stored_once_and_published_again(
    settings: Any, publish_server: PublishServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pushpin refuses, then accepts: the Chart's point is stored once and its event is
    published again, byte for byte, by republish_task (eager here: Celery runs it inline)."""
    settings.GRIP_URL = publish_server.url
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 0.2}
    publish_server.statuses = [503] * 50  # every attempt of the push's budget fails
    calls: list[tuple[Any, ...]] = []

    def apply_async(args: tuple[Any, ...], **options: Any) -> Any:
        calls.append(args)
        publish_server.statuses = []  # Pushpin is back
        return republish_task.apply(args)  # run here, not through a broker

    monkeypatch.setattr(republish_task, "apply_async", apply_async)
    answer = push_task.apply(args=("testapp.ops", {"latency": 120})).get()

    assert answer["event_ids"] == {} and answer["republish_task"]
    state = ComponentState.objects.get(dashboard="testapp.ops", component="latency").state
    assert len(state["points"]) == 1  # stored once, not pushed again
    ((items,),) = calls
    bodies = [body for method, _, body in publish_server.requests if method == "POST"]
    assert bodies[-1] == {"items": items}  # the same stored event, published again
    assert bodies[0] == bodies[-1]


def test_a_partly_accepted_push_is_not_pushed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pushing again would show the update twice to the proxies that accepted it."""
    from dashboards_sse.contrib import celery as module

    attempts: list[str] = []
    error = PartialPublishError("one of two did not", ["http://a"], {"http://b": "x"})

    def failing_push(dashboard: str, **values: object) -> None:
        attempts.append(dashboard)
        raise error

    monkeypatch.setattr(module, "push", failing_push)
    result = push_task.apply(args=("testapp.ops", {"cpu": 1}))
    assert result.failed()
    assert type(result.result) is PartialPublishError
    assert len(attempts) == 1


@pytest.mark.parametrize("calls", [1 + republish_task.max_retries])
def test_republishing_is_retried_while_pushpin_is_away(
    monkeypatch: pytest.MonkeyPatch, calls: int
) -> None:
    from dashboards_sse.contrib import celery as module

    attempts: list[object] = []

    def failing(items: object) -> None:
        attempts.append(items)
        raise PublishError("no Pushpin accepted it")

    monkeypatch.setattr(module, "republish", failing)
    monkeypatch.setattr(republish_task, "retry_backoff", False)  # eager retries, no waiting
    result = republish_task.apply(args=([{"channel": "x"}],))
    assert result.failed()
    assert len(attempts) == calls


def test_partial_publish_error_survives_pickling() -> None:
    """Celery's result backends pickle a failed task's exception."""
    error = PartialPublishError("one of two did not", ["http://a"], {"http://b": "refused"})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PartialPublishError
    assert (str(copy), copy.accepted, copy.failed) == (str(error), error.accepted, error.failed)


@pytest.mark.django_db(transaction=True)
def test_tasks_take_a_scoped_dashboards_key(dashboard_pushes: object) -> None:
    from dashboards_sse import UnknownScope
    from tests.testapp.models import Order, Store

    north = Store.objects.create(name="North", code="north")
    Store.objects.create(name="South", code="south")
    Order.objects.bulk_create([Order(store=north)])
    answer = push_task.apply(args=("testapp.store-sales", {"revenue": 5}, "north")).get()
    assert answer["key"] == "north" and "revenue" in answer["event_ids"]
    assert refresh_task.apply(args=("testapp.store-sales", ["orders"], "north")).get()["key"]
    refreshed = refresh_task.apply(args=("testapp.store-sales", ["orders"])).get()  # scopes()
    assert refreshed == {"dashboard": "testapp.store-sales", "key": None, "event_ids": {}}
    result = push_task.apply(args=("testapp.store-sales", {"revenue": 5}, "nowhere"))
    assert isinstance(result.result, UnknownScope)  # not retried: nothing was stored
