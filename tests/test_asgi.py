"""stream_fast_path answers Pushpin's stream requests as Django's handler would, and passes
everything else to the wrapped application."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.core.asgi import get_asgi_application
from django.test import Client

from bench.asgi_call import get, get_scope, request_headers
from dashboards_sse import push
from dashboards_sse.asgi import StreamFastPath, stream_fast_path
from dashboards_sse.testing import capture_pushes
from tests import own_loop

KEY = "k" * 40
OPS_STREAM = "/dashboards/testapp.ops/stream/"
SECRET_STREAM = "/dashboards/testapp.secret/stream/"
GRIP_HEADERS = ("grip-hold", "grip-channel", "grip-keep-alive", "grip-set-meta")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pushpin(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:1?key=" + KEY


def grip_sig(key: str = KEY) -> str:
    return jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, key, algorithm="HS256")


class Recorder:
    """The wrapped application: records what reaches it and answers 204."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    app: Any, path: str, query: str = "", sig: str | None = None, cookie: str = ""
) -> tuple[int, dict[str, str], bytes]:
    headers = request_headers(b"testserver", sig, cookie.encode())
    sent = own_loop.run(get, app, get_scope(path, query.encode(), headers, ("testserver", 80)))
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    names = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return start["status"], names, body


def test_a_pushpin_stream_request_is_answered_as_django_would() -> None:
    with capture_pushes():
        first = push("testapp.ops", cpu=1).event_id
        push("testapp.ops", cpu=2)
    query = f"lastEventId=dashboard.testapp.ops:{first}"
    fast = call(stream_fast_path(get_asgi_application()), OPS_STREAM, query, grip_sig())
    django = call(get_asgi_application(), OPS_STREAM, query, grip_sig())

    assert fast[0] == django[0] == 200
    assert {h: fast[1].get(h) for h in GRIP_HEADERS} == {h: django[1].get(h) for h in GRIP_HEADERS}
    assert fast[1]["grip-link"].split("es-meta=")[0] == django[1]["grip-link"].split("es-meta=")[0]
    assert fast[2] == django[2]
    assert fast[2].count(b"event: dsse-update") == 1


def test_other_requests_go_to_the_wrapped_application() -> None:
    wrapped = Recorder()
    app = StreamFastPath(wrapped)
    assert call(app, OPS_STREAM)[0] == 204  # no Grip-Sig: not from Pushpin (embedded, direct)
    assert call(app, "/dashboards/testapp.ops/", sig=grip_sig())[0] == 204  # a page
    assert call(app, "/nowhere/", sig=grip_sig())[0] == 204
    assert wrapped.paths == [OPS_STREAM, "/dashboards/testapp.ops/", "/nowhere/"]
    assert call(app, OPS_STREAM, sig=grip_sig())[0] == 200
    assert len(wrapped.paths) == 3


def test_refusals_are_the_views() -> None:
    app = stream_fast_path(Recorder())
    status, headers, body = call(app, OPS_STREAM, sig=grip_sig("x" * 40))
    assert status == 403
    assert headers["dashboards-sse-reason"] == "Pushpin key differs"
    assert body.startswith(b"Grip-Sig did not verify")
    assert call(app, SECRET_STREAM, sig=grip_sig())[0] == 403  # anonymous, not permitted
    assert call(app, OPS_STREAM, "lastEventId=error", grip_sig())[0] == 400


def test_the_session_user_is_the_viewer(viewer: Any) -> None:
    client = Client()
    client.force_login(viewer)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, headers, _ = call(stream_fast_path(Recorder()), SECRET_STREAM, "", grip_sig(), cookie)
    assert status == 200
    assert f'user="{viewer.pk}"' in headers["grip-set-meta"]


def test_an_error_in_the_view_is_answered_as_django_would(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dashboards_sse import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "_find", broken)
    status, _, _ = call(stream_fast_path(Recorder()), OPS_STREAM, sig=grip_sig())
    assert status == 500
    assert "the database went away" in caplog.text  # logged by django.request, as usual
