"""Querysets compiled once, run many times: the ORM's own SQL for the queries on a hot path.

Building a queryset's SQL costs more than running it on an indexed table (a third of a
millisecond per query here, a fifth of a stream connect or a tenth of a push: ``python -m
bench.micro connect``, bench/throughput.py). The hot queries have a fixed shape, so each is
built by the ORM once per database and shape, with distinct stand-in values where the real ones
go, and later run with the real values put in their places. The SQL is the ORM's for that
database (quoting, placeholders, LIMIT syntax); only its parameters change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import QuerySet


class CompiledQuery(NamedTuple):
    alias: str
    sql: str
    params: tuple[Any, ...]  # the compiled parameters, stand-ins included
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the run's value)

    def bind(self, values: Sequence[Any]) -> list[Any]:
        """The query's parameters with ``values`` in place of its stand-ins, in their order
        (for ``Manager.raw(sql, params)`` where model instances are wanted)."""
        params = list(self.params)
        for position, index in self.slots:
            compiled = type(params[position])
            value = values[index]
            # the backend's own wrapper type where it has one (psycopg's Int8 for a bigint)
            params[position] = value if type(value) is compiled else compiled(value)
        return params

    def execute(self, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows (plain column values: no field converters) with ``values`` bound."""
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, self.bind(values))
            return list(cursor.fetchall())


def compile_queryset(queryset: QuerySet[Any], stand_ins: Sequence[Any]) -> CompiledQuery:
    """``queryset``'s SQL, with each of ``stand_ins`` (values it was built with, each used
    once and found nowhere else in its parameters) marked to be replaced on each run."""
    sql, params = queryset.query.sql_with_params()
    slots = []
    for index, value in enumerate(stand_ins):
        positions = [at for at, param in enumerate(params) if _same(param, value)]
        if len(positions) != 1:
            raise ValueError(
                f"stand-in {value!r} is in the query's parameters {len(positions)} times, "
                "not once: give each slot a value of its own"
            )
        slots.append((positions[0], index))
    return CompiledQuery(queryset.db, sql, tuple(params), tuple(slots))


def _same(param: Any, value: Any) -> bool:
    """Whether ``param`` is the stand-in ``value``, or the backend's wrapper of it (psycopg
    compiles an int to ``Int8``); a bool never stands for an int."""
    if isinstance(param, bool) != isinstance(value, bool):
        return False
    return isinstance(param, type(value)) and param == value
