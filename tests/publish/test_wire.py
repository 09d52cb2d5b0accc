from __future__ import annotations

import json

import pytest
from django_eventstream.utils import sse_encode_event

from dashboards_sse.publish import wire
from tests.testapp.dashboards import Ops, Secret


def test_message_is_one_json_line() -> None:
    data = wire.message([wire.replace("cpu", "<p>1</p>\n<p>2</p>"), wire.replace("ram", "é")])
    assert "\n" not in data
    assert json.loads(data) == {
        "v": wire.WIRE_VERSION,
        "updates": [
            {"component": "cpu", "action": "replace", "html": "<p>1</p>\n<p>2</p>"},
            {"component": "ram", "action": "replace", "html": "é"},
        ],
    }


def test_event_item_format() -> None:
    data = wire.message([wire.replace("cpu", "<p>50%</p>")])
    item = wire.event_item("dashboard.a b", wire.UPDATE_EVENT, data, 7, "pre-")
    assert item == {
        "channel": "pre-events-dashboard.a%20b",
        "id": "7",
        "prev-id": "6",
        "formats": {
            "http-stream": {
                "content": f"event: dsse-update\nid: %I\ndata: {data.replace('%', '%%')}\n\n",
                "content-filters": ["build-id"],
            }
        },
    }


def test_event_item_is_what_django_eventstream_replays() -> None:
    data = wire.message([wire.replace("cpu", "<b>100%</b>\r\nx")])
    content = wire.event_item("c", wire.UPDATE_EVENT, data, 3, "")["formats"]["http-stream"]
    assert content["content"] == sse_encode_event(
        wire.UPDATE_EVENT, data, event_id="%I", escape=True
    )


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        (wire.UPDATE_EVENT, '{"v":1,"updates":[]}'),
        ("a%b\r\n\0c", "100% %I %%\r\nnext\rline\nlast"),
        ("x", ""),
        ("x", "\n\n"),
        ("é", "日本 %\r\n\r\n"),
    ],
)
def test_build_id_event_is_django_eventstreams_encoding(event_type: str, data: str) -> None:
    expected = sse_encode_event(event_type, data, event_id="%I", escape=True)
    assert wire.build_id_event(event_type, data) == expected


def test_messages_are_the_text_message_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    updates = [wire.replace(name, f"<b>{name} 100% é\n</b>" * 20) for name in "abcdef"]
    updates.append(wire.item_action("g", {"action": "insert", "key": "k", "html": "<li>"}))
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 1500)
    by_name = {update["component"]: update for update in updates}
    for sent_at in (None, 1796130619.6614):
        found = wire.messages(updates, sent_at)
        assert len(found) > 1
        for data, members in found:
            assert data == wire.message([by_name[name] for name in members], sent_at)


def test_the_event_type_can_never_be_a_component_name() -> None:
    assert not wire.UPDATE_EVENT.isidentifier()


def test_messages_fit_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    updates = [wire.replace(name, "x" * 400) for name in ("a", "b", "c", "d")]
    assert [members for _, members in wire.messages(updates)] == [["a", "b", "c", "d"]]
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 1000)
    split = wire.messages(updates)
    assert [members for _, members in split] == [["a", "b"], ["c", "d"]]
    assert all(len(data.encode()) < 1100 for data, _ in split)
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 10)  # one update over the limit: alone
    assert [members for _, members in wire.messages(updates)] == [["a"], ["b"], ["c"], ["d"]]


def test_forbidden_event() -> None:
    event = wire.forbidden_event("No.", ["dashboard.x"])
    assert event.startswith("event: stream-error\nid: error\ndata: ")
    assert json.loads(event.split("data: ", 1)[1]) == {
        "condition": "forbidden",
        "text": "No.",
        "channels": ["dashboard.x"],
    }
    assert "channels" not in wire.forbidden_event("No.")


def test_kick_items_error_then_close_per_board() -> None:
    items = wire.kick_items("7", [Ops, Secret], "pre-")
    assert [item["channel"] for item in items] == ["pre-user-7"] * 4
    assert [item["meta"]["require_sub"] for item in items] == [
        "pre-events-dashboard.testapp.ops",
        "pre-events-dashboard.testapp.ops",
        "pre-events-dashboard.testapp.secret",
        "pre-events-dashboard.testapp.secret",
    ]
    assert "'testapp.ops' was revoked" in items[0]["formats"]["http-stream"]["content"]
    assert items[1]["formats"]["http-stream"] == {"action": "close"}
