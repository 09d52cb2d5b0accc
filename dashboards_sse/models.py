"""The latest pushed state of each component, kept so pages render what viewers last saw."""

from __future__ import annotations

from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .sharing import TOKEN_PARAM, TOKEN_SALT


class ComponentState(models.Model):
    """One row per (dashboard, scope, component): the state last pushed, and the event that
    carried it. ``scope`` is the key of a scoped dashboard's object (a store's pk, a user's
    pk), empty for an unscoped dashboard.

    Pages render from these rows together with the channel's current event id, so an update
    pushed between page render and stream open is replayed, never missed. Chart windows live
    here too, which lets a short-lived process append one point.
    """

    dashboard = models.CharField(max_length=200)
    scope = models.CharField(max_length=100, default="", blank=True)
    component = models.CharField(max_length=100)
    state = models.JSONField()
    event_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)
    # Coalescing (a component's ``max_rate``): when its last event went out (Unix time), and
    # whether the stored state is newer than that event and still waits to be published.
    published_at = models.FloatField(null=True)
    pending = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dashboard", "scope", "component"], name="dsse_unique_scoped_state"
            )
        ]

    def __str__(self) -> str:
        scope = f"/{self.scope}" if self.scope else ""
        return f"{self.dashboard}{scope}.{self.component}"


class ShareGrant(models.Model):
    """A read-only link to one dashboard (one object's stream of a scoped one) for a screen
    that cannot log in. The link carries a token signed with SECRET_KEY naming this row; the
    row decides (revoked, expired) on every page, stream and Pushpin follow-up request."""

    dashboard = models.CharField(max_length=200)
    scope = models.CharField(max_length=100, default="", blank=True)
    label = models.CharField(max_length=200, default="", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    revoked = models.DateTimeField(null=True, blank=True)

    @property
    def token(self) -> str:
        """This grant's id, signed with SECRET_KEY (``42:<signature>``): not forgeable, and
        void for every other grant."""
        return signing.Signer(salt=TOKEN_SALT).sign(str(self.pk))

    @property
    def path(self) -> str:
        """The share link without the site's address: the page URL with the token."""
        if self.scope:
            page = reverse("dashboards_sse:scoped-page", args=[self.dashboard, self.scope])
        else:
            page = reverse("dashboards_sse:page", args=[self.dashboard])
        return f"{page}?{TOKEN_PARAM}={self.token}"

    def url(self, base_url: str) -> str:
        """The share link on the site at ``base_url`` (``https://dash.example.com``)."""
        return base_url.rstrip("/") + self.path

    @property
    def status(self) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked is not None:
            return "revoked"
        return "expired" if self.expires <= timezone.now() else "active"

    def __str__(self) -> str:
        scope = f"/{self.scope}" if self.scope else ""
        label = f" ({self.label})" if self.label else ""
        return f"share {self.pk}: {self.dashboard}{scope}{label}"
