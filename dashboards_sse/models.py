"""The latest pushed state of each component, kept so pages render what viewers last saw."""

from __future__ import annotations

from django.db import models


class ComponentState(models.Model):
    """One row per (dashboard, component): the state last pushed, and the event that carried it.

    Pages render from these rows together with the channel's current event id, so an update
    pushed between page render and stream open is replayed, never missed. Chart windows live
    here too, which lets a short-lived process append one point.
    """

    dashboard = models.CharField(max_length=200)
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
            models.UniqueConstraint(fields=["dashboard", "component"], name="dsse_unique_state")
        ]

    def __str__(self) -> str:
        return f"{self.dashboard}.{self.component}"
