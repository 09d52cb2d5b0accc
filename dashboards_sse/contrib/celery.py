"""Celery tasks for pushing and refreshing (optional extra ``celery``).

    # proj/celery.py
    app = Celery("proj")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.imports = ["dashboards_sse.contrib.celery"]
    app.conf.beat_schedule = beat_schedule()  # every component declared with refresh_every

Tasks run ``push()`` synchronously inside the worker process, so a prefork child that exits or
is recycled right after loses nothing. When Pushpin does not accept an update (``PublishError``)
it is stored already: the task hands its stored events to ``republish_task``, which publishes
them again with backoff — pushing the values again would store them twice (a Chart's point
appended twice). A bad dashboard, component or value fails at once, without retries. So does a
publish some proxies of a fleet accepted (``PartialPublishError``): their viewers have it, and
the others catch up from the stored event.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import django
from django.apps import apps

try:
    from celery import shared_task
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "dashboards_sse.contrib.celery needs Celery: pip install 'django-dashboards-sse[celery]'"
    ) from exc

from ..dashboard import ScopedDashboard, get_dashboard, get_dashboards, get_target
from ..exceptions import PartialPublishError, PublishError
from ..publish import push, republish
from ..types import Pushed

# republish_task's: an unreachable Pushpin is tried again, with backoff, about 2 minutes in all.
RETRY = {
    "autoretry_for": (PublishError,),
    "dont_autoretry_for": (PartialPublishError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def _target(dashboard: str, key: str | None) -> Any:
    """The dashboard, or the object ``key`` names of a scoped one (which must exist)."""
    target = get_target(dashboard, key)
    if isinstance(target, ScopedDashboard):
        target.require_object()
    return target


def _answer(dashboard: str, key: str | None, pushed: Pushed | None) -> dict[str, Any]:
    return {
        "dashboard": pushed.dashboard if pushed else dashboard,
        "key": key,
        "event_ids": pushed.event_ids if pushed else {},
    }


def _republish_later(dashboard: str, key: str | None, error: PublishError) -> dict[str, Any]:
    """The stored update's events to ``republish_task``; the task's answer says so."""
    later = republish_task.apply_async((error.items,), countdown=1)
    return {"dashboard": dashboard, "key": key, "event_ids": {}, "republish_task": later.id}


@shared_task(name="dashboards_sse.push")
def push_task(dashboard: str, values: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """Push ``values`` ({component: value}) to one dashboard (of a scoped one: the object
    ``key`` names); returns the event ids, or the id of the task publishing them again."""
    try:
        pushed = push(_target(dashboard, key), **values)
    except PartialPublishError:
        raise
    except PublishError as error:
        return _republish_later(dashboard, key, error)
    return _answer(dashboard, key, pushed)


@shared_task(name="dashboards_sse.refresh")
def refresh_task(
    dashboard: str, components: list[str] | None = None, key: str | None = None
) -> dict[str, Any]:
    """Recompute providers (all of the dashboard's, or ``components``) and push them; of a
    scoped dashboard, for the object ``key`` names, or every object its ``scopes()`` yields."""
    target = _target(dashboard, key) if key is not None else get_dashboard(dashboard)
    try:
        pushed = target.refresh(*(components or ()))
    except PartialPublishError:
        raise
    except PublishError as error:
        return _republish_later(dashboard, key, error)
    return _answer(dashboard, key, pushed)


@shared_task(name="dashboards_sse.republish", **RETRY)
def republish_task(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Publish stored events again (``PublishError.items``), retried while Pushpin is away."""
    republish(items)
    return {"items": len(items)}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """A Celery beat schedule with one entry per dashboard and interval, from the components
    declared with ``refresh_every=timedelta(...)`` (or seconds)."""
    if not apps.ready:  # beat may build its schedule before the Django fixup set Django up
        django.setup()
    groups: dict[tuple[str, float], list[str]] = defaultdict(list)
    for dashboard in get_dashboards():
        for name, component in dashboard.components.items():
            if component.refresh_every is not None:
                groups[(dashboard.slug, component.refresh_every)].append(name)
    return {
        f"dashboards_sse {slug} every {seconds:g}s": {
            "task": "dashboards_sse.refresh",
            "schedule": timedelta(seconds=seconds),
            "args": (slug, names),
        }
        for (slug, seconds), names in groups.items()
    }
