"""Live SSE components for Wildfish's django-dashboards (optional extra ``django-dashboards``).

    from dashboards.dashboard import Dashboard
    from dashboards.component import Text
    from dashboards.registry import registry
    from dashboards_sse import push
    from dashboards_sse.contrib.django_dashboards import SSEChart, SSEStat

    class Ops(Dashboard):
        notes = Text(value="Pushed live, no polling")
        live_cpu = SSEStat(unit="%", decimals=1)
        traffic = SSEChart(window=120)

    registry.register(Ops)

    push(Ops, live_cpu=42.5, traffic=512)   # from a view, a task, cron...

Every open page of ``Ops`` shows the new values within milliseconds, over one stream per page.
"""

from __future__ import annotations

try:
    import dashboards.component
    import dashboards.dashboard  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "dashboards_sse.contrib.django_dashboards needs django-dashboards (import name "
        "'dashboards'): pip install 'django-dashboards-sse[django-dashboards]'"
    ) from exc

from . import checks  # noqa: F401  (registers the adapter's system checks)
from .bridge import LiveDashboard
from .components import SSEChart, SSEStat

__all__ = ["LiveDashboard", "SSEChart", "SSEStat"]
