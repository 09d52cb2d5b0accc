"""How old a component's value is, as a page shows it: "updated 12 s ago", and stale when
nothing arrived within the component's ``stale_after``.

The page is rendered with each component's update time and the server's clock
(``data-dsse-updated``, ``data-dsse-now``, epoch milliseconds); each push carries the time it
was sent (``wire.message``). The client script ticks the ages from there, measuring against
the server's clock as of the render, so a viewer's wrong clock shifts nothing.
"""

from __future__ import annotations


def age_text(seconds: float) -> str:
    """The words for an age (the client script's ``ageText`` says the same)."""
    seconds = max(seconds, 0.0)
    if seconds < 2:
        return "updated just now"
    if seconds < 60:
        return f"updated {int(seconds)} s ago"
    if seconds < 3600:
        return f"updated {int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"updated {int(seconds // 3600)} h ago"
    return f"updated {int(seconds // 86400)} d ago"


def is_stale(age: float | None, stale_after: float | None, waited: float) -> bool:
    """Whether a component is stale: its value is older than ``stale_after`` or, with none
    (``age`` None), the page has ``waited`` that long for one."""
    if stale_after is None:
        return False
    return (waited if age is None else age) > stale_after
