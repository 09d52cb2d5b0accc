"""Table: rows keyed by a column, ordered and trimmed server-side; a push inserts, replaces or
removes one row.

    latest = Table(columns=["id", Column("customer"), Column("total", format="number",
                   decimals=2, unit="€")], key="id", order_by="-total", limit=20)
    Sales.latest.push({"id": 42, "customer": "Ada", "total": 31.5})   # insert or replace
    Sales.latest.remove(42); Sales.latest.clear(); Sales.latest.push([row, row, ...])

A model instance is a row too (``row=`` maps it, by default its attributes named like the
columns), so ``Table(value=lambda: Order.objects.recent()[:20], follow=Order)`` shows the newest
orders and, through ``follow``, inserts a created order, replaces an updated one and removes a
deleted one — one row action each, when the transaction commits (``broadcast.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

from django.db.models import Model
from django.utils import timezone

from ..exceptions import InvalidValue
from ..values import as_number, as_text, as_timestamp, describe
from .base import MAX_TEXT_CHARS, ComponentOptions, format_number
from .feed import URL
from .items import Item, ItemList

FORMATS = ("text", "number", "date", "link")
ALIGNS = ("left", "right", "center")


@dataclass(frozen=True)
class Column:
    """A table column: its row field, its header, how its values are shown."""

    name: str
    label: str | None = None
    format: str = "text"  # text, number (decimals, unit), date, link ({"text", "url"} or a URL)
    decimals: int | None = None
    unit: str = ""
    align: str | None = None  # default: right for numbers, left otherwise

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"A column name is an identifier, not {self.name!r}.")
        if self.format not in FORMATS:
            raise ValueError(f"Column {self.name!r}: format is one of {', '.join(FORMATS)}.")
        if self.align is not None and self.align not in ALIGNS:
            raise ValueError(f"Column {self.name!r}: align is one of {', '.join(ALIGNS)}.")

    @property
    def header(self) -> str:
        return self.label if self.label is not None else self.name.replace("_", " ").capitalize()

    @property
    def alignment(self) -> str:
        return self.align or ("right" if self.format == "number" else "left")


class Table(ItemList):
    kind = "table"
    template_name = "dashboards_sse/components/table.html"
    item_template_name = "dashboards_sse/components/table_row.html"

    def __init__(
        self,
        *,
        columns: Sequence[str | Column],
        key: str = "id",
        order_by: str | None = None,
        limit: int = 50,
        row: Callable[[Any], Mapping[str, Any]] | None = None,
        follow: Any = None,
        **options: Unpack[ComponentOptions],
    ) -> None:
        super().__init__(limit=limit, **options)
        self.row = row
        # A model (or "app_label.Model") whose saves and deletes are pushed as row actions; on
        # a scoped dashboard a mapping {Model: "field" or callable} names each row's scope.
        self.follow: tuple[tuple[Any, Any], ...] = (
            ()
            if follow is None
            else tuple(follow.items())
            if isinstance(follow, Mapping)
            else ((follow, None),)
        )
        self.columns = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
        names = [column.name for column in self.columns]
        if not names or len(set(names)) < len(names):
            raise ValueError(f"Table columns must be named, once each: {names}.")
        self.key_column = key
        self.order_by = order_by
        # unsorted rows keep push order: a full table drops its oldest row (the first)
        self.trims_from_start = order_by is None
        if order_by is not None and order_by.lstrip("-") not in names:
            raise ValueError(f"Table order_by {order_by!r} is not one of its columns {names}.")

    # -- values ---------------------------------------------------------------------------
    def row_of(self, instance: Model) -> dict[str, Any]:
        """A model instance as a row: ``row(instance)``, or its attributes named like the
        columns and the key (related objects shown as their text)."""
        if self.row is not None:
            return dict(self.row(instance))
        names = [self.key_column, *(column.name for column in self.columns)]
        values = {name: getattr(instance, name, None) for name in names}
        return {name: str(v) if isinstance(v, Model) else v for name, v in values.items()}

    def item(self, raw: Any) -> Item:
        where = self.where()
        if isinstance(raw, Model):
            raw = self.row_of(raw)
        if not isinstance(raw, Mapping):
            raise InvalidValue(f"{where}: a row is a mapping of its columns, got {describe(raw)}.")
        columns = {column.name: column for column in self.columns}
        unknown = set(map(str, raw)) - set(columns) - {self.key_column}
        if unknown:
            raise InvalidValue(
                f"{where}: unknown column(s) {', '.join(sorted(unknown))}; the table has "
                f"{', '.join(columns)}."
            )
        if raw.get(self.key_column) is None:
            raise InvalidValue(f"{where}: a row needs its key column {self.key_column!r}.")
        cells = {
            name: self._cell(column, raw[name], f"{where} column {name!r}")
            for name, column in columns.items()
            if raw.get(name) is not None
        }
        return {"key": self.key(raw[self.key_column]), "cells": cells}

    def _cell(self, column: Column, value: Any, where: str) -> Any:
        if column.format == "number":
            return as_number(value, where)
        if column.format == "date":
            if isinstance(value, str):
                raise InvalidValue(f"{where}: expected a datetime, date or timestamp, got text.")
            return as_timestamp(value, where)
        if column.format == "link":
            link = {"text": value, "url": value} if isinstance(value, str) else value
            if not (isinstance(link, Mapping) and set(link) == {"text", "url"}):
                raise InvalidValue(f"{where}: a link is a URL or {{'text', 'url'}}.")
            if not (isinstance(link["url"], str) and URL.fullmatch(link["url"])):
                raise InvalidValue(f"{where}: expected an http(s):// or /relative URL.")
            return {"text": as_text(str(link["text"]), where, MAX_TEXT_CHARS), "url": link["url"]}
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        return as_text(value, where, MAX_TEXT_CHARS)

    def place(self, items: list[Item], item: Item) -> list[Item]:
        """A new row last (or where ``order_by`` sorts it); a row pushed again replaces itself."""
        if any(old["key"] == item["key"] for old in items):
            items = [item if old["key"] == item["key"] else old for old in items]
        else:
            items = [*items, item]
        return self._sorted(items)

    def arrange(self, items: list[Item]) -> list[Item]:
        """A whole set: as given, or sorted by ``order_by``."""
        return self._sorted(super().arrange(items))

    def _sorted(self, items: list[Item]) -> list[Item]:
        if self.order_by is None:
            return items
        name = self.order_by.lstrip("-")

        def sort_key(row: Item) -> tuple[bool, Any]:
            value = row["cells"].get(name)
            if isinstance(value, Mapping):
                value = value["text"]
            return (value is None, value if value is not None else 0)

        return sorted(items, key=sort_key, reverse=self.order_by.startswith("-"))

    # -- rendering ------------------------------------------------------------------------
    def item_context(self, item: Item) -> dict[str, Any]:
        cells = []
        for column in self.columns:
            value = item["cells"].get(column.name)
            cells.append({"column": column, "value": value, "shown": self._shown(column, value)})
        return {"item": {**item, "shown_cells": cells}, "component": self}

    def _shown(self, column: Column, value: Any) -> Any:
        if value is None:
            return ""
        if column.format == "number":
            return format_number(value, column.decimals) + column.unit
        if column.format == "date":
            moment = datetime.fromtimestamp(value, tz=timezone.get_current_timezone())
            return moment.strftime("%Y-%m-%d %H:%M")
        return value

