"""Share links through real Pushpin: the link's page, its stream's pushes, revocation cutting
open streams within a second, and expiry ending a stream that nobody revoked."""

from __future__ import annotations

import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

from tests.live import Stack
from tests.sse import SSEClient

SECRET = "/dashboards/testapp.secret/"
SECRET_STREAM = SECRET + "stream/"

SHARE = """
from datetime import timedelta
grant = share("testapp.secret", expires=timedelta(seconds={seconds}), label="wall")
print(grant.token, grant.expires.timestamp())
"""


def new_share(stack: Stack, seconds: float = 3600) -> tuple[str, float]:
    """A share of testapp.secret (permission required) made by another process: its token and
    when it expires (Unix time)."""
    done = stack.run_python(SHARE.format(seconds=seconds))
    assert done.returncode == 0, done.stderr
    token, expires = done.stdout.split()
    return token, float(expires)


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"dsse_share={token}"}


def closed_within(client: SSEClient, seconds: float) -> tuple[bool, str]:
    """Whether Pushpin closes the stream within ``seconds``, and what came before."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            seen += [f"{e.type}: {e.data}" for e in client.events(timeout=0.2)]
        except ConnectionError:
            return True, "\n".join(seen)
    return False, "\n".join(seen)


def test_a_share_link_through_pushpin_opens_the_page_and_its_stream(stack: Stack) -> None:
    done = stack.manage(
        "dashboards_sse", "share", "testapp.secret", "--expires", "1h", "--base-url",
        stack.proxy_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = urlsplit(done.stdout.splitlines()[0])
    connection = HTTPConnection(link.hostname or "", link.port, timeout=10)
    connection.request("GET", f"{link.path}?{link.query}")
    first = connection.getresponse()
    first.read()
    assert first.status == 302 and first.getheader("Location") == SECRET
    assert first.getheader("Referrer-Policy") == "no-referrer"
    set_cookie = first.getheader("Set-Cookie") or ""
    assert f"Path={SECRET}" in set_cookie and "HttpOnly" in set_cookie
    token = set_cookie.split(";", 1)[0].split("=", 1)[1]
    connection.request("GET", SECRET, headers=cookie(token))
    page = connection.getresponse()
    html = page.read().decode()
    assert page.status == 200 and page.getheader("Referrer-Policy") == "no-referrer"
    assert "dsse-forbidden" not in html and token not in html
    connection.close()

    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie(token)) as client:
        assert client.status == 200
        client.wait_for("stream-open")
        pushed = stack.manage("dashboards_sse", "push", "testapp.secret", "level", "41")
        assert pushed.returncode == 0, pushed.stderr
        assert ">41<" in client.wait_for("level").data
        # Pushpin's catch-up request (~1 s after opening) re-checks the grant: still open
        assert not closed_within(client, 2.5)[0]
        again = stack.manage("dashboards_sse", "push", "testapp.secret", "level", "42")
        assert again.returncode == 0, again.stderr
        assert ">42<" in client.wait_for("level").data


def test_revoking_a_share_cuts_its_open_streams_within_a_second(stack: Stack) -> None:
    token, _ = new_share(stack)
    other, _ = new_share(stack)
    with (
        SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie(token)) as revoked,
        SSEClient(stack.proxy_url + f"{SECRET_STREAM}?share={other}") as kept,
    ):
        assert revoked.status == kept.status == 200
        revoked.wait_for("stream-open")
        kept.wait_for("stream-open")
        assert not closed_within(revoked, 2.5)[0]  # past Pushpin's catch-up request
        grant_id = token.split(":", 1)[0]
        started = time.monotonic()
        done = stack.manage("dashboards_sse", "share", "--revoke", grant_id)
        took = time.monotonic() - started  # the command itself (a Django start-up)
        assert done.returncode == 0, done.stderr
        assert "its open streams were closed" in done.stdout
        closed, seen = closed_within(revoked, 1.0)
        assert closed, f"the stream stayed open a second after revoke ({took:.1f} s)"
        assert "stream-error" in seen and "This share link was revoked." in seen
        pushed = stack.manage("dashboards_sse", "push", "testapp.secret", "level", "43")
        assert pushed.returncode == 0, pushed.stderr
        assert ">43<" in kept.wait_for("level").data  # another grant's screen carries on
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie(token)) as reconnect:
        assert reconnect.status == 403
        assert "was revoked on" in reconnect.body()


def test_an_expiring_share_ends_its_stream_and_is_refused_on_reconnect(stack: Stack) -> None:
    token, expires = new_share(stack, seconds=6)
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie(token)) as client:
        assert client.status == 200
        client.wait_for("stream-open")
        remaining = expires - time.time()
        assert remaining > 2, "the share expired before the test could watch it"
        assert not closed_within(client, remaining - 1.0)[0]  # open until it expires
        closed, seen = closed_within(client, 4.0)
        ended_after = time.time() - expires
        assert closed, "the stream outlived its share by 3 s"
        assert "This share link expired" in seen
        assert ended_after < 3.0, f"ended {ended_after:.1f} s after expiry"
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie(token)) as reconnect:
        assert reconnect.status == 403
        assert "expired on" in reconnect.body()


def test_a_forged_or_foreign_share_is_refused_through_pushpin(stack: Stack) -> None:
    token, _ = new_share(stack)
    grant_id = token.split(":", 1)[0]
    for url in (
        f"{SECRET_STREAM}?share={grant_id}:forged",
        f"/dashboards/testapp.ops/stream/?share={token}",
    ):
        with SSEClient(stack.proxy_url + url) as client:
            assert client.status == 403, url
            assert "share link" in client.body()
