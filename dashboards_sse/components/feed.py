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
from typing import Any, Unpack

from django.utils import timezone

from ..exceptions import InvalidValue
from ..values import as_text, as_timestamp, describe
from .base import MAX_TEXT_CHARS, ComponentOptions
from .items import Item, ItemList

LEVELS = ("info", "ok", "warn", "error")
ORDERS = ("newest-first", "oldest-first")
ITEM_FIELDS = frozenset({"id", "text", "title", "level", "time", "url"})
# An absolute http(s) URL or a site-relative path: never javascript: or data:.
URL = re.compile(r"(https?://|/)[^\s\"'<>\\]*")


class Feed(ItemList):
    kind = "feed"
    template_name = "dashboards_sse/components/feed.html"
    item_template_name = "dashboards_sse/components/feed_item.html"

    def __init__(
        self,
        *,
        limit: int = 50,
        order: str = "newest-first",
        toast: bool = False,
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(limit=limit, **options)
        # Show each new item briefly as a toast over the page (a notification), as well.
        self.toast = toast
        if order not in ORDERS:
            raise ValueError(f"Feed order must be one of {', '.join(ORDERS)}, not {order!r}.")
        self.order = order
        # the oldest item is the one a full feed drops: last newest-first, first oldest-first
        self.trims_from_start = order == "oldest-first"

    def place(self, items: list[Item], item: Item) -> list[Item]:
        """A new item at the newest end; an item pushed again replaces itself where it is."""
        if any(old["key"] == item["key"] for old in items):
            return [item if old["key"] == item["key"] else old for old in items]
        return [item, *items] if self.order == "newest-first" else [*items, item]

    def item(self, raw: Any) -> Item:
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
            "key": self.key(raw["id"]) if raw.get("id") is not None else uuid.uuid4().hex[:16],
            "text": None if text is None else as_text(text, where + " text", MAX_TEXT_CHARS),
            "title": None if title is None else as_text(title, where + " title", 200),
            "level": level,
            "time": time.time() if moment is None else as_timestamp(moment, where + " time"),
            "url": url,
        }

    def item_context(self, item: Item) -> dict[str, Any]:
        moment = datetime.fromtimestamp(item["time"], tz=timezone.get_current_timezone())
        return {"item": {**item, "moment": moment}, "component": self}
