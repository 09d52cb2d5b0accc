from __future__ import annotations

import base64
import dataclasses
import json
import os
import pickle
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards_sse import PartialPublishError, PublishError
from dashboards_sse.conf import GripProxy, Settings, get_settings
from dashboards_sse.publish import grip
from tests.conftest import PublishServer

ITEMS = [{"channel": "events-x", "id": "1", "prev-id": "0", "formats": {}}]


def config(*grip_urls: str | None, timeout: float = 0.3) -> Settings:
    proxies = tuple(GripProxy.from_url(url) for url in grip_urls if url)
    return dataclasses.replace(
        get_settings(), proxies=proxies, publish_timeout=timeout, publish_request_timeout=1.0
    )


@pytest.fixture(autouse=True)
def own_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without sessions; the process-wide ones are restored afterwards."""
    monkeypatch.setattr(grip, "_sessions", {})
    monkeypatch.setattr(grip, "_sessions_pid", 0)
    monkeypatch.setattr(grip, "_down", set())
    yield
    for session in grip._sessions.values():
        session.close()


def test_accepted(publish_server: PublishServer) -> None:
    grip.publish_items(ITEMS, config(publish_server.url))
    assert publish_server.requests == [("POST", "/publish/", {"items": ITEMS})]


def test_publish_url_keeps_path(publish_server: PublishServer) -> None:
    grip.publish_items(ITEMS, config(publish_server.url + "/pushpin/?key=abc"))
    assert [path for _, path, _ in publish_server.requests] == ["/pushpin/publish/"]


def test_no_grip_url(publish_server: PublishServer) -> None:
    grip.publish_items(ITEMS, config(None))
    assert publish_server.requests == []


def test_no_items(publish_server: PublishServer) -> None:
    grip.publish_items([], config(publish_server.url))
    assert publish_server.requests == []


def test_connection_refused_retried_until_timeout(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        grip.publish_items(ITEMS, config(f"http://127.0.0.1:{closed_port}", timeout=0.3))
    elapsed = time.monotonic() - started
    assert 0.1 <= elapsed < 2
    message = str(info.value)
    assert f"Pushpin at http://127.0.0.1:{closed_port}/publish/ did not accept" in message
    assert "in 0.3s (ConnectionError" in message
    assert "The update is stored" in message
    attempts = int(message.split(" after ")[1].split(" attempt")[0])
    assert attempts > 1


@pytest.fixture
def frozen_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel does) but never answers: a
    Pushpin stopped with SIGSTOP."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_publish_timeout_bounds_the_push_with_pushpin_frozen(frozen_port: int) -> None:
    frozen = dataclasses.replace(
        config(f"http://127.0.0.1:{frozen_port}", timeout=0.5), publish_request_timeout=2.0
    )
    started = time.monotonic()
    with pytest.raises(PublishError) as info:
        grip.publish_items(ITEMS, frozen)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 0.65  # not the request's own 2 s
    assert info.value.may_still_arrive
    assert "ReadTimeout" in str(info.value)
    assert "It may still reach open streams" in str(info.value)


def test_a_refused_connection_says_the_update_did_not_go_out_live(closed_port: int) -> None:
    with pytest.raises(PublishError) as info:
        grip.publish_items(ITEMS, config(f"http://127.0.0.1:{closed_port}", timeout=0.1))
    assert not info.value.may_still_arrive
    assert str(info.value).endswith("Open streams did not get it live.")
    assert info.value.items == ITEMS  # what publish.republish sends again


def test_publish_errors_pickle_with_their_details() -> None:
    error = PublishError("lost in transit", may_still_arrive=True, items=ITEMS)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.items == ITEMS
    assert (type(copy), str(copy), copy.may_still_arrive) == (
        PublishError,
        "lost in transit",
        True,
    )
    partial = PartialPublishError("half", ["http://a"], {"http://b": "x"}, may_still_arrive=True)
    copy = pickle.loads(pickle.dumps(partial))
    assert (copy.accepted, copy.failed, copy.may_still_arrive) == (
        ["http://a"],
        {"http://b": "x"},
        True,
    )


def test_client_error_not_retried(publish_server: PublishServer) -> None:
    publish_server.status = 400
    started = time.monotonic()
    with pytest.raises(PublishError, match=r"refused the update \(HTTP 400: \)"):
        grip.publish_items(ITEMS, config(publish_server.url, timeout=5))
    assert time.monotonic() - started < 1
    assert len(publish_server.requests) == 1


def test_server_error_retried(publish_server: PublishServer) -> None:
    publish_server.statuses = [503, 502]
    grip.publish_items(ITEMS, config(publish_server.url, timeout=5))
    assert len(publish_server.requests) == 3


def test_server_error_until_timeout(publish_server: PublishServer) -> None:
    publish_server.status = 503
    with pytest.raises(PublishError, match=r"after \d+ attempt\(s\) in 0.3s \(HTTP 503"):
        grip.publish_items(ITEMS, config(publish_server.url, timeout=0.3))
    assert len(publish_server.requests) > 1


def test_session_reused_in_process() -> None:
    assert grip._get_session("a") is grip._get_session("a")
    assert grip._get_session("a") is not grip._get_session("b")


def test_new_session_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = grip._get_session("a")
    pid = os.getpid()
    with monkeypatch.context() as patch:
        patch.setattr(grip.os, "getpid", lambda: pid + 1)
        child = grip._get_session("a")
    parent.close()
    assert child is not parent
    assert grip._sessions_pid == pid + 1


def test_child_publishes_with_own_session(
    publish_server: PublishServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = grip._get_session(publish_server.url + "/publish/")
    used: list[Any] = []
    original_post = grip.requests.Session.post

    def post(self: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(self)
        return original_post(self, *args, **kwargs)

    monkeypatch.setattr(grip.requests.Session, "post", post)
    pid = os.getpid()
    monkeypatch.setattr(grip.os, "getpid", lambda: pid + 1)
    grip.publish_items(ITEMS, config(publish_server.url))
    parent.close()
    assert len(used) == 1
    assert used[0] is not parent
    assert len(publish_server.requests) == 1


def test_bodies_stay_under_the_limit_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grip, "MAX_BODY_BYTES", 100)
    items = [{"id": str(n), "pad": "x" * 30} for n in range(10)]
    bodies = list(grip._bodies(items))
    assert len(bodies) > 1
    assert all(len(body) <= 100 + len('{"items":[]}') for body in bodies)
    assert [item for body in bodies for item in json.loads(body)["items"]] == items


def test_an_item_over_the_limit_goes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grip, "MAX_BODY_BYTES", 10)
    big, small = {"pad": "x" * 50}, {"id": "1"}
    assert [json.loads(b)["items"] for b in grip._bodies([small, big, small])] == [
        [small],
        [big],
        [small],
    ]


# --- several proxies (GRIP_PROXIES): a Pushpin fleet -------------------------------------


def test_fleet_gets_the_same_bodies_in_order(
    publish_server: PublishServer, second_publish_server: PublishServer, monkeypatch: Any
) -> None:
    monkeypatch.setattr(grip, "MAX_BODY_BYTES", 100)
    items = [{"channel": "events-x", "id": str(n), "pad": "x" * 40} for n in range(5)]
    grip.publish_items(items, config(publish_server.url, second_publish_server.url))
    assert len(publish_server.requests) > 1
    assert publish_server.requests == second_publish_server.requests
    sent = [item for _, _, body in publish_server.requests for item in body["items"]]
    assert sent == items


def test_partial_failure_names_both_sides(publish_server: PublishServer, closed_port: int) -> None:
    dead = f"http://127.0.0.1:{closed_port}"
    started = time.monotonic()
    with pytest.raises(PartialPublishError) as info:
        grip.publish_items(ITEMS, config(publish_server.url, dead, timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert len(publish_server.requests) == 1  # accepted once, never sent twice
    error = info.value
    assert error.accepted == [publish_server.url + "/publish/"]
    assert list(error.failed) == [dead + "/publish/"]
    message = str(error)
    assert message.startswith(
        f"1 of 2 GRIP proxies did not accept the update (1 did: {publish_server.url}/publish/). "
        f"Pushpin at {dead}/publish/ did not accept the update after "
    )
    assert "viewers on those proxies get it with the next update they accept" in message


def test_a_down_proxy_is_tried_once_until_it_accepts(
    publish_server: PublishServer, second_publish_server: PublishServer
) -> None:
    second_publish_server.status = 503
    fleet = config(publish_server.url, second_publish_server.url, timeout=0.3)
    with pytest.raises(PartialPublishError):
        grip.publish_items(ITEMS, fleet)
    retried = len(second_publish_server.requests)
    assert retried > 1
    started = time.monotonic()
    with pytest.raises(PartialPublishError, match="tried once, not retried"):
        grip.publish_items(ITEMS, fleet)
    assert time.monotonic() - started < 0.25  # the budget is not spent on it again
    assert len(second_publish_server.requests) == retried + 1
    second_publish_server.status = 200
    grip.publish_items(ITEMS, fleet)  # back: accepted, and retried normally again
    second_publish_server.status = 503
    with pytest.raises(PartialPublishError):
        grip.publish_items(ITEMS, fleet)
    assert len(second_publish_server.requests) > retried + 3
    assert len(publish_server.requests) == 4


def test_a_single_proxy_always_gets_the_whole_budget(closed_port: int) -> None:
    """With one Pushpin there is nobody else to deliver: every push waits for it."""
    single = config(f"http://127.0.0.1:{closed_port}", timeout=0.2)
    for _ in range(2):
        with pytest.raises(PublishError) as info:
            grip.publish_items(ITEMS, single)
        assert not isinstance(info.value, PartialPublishError)
        assert "tried once" not in str(info.value)


def test_no_proxy_accepted(closed_port: int, publish_server: PublishServer) -> None:
    publish_server.status = 400
    dead = f"http://127.0.0.1:{closed_port}"
    with pytest.raises(PublishError) as info:
        grip.publish_items(ITEMS, config(dead, publish_server.url, timeout=0.2))
    assert not isinstance(info.value, PartialPublishError)
    message = str(info.value)
    assert message.startswith(f"No GRIP proxy accepted the update. Pushpin at {dead}/publish/")
    assert f"Pushpin at {publish_server.url}/publish/ refused the update (HTTP 400: )." in message


def test_proxies_are_posted_to_in_parallel(
    publish_server: PublishServer, second_publish_server: PublishServer, closed_port: int
) -> None:
    """A proxy that keeps failing does not hold back the others' delivery."""
    dead = f"http://127.0.0.1:{closed_port}"
    seen: dict[str, float] = {}
    original = grip._post

    def timed(proxy: GripProxy, *args: Any) -> str:
        problem = original(proxy, *args)
        seen[proxy.publish_url] = time.monotonic()
        return problem

    transport_post = pytest.MonkeyPatch()
    transport_post.setattr(grip, "_post", timed)
    started = time.monotonic()
    try:
        with pytest.raises(PartialPublishError):
            grip.publish_items(
                ITEMS, config(dead, publish_server.url, second_publish_server.url, timeout=0.5)
            )
    finally:
        transport_post.undo()
    assert seen[publish_server.url + "/publish/"] - started < 0.25
    assert seen[second_publish_server.url + "/publish/"] - started < 0.25
    assert seen[dead + "/publish/"] - started >= 0.45


# --- authentication (hosted GRIP services) -----------------------------------------------


def test_key_is_sent_as_bearer_token(publish_server: PublishServer) -> None:
    grip.publish_items(ITEMS, config(publish_server.url + "?key=api-token"))
    assert publish_server.authorization == ["Bearer api-token"]


def test_issuer_gets_a_signed_jwt(publish_server: PublishServer) -> None:
    import jwt

    key = "base64:" + base64.b64encode(b"s" * 32).decode()
    grip.publish_items(ITEMS, config(f"{publish_server.url}?iss=realm&key={key}"))
    (header,) = publish_server.authorization
    assert header is not None and header.startswith("Bearer ")
    claim = jwt.decode(header.removeprefix("Bearer "), b"s" * 32, algorithms=["HS256"])
    assert claim["iss"] == "realm"
    assert claim["exp"] > time.time() + 3000


def test_no_key_no_authorization(publish_server: PublishServer) -> None:
    grip.publish_items(ITEMS, config(publish_server.url))
    assert publish_server.authorization == [None]


def test_new_thread_pool_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked child has none of its parent's pool threads: it starts its own pool."""
    monkeypatch.setattr(grip, "_pool", None)
    monkeypatch.setattr(grip, "_pool_pid", 0)
    parent = grip._get_pool()
    assert grip._get_pool() is parent
    pid = os.getpid()
    with monkeypatch.context() as patch:
        patch.setattr(grip.os, "getpid", lambda: pid + 1)
        child = grip._get_pool()
    assert child is not parent
    parent.shutdown()
    child.shutdown()
