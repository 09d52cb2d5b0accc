from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.http import HttpResponseBase
from django.test import AsyncClient, Client

from dashboards_sse import hold, push, refusals
from dashboards_sse.embedded import PREAMBLE, EmbeddedStream
from dashboards_sse.publish import wire

KEY = "k" * 40
GRIP_URL = "http://127.0.0.1:1?key=" + KEY
OPS = "/dashboards/testapp.ops/"
CHANNEL = "dashboard.testapp.ops"
OPS_STREAM = "/dashboards/testapp.ops/stream/"
SECRET = "/dashboards/testapp.secret/"
SECRET_STREAM = "/dashboards/testapp.secret/stream/"


def grip_sig(key: str = KEY, **claims: Any) -> str:
    claims = {"iss": "pushpin", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(claims, key, algorithm="HS256")


def es_meta(**claims: Any) -> str:
    claims = {"iss": "es", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(claims, django_settings.SECRET_KEY.encode(), algorithm="HS256")


@pytest.fixture
def pushpin(settings: Any) -> None:
    settings.GRIP_URL = GRIP_URL


def text(response: HttpResponseBase) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


# -- page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page(client: Client) -> None:
    response = client.get(OPS)
    assert response.status_code == 200
    html = text(response)
    assert "<title>Operations</title>" in html
    assert html.count('sse-connect="/dashboards/testapp.ops/stream/"') == 1
    assert html.count("sse-swap=") == 4
    assert 'data-dsse-last-event-id="dashboard.testapp.ops:0"' in html


@pytest.mark.django_db
def test_page_shows_stored_state(client: Client) -> None:
    result = push("testapp.ops", cpu=33.3)
    html = text(client.get(OPS))
    assert '<span class="dsse-number">33.3</span>' in html
    event_id = result.event_ids["cpu"]
    assert f'data-dsse-last-event-id="dashboard.testapp.ops:{event_id}"' in html


@pytest.mark.django_db
def test_page_unknown(client: Client) -> None:
    assert client.get("/dashboards/nope/").status_code == 404


@pytest.mark.django_db
def test_page_anonymous_redirected_to_login(client: Client) -> None:
    response = client.get(SECRET)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dashboards/testapp.secret/"


@pytest.mark.django_db
def test_page_forbidden(client: Client, user: Any) -> None:
    client.force_login(user)
    assert client.get(SECRET).status_code == 403


@pytest.mark.django_db
def test_page_permitted(client: Client, viewer: Any) -> None:
    client.force_login(viewer)
    response = client.get(SECRET)
    assert response.status_code == 200
    assert "sse-connect" in text(response)


# -- stream: refusals ----------------------------------------------------------------------


@pytest.mark.django_db
def test_stream_unknown(client: Client) -> None:
    response = client.get("/dashboards/nope/stream/")
    assert response.status_code == 404
    assert text(response).startswith("No dashboard 'nope'.")


@pytest.mark.django_db
@pytest.mark.parametrize("last_id", ["error", "dashboard.testapp.ops:x", "5"])
def test_stream_malformed_last_event_id(client: Client, last_id: str) -> None:
    response = client.get(OPS_STREAM, {"lastEventId": last_id})
    assert response.status_code == 400
    assert text(response).startswith("Malformed event id")


@pytest.mark.django_db
def test_stream_malformed_header(client: Client) -> None:
    response = client.get(OPS_STREAM, HTTP_LAST_EVENT_ID="x" * 2000)
    assert response.status_code == 400
    assert text(response) == "Malformed event id: too long.\n"


@pytest.mark.django_db
def test_stream_forbidden_embedded(client: Client, user: Any) -> None:
    assert client.get(SECRET_STREAM).status_code == 403
    client.force_login(user)
    response = client.get(SECRET_STREAM)
    assert response.status_code == 403
    assert text(response) == "You may not view the dashboard 'testapp.secret'.\n"


@pytest.mark.django_db
def test_stream_grip_sig_without_grip_url(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Pushpin in front of a Django without GRIP_URL (a startproject reading no environment):
    not "the key differs", but what is missing and where."""
    response = client.get(OPS_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 403
    assert response[refusals.REASON_HEADER] == "Django has no GRIP_URL"
    assert text(response).startswith(
        "This request came through Pushpin (it carries Grip-Sig), but this Django has no "
        "GRIP_URL or GRIP_PROXIES"
    )
    (record,) = [r for r in caplog.records if r.name == "dashboards_sse"]
    assert record.levelname == "WARNING"
    assert record.getMessage() == (
        "dashboards_sse: stream /dashboards/testapp.ops/stream/ refused (Django has no "
        f"GRIP_URL): {refusals.NO_GRIP_URL.message}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("grip_url", [GRIP_URL, None], ids=["grip-url", "no-grip-url"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "direct"])
def test_stream_without_grip_middleware(
    client: Client, settings: Any, grip_url: str | None, signed: bool
) -> None:
    settings.GRIP_URL = grip_url
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "django_grip.GripMiddleware"]
    headers = {"HTTP_GRIP_SIG": grip_sig()} if signed else {}
    response = client.get(OPS_STREAM, **headers)
    if grip_url is None and not signed:
        assert response.status_code == 200  # embedded mode needs no GRIP
        return
    assert response.status_code == 403
    assert response[refusals.REASON_HEADER] == "GripMiddleware missing"
    assert text(response) == refusals.NO_MIDDLEWARE.message + "\n"


@pytest.mark.django_db
def test_stream_refusals_name_their_reason(
    client: Client, pushpin: None, user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each 403 carries its few words for the page's badge; access problems log at INFO
    (the viewer's, not the site's), setup problems at WARNING."""
    caplog.set_level(logging.INFO, logger="dashboards_sse")
    key_differs = client.get(OPS_STREAM, HTTP_GRIP_SIG=grip_sig("x" * 40))
    direct = client.get(OPS_STREAM)
    client.force_login(user)
    denied = client.get(SECRET_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert [r[refusals.REASON_HEADER] for r in (key_differs, direct, denied)] == [
        "Pushpin key differs",
        "open it through Pushpin",
        "not permitted",
    ]
    assert [r.status_code for r in (key_differs, direct, denied)] == [403] * 3
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "dashboards_sse"]
    assert [level for level, _ in logged] == ["WARNING", "WARNING", "INFO"]
    assert logged[2][1] == (
        "dashboards_sse: stream /dashboards/testapp.secret/stream/ refused (not permitted): "
        "You may not view the dashboard 'testapp.secret'."
    )


@pytest.mark.django_db
def test_stream_es_meta_without_pushpin(client: Client) -> None:
    response = client.get(OPS_STREAM, {"es-meta": es_meta(user="anonymous")})
    assert response.status_code == 400
    assert text(response) == "Invalid es-meta token: not from Pushpin.\n"


@pytest.mark.django_db
def test_stream_direct_refused_when_pushpin_required(client: Client, pushpin: None) -> None:
    response = client.get(OPS_STREAM)
    assert response.status_code == 403
    assert "served through Pushpin" in text(response)
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        "garbage",
        grip_sig("x" * 40),
        grip_sig(exp=int(time.time()) - 10),
        jwt.encode({"iss": "pushpin"}, KEY, algorithm="HS256"),
    ],
    ids=["garbage", "other-key", "expired", "no-exp"],
)
def test_stream_forged_grip_sig(client: Client, pushpin: None, signature: str) -> None:
    response = client.get(OPS_STREAM, HTTP_GRIP_SIG=signature)
    assert response.status_code == 403
    assert text(response).startswith("Grip-Sig did not verify")
    assert "Grip-Hold" not in response


# -- stream: through Pushpin ---------------------------------------------------------------


@pytest.mark.django_db
def test_stream_hold_instructions(client: Client, pushpin: None) -> None:
    response = client.get(OPS_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 200
    assert response["Grip-Hold"] == "stream"
    assert "events-dashboard.testapp.ops" in response["Grip-Channel"]
    assert response["Content-Type"] == "text/event-stream"
    assert "event: stream-open" in text(response)


@pytest.mark.django_db
def test_the_next_link_has_a_spread_timeout(client: Client, pushpin: None) -> None:
    timeouts = set()
    for _ in range(20):
        response = client.get(OPS_STREAM, HTTP_GRIP_SIG=grip_sig())
        link = response["Grip-Link"]
        assert "rel=next" in link and "link=next" in link
        timeouts.add(int(link.rsplit("timeout=", 1)[1]))
    low, high = hold.NEXT_LINK_TIMEOUT
    assert all(low <= t <= high < hold.ES_META_LIFETIME for t in timeouts)  # before it expires
    assert len(timeouts) > 1  # spread: streams opened together are refreshed apart


@pytest.mark.django_db
def test_viewers_of_a_stream_share_one_next_link(client: Client, pushpin: None) -> None:
    # Pushpin refreshes up to 100 streams with the same link in one request, 10 links a second
    links = set()
    for _ in range(5):
        before = time.time()
        link = client.get(OPS_STREAM, HTTP_GRIP_SIG=grip_sig())["Grip-Link"]
        links.add(link[1 : link.index(">")])
    (uri,) = links
    token = parse_qs(urlsplit(uri).query)["es-meta"][0]
    expires = jwt.decode(token, django_settings.SECRET_KEY.encode(), algorithms=["HS256"])["exp"]
    assert expires % hold.ES_META_ROUND == 0
    assert before + hold.ES_META_LIFETIME <= expires <= before + hold.ES_META_LIFETIME + 600


@pytest.mark.django_db
def test_stream_hold_replays_from_last_event_id(client: Client, pushpin: None) -> None:
    first = push("testapp.ops", cpu=1, status="fine").event_id
    second = push("testapp.ops", status="100% fine")
    response = client.get(
        OPS_STREAM, {"lastEventId": f"dashboard.testapp.ops:{first}"}, HTTP_GRIP_SIG=grip_sig()
    )
    assert response.status_code == 200
    body = text(response)
    assert body.count("event: dsse-update") == 1
    # The replay is byte for byte what a live viewer got (Pushpin fills in %I either way).
    data = wire.message((wire.replace(n, h) for n, h in second.html.items()), second.sent_at)
    live = wire.event_item(CHANNEL, wire.UPDATE_EVENT, data, second.event_id, "")
    content = live["formats"]["http-stream"]["content"]
    assert content.replace("%I", f"dashboard.testapp.ops:{second.event_id}") in body


@pytest.mark.django_db
def test_stream_hold_ignores_channel_param(client: Client, pushpin: None) -> None:
    response = client.get(
        OPS_STREAM, {"channel": "dashboard.testapp.secret"}, HTTP_GRIP_SIG=grip_sig()
    )
    assert response.status_code == 200
    assert "testapp.secret" not in response["Grip-Channel"]


@pytest.mark.django_db
def test_stream_hold_malformed_last_event_id(client: Client, pushpin: None) -> None:
    response = client.get(OPS_STREAM, {"lastEventId": "error"}, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 400
    assert "Grip-Hold" not in response


@pytest.mark.django_db
def test_stream_hold_forbidden(client: Client, pushpin: None, user: Any) -> None:
    assert client.get(SECRET_STREAM, HTTP_GRIP_SIG=grip_sig()).status_code == 403
    client.force_login(user)
    response = client.get(SECRET_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 403
    assert "Grip-Hold" not in response


@pytest.mark.django_db
def test_stream_hold_permitted(client: Client, pushpin: None, viewer: Any) -> None:
    client.force_login(viewer)
    response = client.get(SECRET_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 200
    assert "events-dashboard.testapp.secret" in response["Grip-Channel"]


@pytest.mark.django_db
def test_stream_next_link_invalid_es_meta(client: Client, pushpin: None) -> None:
    response = client.get(
        OPS_STREAM, {"link": "next", "es-meta": "garbage"}, HTTP_GRIP_SIG=grip_sig()
    )
    assert response.status_code == 400
    assert text(response).startswith("Invalid or expired es-meta token (")


@pytest.mark.django_db
def test_stream_next_link_es_meta_of_another_stream(client: Client, pushpin: None) -> None:
    token = es_meta(user="anonymous", channels=["dashboard.testapp.secret"])
    response = client.get(OPS_STREAM, {"link": "next", "es-meta": token}, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 400
    assert text(response) == "The es-meta token is for another stream.\n"


@pytest.mark.django_db
def test_stream_next_link_expired_es_meta(client: Client, pushpin: None) -> None:
    token = es_meta(exp=int(time.time()) - 10, user="anonymous")
    response = client.get(OPS_STREAM, {"link": "next", "es-meta": token}, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 400


@pytest.mark.django_db
def test_stream_next_link_rechecks_permission(client: Client, pushpin: None, viewer: Any) -> None:
    claims = {"channels": ["dashboard.testapp.secret"]}
    allowed = client.get(
        SECRET_STREAM,
        {"link": "next", "es-meta": es_meta(user=str(viewer.pk), **claims)},
        HTTP_GRIP_SIG=grip_sig(),
    )
    assert allowed.status_code == 200
    assert allowed["Grip-Hold"] == "stream"
    refused = client.get(
        SECRET_STREAM,
        {"link": "next", "es-meta": es_meta(user="anonymous", **claims)},
        HTTP_GRIP_SIG=grip_sig(),
    )
    assert "Grip-Hold" not in refused
    assert "event: stream-error" in text(refused)
    assert '"condition": "forbidden"' in text(refused)


# -- stream: embedded ----------------------------------------------------------------------


def read_async(
    path: str, chunks: int, headers: dict[str, str] | None = None
) -> tuple[HttpResponseBase, list[str]]:
    """GET ``path`` with AsyncClient (an ASGI request) and read the first ``chunks`` chunks."""

    async def run() -> tuple[HttpResponseBase, list[str]]:
        response = await AsyncClient().get(path, headers=headers)
        content = response.streaming_content
        try:
            read = [(await anext(content)).decode() for _ in range(chunks)]
        finally:
            await content.aclose()
        return response, read

    return async_to_sync(run)()


@pytest.mark.django_db
def test_embedded_stream_async(settings: Any) -> None:
    settings.DASHBOARDS_SSE = {"EMBEDDED_POLL_INTERVAL": 0.01}
    result = push("testapp.ops", cpu=7)
    event_id = result.event_ids["cpu"]

    response, (preamble, body) = read_async(
        f"{OPS_STREAM}?lastEventId=dashboard.testapp.ops:{event_id - 1}", 2
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    assert preamble == PREAMBLE
    assert preamble.endswith("event: stream-open\ndata:\n\n")
    assert body.startswith(f"event: dsse-update\nid: dashboard.testapp.ops:{event_id}\ndata: ")
    assert json.dumps(result.html["cpu"]) in body


@pytest.mark.django_db
def test_embedded_stream_header_resume() -> None:
    first = push("testapp.ops", cpu=1).event_id
    push("testapp.ops", status="two")
    headers = {"Last-Event-ID": f"dashboard.testapp.ops:{first}"}
    _, (_, body) = read_async(OPS_STREAM, 2, headers)
    assert body.startswith(f"event: dsse-update\nid: dashboard.testapp.ops:{first + 1}\n")
    assert '"component":"status"' in body and '"component":"cpu"' not in body


@pytest.mark.django_db
def test_embedded_stream_reset_on_unknown_id() -> None:
    result = push("testapp.ops", cpu=1)
    current = result.event_ids["cpu"]
    _, (_, body) = read_async(f"{OPS_STREAM}?lastEventId=dashboard.testapp.ops:999", 2)
    assert body == (
        f"event: stream-reset\nid: dashboard.testapp.ops:{current}\n"
        'data: {"channels": ["dashboard.testapp.ops"]}\n\n'
    )


@pytest.mark.django_db
def test_embedded_stream_sync(client: Client) -> None:
    result = push("testapp.ops", status="wsgi")
    event_id = result.event_ids["status"]
    response = client.get(OPS_STREAM, {"lastEventId": f"dashboard.testapp.ops:{event_id - 1}"})
    assert response.status_code == 200
    content = iter(response.streaming_content)  # type: ignore[attr-defined]
    try:
        assert next(content).decode() == PREAMBLE
        assert (
            next(content)
            .decode()
            .startswith(f"event: dsse-update\nid: dashboard.testapp.ops:{event_id}\n")
        )
    finally:
        response.close()


@pytest.mark.django_db
def test_embedded_stream_when_pushpin_optional(
    client: Client, pushpin: None, settings: Any
) -> None:
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": False}
    response = client.get(OPS_STREAM)
    assert response.status_code == 200
    assert response.streaming
    response.close()


@pytest.mark.django_db
def test_embedded_stream_permitted(client: Client, viewer: Any) -> None:
    client.force_login(viewer)
    response = client.get(SECRET_STREAM)
    assert response.status_code == 200
    assert response.streaming
    response.close()


@pytest.mark.django_db
def test_embedded_stream_recheck_sees_revoked_permission(
    client: Client, viewer: Any, embedded_streams: list[EmbeddedStream]
) -> None:
    client.force_login(viewer)
    response = client.get(SECRET_STREAM)
    (stream,) = embedded_streams
    assert stream.still_allowed()
    viewer.user_permissions.clear()
    assert not stream.still_allowed()
    # Last: closing fires request_finished, whose close_old_connections closes a PostgreSQL
    # connection inside the test's transaction (SQLite's in-memory one survives).
    response.close()
