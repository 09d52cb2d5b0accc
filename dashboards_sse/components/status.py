"""Status: a service's state as a badge (ok, warn, down, unknown) with a short text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import InvalidValue
from ..types import State
from ..values import as_text, describe
from .base import MAX_TEXT_CHARS, Component

STATES = ("ok", "warn", "down", "unknown")
LABELS = {"ok": "OK", "warn": "Degraded", "down": "Down", "unknown": "Unknown"}


class Status(Component):
    """Push ``"ok"``, ``"warn"``, ``"down"`` or ``"unknown"``, or ``{"status": ..., "text":
    "3 of 4 nodes"}``; the badge shows the state's colour and its text (the state's name when
    none is given), readable without the colour."""

    kind = "status"
    template_name = "dashboards_sse/components/status.html"

    def update(self, state: State | None, raw: Any) -> State:
        where = self.where()
        if isinstance(raw, Mapping):
            if set(map(str, raw)) - {"status", "text"} or "status" not in raw:
                raise InvalidValue(
                    f"{where}: a mapping needs 'status' and may have 'text', "
                    f"got keys {sorted(map(str, raw))}."
                )
            status, text = raw["status"], raw.get("text")
        else:
            status, text = raw, None
        if status not in STATES:
            raise InvalidValue(
                f"{where}: expected one of {', '.join(STATES)}, got {describe(status)}."
            )
        if text is not None:
            text = as_text(text, where + " text", MAX_TEXT_CHARS)
        return {"status": status, "text": text}

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        status = (state or {}).get("status", "unknown")
        context["status"] = status
        context["status_text"] = (state or {}).get("text") or LABELS[status]
        return context
