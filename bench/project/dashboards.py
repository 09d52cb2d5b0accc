"""The measured dashboard (one Stat, the publisher pushes its sequence number), a wide one for
the publisher-throughput micro-benchmark, and two identical 7-component dashboards for
bench/multipush.py: one gets real ``push()`` calls, the other the bench's own per-component
events (what ``push()`` published before one push became one message); a scoped dashboard (a
stream per ``Shop``) and its unscoped twin for bench/scoped.py."""

from __future__ import annotations

from dashboards_sse import Column, Dashboard, Stat, Table
from dashboards_sse.types import Action, State

from . import ITEMS_ROWS, MULTI_COMPONENTS
from .models import Shop

WIDE_STATS = 50


class Load(Dashboard):
    slug = "load.load"
    title = "Load"

    value = Stat(label="Sequence")


class Private(Dashboard):
    """Load's twin behind a login (bench/micro.py connect: a stream with a session)."""

    slug = "load.private"
    title = "Load (login)"
    permission = "login"

    value = Stat(label="Sequence")


class RawLoad(Dashboard):
    """Load's twin that ``push()`` never touches: bench/throughput.py publishes to its channel
    with django-eventstream's ``send_event`` and its viewers read django-eventstream's view
    (bench.project.views.raw_send_event_stream), the raw stack on the same channel shape."""

    slug = "load.raw"
    title = "Load (send_event)"

    value = Stat(label="Sequence")


class Wide(Dashboard):
    slug = "load.wide"
    title = "Wide"

    locals().update({f"s{i}": Stat(label=f"Stat {i}") for i in range(WIDE_STATS)})


def _multi_stats() -> dict[str, Stat]:
    return {name: Stat(label=name.title()) for name in MULTI_COMPONENTS}


class MultiAfter(Dashboard):
    """Pushed with ``push("multi.after", orders=..., ...)``, as users do."""

    slug = "multi.after"
    title = "Seven components (push)"

    locals().update(_multi_stats())


class MultiBefore(Dashboard):
    """Never pushed: bench/multipush.py publishes the per-component items itself."""

    slug = "multi.before"
    title = "Seven components (per-component events)"

    locals().update(_multi_stats())


class ShopSales(Dashboard):
    """A stream per shop (bench/scoped.py): pushed with ``ShopSales.for_(key).push(...)``;
    public (``permission = None``), so a connect fetches the shop only to answer 404 for an
    unknown key."""

    slug = "scoped.shop"
    title = "Shop sales"
    scope = Shop

    orders = Stat(label="Orders")
    revenue = Stat(label="Revenue")


class AllSales(Dashboard):
    """The unscoped twin of ShopSales (same components, public): the connect-cost baseline."""

    slug = "scoped.all"
    title = "All sales"

    orders = Stat(label="Orders")
    revenue = Stat(label="Revenue")


class WholeTable(Table):
    """A Table without item actions (bench/items.py): every push sends the whole table's HTML,
    as a component that is not a list does (``Component.actions`` returns None)."""

    def actions(self, before: State | None, after: State) -> list[Action] | None:
        return None


def _items_table(kind: type[Table] = Table) -> Table:
    """500 hosts in push order (no ``order_by``: a changed row keeps its place); ``rev`` is the
    push that last changed the row (the viewers read it back)."""
    return kind(
        label="Hosts",
        columns=[
            "name",
            Column("cpu", format="number", decimals=1, unit="%"),
            Column("memory", format="number", unit=" MB"),
            "rev",
        ],
        key="id",
        limit=ITEMS_ROWS,
    )


class ItemsAfter(Dashboard):
    """Pushed one row at a time, ``ItemsAfter.hosts.push(row)``: one insert action per push."""

    slug = "items.after"
    title = "Hosts (row actions)"

    hosts = _items_table()


class ItemsBefore(Dashboard):
    """The same pushes to a WholeTable: the whole table's HTML per push."""

    slug = "items.before"
    title = "Hosts (whole table)"

    hosts = _items_table(WholeTable)
