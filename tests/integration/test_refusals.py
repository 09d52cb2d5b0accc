"""The first hour's trap, with real parts: Pushpin in front of a Django whose settings have no
GRIP_URL. Each stream gets a 403 saying so (body and Dashboards-SSE-Reason header, through
Pushpin), not "the key differs"; a CLI push from that configuration says "stored, not
published" with a warning, never "pushed"."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.stack import pushpin_run_env
from dashboards_sse import refusals
from tests.live import REPO, Stack, wait_for_port
from tests.sse import SSEClient

STREAM = "/dashboards/testapp.ops/stream/"


@pytest.fixture(scope="module")
def no_grip_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Pushpin signs with its key; the Django behind it reads no GRIP_URL (as a startproject
    that reads nothing from the environment)."""
    stack = Stack(Path(tmp_path_factory.mktemp("no-grip-url")), extra_env={"DSSE_GRIP_URL": ""})
    try:
        stack.migrate()
        stack.start_django()
        env = stack.env(
            **pushpin_run_env(
                stack.proxy_port,
                stack.publish_port,
                f"127.0.0.1:{stack.django_port}",
                stack.workdir / "pushpin",
                stack.key,
            )
        )
        process = stack._start("pushpin", ["sh", str(REPO / "pushpin" / "run")], env)
        wait_for_port(stack.proxy_port, process)
        yield stack
    finally:
        stack.stop_all()


def refused_through_pushpin(stack: Stack, timeout: float = 30) -> SSEClient:
    """The stream through Pushpin once its handler serves (before that: 503s of its own, or,
    once in a loaded suite run, a request taken while its services were still connecting that
    was never answered)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = SSEClient(stack.proxy_url + STREAM, timeout=5)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise
            continue
        if client.status == 403 or time.monotonic() > deadline:
            return client
        client.close()
        time.sleep(0.2)


def test_stream_says_django_has_no_grip_url(no_grip_url: Stack) -> None:
    client = refused_through_pushpin(no_grip_url)
    with client:
        assert client.status == 403
        assert client.headers[refusals.REASON_HEADER.lower()] == "Django has no GRIP_URL"
        assert client.body().strip() == refusals.NO_GRIP_URL.message
    log = (no_grip_url.workdir / "django.log").read_text()
    assert "refused (Django has no GRIP_URL)" in log


def test_cli_push_says_stored_not_published(no_grip_url: Stack) -> None:
    done = no_grip_url.manage("dashboards_sse", "push", "testapp.ops", "cpu", "12")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"stored testapp\.ops cpu \(event \d+\), not published: no GRIP_URL or GRIP_PROXIES in "
        r"this process's settings\n",
        done.stdout,
    )
    assert "pages served through Pushpin" in done.stderr
