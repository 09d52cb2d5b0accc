"""The command's database checks: one line saying what to do, never a traceback."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django_eventstream.models import Event, EventCounter

from ...models import ComponentState


def require_tables() -> None:
    """CommandError (one line: what to do) unless the database has dashboards_sse's tables."""
    needed = [model._meta.db_table for model in (ComponentState, Event, EventCounter)]
    try:
        present = set(connection.introspection.table_names())
    except DatabaseError as exc:
        raise CommandError(database_problem(exc)) from None
    missing = [table for table in needed if table not in present]
    if missing:
        raise CommandError(
            f"The database has no table {', '.join(missing)}: run `python manage.py migrate`. "
            f"{_which_database()}"
        )


def database_problem(exc: DatabaseError) -> str:
    """One line for a database error: what failed, what to do."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "no such table" in text or "does not exist" in text:
        return f"Database error: {text}. Run `python manage.py migrate`. {_which_database()}"
    return f"Database error: {text}. Check DATABASES. {_which_database()}"


def _which_database() -> str:
    """Which database this process uses: a second terminal may have other settings."""
    database = connection.settings_dict
    engine = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    return (
        f"This process uses the {engine} database {str(database.get('NAME'))!r} "
        f"(settings {settings.SETTINGS_MODULE or 'configured in code'}); is it the site's?"
    )
