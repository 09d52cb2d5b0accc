from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dashboards_sse.probe import probe_pushpin
from dashboards_sse.registry import get_dashboard
from tests.conftest import PublishServer


@pytest.fixture
def fake_proxy(request: pytest.FixtureRequest) -> Iterator[str]:
    """A stand-in for Pushpin's client port answering the stream with a fixed status/body."""
    status, body = request.param

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_embedded_mode_has_nothing_to_probe() -> None:
    (result,) = probe_pushpin("http://127.0.0.1:1", get_dashboard("testapp.ops"), 1)
    assert not result.ok and "embedded mode" in result.detail


@pytest.mark.parametrize(
    ("fake_proxy", "hint"),
    [
        ((403, "Grip-Sig did not verify: ..."), "GRIP_URL key differs from Pushpin's sig_key"),
        ((403, "served through Pushpin"), "reached Django unsigned"),
        ((403, "You may not view the dashboard"), "is not public"),
        ((502, "Bad Gateway"), "Pushpin cannot reach Django"),
    ],
    indirect=["fake_proxy"],
)
def test_stream_refusals_are_explained(
    settings: Any, publish_server: PublishServer, fake_proxy: str, hint: str
) -> None:
    settings.GRIP_URL = publish_server.url + "?key=" + "k" * 40
    publish, stream = probe_pushpin(fake_proxy, get_dashboard("testapp.ops"), 2)
    assert publish.ok
    assert not stream.ok and hint in stream.detail
