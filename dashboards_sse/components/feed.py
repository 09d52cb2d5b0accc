"""Feed: the newest items of an activity stream, an alert list, a notifications panel.

Push an item (a string, or ``{"id"?, "text" and/or "title", "level"?, "time"?, "url"?}``), and
remove one (``feed.remove(key)``) or all (``feed.clear()``). The stored state is the whole list
(newest first, the newest ``limit`` kept), so a new page and a replay show the same list; what
viewers are sent for a push is only the item actions from the list they were last sent
(insert, remove, clear), so an event's size does not grow with the list. An insert of a key
that is shown already replaces that item: replays are idempotent.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Unpack

from django.template.loader import render_to_string
from django.utils import timezone

from ..exceptions import InvalidValue
from ..types import Action, Pushed, State
from ..values import as_text, as_timestamp, describe
from .base import MAX_TEXT_CHARS, Component, ComponentOptions

LEVELS = ("info", "ok", "warn", "error")
ORDERS = ("newest-first", "oldest-first")
ITEM_FIELDS = frozenset({"id", "text", "title", "level", "time", "url"})
KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
# An absolute http(s) URL or a site-relative path: never javascript: or data:.
URL = re.compile(r"(https?://|/)[^\s\"'<>\\]*")


class Feed(Component):
    kind = "feed"
    template_name = "dashboards_sse/components/feed.html"
    item_template_name = "dashboards_sse/components/feed_item.html"
    MAX_LIMIT: ClassVar[int] = 1_000

    def __init__(
        self,
        *,
        limit: int = 50,
        order: str = "newest-first",
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(**options)
        if not 1 <= limit <= self.MAX_LIMIT:
            raise ValueError(f"Feed limit must be between 1 and {self.MAX_LIMIT}, not {limit}.")
        if order not in ORDERS:
            raise ValueError(f"Feed order must be one of {', '.join(ORDERS)}, not {order!r}.")
        self.limit = limit
        self.order = order

    # -- pushing --------------------------------------------------------------------------
    def remove(self, key: str | int) -> Pushed:
        """Remove one item (by its ``id``) from every viewer's feed."""
        return self.push({"remove": key})

    def clear(self) -> Pushed:
        return self.push({"clear": True})

    # -- values ---------------------------------------------------------------------------
    def update(self, state: State | None, raw: Any) -> State:
        items: list[dict[str, Any]] = list((state or {}).get("items", []))
        if isinstance(raw, Mapping) and set(raw) == {"remove"}:
            key = self._key(raw["remove"])
            return {"items": [item for item in items if item["key"] != key]}
        if isinstance(raw, Mapping) and set(raw) == {"clear"}:
            if raw["clear"] is not True:
                raise InvalidValue(f"{self.where()}: clear with {{'clear': True}}.")
            return {"items": []}
        item = self._item(raw)
        items = [item] + [old for old in items if old["key"] != item["key"]]
        return {"items": items[: self.limit]}

    def _item(self, raw: Any) -> dict[str, Any]:
        where = self.where()
        if isinstance(raw, str):
            raw = {"text": raw}
        if not isinstance(raw, Mapping):
            raise InvalidValue(
                f"{where}: an item is text or a mapping of {', '.join(sorted(ITEM_FIELDS))}, "
                f"got {describe(raw)}."
            )
        unknown = set(map(str, raw)) - ITEM_FIELDS
        if unknown:
            raise InvalidValue(
                f"{where}: unknown item field(s) {', '.join(sorted(unknown))}; an item has "
                f"{', '.join(sorted(ITEM_FIELDS))}."
            )
        text = raw.get("text")
        title = raw.get("title")
        if text is None and title is None:
            raise InvalidValue(f"{where}: an item needs 'text' or 'title'.")
        level = raw.get("level", "info")
        if level not in LEVELS:
            raise InvalidValue(f"{where}: item level {level!r} is not one of {', '.join(LEVELS)}.")
        url = raw.get("url")
        if url is not None and not (isinstance(url, str) and URL.fullmatch(url)):
            raise InvalidValue(
                f"{where} url: expected an http(s):// or /relative URL, got {describe(url)}."
            )
        moment = raw.get("time")
        return {
            "key": self._key(raw["id"]) if raw.get("id") is not None else uuid.uuid4().hex[:16],
            "text": None if text is None else as_text(text, where + " text", MAX_TEXT_CHARS),
            "title": None if title is None else as_text(title, where + " title", 200),
            "level": level,
            "time": time.time() if moment is None else as_timestamp(moment, where + " time"),
            "url": url,
        }

    def _key(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidValue(
                f"{self.where()}: an item id is text or an int, got {describe(value)}."
            )
        key = str(value)
        if not KEY.fullmatch(key):
            raise InvalidValue(
                f"{self.where()}: item id {key[:40]!r}: use 1 to 100 letters, digits, "
                "'_', '.', ':' or '-'."
            )
        return key

    # -- what viewers are sent ------------------------------------------------------------
    def actions(self, before: State | None, after: State) -> list[Action] | None:
        shown = {item["key"]: item for item in (before or {}).get("items", [])}
        now = after.get("items", [])
        if shown and not now:
            return [{"action": "clear"}]
        kept = {item["key"] for item in now}
        actions: list[Action] = [
            {"action": "remove", "key": key} for key in shown if key not in kept
        ]
        # oldest first, so each insert lands where the client puts a new item
        for item in reversed(now):
            if shown.get(item["key"]) != item:
                actions.append(
                    {"action": "insert", "key": item["key"], "html": self.render_item(item)}
                )
        return None if len(actions) > self.limit else actions

    # -- rendering ------------------------------------------------------------------------
    def render_item(self, item: dict[str, Any]) -> str:
        return render_to_string(self.item_template_name, {"item": _shown(item), "component": self})

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        items = [_shown(item) for item in (state or {}).get("items", [])]
        context["items"] = items if self.order == "newest-first" else items[::-1]
        context["item_template_name"] = self.item_template_name
        return context


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """An item with its time as a local datetime, for templates."""
    moment = datetime.fromtimestamp(item["time"], tz=timezone.get_current_timezone())
    return {**item, "moment": moment}
