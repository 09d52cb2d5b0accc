"""Table: rows keyed by a column, ordered and trimmed server-side, sent as row actions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_eventstream.models import Event

from dashboards_sse import Column, InvalidValue, Table
from dashboards_sse.models import ComponentState
from tests.testapp.dashboards import Activity

pytestmark = pytest.mark.django_db


def last_sent() -> list[dict[str, Any]]:
    row = Event.objects.filter(channel="dashboard.testapp.activity").order_by("-eid")[0]
    return json.loads(json.loads(row.data))["updates"]


def pids() -> list[str]:
    state = ComponentState.objects.get(component="top").state
    return [row["key"] for row in state["items"]]


def test_rows_are_sorted_and_trimmed_server_side() -> None:
    for pid, cpu in ((1, 5.0), (2, 50.0), (3, 20.0), (4, 1.0)):
        Activity.top.push({"pid": pid, "name": f"proc{pid}", "cpu": cpu})
    assert pids() == ["2", "3", "1"]  # -cpu, limit 3: pid 4 never shows
    Activity.top.push({"pid": 5, "name": "proc5", "cpu": 30.0})
    assert pids() == ["2", "5", "3"]
    assert [(u["action"], u["key"], u.get("before")) for u in last_sent()] == [
        ("remove", "1", None),
        ("insert", "5", "3"),  # placed before pid 3, where the sort puts it
    ]


def test_a_row_that_moves_is_removed_and_inserted_where_it_goes() -> None:
    for pid, cpu in ((1, 5.0), (2, 50.0), (3, 20.0)):
        Activity.top.push({"pid": pid, "name": f"proc{pid}", "cpu": cpu})
    assert pids() == ["2", "3", "1"]
    Activity.top.push({"pid": 1, "name": "proc1", "cpu": 90.0})  # now first
    assert pids() == ["1", "2", "3"]
    assert [(u["action"], u["key"], u.get("before")) for u in last_sent()] == [
        ("remove", "1", None),
        ("insert", "1", "2"),  # only the row that moved: the others stay in order
    ]


def test_out_of_order_keeps_the_longest_run() -> None:
    from dashboards_sse.components.items import _out_of_order

    assert _out_of_order(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == set()
    assert _out_of_order(["a", "b", "c", "d"], ["d", "a", "b", "c"]) == {"d"}
    assert _out_of_order(["a", "b", "c", "d"], ["b", "a", "d", "c"]) in (
        {"a", "c"},
        {"b", "d"},
        {"a", "d"},
        {"b", "c"},
    )
    assert (
        len(_out_of_order([str(n) for n in range(1000)], [str(n) for n in range(999, -1, -1)]))
        == 999
    )


def test_a_row_that_stays_is_replaced_in_place() -> None:
    for pid, cpu in ((1, 5.0), (2, 50.0)):
        Activity.top.push({"pid": pid, "name": f"proc{pid}", "cpu": cpu})
    Activity.top.push({"pid": 1, "name": "renamed", "cpu": 6.0})
    (update,) = last_sent()
    assert (update["action"], update["key"]) == ("insert", "1")
    assert '<td class="dsse-align-left">renamed</td>' in update["html"]
    assert '<td class="dsse-align-right">6.0%</td>' in update["html"]


def test_whole_set_remove_and_clear() -> None:
    Activity.top.push([{"pid": n, "name": f"p{n}", "cpu": n} for n in range(5)])
    assert pids() == ["4", "3", "2"]
    Activity.top.remove(3)
    assert pids() == ["4", "2"]
    Activity.top.clear()
    assert pids() == []


def test_columns_render_with_their_format_and_escaping() -> None:
    table = Table(
        columns=[
            "name",
            Column("total", format="number", decimals=2, unit=" €"),
            Column("page", format="link"),
            Column("seen", format="date", label="Last seen", align="center"),
        ]
    )
    state = table.update(
        None,
        {
            "id": "a",
            "name": "<b>Ada</b>",
            "total": 1234.5,
            "page": {"text": "profile", "url": "/users/a"},
            "seen": 0,
        },
    )
    html = str(table.render(state))
    assert '<th scope="col" class="dsse-align-center">Last seen</th>' in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html and "<b>" not in html
    assert '<td class="dsse-align-right">1,234.50 €</td>' in html
    assert '<a href="/users/a">profile</a>' in html
    assert ">1970-01-01 00:00<" in html


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"name": "no key"}, "needs its key column 'pid'"),
        ({"pid": 1, "colour": "red"}, "unknown column(s) colour"),
        ({"pid": 1, "cpu": "high"}, "column 'cpu': expected a number"),
        ({"pid": "a b"}, "item id 'a b'"),
        ("a row", "a row is a mapping"),
        ({"pid": 1, "name": "x" * 3000}, "exceeds 2000"),
    ],
)
def test_bad_rows_name_dashboard_component_and_field(row: Any, problem: str) -> None:
    with pytest.raises(InvalidValue, match=r"dashboard 'testapp\.activity', table 'top'") as info:
        Activity.top.push(row)
    assert problem in str(info.value)
    assert not ComponentState.objects.exists()


def test_declaration_errors() -> None:
    with pytest.raises(ValueError, match="order_by 'size' is not one of its columns"):
        Table(columns=["name"], order_by="size")
    with pytest.raises(ValueError, match="once each"):
        Table(columns=["name", "name"])
    with pytest.raises(ValueError, match="format is one of"):
        Column("x", format="emoji")
    with pytest.raises(InvalidValue, match="http"):
        Table(columns=[Column("u", format="link")]).update(None, {"id": 1, "u": "javascript:x"})
