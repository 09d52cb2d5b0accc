"""Row broadcasting: ``Table(..., follow=Order)`` turns model changes into row actions.

A saved instance of a followed model is inserted (or, if its key is shown, replaced) and a
deleted one removed — one push of that row when the transaction commits, never a re-render of
the table, and nothing at all when it rolls back (each change's push is its own ``on_commit``
callback, which a rollback discards). The row is taken at save time. On a scoped dashboard
``follow={Order: "store"}`` (or a callable) names the object(s) each row goes to, as
``refresh_on`` does; ``bulk_create`` and ``QuerySet.update()`` send no signals.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from . import registry
from .components import ScopeOf, Table
from .dashboard import Dashboard, Target, each_dashboard, target_name
from .model_sync import scopes_of
from .publish import push

logger = logging.getLogger("dashboards_sse")

# model -> {(dashboard, table name, what an instance maps to: None when unscoped)}
_followers: dict[type[Model], set[tuple[type[Dashboard], str, ScopeOf | None]]] = defaultdict(set)


def start() -> None:
    """Follow the models of every dashboard's tables, and of those defined later."""
    each_dashboard(follow)


def follow(dashboard: type[Dashboard]) -> None:
    for name, component in dashboard.components.items():
        for ref, scope_of in getattr(component, "follow", ()):
            if dashboard.is_scoped() and scope_of is None:
                raise ImproperlyConfigured(
                    f"{component.qualified_name}: on a scoped dashboard, follow maps the model "
                    "to the scope of each row, e.g. follow={Order: 'store'}."
                )
            model = apps.get_model(ref) if isinstance(ref, str) else ref
            _followers[model].add((dashboard, name, scope_of))
            uid = f"dashboards_sse.broadcast.{model._meta.label}"
            post_save.connect(_saved, sender=model, dispatch_uid=uid + ".save")
            post_delete.connect(_deleted, sender=model, dispatch_uid=uid + ".delete")


def _saved(
    sender: type[Model], instance: Model, raw: bool = False, using: str = "default", **kw: Any
) -> None:
    if not raw:  # loaddata restores, the application did not change anything
        _broadcast(sender, instance, using, deleted=False)


def _deleted(sender: type[Model], instance: Model, using: str = "default", **kw: Any) -> None:
    _broadcast(sender, instance, using, deleted=True)


def _broadcast(sender: type[Model], instance: Model, using: str, *, deleted: bool) -> None:
    pushes: list[tuple[Target, str, Any]] = []
    for dashboard, name, scope_of in _followers.get(sender, ()):
        if not registry.is_registered(dashboard):  # replaced or removed since (tests, reloads)
            continue
        table = dashboard.get_component(name)
        assert isinstance(table, Table)
        row = table.row_of(instance)  # now: after the commit the instance may have changed
        value = {"remove": row[table.key_column]} if deleted else row
        targets: list[Target] = (
            [dashboard]
            if scope_of is None
            else [dashboard.for_(scope) for scope in scopes_of(dashboard, scope_of, instance)]
        )
        pushes += [(target, name, value) for target in targets]
    if pushes:
        transaction.on_commit(lambda: _push(pushes), using=using)


def _push(pushes: list[tuple[Target, str, Any]]) -> None:
    for target, name, value in pushes:
        try:
            if target.get_provider(name) is not None and not _stored(target, name):
                # Nothing stored yet: the table's provider gives the whole set (the committed
                # row among it), not a one-row table.
                target.refresh(name)
            else:
                push(target, **{name: value})
        except Exception:  # the save has committed: log, never raise into it
            logger.exception(
                "dashboards_sse: broadcasting a row to %s.%s failed", target_name(target), name
            )


def _stored(target: Target, name: str) -> bool:
    # from the app registry: this module is imported with the app's config, before models
    states = apps.get_model("dashboards_sse", "ComponentState")
    rows = states._default_manager.filter(dashboard=target.slug, scope=target.scope_key)
    return bool(rows.filter(component=name).exists())
