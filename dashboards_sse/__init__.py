"""Live Django dashboards over SSE, fanned out by Pushpin.

Public API::

    from dashboards_sse import Dashboard, Stat, Chart, Feed, push, batch
    from dashboards_sse import share, revoke    # read-only links for wall screens
"""

from __future__ import annotations

from .components import Chart, Column, Component, Data, Feed, Gauge, Stat, Status, Table
from .dashboard import Dashboard
from .exceptions import (
    DashboardsSSEError,
    InvalidKey,
    InvalidShare,
    InvalidValue,
    NotPublishedWarning,
    PartialPublishError,
    PublishError,
    UnknownComponent,
    UnknownDashboard,
    UnknownScope,
    UnknownShare,
)
from .publish import batch, push
from .sharing import revoke, share
from .types import Pushed

__all__ = [
    "Chart",
    "Column",
    "Component",
    "Dashboard",
    "DashboardsSSEError",
    "Data",
    "Feed",
    "Gauge",
    "InvalidKey",
    "InvalidShare",
    "InvalidValue",
    "NotPublishedWarning",
    "PartialPublishError",
    "PublishError",
    "Pushed",
    "Stat",
    "Status",
    "Table",
    "UnknownComponent",
    "UnknownDashboard",
    "UnknownScope",
    "UnknownShare",
    "batch",
    "push",
    "revoke",
    "share",
]
