"""Keeping components in sync with models: ``Stat(value=..., refresh_on=[Order])``.

A save or delete of a listed model marks the component stale; when the transaction commits, the
stale components of each dashboard are recomputed from their providers and pushed in one push —
once per transaction, not once per row. Outside a transaction that is right after the save.
``bulk_create``, ``QuerySet.update()`` and ``delete()`` on a queryset send no per-row signals
(``delete()`` does for models with signals connected): call ``Dashboard.refresh()`` after them.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from . import registry
from .dashboard import Dashboard, get_dashboards
from .types import Board

logger = logging.getLogger("dashboards_sse")

# model -> {(dashboard, component name)}
_watchers: dict[type[Model], set[tuple[type[Dashboard], str]]] = defaultdict(set)
_stale = threading.local()  # per thread: {database alias: {dashboard: {component names}}}


def start() -> None:
    """Watch every dashboard's ``refresh_on`` models, and those of dashboards defined later
    (called once the app registry is ready: model references are resolved through it)."""
    for dashboard in get_dashboards():
        watch(dashboard)
    registry.on_register(_registered)


def _registered(board: Board) -> None:
    if isinstance(board, type) and issubclass(board, Dashboard):
        watch(board)


def watch(dashboard: type[Dashboard]) -> None:
    """Connect the ``refresh_on`` models of a dashboard's components (needs the app registry)."""
    for name, component in dashboard.components.items():
        if component.refresh_on and dashboard.get_provider(name) is None:
            raise ImproperlyConfigured(
                f"{component.qualified_name}: refresh_on needs a provider "
                f"(value=... or get_{name}_value) to recompute the component from."
            )
        for ref in component.refresh_on:
            model = apps.get_model(ref) if isinstance(ref, str) else ref
            _watchers[model].add((dashboard, name))
            uid = f"dashboards_sse.model_sync.{model._meta.label}"
            post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
            post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")


def _changed(
    sender: type[Model], raw: bool = False, using: str = "default", **kwargs: Any
) -> None:
    if raw:  # loaddata: the database is being restored, not changed by the application
        return
    stale = _stale.__dict__.setdefault(using, defaultdict(set))
    for dashboard, name in _watchers.get(sender, ()):
        stale[dashboard].add(name)
    # One flush per change; the first to run after commit pushes everything, the rest find
    # nothing left. Rolled-back changes leave names behind: the next flush recomputes them too.
    transaction.on_commit(lambda: flush(using), using=using)


def flush(using: str = "default") -> None:
    """Push every stale component now (one push per dashboard). Errors are logged: the save
    that triggered them has committed already."""
    stale = _stale.__dict__.pop(using, None)
    for dashboard, names in (stale or {}).items():
        if not registry.is_registered(dashboard):  # replaced or removed since (tests, reloads)
            continue
        try:
            dashboard.refresh(*sorted(names))
        except Exception:
            logger.exception(
                "dashboards_sse: refreshing %s after a model change failed", dashboard.slug
            )
