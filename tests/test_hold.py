"""hold.py answers as django-eventstream's view does (headers, ids, replay), in fewer queries."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django_eventstream.models import Event
from django_eventstream.views import events
from django_grip import GripMiddleware

from dashboards_sse import hold, push
from dashboards_sse.publish import store

KEY = "k" * 40
CHANNEL = "dashboard.testapp.ops"
PATH = "/dashboards/testapp.ops/stream/"
PADDING = ":" + " " * 2048 + "\n\n"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pushpin(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:1?key=" + KEY


def signed_request(params: dict[str, str] | None = None, **headers: str) -> HttpRequest:
    sig = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, KEY, algorithm="HS256")
    request = RequestFactory().get(PATH, params or {}, HTTP_GRIP_SIG=sig, **headers)
    GripMiddleware(lambda r: HttpResponse()).process_request(request)
    return request


def finish(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """The answer as Pushpin reads it: GRIP headers (the next link without its token and
    timeout, which differ by design), the link's parameters, the body."""
    GripMiddleware(lambda r: response).process_response(request, response)
    link = response["Grip-Link"]
    uri = link[1 : link.index(">")]
    params = parse_qs(urlsplit(uri).query)
    token = params.pop("es-meta")[0]
    claims = jwt.decode(token, django_settings.SECRET_KEY.encode(), algorithms=["HS256"])
    return {
        "headers": {
            name: response.get(name)
            for name in ("Grip-Hold", "Grip-Channel", "Grip-Keep-Alive", "Grip-Set-Meta")
        },
        "path": urlsplit(uri).path,
        "params": params,
        "claims": {name: claims[name] for name in ("iss", "channels", "user")},
        "body": response.content.decode(),
        "content_type": response["Content-Type"],
    }


def ours(params: dict[str, str] | None = None, start: int | None = None, **headers: str) -> Any:
    request = signed_request(params, **headers)
    if params and params.get("recover") == "true":
        start = hold.recovered_id(request, CHANNEL, "")
    return finish(request, hold.answer(request, CHANNEL, start, "anonymous"))


def theirs(params: dict[str, str] | None = None, **headers: str) -> Any:
    request = signed_request(params, **headers)
    request.user = type("Anonymous", (), {"is_authenticated": False, "pk": None})()  # type: ignore[attr-defined]
    answer = finish(request, events(request, channels=[CHANNEL]))
    assert answer["body"].startswith(PADDING) or (params and "link" in params)
    answer["body"] = answer["body"].removeprefix(PADDING)
    return answer


def test_a_new_stream_holds_from_the_newest_id() -> None:
    push("testapp.ops", cpu=1)
    push("testapp.ops", cpu=2)
    answer = ours()
    assert answer == theirs()
    assert "prev-id=2" in answer["headers"]["Grip-Channel"]
    assert answer["body"] == "event: stream-open\ndata:\n\n"  # no 2 KB of padding


def test_a_new_stream_of_a_channel_without_events() -> None:
    assert ours() == theirs()


@pytest.mark.parametrize("behind", [0, 1, 3])
def test_a_stream_replays_what_the_client_missed(behind: int) -> None:
    for value in range(5):
        push("testapp.ops", cpu=value)
    last = f"{CHANNEL}:{5 - behind}"
    answer = ours(start=5 - behind)
    assert answer == theirs({"lastEventId": last})
    assert answer["body"].count("event: dsse-update") == behind


def test_an_id_no_longer_stored_resets_the_stream() -> None:
    for value in range(3):
        push("testapp.ops", cpu=value)
    Event.objects.filter(channel=CHANNEL, eid__lte=1).delete()  # trimmed
    answer = ours(start=1)
    assert answer == theirs({"lastEventId": f"{CHANNEL}:1"})
    assert "event: stream-reset" in answer["body"]


def test_an_id_ahead_of_the_database_resets_the_stream() -> None:
    push("testapp.ops", cpu=1)
    answer = ours(start=40)
    assert answer == theirs({"lastEventId": f"{CHANNEL}:40"})
    assert "prev-id=1" in answer["headers"]["Grip-Channel"]


def test_more_than_a_replay_is_sent_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    store.append_events(CHANNEL, [("dsse-update", f"m{i}") for i in range(hold.REPLAY_LIMIT + 5)])
    answer = ours(start=0)
    assert answer == theirs({"lastEventId": f"{CHANNEL}:0"})
    assert answer["headers"]["Grip-Hold"] is None  # not held: Pushpin asks the rest at once
    assert answer["params"]["lastEventId"] == [f"{CHANNEL}:{hold.REPLAY_LIMIT}"]


def test_a_recovery_request_replays_from_what_pushpin_delivered() -> None:
    for value in range(4):
        push("testapp.ops", cpu=value)
    params = {"link": "next", "recover": "true"}
    answer = ours(params, HTTP_GRIP_LAST=f"events-{CHANNEL}; last-id=2")
    assert answer == theirs(params, HTTP_GRIP_LAST=f"events-{CHANNEL}; last-id=2")
    assert answer["body"].count("event: dsse-update") == 2
    assert "stream-open" not in answer["body"]  # a follow-up, not a new stream


def test_a_replay_is_one_query(django_assert_num_queries: Any) -> None:
    for value in range(3):
        push("testapp.ops", cpu=value)
    with django_assert_num_queries(1):
        found = hold.replay(CHANNEL, 1)
    assert [eid for eid, _, _ in found.events] == [2, 3]


def test_grip_prefix_names_the_channel_in_the_id_format() -> None:
    request = signed_request()
    response = hold.answer(request, CHANNEL, None, "anonymous", prefix="site1-")
    assert "%(site1-events-dashboard.testapp.ops)s" in request.grip.instruct.meta["id_format"]  # type: ignore[attr-defined]
    assert response.status_code == 200


def test_recovered_id_reads_grip_last() -> None:
    request = signed_request(HTTP_GRIP_LAST=f"site1-events-{CHANNEL}; last-id=7")
    assert hold.recovered_id(request, CHANNEL, "site1-") == 7
    assert hold.recovered_id(signed_request(), CHANNEL, "") is None
    garbage = signed_request(HTTP_GRIP_LAST=f"events-{CHANNEL}; last-id=x")
    assert hold.recovered_id(garbage, CHANNEL, "") is None


# -- es-meta ---------------------------------------------------------------------------------


def es_meta(**claims: Any) -> str:
    claims = {"iss": "es", "exp": int(time.time()) + 60, "channels": [CHANNEL], **claims}
    return jwt.encode(claims, django_settings.SECRET_KEY.encode(), algorithm="HS256")


def test_es_meta_names_the_viewer() -> None:
    assert hold.read_es_meta(es_meta(user="7"), CHANNEL) == "7"
    assert hold.read_es_meta(es_meta(user="anonymous"), CHANNEL) == "anonymous"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_es_meta_garbage(token: str) -> None:
    with pytest.raises(hold.EsMetaError, match="Invalid or expired"):
        hold.read_es_meta(token, CHANNEL)


def test_es_meta_expired_or_of_another_key_or_stream() -> None:
    with pytest.raises(hold.EsMetaError, match="expired"):
        hold.read_es_meta(es_meta(user="1", exp=int(time.time()) - 5), CHANNEL)
    other_key = jwt.encode({"channels": [CHANNEL], "user": "1"}, "x" * 40, algorithm="HS256")
    with pytest.raises(hold.EsMetaError, match="Invalid"):
        hold.read_es_meta(other_key, CHANNEL)
    with pytest.raises(hold.EsMetaError, match="another stream"):
        hold.read_es_meta(es_meta(user="1"), "dashboard.testapp.secret")
    with pytest.raises(hold.EsMetaError, match="another stream"):
        hold.read_es_meta(es_meta(user=1), CHANNEL)  # not django-eventstream's own shape


def test_a_held_stream_renews_its_token_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pushpin follows each next link when its timeout runs out: every link's es-meta must
    outlive that timeout, and the answer to it carries a fresh one (so a stream held for
    hours never meets an expired token, and streams opened together are not refreshed
    together)."""
    clock = [1_800_000_000.0]
    monkeypatch.setattr(hold.time, "time", lambda: clock[0])
    params: dict[str, str] = {}
    expiries, timeouts = [], []
    for _ in range(10):  # more than 3 hours of links even at their shortest timeout (1,200 s)
        request = signed_request(params)
        hold.answer(request, CHANNEL, None, "anonymous")
        instruct = request.grip.instruct  # type: ignore[attr-defined]
        query = parse_qs(urlsplit(instruct.next_link).query)
        claims = jwt.decode(
            query["es-meta"][0],
            django_settings.SECRET_KEY.encode(),
            algorithms=["HS256"],
            options={"verify_exp": False},
        )
        assert claims["exp"] - clock[0] > instruct.next_link_timeout + 60
        expiries.append(claims["exp"])
        timeouts.append(instruct.next_link_timeout)
        clock[0] += instruct.next_link_timeout  # Pushpin asks when the timeout runs out
        params = {key: values[0] for key, values in query.items()}
    assert clock[0] - 1_800_000_000.0 > 3 * 3600
    assert expiries == sorted(expiries) and len(set(expiries)) == len(expiries)
    assert len(set(timeouts)) > 1
