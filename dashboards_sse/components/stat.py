"""Stat: a single figure with a label, unit, and optional change and note."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from ..exceptions import InvalidValue
from ..types import Pushed, State
from ..values import as_number, as_text
from . import thresholds as limits
from .base import MAX_TEXT_CHARS, Component, ComponentOptions, format_number


class Stat(Component):
    """A single figure with a label, unit, and optional change and note.

    Push a number (or text with ``text=True``), or a mapping
    ``{"value": 12, "change": 3.5, "note": "vs yesterday"}``. ``thresholds=[(0, "ok"),
    (80, "warn"), (95, "crit")]`` colours the value by the state it is in.

    A numeric change has its own format: ``change_decimals`` (default: as given, at most two,
    like an undeclared value) and ``change_unit`` (e.g. ``"%"``, ``" pts"``), with a sign.
    """

    kind = "stat"
    template_name = "dashboards_sse/components/stat.html"

    def __init__(
        self,
        *,
        unit: str = "",
        decimals: int | None = None,
        text: bool = False,
        thresholds: Sequence[tuple[float, str]] = (),
        change_decimals: int | None = None,
        change_unit: str = "",
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        for name, given in (("decimals", decimals), ("change_decimals", change_decimals)):
            if given is not None and (
                isinstance(given, bool) or not isinstance(given, int) or not 0 <= given <= 10
            ):
                raise ValueError(f"Stat {name} is a whole number from 0 to 10, not {given!r}.")
        self.unit = unit
        self.decimals = decimals
        self.change_decimals = change_decimals
        self.change_unit = change_unit
        self.text = text
        self.thresholds = limits.check(thresholds, f"Stat {options.get('label') or ''}".strip())

    def push(
        self, value: Any, *, change: float | str | None = None, note: str | None = None
    ) -> Pushed:
        if change is None and note is None:
            return super().push(value)
        return super().push({"value": value, "change": change, "note": note})

    def update(self, state: State | None, raw: Any) -> State:
        where = self.where()
        if isinstance(raw, Mapping):
            unknown = set(raw) - {"value", "change", "note"}
            if unknown or "value" not in raw:
                raise InvalidValue(
                    f"{where}: a mapping needs 'value' and may have 'change' and 'note', "
                    f"got keys {sorted(map(str, raw))}."
                )
            value, change, note = raw["value"], raw.get("change"), raw.get("note")
        else:
            value, change, note = raw, None, None
        if self.text and isinstance(value, str):
            value = as_text(value, where, MAX_TEXT_CHARS)
        else:
            what = "a number or text" if self.text else "a number"
            value = as_number(value, where, what)
        if change is not None and not isinstance(change, str):
            change = as_number(change, where + " change", "a number or text")
        elif change is not None:
            change = as_text(change, where + " change", MAX_TEXT_CHARS)
        if note is not None:
            note = as_text(note, where + " note", MAX_TEXT_CHARS)
        return {"value": value, "change": change, "note": note}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        if state is None:
            return context
        value, change = state["value"], state.get("change")
        context["display"] = (
            value if isinstance(value, str) else format_number(value, self.decimals)
        )
        if not isinstance(value, str):
            context["value_state"] = limits.state_of(self.thresholds, value)
        if isinstance(change, int | float):
            shown = format_number(change, self.change_decimals)
            # the sign of what is shown: +0.004 at two decimals is "0.00", flat, not "+0.00"
            if float(shown.replace(",", "")) == 0:
                shown, trend = shown.lstrip("-"), "flat"
            else:
                shown, trend = ("+" if change > 0 else "") + shown, "up" if change > 0 else "down"
            context["change_display"] = shown + self.change_unit
            context["trend"] = trend
        elif change:
            context["change_display"] = change
            context["trend"] = "flat"
        context["note"] = state.get("note")
        return context
