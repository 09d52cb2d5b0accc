"""Migrations on a database with rows: 0003 (scopes) keeps every existing state, unscoped."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

APP = "dashboards_sse"


@pytest.mark.django_db(transaction=True)
def test_scope_migration_keeps_existing_rows() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, "0002_coalescing")])
    old = executor.loader.project_state([(APP, "0002_coalescing")]).apps
    old.get_model(APP, "ComponentState").objects.create(
        dashboard="shop.sales", component="orders", state={"value": 12}, event_id=7
    )
    executor = MigrationExecutor(connection)  # a fresh loader sees the applied state
    latest = executor.loader.graph.leaf_nodes(APP)
    executor.migrate(latest)  # back to the newest schema, which the rest of the suite uses
    states = executor.loader.project_state(latest).apps.get_model(APP, "ComponentState")
    row = states.objects.get()
    assert (row.dashboard, row.scope, row.component, row.state, row.event_id) == (
        "shop.sales",
        "",
        "orders",
        {"value": 12},
        7,
    )
    # the same component of another scope is another row; the same scope is refused
    states.objects.create(dashboard="shop.sales", scope="42", component="orders", state={})
    with pytest.raises(IntegrityError), transaction.atomic():
        states.objects.create(dashboard="shop.sales", component="orders", state={})
