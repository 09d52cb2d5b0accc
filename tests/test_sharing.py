"""Share links (sharing.py): tokens, grants, revocation, the shared page and stream, the CLI."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import jwt
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.utils import timezone

from dashboards_sse import (
    InvalidShare,
    InvalidValue,
    PublishError,
    UnknownDashboard,
    UnknownScope,
    UnknownShare,
    hold,
    push,
    revoke,
    share,
    sharing,
)
from dashboards_sse.embedded import EmbeddedStream
from dashboards_sse.management.subcommands.share import parse_duration
from dashboards_sse.models import ShareGrant
from dashboards_sse.publish.wire import share_channel
from tests.conftest import PublishServer
from tests.testapp.dashboards import Secret, StoreSales
from tests.testapp.models import Store

KEY = "k" * 40
SECRET = "/dashboards/testapp.secret/"
SECRET_STREAM = "/dashboards/testapp.secret/stream/"
OPS = "/dashboards/testapp.ops/"
DAY = timedelta(days=1)


def grip_sig() -> str:
    claims = {"iss": "pushpin", "exp": int(time.time()) + 60}
    return jwt.encode(claims, KEY, algorithm="HS256")


def es_meta(channel: str) -> str:
    claims = {"iss": "es", "exp": int(time.time()) + 60, "user": "anonymous"}
    claims["channels"] = [channel]  # type: ignore[assignment]
    return jwt.encode(claims, django_settings.SECRET_KEY.encode(), algorithm="HS256")


def text(response: HttpResponseBase) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def pushpin(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:1?key=" + KEY


@pytest.fixture
def north() -> Store:
    return Store.objects.create(name="North", code="north")


# -- tokens and grants -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_names_its_grant_and_opens_its_dashboard() -> None:
    grant = share(Secret, expires=DAY, label="Lobby TV")
    assert (grant.dashboard, grant.scope, grant.label, grant.status) == (
        "testapp.secret",
        "",
        "Lobby TV",
        "active",
    )
    assert grant.token.startswith(f"{grant.pk}:")
    assert sharing.grant_id(grant.token) == grant.pk
    assert sharing.check(grant.token, "testapp.secret") == grant
    assert grant.path == f"{SECRET}?share={grant.token}"
    assert grant.url("https://dash.example.com/") == "https://dash.example.com" + grant.path
    assert abs((grant.expires - timezone.now() - DAY).total_seconds()) < 5


@pytest.mark.django_db
def test_share_takes_a_slug_a_scoped_object_or_a_key(north: Store) -> None:
    assert share("testapp.secret", expires=DAY).dashboard == "testapp.secret"
    by_object = share(StoreSales.for_(north), expires=DAY)
    by_key = share(StoreSales, "north", expires=DAY)
    assert (by_object.scope, by_key.scope) == ("north", "north")
    assert by_key.path.startswith("/dashboards/testapp.store-sales/north/?share=")
    until = timezone.now() + timedelta(hours=2)
    assert share(Secret, expires=until).expires == until


@pytest.mark.parametrize(
    "forged",
    ["", "garbage", "1", "1:", "1:abc", "x:" + "A" * 43],
)
@pytest.mark.django_db
def test_a_forged_token_opens_nothing(forged: str) -> None:
    share(Secret, expires=DAY)
    with pytest.raises(InvalidShare, match="not valid: it was mistyped"):
        sharing.check(forged, "testapp.secret")


@pytest.mark.django_db
def test_a_token_cannot_be_turned_into_another_grants() -> None:
    first = share(Secret, expires=DAY)
    second = share("testapp.ops", expires=DAY)
    signature = first.token.split(":", 1)[1]
    with pytest.raises(InvalidShare, match="not valid"):
        sharing.check(f"{second.pk}:{signature}", "testapp.ops")


@pytest.mark.django_db
def test_a_token_of_another_secret_key_opens_nothing(settings: Any) -> None:
    grant = share(Secret, expires=DAY)
    token = grant.token
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(InvalidShare, match="another SECRET_KEY"):
        sharing.check(token, "testapp.secret")


@pytest.mark.django_db
def test_a_token_opens_only_its_own_dashboard_and_object(north: Store) -> None:
    grant = share(StoreSales.for_(north), expires=DAY)
    sales = "testapp.store-sales"
    for slug, key in [(sales, "south"), (sales, ""), ("testapp.secret", "")]:
        with pytest.raises(InvalidShare, match="for another dashboard"):
            sharing.check(grant.token, slug, key)
    assert sharing.check(grant.token, "testapp.store-sales", "north") == grant


@pytest.mark.django_db
def test_an_expired_grant_opens_nothing() -> None:
    grant = share(Secret, expires=DAY)
    ShareGrant.objects.filter(pk=grant.pk).update(expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidShare, match="expired on"):
        sharing.check(grant.token, "testapp.secret")
    grant.refresh_from_db()
    assert grant.status == "expired"
    assert not sharing.still_valid(grant.pk)


@pytest.mark.django_db
def test_a_revoked_or_deleted_grant_opens_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    grant = share(Secret, expires=DAY)
    assert sharing.still_valid(grant.pk)
    with django_capture_on_commit_callbacks(execute=True):
        revoke(grant.pk)
    with pytest.raises(InvalidShare, match="revoked on"):
        sharing.check(grant.token, "testapp.secret")
    assert not sharing.still_valid(grant.pk)
    ShareGrant.objects.all().delete()
    with pytest.raises(InvalidShare, match="no longer exists"):
        sharing.check(grant.token, "testapp.secret")


@pytest.mark.django_db
def test_share_refuses_what_it_cannot_share(north: Store) -> None:
    with pytest.raises(UnknownDashboard):
        share("nope", expires=DAY)
    with pytest.raises(UnknownScope, match="name an object or key"):
        share(StoreSales, expires=DAY)
    with pytest.raises(UnknownScope, match=r"no testapp\.Store with the key 'south'"):
        share(StoreSales, "south", expires=DAY)
    with pytest.raises(UnknownScope, match="is not scoped"):
        share(Secret, "north", expires=DAY)
    with pytest.raises(InvalidValue, match="in the future"):
        share(Secret, expires=timedelta(seconds=-1))
    with pytest.raises(InvalidValue, match="aware datetime"):
        share(Secret, expires=datetime(2099, 1, 1))  # naive
    with pytest.raises(InvalidValue, match="at most 200"):
        share(Secret, expires=DAY, label="x" * 201)
    assert not ShareGrant.objects.exists()


@pytest.mark.django_db
def test_revoke_closes_the_grants_open_streams(
    settings: Any, publish_server: PublishServer, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GRIP_URL = publish_server.url
    settings.GRIP_PREFIX = "site-"
    grant = share(Secret, expires=DAY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        revoke(grant.pk)
    assert publish_server.requests == []  # not before the commit
    for callback in callbacks:
        callback()
    ((_, path, body),) = publish_server.requests
    assert path == "/publish/"
    error, close = body["items"]
    assert error["channel"] == close["channel"] == f"site-dsse-share-{grant.pk}"
    content = error["formats"]["http-stream"]["content"]
    assert "event: stream-error" in content and '"condition": "forbidden"' in content
    assert "This share link was revoked." in content
    assert close["formats"]["http-stream"] == {"action": "close"}
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert str(grant) == f"share {grant.pk}: testapp.secret"


def test_revoke_of_no_grant(db: None) -> None:
    with pytest.raises(UnknownShare, match=r"No share grant 404: .*share --list"):
        revoke(404)


@pytest.mark.django_db(transaction=True)
def test_revoke_outside_a_transaction_says_when_streams_stayed_open(settings: Any) -> None:
    settings.GRIP_URL = "http://127.0.0.1:1"  # nothing listens
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 0.2}
    grant = share(Secret, expires=DAY)
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(PublishError, match=f"Share {grant.pk} is revoked, but its open streams"):
        revoke(grant.pk)
    assert ShareGrant.objects.get(pk=grant.pk).status == "revoked"


# -- the page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_trades_its_token_for_a_cookie_and_a_clean_url(client: Client) -> None:
    grant = share(Secret, expires=timedelta(hours=2))
    response = client.get(SECRET, {"share": grant.token, "kiosk": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{SECRET}?kiosk=1"  # the token left the URL
    assert response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies[sharing.COOKIE]
    assert cookie.value == grant.token
    assert cookie["path"] == SECRET  # sent to this dashboard's page and stream only
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert 7100 < int(cookie["max-age"]) <= 7200
    assert not cookie["secure"]  # plain HTTP here; Secure over HTTPS
    assert client.get(SECRET, {"share": grant.token}, secure=True).cookies[sharing.COOKIE][
        "secure"
    ]


@pytest.mark.django_db
def test_the_shared_page_is_the_dashboard_without_a_login(client: Client) -> None:
    push(Secret, level=7)
    grant = share(Secret, expires=DAY)
    client.get(SECRET, {"share": grant.token})  # the cookie, as a browser keeps it
    response = client.get(SECRET)
    assert response.status_code == 200
    html = text(response)
    assert "dsse-forbidden" not in html
    assert f'sse-connect="{SECRET_STREAM}"' in html  # the clean stream URL: the cookie goes
    assert grant.token not in html
    assert ">7<" in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    assert not sharing.is_granted(Secret.channel)  # nothing outlives the request


@pytest.mark.django_db
def test_a_share_grants_nothing_else(client: Client, north: Store) -> None:
    grant = share(Secret, expires=DAY)
    client.get(SECRET, {"share": grant.token})
    # the cookie is for its path only; sent anyway (by hand) elsewhere, it opens nothing
    client.cookies[sharing.COOKIE]["path"] = "/"
    other = client.get("/dashboards/testapp.store-sales/north/")
    assert other.status_code == 403
    assert "for another dashboard" in text(other)
    client.cookies.clear()
    assert client.get(SECRET).status_code == 302  # no cookie: the login, as before
    wrong = client.get("/dashboards/testapp.ops/", {"share": grant.token})
    assert wrong.status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked": timezone.now()}, "was revoked on"),
        ({"expires": timezone.now() - timedelta(minutes=1)}, "expired on"),
    ],
    ids=["revoked", "expired"],
)
@pytest.mark.django_db
def test_a_dead_link_is_a_403_page_saying_why(
    client: Client, change: dict[str, Any], message: str
) -> None:
    grant = share(Secret, expires=DAY)
    client.get(SECRET, {"share": grant.token})
    ShareGrant.objects.filter(pk=grant.pk).update(**change)
    for response in (client.get(SECRET, {"share": grant.token}), client.get(SECRET)):
        assert response.status_code == 403  # not a login redirect
        assert message in text(response)
        assert "Ask whoever shared it" in text(response)
        assert response["Referrer-Policy"] == "no-referrer"
    assert response.cookies[sharing.COOKIE].value == ""  # the dead cookie is dropped
    assert client.get(SECRET).status_code == 302  # and the login page is back


@pytest.mark.django_db
def test_a_forged_link_is_a_403_page(client: Client) -> None:
    response = client.get(OPS, {"share": "1:forged"})
    assert response.status_code == 403
    assert "not valid" in text(response)


@pytest.mark.django_db
def test_a_shared_scoped_page(client: Client, north: Store) -> None:
    grant = share(StoreSales.for_(north), expires=DAY)
    page = "/dashboards/testapp.store-sales/north/"
    assert client.get(page, {"share": grant.token}).cookies[sharing.COOKIE]["path"] == page
    response = client.get(page)
    assert response.status_code == 200
    assert 'sse-connect="/dashboards/testapp.store-sales/north/stream/"' in text(response)
    north.delete()
    gone = client.get(page)
    assert gone.status_code == 403
    assert "no longer exists" in text(gone)


# -- the stream --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_shared_stream_through_pushpin(client: Client, pushpin: None) -> None:
    grant = share(Secret, expires=timedelta(seconds=90))
    client.cookies[sharing.COOKIE] = grant.token
    response = client.get(SECRET_STREAM, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 200
    assert response["Grip-Hold"] == "stream"
    channels = response["Grip-Channel"]
    assert "events-dashboard.testapp.secret" in channels
    assert share_channel(grant.pk) in channels  # revoke() closes it
    link = response["Grip-Link"]
    # the follow-ups carry the token (the cookie may not reach them) and come by expiry
    assert f"share={grant.token.replace(':', '%3A')}" in link
    assert 85 <= int(link.rsplit("timeout=", 1)[1]) <= 90


@pytest.mark.django_db
def test_a_shared_follow_up_rechecks_the_grant(client: Client, pushpin: None) -> None:
    grant = share(Secret, expires=DAY)
    follow_up = {
        "link": "next",
        "recover": "true",
        "es-meta": es_meta(Secret.channel),
        "share": grant.token,
    }
    held = client.get(SECRET_STREAM, follow_up, HTTP_GRIP_SIG=grip_sig())
    assert held["Grip-Hold"] == "stream"  # anonymous, yet the grant admits the channel
    low, high = hold.NEXT_LINK_TIMEOUT
    assert low <= int(held["Grip-Link"].rsplit("timeout=", 1)[1]) <= high
    ShareGrant.objects.filter(pk=grant.pk).update(expires=timezone.now())
    ended = client.get(SECRET_STREAM, follow_up, HTTP_GRIP_SIG=grip_sig())
    assert ended.status_code == 200
    assert "Grip-Hold" not in ended and "Grip-Link" not in ended  # Pushpin ends the stream
    assert "event: stream-error" in text(ended) and "This share link expired" in text(ended)


@pytest.mark.django_db
def test_a_shared_stream_refused_says_why(client: Client, pushpin: None) -> None:
    grant = share("testapp.ops", expires=DAY)
    response = client.get(SECRET_STREAM, {"share": grant.token}, HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 403
    assert text(response) == "This share link is for another dashboard.\n"
    forged = client.get(SECRET_STREAM, {"share": "x"}, HTTP_GRIP_SIG=grip_sig())
    assert forged.status_code == 403 and "not valid" in text(forged)
    bad_meta = {"share": grant.token, "link": "next", "es-meta": "garbage"}
    assert client.get(OPS + "stream/", bad_meta, HTTP_GRIP_SIG=grip_sig()).status_code == 400


@pytest.mark.django_db
def test_a_shared_embedded_stream_ends_with_its_grant(
    client: Client, embedded_streams: list[EmbeddedStream]
) -> None:
    grant = share(Secret, expires=DAY)
    response = client.get(SECRET_STREAM, {"share": grant.token})
    assert response.status_code == 200
    (stream,) = embedded_streams
    assert stream.recheck_seconds == sharing.EMBEDDED_RECHECK_SECONDS == 1.0
    assert stream.still_allowed()
    ShareGrant.objects.filter(pk=grant.pk).update(revoked=timezone.now())
    assert not stream.still_allowed()
    stream.last_check -= 1.0
    body, stop = stream.step()
    assert stop and "revoked or has expired" in body
    response.close()


# -- the command -------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("dashboards_sse", "share", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["30", "0d", "-1d", "1y", "d", "1.5h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(CommandError, match="positive duration such as 30d"):
        parse_duration(text)


@pytest.mark.django_db
def test_cli_share_prints_the_link(north: Store) -> None:
    base = ["--base-url", "https://dash.example.com"]
    lines = run("testapp.secret", "--expires", "30d", "--label", "Lobby TV", *base).splitlines()
    grant = ShareGrant.objects.get()
    assert lines[0] == f"https://dash.example.com{SECRET}?share={grant.token}"
    assert lines[1].startswith(f"share {grant.pk}: testapp.secret (Lobby TV), read only, expires")
    assert lines[1].endswith(f"revoke: share --revoke {grant.pk}")
    assert grant.label == "Lobby TV"
    assert (grant.expires - timezone.now()) > timedelta(days=29, hours=23)
    scoped = run("testapp.store-sales", "--key", "north", "--expires", "12h").splitlines()
    assert scoped[0].startswith("/dashboards/testapp.store-sales/north/?share=")
    assert "a path: put your site's address in front" in scoped[2]


@pytest.mark.django_db
def test_cli_share_list_and_revoke(
    pushpin: None, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[Any] = []
    monkeypatch.setattr(sharing, "publish_items", lambda items, config: published.append(items))
    run("testapp.secret", "--expires", "1d", "--label", "Lobby TV")
    run("testapp.ops", "--expires", "1h")
    first, second = ShareGrant.objects.order_by("pk")
    listed = run("--list").splitlines()
    assert listed[0].startswith(f"{first.pk} testapp.secret active ")
    assert listed[0].endswith('"Lobby TV"')
    assert listed[1].startswith(f"{second.pk} testapp.ops active ")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--revoke", str(first.pk))
    ((error, close),) = published
    assert error["channel"] == close["channel"] == f"dsse-share-{first.pk}"
    assert out == f"revoked share {first.pk} (testapp.secret): its open streams were closed\n"
    assert run("--list").splitlines()[0].startswith(f"{first.pk} testapp.secret revoked ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--revoke", "99"], "No share grant 99"),
        (["testapp.secret"], "share needs a dashboard and --expires"),
        (["--expires", "1d"], "share needs a dashboard and --expires"),
        (["testapp.secret", "--expires", "soon"], "positive duration"),
        (["testapp.store-sales", "--expires", "1d"], "name one with --key"),
        (["nope", "--expires", "1d"], "nope"),
        (["testapp.secret", "--list"], "take no dashboard"),
    ],
)
@pytest.mark.django_db
def test_cli_share_errors(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
