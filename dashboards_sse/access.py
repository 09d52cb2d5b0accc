"""Cutting a viewer off the moment they lose access to a dashboard.

Pushpin holds streams without asking Django again, so a permission removed while a stream is open
would go on being served. Here a loss of access (permission or group removed, user deactivated or
deleted) publishes a kick to that user's open streams of the dashboards they may no longer view:
a ``stream-error`` with condition ``forbidden`` (the client stops and shows "offline"), then a
close. Embedded streams re-check by themselves (see embedded.py).

Scoped dashboards have a stream per object, and knowing which of them a user has open would
mean enumerating every key: instead all of the user's streams are closed (one item to their
per-user channel), and each client reconnects within RECONNECT_SPREAD_MS (jittered), where
the permission is applied again — those still allowed carry on from their last event. The same
happens when a user loses staff or superuser status, changes their password, or logs out
(Pushpin's follow-up requests carry only the user's id, never their session).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from . import conf
from .channels import current_user
from .dashboard import Dashboard, get_dashboards
from .exceptions import PublishError
from .publish.grip import publish_items
from .publish.wire import close_item, kick_items

logger = logging.getLogger("dashboards_sse")

REMOVALS = {"post_remove", "post_clear"}
# User fields whose change may take access away: a stream opened before must re-check.
WATCHED_FIELDS = ("is_active", "is_staff", "is_superuser", "password")


def access_changed(user: Any, dashboards: list[type[Dashboard]] | None = None) -> list[str]:
    """Kick ``user``'s open streams of every dashboard (or those given) they may no longer view.

    Called automatically on permission, group, deactivation and deletion changes; call it
    yourself after changing what a callable ``permission`` looks at. Returns the slugs kicked;
    with scoped dashboards among them, all of the user's streams are closed too, and re-check
    their access as they reconnect.
    """
    return _cut_off(user.pk, dashboards)


def _cut_off(
    user_pk: Any, dashboards: list[type[Dashboard]] | None = None, *, recheck: bool = False
) -> list[str]:
    """Kick the user's streams of the dashboards they lost; close all their streams when a
    scoped dashboard may be among the lost ones (or ``recheck``), so every one re-checks."""
    fresh = current_user(user_pk)
    boards = dashboards or get_dashboards()
    lost = [
        board
        for board in boards
        if not board.is_scoped()
        and board.permission is not None
        and not board.user_can_view(fresh)
    ]
    recheck = recheck or any(board.is_scoped() for board in boards)
    config = conf.get_settings()
    items = kick_items(str(user_pk), lost, config.grip_prefix)
    if recheck:
        items.append(close_item(str(user_pk), config.grip_prefix))
    if items:
        publish_items(items, config)
    return [board.slug for board in lost]


def _after_commit(user: Any, *, recheck: bool = False) -> None:
    # The id is taken now: a deleted user's pk is cleared before an outer transaction commits.
    user_pk = user.pk

    def kick() -> None:
        try:
            _cut_off(user_pk, recheck=recheck)
        except PublishError:
            logger.exception("dashboards_sse: could not cut off user %s", user_pk)

    transaction.on_commit(kick)


def _affected_users(sender: Any, instance: Any, reverse: bool, pk_set: set[Any] | None) -> Any:
    User = get_user_model()
    if isinstance(instance, User):
        return [instance]
    if sender is Group.permissions.through:  # a group lost permissions, or a permission groups
        groups = Group.objects.filter(pk__in=pk_set or ()) if reverse else [instance]
        return User._default_manager.filter(groups__in=groups).distinct()
    # the permission's or group's side of user_permissions / groups: pk_set holds user ids
    return User._default_manager.filter(pk__in=pk_set or ())


def _permissions_removed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **kwargs: Any
) -> None:
    if action in REMOVALS:
        for user in _affected_users(sender, instance, reverse, pk_set):
            _after_commit(user)


def _user_saving(
    sender: Any, instance: Any, update_fields: Any = None, raw: bool = False, **kwargs: Any
) -> None:
    """Before a user is saved: note whether a field that may take access away changes (one
    query, skipped when ``update_fields`` names none of them, e.g. a login's last_login)."""
    if raw or instance.pk is None:
        return
    fields = [f for f in WATCHED_FIELDS if hasattr(instance, f)]
    if update_fields is not None:
        fields = [f for f in fields if f in update_fields]
    if not fields:
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    if before is None:
        return
    changes = (_shrinks(f, before[f], getattr(instance, f)) for f in fields)
    instance._dsse_access_may_shrink = any(changes)


def _shrinks(field: str, before: Any, after: Any) -> bool:
    """A new password, or a flag (active, staff, superuser) turned off."""
    return before != after if field == "password" else bool(before) and not after


def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        return
    if getattr(instance, "_dsse_access_may_shrink", False) or not getattr(
        instance, "is_active", True
    ):
        instance._dsse_access_may_shrink = False
        _after_commit(instance, recheck=True)


def _user_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _after_commit(user, recheck=True)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _after_commit(instance)


def connect_signals() -> None:
    User = get_user_model()
    relations = [getattr(User, name, None) for name in ("user_permissions", "groups")]
    throughs = [rel.through for rel in relations if rel is not None] + [Group.permissions.through]
    for through in throughs:  # custom user models may lack PermissionsMixin
        m2m_changed.connect(_permissions_removed, sender=through, dispatch_uid=f"dsse-{through}")
    pre_save.connect(_user_saving, sender=User, dispatch_uid="dsse-user-saving")
    post_save.connect(_user_saved, sender=User, dispatch_uid="dsse-user-saved")
    user_logged_out.connect(_user_logged_out, dispatch_uid="dsse-user-logged-out")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="dsse-user-deleted")
