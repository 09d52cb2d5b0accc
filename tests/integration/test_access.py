"""Permissions on the stream through Pushpin, and cutting off a viewer who loses access."""

from __future__ import annotations

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
