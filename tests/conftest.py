from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class PublishServer:
    """A tiny real HTTP server standing in for Pushpin's publish endpoint."""

    port: int
    status: int = 200
    # Statuses for the next requests, used up before `status` applies.
    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)  # each request's header

    @property
    def url(self) -> str:
        """A GRIP_URL pointing at this server."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def publish_server() -> Iterator[PublishServer]:
    with serve_publish() as recorder:
        yield recorder


@pytest.fixture
def second_publish_server() -> Iterator[PublishServer]:
    """Another Pushpin stand-in: the second instance of a fleet."""
    with serve_publish() as recorder:
        yield recorder


@contextmanager
def serve_publish() -> Iterator[PublishServer]:
    recorder = PublishServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.requests.append((self.command, self.path, json.loads(body or b"null")))
            recorder.authorization.append(self.headers.get("Authorization"))
            status = recorder.statuses.pop(0) if recorder.statuses else recorder.status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorder.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def user(django_user_model: Any) -> Any:
    """A logged-in-able user without permissions."""
    return django_user_model.objects.create_user("plain")


@pytest.fixture
def viewer(django_user_model: Any) -> Any:
    """A user holding testapp.view_secret (the permission of `testapp.secret`)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    content_type, _ = ContentType.objects.get_or_create(app_label="testapp", model="secret")
    permission = Permission.objects.create(
        codename="view_secret", name="Can view secret", content_type=content_type
    )
    viewer = django_user_model.objects.create_user("viewer")
    viewer.user_permissions.add(permission)
    return viewer


@pytest.fixture(autouse=True)
def close_publish_session() -> Iterator[None]:
    """push() keeps one HTTP session per process; close it after each test so pooled
    connections to a test's publish server never outlive that server."""
    from dashboards_sse.publish import grip as transport

    yield
    for session in transport._sessions.values():
        session.close()
    transport._sessions.clear()
    transport._down.clear()


@pytest.fixture
def embedded_streams(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every EmbeddedStream the views create during the test, in order. Imported here: the
    views need Django's apps, which are not ready when pytest imports this module."""
    from dashboards_sse import views
    from dashboards_sse.embedded import EmbeddedStream

    created: list[EmbeddedStream] = []

    class Recording(EmbeddedStream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(views, "EmbeddedStream", Recording)
    return created
