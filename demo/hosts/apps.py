from __future__ import annotations

from django.apps import AppConfig


class HostsConfig(AppConfig):
    name = "hosts"
    verbose_name = "This machine"
    default_auto_field = "django.db.models.BigAutoField"
