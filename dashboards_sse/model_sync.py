"""Keeping components in sync with models: ``Stat(value=..., refresh_on=[Order])``.

On a scoped dashboard each model maps an instance to the scope(s) it touches:
``refresh_on={Order: "store"}`` (a field holding the object or key) or a callable returning
objects or keys; only those objects' streams are refreshed. A field's value as loaded is kept
(``post_init``), so a change that moves an instance (a task reassigned, an order moved to
another store) refreshes the object it left as well as the one it joined.

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
from uuid import UUID

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Field, ForeignKey, Model
from django.db.models.signals import post_delete, post_init, post_save

from . import registry
from .components import ScopeOf
from .dashboard import Dashboard, ScopedDashboard, Target, each_dashboard, target_name

logger = logging.getLogger("dashboards_sse")

# model -> {(dashboard, component name, what an instance maps to: None when unscoped)}
_watchers: dict[type[Model], set[tuple[type[Dashboard], str, ScopeOf | None]]] = defaultdict(set)
_stale = threading.local()  # per thread: {database alias: {target: {component names}}}
# model -> attnames of the fields that name a scope; their values as loaded are kept on the
# instance, so a save that changes one also refreshes the scope the instance left.
_loaded_fields: dict[type[Model], set[str]] = defaultdict(set)
LOADED = "_dashboards_sse_loaded"


def _remember(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    setattr(instance, LOADED, {f: instance.__dict__.get(f) for f in _loaded_fields[sender]})


def start() -> None:
    """Watch every dashboard's ``refresh_on`` models, and those of dashboards defined later
    (called once the app registry is ready: model references are resolved through it)."""
    each_dashboard(watch)


def watch(dashboard: type[Dashboard]) -> None:
    """Connect the ``refresh_on`` models of a dashboard's components (needs the app registry)."""
    for name, component in dashboard.components.items():
        if component.refresh_on and dashboard.get_provider(name) is None:
            raise ImproperlyConfigured(
                f"{component.qualified_name}: refresh_on needs a provider "
                f"(value=... or get_{name}_value) to recompute the component from."
            )
        for ref, scope_of in component.refresh_on:
            if dashboard.is_scoped() and scope_of is None:
                raise ImproperlyConfigured(
                    f"{component.qualified_name}: on a scoped dashboard, refresh_on maps each "
                    "model to the scope its instances touch, e.g. refresh_on={Order: 'store'}."
                )
            model = apps.get_model(ref) if isinstance(ref, str) else ref
            _watchers[model].add((dashboard, name, scope_of))
            uid = f"dashboards_sse.model_sync.{model._meta.label}"
            post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
            post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")
            field = model._meta.get_field(scope_of) if isinstance(scope_of, str) else None
            if isinstance(field, Field):  # a concrete field (not a reverse relation)
                _loaded_fields[model].add(field.attname)
                post_init.connect(_remember, sender=model, dispatch_uid=uid + ".init")


def _changed(
    sender: type[Model],
    instance: Model,
    raw: bool = False,
    using: str = "default",
    **kwargs: Any,
) -> None:
    if raw:  # loaddata: the database is being restored, not changed by the application
        return
    stale = _stale.__dict__.setdefault(using, defaultdict(set))
    for dashboard, name, scope_of in _watchers.get(sender, ()):
        if scope_of is None:
            stale[dashboard].add(name)
            continue
        for scope in scopes_of(dashboard, scope_of, instance):
            stale[dashboard.for_(scope)].add(name)
    setattr(instance, LOADED, {f: instance.__dict__.get(f) for f in _loaded_fields[sender]})
    # One flush per change; the first to run after commit pushes everything, the rest find
    # nothing left. Rolled-back changes leave names behind: the next flush recomputes them too.
    transaction.on_commit(lambda: flush(using), using=using)


def flush(using: str = "default") -> None:
    """Push every stale component now (one push per dashboard). Errors are logged: the save
    that triggered them has committed already."""
    stale: dict[Target, set[str]] | None = _stale.__dict__.pop(using, None)
    for target, names in (stale or {}).items():
        dashboard = target.dashboard if isinstance(target, ScopedDashboard) else target
        if not registry.is_registered(dashboard):  # replaced or removed since (tests, reloads)
            continue
        try:
            target.refresh(*sorted(names))
        except Exception:
            logger.exception(
                "dashboards_sse: refreshing %s after a model change failed", target_name(target)
            )


def scopes_of(dashboard: type[Dashboard], scope_of: ScopeOf, instance: Model) -> list[Any]:
    """The objects or keys of ``dashboard``'s scope that a change of ``instance`` touches."""
    if callable(scope_of):
        return _as_list(scope_of(instance))
    field = instance._meta.get_field(scope_of)
    if isinstance(field, ForeignKey) and dashboard.scope_field == "pk":
        found = _as_list(getattr(instance, field.attname))  # the key itself: no query
    else:
        found = _as_list(getattr(instance, scope_of))
    if not isinstance(field, Field):  # a reverse relation: nothing was loaded to compare
        return found
    before = getattr(instance, LOADED, {}).get(field.attname)
    if before is not None and before != instance.__dict__.get(field.attname):
        found.append(before if dashboard.scope_field == "pk" else _previous(field, before))
    return found


def _previous(field: Any, before: Any) -> Any:
    """The object a foreign key pointed at before (its scope key may be another field)."""
    if not field.is_relation:
        return before
    return field.related_model._default_manager.filter(pk=before).first()


def _as_list(found: Any) -> list[Any]:
    if found is None:
        return []
    if hasattr(found, "all"):  # a related manager (many-to-many, reverse foreign key)
        found = found.all()
    if isinstance(found, str | int | UUID | Model):
        return [found]
    return [item for item in found if item is not None]
