"""Share links: a signed, expiring, revocable read-only link to one dashboard, for a wall screen
that cannot log in.

A grant (``models.ShareGrant``) names one dashboard, or one object's stream of a scoped one. Its
link is the page URL with ``?share=<token>``, the token being the grant's id signed with
SECRET_KEY (``django.core.signing``, a salt of its own): it cannot be forged or turned into
another grant's, and the row decides on every request whether it still opens anything.

- **Page.** The first request (``?share=``) sets a cookie scoped to that dashboard's path
  (HttpOnly, SameSite=Lax, Secure over HTTPS, until the grant expires) and redirects to the
  clean URL: the token leaves the address bar and the history, so no ``Referer`` can carry it;
  every shared response also says ``Referrer-Policy: no-referrer``.
- **Stream.** The page's EventSource sends the cookie (same path). Through Pushpin, its
  follow-up requests (recover, next link) carry the token in their URL, which only Pushpin and
  Django see, and each re-checks the row. Every held stream of a grant also listens on the
  grant's own channel: ``revoke`` publishes a ``forbidden`` stream-error and a close there, so
  open streams end within a second. Expiry needs no publisher: a stream's next-link timeout is
  capped at the grant's remaining time, so Pushpin asks again when it expires and the answer
  ends the stream. Embedded streams re-check the row every second.
- **Nothing else.** A grant opens its dashboard's page and stream, read only, and is no login:
  other dashboards, other objects of a scoped one and the admin see an anonymous visitor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import signing
from django.db import transaction
from django.utils import timezone

from . import conf
from .dashboard import ScopedDashboard, Target, get_target, target_name
from .exceptions import InvalidShare, InvalidValue, PublishError, UnknownShare
from .publish.grip import publish_items
from .publish.wire import share_close_items

if TYPE_CHECKING:
    from .models import ShareGrant

logger = logging.getLogger("dashboards_sse")

COOKIE = "dsse_share"
TOKEN_PARAM = "share"  # the link's query parameter
TOKEN_SALT = "dashboards_sse.share"  # a signature made for nothing else
# An embedded stream (no Pushpin) of a share re-reads its grant this often, in seconds.
EMBEDDED_RECHECK_SECONDS = 1.0
MAX_LABEL = 200
REVOKED_TEXT = "This share link was revoked."
EXPIRED_TEXT = "This share link expired."


def _grants() -> type[ShareGrant]:
    """The model, from the app registry: the package imports this module while Django loads its
    apps, before any models module can be imported (as publish/store.py does)."""
    model: type[ShareGrant] = apps.get_model("dashboards_sse", "ShareGrant")
    return model


def share(
    dashboard: Any, key: Any = None, *, expires: timedelta | datetime, label: str = ""
) -> ShareGrant:
    """A new share grant for ``dashboard`` (a class, a slug, or ``StoreSales.for_(store)``; or
    a scoped dashboard and its object or ``key``), valid until ``expires`` (a timedelta from
    now, or an aware datetime). ``grant.url("https://dash.example.com")`` is its link,
    ``grant.path`` the same without the site. Raises UnknownDashboard, UnknownScope, InvalidKey
    or InvalidValue."""
    target = get_target(dashboard, key)
    name = target_name(target)
    if isinstance(target, ScopedDashboard):
        target.require_object()
    if target.external_page_url() is not None:
        raise InvalidValue(
            f"dashboard {name!r} is rendered by another framework, whose own access rules "
            "apply: it cannot be shared."
        )
    now = timezone.now()
    until = now + expires if isinstance(expires, timedelta) else expires
    if not isinstance(until, datetime) or timezone.is_aware(until) != timezone.is_aware(now):
        raise InvalidValue(
            f"share {name!r}: expires takes a timedelta or an aware datetime, got {expires!r}."
        )
    if until <= now:
        raise InvalidValue(f"share {name!r}: expires must be in the future, got {until}.")
    if len(label) > MAX_LABEL:
        raise InvalidValue(f"share {name!r}: a label has at most {MAX_LABEL} characters.")
    return _grants().objects.create(
        dashboard=target.slug, scope=target.scope_key, label=label, expires=until
    )


def revoke(grant_id: int) -> ShareGrant:
    """Revoke a grant: its link opens nothing any more, and its open streams are told so and
    closed within a second (after the transaction commits). Revoking again closes again.

    Outside a transaction, a GRIP proxy that does not take the close raises PublishError (the
    grant stays revoked; its streams end at Pushpin's next follow-up request): run it again.
    """
    grant = _grants().objects.filter(pk=grant_id).first()
    if grant is None:
        raise UnknownShare(
            f"No share grant {grant_id}: `manage.py dashboards_sse share --list` lists them."
        )
    if grant.revoked is None:
        grant.revoked = timezone.now()
        grant.save(update_fields=["revoked"])
    config = conf.get_settings()
    items = share_close_items(grant.pk, REVOKED_TEXT, config.grip_prefix)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _close_logged(grant.pk, items))
        return grant
    try:
        publish_items(items, config)
    except PublishError as exc:
        raise PublishError(
            f"Share {grant.pk} is revoked, but its open streams were not closed: {exc} They "
            "end at Pushpin's next follow-up request; run revoke again once it is reachable."
        ) from None
    return grant


def _close_logged(grant_id: int, items: list[dict[str, Any]]) -> None:
    try:
        publish_items(items, conf.get_settings())
    except PublishError:
        logger.exception("dashboards_sse: could not close the streams of share %s", grant_id)


def grant_id(token: str) -> int:
    """The id a token names, if its signature is ours. Raises InvalidShare."""
    try:
        text = signing.Signer(salt=TOKEN_SALT).unsign(token)
        return int(text)
    except (signing.BadSignature, ValueError):
        raise InvalidShare(
            "This share link is not valid: it was mistyped, cut short, or made for another "
            "site (another SECRET_KEY). Ask for a new link."
        ) from None


def check(token: str, slug: str, scope_key: str = "") -> ShareGrant:
    """The grant ``token`` names, if it still opens the dashboard ``slug`` (the object
    ``scope_key`` of a scoped one). Raises InvalidShare saying why not (forged, deleted, for
    another dashboard, revoked, expired). Compares names only: nothing is looked up for a
    link that opens nothing, so a link cannot probe which objects exist."""
    grant = _grants().objects.filter(pk=grant_id(token)).first()
    if grant is None:
        raise InvalidShare("This share link no longer exists (its grant was deleted).")
    if (grant.dashboard, grant.scope) != (slug, scope_key):
        raise InvalidShare("This share link is for another dashboard.")
    if grant.revoked is not None:
        raise InvalidShare(f"{REVOKED_TEXT[:-1]} on {grant.revoked:%Y-%m-%d %H:%M %Z}.")
    if grant.expires <= timezone.now():
        raise InvalidShare(f"{EXPIRED_TEXT[:-1]} on {grant.expires:%Y-%m-%d %H:%M %Z}.")
    return grant


def still_valid(grant_pk: int) -> bool:
    """Whether a grant is neither revoked nor expired now (one query)."""
    return (
        _grants()
        .objects.filter(pk=grant_pk, revoked__isnull=True, expires__gt=timezone.now())
        .exists()
    )


def seconds_left(grant: ShareGrant) -> float:
    return (grant.expires - timezone.now()).total_seconds()


# The channel a share grant opens for the request being served: django-eventstream's channel
# check (channels.py) and the page's template tags admit it (views.py sets it).
_granted: ContextVar[str | None] = ContextVar("dashboards_sse_granted", default=None)


@contextmanager
def granted(target: Target) -> Iterator[None]:
    """Within the block, ``target`` (and nothing else) may be read without a permission."""
    token = _granted.set(target.channel)
    try:
        yield
    finally:
        _granted.reset(token)


def is_granted(channel: str) -> bool:
    return bool(channel) and _granted.get() == channel
