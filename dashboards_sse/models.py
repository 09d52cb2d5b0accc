"""The latest pushed state of each component, kept so pages render what viewers last saw."""

from __future__ import annotations

from django.db import models


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
