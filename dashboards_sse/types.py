"""The shapes every layer shares: a component's state, what a push did, and a board.

A *board* is what the publishing pipeline pushes to: a slug and a scope key (the key of its
stored states: a scoped dashboard has one board per object), an event channel and named
components. ``Dashboard`` classes are boards; the pipeline and the
registry know only this protocol, so the declarative API sits above them and nothing below it
imports it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# A component's state: the plain JSON data it shows (a Stat's value, a Chart's points).
State = dict[str, Any]
# What a list component sends instead of its whole HTML: {"action": "insert", "key": ...,
# "html": ...}, {"action": "remove", "key": ...} or {"action": "clear"}.
Action = dict[str, str]


class Part(Protocol):
    """What the pipeline asks of a component: validate a value, render a state."""

    name: str
    max_rate: float | None

    def update(self, state: State | None, raw: Any) -> State: ...

    def render(self, state: State | None) -> str: ...

    def actions(self, before: State | None, after: State) -> list[Action] | None: ...

    def where(self) -> str: ...


class Owner(Protocol):
    """What a component is declared on: ``Sales.orders.push(12)`` pushes through its owner."""

    @property
    def slug(self) -> str: ...

    def push(self, **values: Any) -> Pushed: ...


@runtime_checkable
class Board(Protocol):
    """A stream target: where a push is stored (``slug``, ``scope_key``) and sent (``channel``).

    An unscoped dashboard class is a board (``scope_key`` empty); a scoped one is not (its
    ``channel`` is empty), its ``for_(object)`` is."""

    @property
    def slug(self) -> str: ...

    @property
    def scope_key(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def components(self) -> Mapping[str, Part]: ...

    def get_component(self, name: str) -> Part: ...


@dataclass
class Pushed:
    """What one push stored and published."""

    dashboard: str
    values: dict[str, Any] = field(default_factory=dict)  # as given to push()
    # The object of a scoped dashboard it went to (its key), "" for an unscoped one.
    scope_key: str = ""
    html: dict[str, str] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    # The event that carried each sent component: one event per push (and per dashboard of a
    # batch), so every component of a push has the same id.
    event_ids: dict[str, int] = field(default_factory=dict)
    published: bool = False
    # When its event was sent (Unix time; the message's "t"), None when nothing was sent.
    sent_at: float | None = None
    # Components held back by their max_rate: stored now, sent with a later event.
    deferred: list[str] = field(default_factory=list)

    @property
    def event_id(self) -> int | None:
        """The id of the event this push was sent in; None when nothing was sent."""
        return max(self.event_ids.values(), default=None)
