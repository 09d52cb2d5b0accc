"""Permissions on the stream through Pushpin, and cutting off a viewer who loses access."""

from __future__ import annotations

import time

import pytest

from tests.live import Stack
from tests.sse import SSEClient

SECRET_STREAM = "/dashboards/testapp.secret/stream/"

GRANT = """
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
kind, _ = ContentType.objects.get_or_create(app_label="testapp", model="secret")
perm, _ = Permission.objects.get_or_create(
    codename="view_secret", content_type=kind, defaults={"name": "Can view secret"})
user.user_permissions.add(perm)
"""


def login(stack: Stack, name: str, granted: bool) -> dict[str, str]:
    return stack.login(name, code=GRANT if granted else "")


def test_stream_refused_without_permission(stack: Stack) -> None:
    for headers in ({}, login(stack, "no-perm", granted=False)):
        with SSEClient(stack.proxy_url + SECRET_STREAM, headers=headers) as client:
            assert client.status == 403
            assert "may not view" in client.body()


def test_viewer_losing_permission_is_cut_off(stack: Stack) -> None:
    cookie = login(stack, "loses-perm", granted=True)
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie) as client:
        assert client.status == 200
        client.wait_for("stream-open")
        done = stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            "user = get_user_model().objects.get(username='loses-perm')\n"
            "user.user_permissions.clear()\n"
        )
        assert done.returncode == 0, done.stderr
        error = client.wait_for("stream-error")
        assert '"condition": "forbidden"' in error.data
        with pytest.raises(ConnectionError):  # and Pushpin closed the stream
            client.wait_for("keep-alive", timeout=5)
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie) as again:
        assert again.status == 403


def test_other_viewers_keep_their_stream(stack: Stack) -> None:
    keeps = login(stack, "keeps-perm", granted=True)
    loses = login(stack, "loses-later", granted=True)
    with (
        SSEClient(stack.proxy_url + SECRET_STREAM, headers=keeps) as kept,
        SSEClient(stack.proxy_url + SECRET_STREAM, headers=loses) as lost,
    ):
        kept.wait_for("stream-open")
        lost.wait_for("stream-open")
        stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            "get_user_model().objects.filter(username='loses-later').update(is_active=False)\n"
            "user = get_user_model().objects.get(username='loses-later'); user.save()\n"
        )
        lost.wait_for("stream-error")
        done = stack.manage("dashboards_sse", "push", "testapp.secret", "level", "7")
        assert done.returncode == 0, done.stderr
        assert ">7<" in kept.wait_for("level").data


def cut_within(client: SSEClient, seconds: float) -> bool:
    """Whether Pushpin closes the stream within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client.events(timeout=0.2)
        except ConnectionError:
            return True
    return False


@pytest.mark.parametrize(
    ("change", "reconnect"),
    [
        ("user.is_superuser = False; user.save()", 403),
        ("user.set_password('another secret'); user.save()", 403),  # the session is void
        (
            "from django.contrib.auth.signals import user_logged_out\n"
            "from django.contrib.sessions.models import Session\n"
            "for session in Session.objects.all():\n"  # what logout() does to the browser's
            "    if session.get_decoded().get('_auth_user_id') == str(user.pk):\n"
            "        session.delete()\n"
            "user_logged_out.send(sender=type(user), request=None, user=user)",
            403,
        ),
    ],
    ids=["superuser-cleared", "password-changed", "logged-out"],
)
def test_a_stream_is_cut_within_a_second_when_access_may_shrink(
    stack: Stack, change: str, reconnect: int
) -> None:
    name = f"shrinks-{abs(hash(change)) % 10_000}"
    cookie = stack.login(name, code="user.is_superuser = True; user.save()")
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie) as client:
        assert client.status == 200  # a superuser has every permission
        client.wait_for("stream-open")
        # Pushpin's own catch-up request about 1 s after a stream opens re-checks access too:
        # wait it out, so that what cuts the stream below is the change itself.
        assert not cut_within(client, 2.5)
        done = stack.run_python(
            "from django.contrib.auth import get_user_model\n"
            f"user = get_user_model().objects.get(username={name!r})\n{change}\n"
        )
        assert done.returncode == 0, done.stderr
        assert cut_within(client, 1.5), "the stream stayed open"
    with SSEClient(stack.proxy_url + SECRET_STREAM, headers=cookie) as again:
        assert again.status == reconnect
