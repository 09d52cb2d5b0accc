"""A custom component (docs/components.md, "Your own component"): a heatmap, one row per core.

Each push is one column, a number per row (each core's busy % over the last second); the state
keeps the newest columns with the time they arrived, so a new page and a replay show the same
picture. It is rendered by a template (auto-escaped) as one inline SVG strip per row, the
latest value of each row next to it in text, readable without the colours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Unpack

from dashboards_sse import Component, InvalidValue
from dashboards_sse.components.base import ComponentOptions, format_number
from dashboards_sse.types import State
from dashboards_sse.values import as_number, describe
from django.utils import timezone

MAX_ROWS = 64
# Cells of one render at most: a rect is ~50 bytes, and a component's HTML must stay within
# MAX_HTML_BYTES (64 KiB); a machine with many cores keeps fewer columns.
MAX_CELLS = 640


class Heatmap(Component):
    """Rows of cells coloured by value (0 to ``max_value``), the newest column on the right.

    Push a list of numbers, one per row: ``Host.cores.push([12.5, 80.0])``. A push with another
    number of rows starts the picture again.
    """

    kind = "heatmap"
    template_name = "hosts/components/heatmap.html"

    def __init__(
        self,
        *,
        row_label: str = "row",
        unit: str = "",
        max_value: float = 100.0,
        columns: int = 60,
        clock: Callable[[], float] = time.time,
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        if max_value <= 0:
            raise ValueError(f"Heatmap max_value must be positive, not {max_value}.")
        if columns < 1:
            raise ValueError(f"Heatmap columns must be at least 1, not {columns}.")
        self.row_label = row_label
        self.unit = unit
        self.max_value = float(max_value)
        self.columns = columns
        self.clock = clock

    def kept_columns(self, rows: int) -> int:
        return max(1, min(self.columns, MAX_CELLS // rows))

    def update(self, state: State | None, raw: Any) -> State:
        where = self.where()
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
            raise InvalidValue(
                f"{where}: expected a list of numbers, one per row, got {describe(raw)}."
            )
        if not 1 <= len(raw) <= MAX_ROWS:
            raise InvalidValue(f"{where}: expected 1 to {MAX_ROWS} numbers, got {len(raw)}.")
        values = []
        for index, item in enumerate(raw):
            number = as_number(item, f"{where} row {index}")
            if not 0 <= number <= self.max_value:
                top = format_number(self.max_value)
                raise InvalidValue(f"{where} row {index}: {number} is outside 0 to {top}.")
            values.append(number)
        columns, times = [], []
        if state is not None and state["columns"] and len(state["columns"][0]) == len(values):
            columns, times = list(state["columns"]), list(state["times"])
        keep = self.kept_columns(len(values))
        columns = [*columns, values][-keep:]
        times = [*times, self.clock()][-keep:]
        return {"columns": columns, "times": times}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        if not state or not state["columns"]:
            return context
        columns = state["columns"]
        # Stretched over the strip like a chart's points, so the axis's first and last times
        # are under the first and last columns.
        width = len(columns)
        rows = []
        for index in range(len(columns[0])):
            cells = [
                {
                    "x": x,
                    "opacity": round(0.06 + 0.94 * column[index] / self.max_value, 2),
                }
                for x, column in enumerate(columns)
            ]
            latest = columns[-1][index]
            rows.append(
                {
                    "name": f"{self.row_label} {index}",
                    "latest": format_number(latest, 0),
                    "cells": cells,
                    "hot": latest >= 0.85 * self.max_value,
                }
            )
        zone = timezone.get_current_timezone()
        first, last = (
            datetime.fromtimestamp(t, tz=zone) for t in (state["times"][0], state["times"][-1])
        )
        context.update(
            rows=rows,
            width=width,
            since=first.strftime("%H:%M:%S"),
            until=last.strftime("%H:%M:%S"),
            seconds=round(state["times"][-1] - state["times"][0]),
            summary=", ".join(f"{row['name']} {row['latest']}{self.unit}" for row in rows),
        )
        return context
