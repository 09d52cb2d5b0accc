"""Gauge: a value within a range (min to max), as a bar coloured by its thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

from ..types import State
from ..values import as_number
from . import thresholds as limits
from .base import Component, ComponentOptions, format_number


class Gauge(Component):
    """Push a number; the bar fills from ``min`` to ``max`` (values outside are shown as they
    are, the bar clamped), coloured by ``thresholds`` like a Stat's. Exposed to assistive
    technology as a meter (``role="meter"`` with its value and range)."""

    kind = "gauge"
    template_name = "dashboards_sse/components/gauge.html"

    def __init__(
        self,
        *,
        min: float = 0,
        max: float = 100,
        unit: str = "",
        decimals: int | None = None,
        thresholds: Sequence[tuple[float, str]] = (),
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        if not max > min:
            raise ValueError(f"Gauge max must be above min, not {min} to {max}.")
        self.min, self.max = float(min), float(max)
        self.unit = unit
        self.decimals = decimals
        self.thresholds = limits.check(thresholds, f"Gauge {options.get('label') or ''}".strip())

    def update(self, state: State | None, raw: Any) -> State:
        return {"value": as_number(raw, self.where())}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        context["range"] = (format_number(self.min), format_number(self.max))
        if state is None:
            return context
        value = state["value"]
        share = (min(max(value, self.min), self.max) - self.min) / (self.max - self.min)
        context["display"] = format_number(value, self.decimals)
        context["percent"] = round(share * 100, 1)
        context["value_state"] = limits.state_of(self.thresholds, value)
        return context
