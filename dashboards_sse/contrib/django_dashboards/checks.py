"""System checks of the django-dashboards adapter."""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.core import checks

# django-dashboards 0.1.7's pages fail from Django 6.1 on: django-asset-definitions' Media
# .render_js() lacks the `attrs` argument Django 6.1 passes (measured; upstream, not ours).
BROKEN_FROM = (6, 1)


@checks.register(checks.Tags.compatibility)
def check_django_dashboards(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if "dashboards" not in settings.INSTALLED_APPS:
        messages.append(
            checks.Error(
                "dashboards_sse.contrib.django_dashboards is used but 'dashboards' "
                "(django-dashboards) is not in INSTALLED_APPS.",
                hint="Add 'dashboards' to INSTALLED_APPS.",
                id="dashboards_sse.E009",
            )
        )
    if django.VERSION[:2] >= BROKEN_FROM:
        messages.append(
            checks.Warning(
                f"django-dashboards pages fail on Django {django.get_version()}: "
                "django-asset-definitions' render_js() does not accept Django 6.1's `attrs`.",
                hint="Use Django 5.2 or 6.0 with django-dashboards, until upstream is fixed.",
                id="dashboards_sse.W003",
            )
        )
    return messages
