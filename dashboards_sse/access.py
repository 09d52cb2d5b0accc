"""Cutting a viewer off the moment they lose access to a dashboard.

Pushpin holds streams without asking Django again, so a permission removed while a stream is open
would go on being served. Here a loss of access (permission or group removed, user deactivated or
deleted) publishes a kick to that user's open streams of the dashboards they may no longer view:
a ``stream-error`` with condition ``forbidden`` (the client stops and shows "offline"), then a
close. Embedded streams re-check by themselves (see embedded.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import conf
from .channels import current_user
from .dashboard import Dashboard, get_dashboards
from .exceptions import PublishError
from .publish.grip import publish_items
from .publish.wire import kick_items

logger = logging.getLogger("dashboards_sse")

REMOVALS = {"post_remove", "post_clear"}


def access_changed(user: Any, dashboards: list[type[Dashboard]] | None = None) -> list[str]:
    """Kick ``user``'s open streams of every dashboard (or those given) they may no longer view.

    Called automatically on permission, group, deactivation and deletion changes; call it
    yourself after changing what a callable ``permission`` looks at. Returns the slugs kicked.
    """
    return _cut_off(user.pk, dashboards)


def _cut_off(user_pk: Any, dashboards: list[type[Dashboard]] | None = None) -> list[str]:
    fresh = current_user(user_pk)
    lost = [
        board
        for board in (dashboards or get_dashboards())
        if board.permission is not None and not board.user_can_view(fresh)
    ]
    if lost:
        config = conf.get_settings()
        publish_items(kick_items(str(user_pk), lost, config.grip_prefix), config)
    return [board.slug for board in lost]


def _after_commit(user: Any) -> None:
    # The id is taken now: a deleted user's pk is cleared before an outer transaction commits.
    user_pk = user.pk

    def kick() -> None:
        try:
            _cut_off(user_pk)
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


def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not getattr(instance, "is_active", True):
        _after_commit(instance)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _after_commit(instance)


def connect_signals() -> None:
    User = get_user_model()
    relations = [getattr(User, name, None) for name in ("user_permissions", "groups")]
    throughs = [rel.through for rel in relations if rel is not None] + [Group.permissions.through]
    for through in throughs:  # custom user models may lack PermissionsMixin
        m2m_changed.connect(_permissions_removed, sender=through, dispatch_uid=f"dsse-{through}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="dsse-user-saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="dsse-user-deleted")
