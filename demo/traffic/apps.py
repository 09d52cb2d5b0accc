from __future__ import annotations

from django.apps import AppConfig


class TrafficConfig(AppConfig):
    name = "traffic"
    verbose_name = "Network traffic"
    default_auto_field = "django.db.models.BigAutoField"
