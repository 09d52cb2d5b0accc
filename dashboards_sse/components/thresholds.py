"""Thresholds: which named state a number is in, e.g. ``[(0, "ok"), (80, "warn"), (95, "crit")]``.

A value is in the state of the highest bound at or below it (below the first bound: none). The
state is shown as ``data-dsse-state`` on the value, which the default CSS colours (ok, warn,
crit, down) and tests and scripts can read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

STATE_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")

Thresholds = tuple[tuple[float, str], ...]


def check(thresholds: Sequence[tuple[float, str]], where: str) -> Thresholds:
    """``thresholds`` as a tuple, or ValueError naming what is wrong (at declaration)."""
    checked: list[tuple[float, str]] = []
    for entry in thresholds:
        if not (isinstance(entry, tuple | list) and len(entry) == 2):
            raise ValueError(f"{where}: a threshold is (bound, state name), not {entry!r}.")
        bound, name = entry
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise ValueError(f"{where}: a threshold's bound is a number, not {bound!r}.")
        if not (isinstance(name, str) and STATE_NAME.fullmatch(name)):
            raise ValueError(
                f"{where}: a threshold's state is a short lower-case name, not {name!r}."
            )
        if checked and bound <= checked[-1][0]:
            raise ValueError(
                f"{where}: threshold bounds must increase, {bound} after {checked[-1][0]}."
            )
        checked.append((float(bound), name))
    return tuple(checked)


def state_of(thresholds: Thresholds, value: float) -> str | None:
    found = None
    for bound, name in thresholds:
        if value >= bound:
            found = name
    return found
