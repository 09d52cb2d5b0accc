"""ItemList: the base of components that show a keyed list (Feed, Table).

The state is the whole list as shown (``{"items": [...]}``, each item with a ``key``), trimmed
to ``limit``, so a page and a replay render the same list. What viewers are sent is only the
item actions from the list they were last sent: ``insert`` (an item's HTML, placed before the
item keyed ``before``, or last; an existing key is replaced), ``remove`` and ``clear`` — an
event's size does not grow with the list. Items that change their order (a table row sorted
elsewhere) are removed and inserted again where they go; when more actions than items would be
needed, the whole list is sent instead.

Subclasses say how a pushed value becomes an item (``item``) and where a new item goes
(``place``); removal (``{"remove": key}``), clearing (``{"clear": True}``) and a whole new set
(a list, or ``{"items": [...]}``) are common to all.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Unpack

from django.db.models import QuerySet
from django.template.loader import render_to_string

from ..exceptions import InvalidValue
from ..types import Action, Pushed, State
from ..values import describe
from .base import Component, ComponentOptions

Item = dict[str, Any]
KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")


class ItemList(Component):
    item_template_name: ClassVar[str]
    MAX_LIMIT: ClassVar[int] = 1_000
    # The end of the shown list that a trim cuts (the client trims the same end).
    trims_from_start: bool = False

    def __init__(self, *, limit: int = 50, **options: Unpack[ComponentOptions]) -> None:
        super().__init__(**options)
        if not 1 <= limit <= self.MAX_LIMIT:
            raise ValueError(
                f"{type(self).__name__} limit must be between 1 and {self.MAX_LIMIT}, "
                f"not {limit}."
            )
        self.limit = limit

    # -- pushing --------------------------------------------------------------------------
    def remove(self, key: str | int) -> Pushed:
        """Remove one item (by its key) from every viewer's list."""
        return self.push({"remove": key})

    def clear(self) -> Pushed:
        return self.push({"clear": True})

    # -- values ---------------------------------------------------------------------------
    def update(self, state: State | None, raw: Any) -> State:
        if isinstance(raw, QuerySet):  # a provider's rows: the whole set
            raw = list(raw)
        items: list[Item] = list((state or {}).get("items", []))
        if isinstance(raw, Mapping) and set(raw) == {"remove"}:
            key = self.key(raw["remove"])
            return {"items": [item for item in items if item["key"] != key]}
        if isinstance(raw, Mapping) and set(raw) == {"clear"}:
            if raw["clear"] is not True:
                raise InvalidValue(f"{self.where()}: clear with {{'clear': True}}.")
            return {"items": []}
        if isinstance(raw, list | tuple) or (isinstance(raw, Mapping) and set(raw) == {"items"}):
            given = raw if isinstance(raw, list | tuple) else raw["items"]
            if isinstance(given, str | bytes | Mapping) or not isinstance(given, Sequence):
                raise InvalidValue(
                    f"{self.where()}: 'items' is a list of items, got {describe(given)}."
                )
            if len(given) > self.MAX_LIMIT:
                raise InvalidValue(
                    f"{self.where()}: {len(given)} items exceed the limit of {self.MAX_LIMIT}."
                )
            return {"items": self.trim(self.arrange([self.item(value) for value in given]))}
        return {"items": self.trim(self.place(items, self.item(raw)))}

    def item(self, raw: Any) -> Item:
        """Validate a pushed item; return it with its ``key``. Raises InvalidValue."""
        raise NotImplementedError

    def place(self, items: list[Item], item: Item) -> list[Item]:
        """``items`` with ``item`` in its place (replacing an item of the same key)."""
        raise NotImplementedError

    def arrange(self, items: list[Item]) -> list[Item]:
        """A whole pushed set in its shown order: as given (the first of a key kept)."""
        firsts: dict[str, Item] = {}
        for item in items:
            firsts.setdefault(item["key"], item)
        return list(firsts.values())

    def trim(self, items: list[Item]) -> list[Item]:
        if self.trims_from_start:
            return items[-self.limit :]
        return items[: self.limit]

    def key(self, value: Any) -> str:
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
        now: list[Item] = after.get("items", [])
        if len(shown) > 1 and not now:
            return [{"action": "clear"}]
        keys = {item["key"] for item in now}
        # Kept items that changed their order are moved: removed, then inserted where they go
        # now. The others (the longest run already in order) stay where they are.
        moved = _out_of_order([key for key in shown if key in keys], [i["key"] for i in now])
        actions: list[Action] = [
            {"action": "remove", "key": key} for key in shown if key not in keys or key in moved
        ]
        # From the end, so the item each insert is placed before is already where it belongs.
        for index in range(len(now) - 1, -1, -1):
            item = now[index]
            if shown.get(item["key"]) == item and item["key"] not in moved:
                continue
            html = self.render_item(item)
            action: Action = {"action": "insert", "key": item["key"], "html": html}
            if index + 1 < len(now):
                action["before"] = now[index + 1]["key"]
            actions.append(action)
        return None if len(actions) > max(len(now), 1) else actions

    # -- rendering ------------------------------------------------------------------------
    def item_context(self, item: Item) -> dict[str, Any]:
        return {"item": item, "component": self}

    def render_item(self, item: Item) -> str:
        return render_to_string(self.item_template_name, self.item_context(item))

    def get_context(self, state: State | None) -> dict[str, Any]:
        context = super().get_context(state)
        context["items"] = [self.item_context(item) for item in (state or {}).get("items", [])]
        context["item_template_name"] = self.item_template_name
        return context


def _out_of_order(old: list[str], new: list[str]) -> set[str]:
    """The keys of ``old`` to move so that the rest keep their order in ``new``: all but a
    longest subsequence already in order (O(n log n))."""
    position = {key: index for index, key in enumerate(old)}
    kept = [key for key in new if key in position]
    tails: list[int] = []  # tails[k]: the index in kept of the smallest tail of a run of k+1
    tail_positions: list[int] = []  # their positions in old, for the binary search
    previous: list[int] = [-1] * len(kept)
    for index, key in enumerate(kept):
        rank = bisect.bisect_left(tail_positions, position[key])
        previous[index] = tails[rank - 1] if rank else -1
        if rank == len(tails):
            tails.append(index)
            tail_positions.append(position[key])
        else:
            tails[rank] = index
            tail_positions[rank] = position[key]
    in_order: set[str] = set()
    index = tails[-1] if tails else -1
    while index >= 0:
        in_order.add(kept[index])
        index = previous[index]
    return set(kept) - in_order
