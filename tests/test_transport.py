from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards_sse import PublishError, transport
from dashboards_sse.conf import Settings, get_settings
from tests.conftest import PublishServer

ITEMS = [{"channel": "events-x", "id": "1", "prev-id": "0", "formats": {}}]


def config(grip_url: str | None, timeout: float = 0.3) -> Settings:
    return dataclasses.replace(
        get_settings(), grip_url=grip_url, publish_timeout=timeout, publish_request_timeout=1.0
    )


@pytest.fixture(autouse=True)
def own_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without a session; the process-wide one is restored afterwards."""
    monkeypatch.setattr(transport, "_session", None)
    monkeypatch.setattr(transport, "_session_pid", 0)
    yield
    if transport._session is not None:
        transport._session.close()


def test_accepted(publish_server: PublishServer) -> None:
    transport.publish_items(ITEMS, config(publish_server.url))
    assert publish_server.requests == [("POST", "/publish/", {"items": ITEMS})]


def test_publish_url_keeps_path(publish_server: PublishServer) -> None:
    transport.publish_items(ITEMS, config(publish_server.url + "/pushpin/?key=abc"))
    assert [path for _, path, _ in publish_server.requests] == ["/pushpin/publish/"]


def test_no_grip_url(publish_server: PublishServer) -> None:
    transport.publish_items(ITEMS, config(None))
    assert publish_server.requests == []


def test_no_items(publish_server: PublishServer) -> None:
    transport.publish_items([], config(publish_server.url))
    assert publish_server.requests == []


def test_connection_refused_retried_until_timeout(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        transport.publish_items(ITEMS, config(f"http://127.0.0.1:{closed_port}", timeout=0.3))
    elapsed = time.monotonic() - started
    assert 0.1 <= elapsed < 2
    message = str(info.value)
    assert f"Pushpin at http://127.0.0.1:{closed_port}/publish/ did not accept" in message
    assert "in 0.3s (ConnectionError" in message
    assert "The update is stored" in message
    attempts = int(message.split(" after ")[1].split(" attempt")[0])
    assert attempts > 1


def test_client_error_not_retried(publish_server: PublishServer) -> None:
    publish_server.status = 400
    started = time.monotonic()
    with pytest.raises(PublishError, match=r"refused the update \(HTTP 400: \)"):
        transport.publish_items(ITEMS, config(publish_server.url, timeout=5))
    assert time.monotonic() - started < 1
    assert len(publish_server.requests) == 1


def test_server_error_retried(publish_server: PublishServer) -> None:
    publish_server.statuses = [503, 502]
    transport.publish_items(ITEMS, config(publish_server.url, timeout=5))
    assert len(publish_server.requests) == 3


def test_server_error_until_timeout(publish_server: PublishServer) -> None:
    publish_server.status = 503
    with pytest.raises(PublishError, match=r"after \d+ attempt\(s\) in 0.3s \(HTTP 503"):
        transport.publish_items(ITEMS, config(publish_server.url, timeout=0.3))
    assert len(publish_server.requests) > 1


def test_session_reused_in_process() -> None:
    assert transport._get_session() is transport._get_session()


def test_new_session_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = transport._get_session()
    pid = os.getpid()
    with monkeypatch.context() as patch:
        patch.setattr(transport.os, "getpid", lambda: pid + 1)
        child = transport._get_session()
    parent.close()
    assert child is not parent
    assert transport._session_pid == pid + 1


def test_child_publishes_with_own_session(
    publish_server: PublishServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = transport._get_session()
    used: list[Any] = []
    original_post = transport.requests.Session.post

    def post(self: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(self)
        return original_post(self, *args, **kwargs)

    monkeypatch.setattr(transport.requests.Session, "post", post)
    pid = os.getpid()
    monkeypatch.setattr(transport.os, "getpid", lambda: pid + 1)
    transport.publish_items(ITEMS, config(publish_server.url))
    parent.close()
    assert len(used) == 1
    assert used[0] is not parent
    assert len(publish_server.requests) == 1


def test_bodies_stay_under_the_limit_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 100)
    items = [{"id": str(n), "pad": "x" * 30} for n in range(10)]
    bodies = list(transport._bodies(items))
    assert len(bodies) > 1
    assert all(len(body) <= 100 + len('{"items":[]}') for body in bodies)
    assert [item for body in bodies for item in json.loads(body)["items"]] == items


def test_an_item_over_the_limit_goes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 10)
    big, small = {"pad": "x" * 50}, {"id": "1"}
    assert [json.loads(b)["items"] for b in transport._bodies([small, big, small])] == [
        [small],
        [big],
        [small],
    ]
