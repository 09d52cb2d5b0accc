"""Components: what a dashboard shows, a module each (a folder per extensible family)."""

from __future__ import annotations

from .base import (
    MAX_TEXT_CHARS,
    Component,
    ComponentOptions,
    ModelRef,
    Provider,
    RefreshOn,
    ScopeOf,
    format_number,
)
from .chart import Chart
from .data import Data
from .feed import Feed
from .gauge import Gauge
from .stat import Stat
from .status import Status
from .table import Column, Table

__all__ = [
    "MAX_TEXT_CHARS",
    "Chart",
    "Column",
    "Component",
    "ComponentOptions",
    "Data",
    "Feed",
    "Gauge",
    "ModelRef",
    "Provider",
    "RefreshOn",
    "ScopeOf",
    "Stat",
    "Status",
    "Table",
    "format_number",
]
