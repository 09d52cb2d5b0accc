"""``dashboards_sse check`` against a real Pushpin: healthy, wrong key, wrong proxy."""

from __future__ import annotations

from tests.live import Stack, free_port


def test_healthy_pushpin_passes(stack: Stack) -> None:
    done = stack.manage("dashboards_sse", "check", "--proxy", stack.proxy_url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   publish endpoint",
        "ok   stream through Pushpin",
        "ok   round trip",
    ]
    assert "test event delivered in" in lines[-1]


def test_unreachable_proxy_and_publish_endpoint(stack: Stack) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {"DSSE_GRIP_URL": f"{nowhere}?key={stack.key}"}
    done = stack.manage("dashboards_sse", "check", "--proxy", nowhere, "--timeout", "2", env=env)
    assert done.returncode == 1
    assert "FAIL publish endpoint" in done.stdout and "unreachable" in done.stdout
    assert "FAIL stream through Pushpin" in done.stdout
    assert done.stderr.strip() == (
        "CommandError: Pushpin check failed: publish endpoint, stream through Pushpin."
    )


def test_direct_django_url_is_explained(stack: Stack) -> None:
    done = stack.manage("dashboards_sse", "check", "--proxy", stack.django_url)
    assert done.returncode == 1
    assert "the request reached Django unsigned: is this URL our Pushpin?" in done.stdout
