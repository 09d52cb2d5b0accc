from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import timedelta

import pytest

from dashboards_sse import Chart, Dashboard, Stat, registry
from dashboards_sse.exceptions import PartialPublishError, PublishError

celery = pytest.importorskip("celery", reason="the celery extra is not installed")

from dashboards_sse.contrib.celery import beat_schedule, push_task, refresh_task  # noqa: E402


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


def test_tasks_retry_only_publish_errors() -> None:
    for task in (push_task, refresh_task):
        assert task.autoretry_for == (PublishError,)
        assert task.max_retries == 5


@pytest.mark.django_db(transaction=True)
def test_push_task_runs_eagerly(dashboard_pushes: object) -> None:
    answer = push_task.apply(args=("testapp.ops", {"cpu": 12})).get()
    assert answer["dashboard"] == "testapp.ops" and "cpu" in answer["event_ids"]


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        (PublishError("no Pushpin accepted it"), 1 + push_task.max_retries),
        (PartialPublishError("one of two did not", ["http://a"], {"http://b": "x"}), 1),
    ],
)
def test_a_partly_accepted_push_is_not_pushed_again(
    monkeypatch: pytest.MonkeyPatch, error: PublishError, calls: int
) -> None:
    """Pushing again would show the update twice to the proxies that accepted it."""
    from dashboards_sse.contrib import celery as module

    attempts: list[str] = []

    def failing_push(dashboard: str, **values: object) -> None:
        attempts.append(dashboard)
        raise error

    monkeypatch.setattr(module, "push", failing_push)
    monkeypatch.setattr(push_task, "retry_backoff", False)  # eager retries, no waiting
    result = push_task.apply(args=("testapp.ops", {"cpu": 1}))
    assert result.failed()
    assert type(result.result) is type(error)
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
