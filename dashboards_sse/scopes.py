"""Scope keys: which object a scoped dashboard's stream belongs to, as a short, safe string.

A scoped dashboard (``scope = Store``, or ``scope = "user"``) has one stream per object. The
object's *key* (its ``scope_field``, the pk by default) names the stream's channel, its page
and stream URLs and its stored states, so a key is validated before it reaches a query, a URL or
a channel name: 1 to 100 of ``A-Z a-z 0-9 _ . -`` (ints, UUIDs and slugs fit), never ``stream``.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Field, Model

from .exceptions import InvalidKey

USER = "user"  # scope = "user": a stream per user, viewed by that user only
KEY = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
RESERVED_KEYS = frozenset({"stream"})  # /dashboards/<slug>/stream/ is the unscoped stream

Scope = type[Model] | str  # a model, "app_label.Model", or "user"


def scope_model(scope: Scope) -> type[Model]:
    """The model whose objects a scope names (the user model for ``"user"``)."""
    if scope == USER:
        return get_user_model()
    if isinstance(scope, str):
        return apps.get_model(scope)
    return scope


def scope_label(scope: Scope) -> str:
    """How a scope is named to users: ``user`` or ``app_label.Model``."""
    return USER if scope == USER else scope_model(scope)._meta.label


def key_of(scope: Scope, field: str, value: Any, where: str) -> str:
    """The key of ``value``: an object of the scope's model (its ``field``), or a key itself
    (an int, a UUID or a string). Raises InvalidKey."""
    model = scope_model(scope)
    if isinstance(value, Model):
        if not isinstance(value, model):
            raise InvalidKey(
                f"{where}: scoped by {scope_label(scope)}, got a {type(value).__name__} object."
            )
        value = getattr(value, field)
        if value is None:
            raise InvalidKey(f"{where}: the {model.__name__} has no {field} yet (unsaved?).")
    if isinstance(value, bool) or not isinstance(value, int | str | UUID):
        raise InvalidKey(
            f"{where}: a scope key is a {model.__name__}, or its {field} as an int, UUID or "
            f"text, not {type(value).__name__}."
        )
    return check_key(str(value), where)


def check_key(key: str, where: str) -> str:
    if not KEY.fullmatch(key) or key in RESERVED_KEYS:
        shown = key if len(key) <= 40 else key[:37] + "..."
        raise InvalidKey(
            f"{where}: malformed scope key {shown!r}: use 1 to 100 letters, digits, '_', '.' "
            "or '-' (not 'stream')."
        )
    return key


def find_object(scope: Scope, field: str, key: str) -> Model | None:
    """The object a (valid) key names, None when there is none; one indexed query."""
    model = scope_model(scope)
    found_field = model._meta.pk if field == "pk" else model._meta.get_field(field)
    if not isinstance(found_field, Field):
        raise ImproperlyConfigured(f"{model._meta.label}.{field} is not a field: scope_field?")
    lookup = found_field.name
    try:
        value = found_field.to_python(key)
    except ValidationError:  # e.g. "abc" for an integer pk: no such object
        return None
    found: Model | None = model._default_manager.filter(**{lookup: value}).first()
    return found
