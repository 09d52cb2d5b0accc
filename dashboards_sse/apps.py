from __future__ import annotations

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from . import broadcast, checks, conf, model_sync


class DashboardsSSEConfig(AppConfig):
    name = "dashboards_sse"
    verbose_name = "Live dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register()
        # django-eventstream reads these two settings itself; without storage it neither
        # stores nor replays events, so we supply working defaults the user may override.
        for name, value in (
            ("EVENTSTREAM_STORAGE_CLASS", conf.STORAGE_CLASS),
            ("EVENTSTREAM_CHANNELMANAGER_CLASS", conf.CHANNEL_MANAGER_CLASS),
        ):
            if not hasattr(settings, name):
                setattr(settings, name, value)
        autodiscover_modules("dashboards")
        model_sync.start()
        broadcast.start()
        if apps.is_installed("django.contrib.auth"):
            # Imported here: its module imports the auth models, which exist only once apps
            # are loaded, and only where django.contrib.auth is installed.
            from .access import connect_signals

            connect_signals()
