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
from .feed import Feed
from .stat import Stat

__all__ = [
    "MAX_TEXT_CHARS",
    "Chart",
    "Component",
    "ComponentOptions",
    "Feed",
    "ModelRef",
    "Provider",
    "RefreshOn",
    "ScopeOf",
    "Stat",
    "format_number",
]
