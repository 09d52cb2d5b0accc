"""Celery tasks on a real prefork worker with a real Redis broker, through a real Pushpin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import Stack, running_stack
from tests.sse import SSEClient

pytest.importorskip("celery", reason="the celery extra is not installed")


@pytest.fixture(scope="module")
def celery_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for stack in running_stack(Path(tmp_path_factory.mktemp("celery"))):
        stack.start_redis()
        stack.start_celery_worker()
        yield stack


def send(stack: Stack, call: str) -> str:
    done = stack.run_python(
        "from tests.celery_app import app\n"
        "from dashboards_sse.contrib.celery import push_task, refresh_task\n"
        f"result = {call}\n"
        "try:\n"
        "    print(result.get(timeout=60))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_push_task_reaches_viewers(celery_stack: Stack) -> None:
    with SSEClient(celery_stack.proxy_url + "/dashboards/testapp.ops/stream/") as client:
        client.wait_for("stream-open")
        answer = send(celery_stack, "push_task.delay('testapp.ops', {'cpu': 55.5})")
        assert "'dashboard': 'testapp.ops'" in answer
        assert ">55.5<" in client.wait_for("cpu").data


def test_prefork_children_lose_nothing(celery_stack: Stack) -> None:
    with SSEClient(celery_stack.proxy_url + "/dashboards/testapp.ops/stream/") as client:
        client.wait_for("stream-open")
        send(
            celery_stack,
            "__import__('celery').group("
            "push_task.s('testapp.ops', {'requests': n}) for n in range(30)).delay()",
        )
        ids = [client.wait_for("requests", timeout=30).id for _ in range(30)]
        numbers = [int(event_id.rsplit(":", 1)[1]) for event_id in ids]  # type: ignore[union-attr]
        assert numbers == list(range(numbers[0], numbers[0] + 30))


def test_refresh_task_runs_providers(celery_stack: Stack) -> None:
    answer = send(celery_stack, "refresh_task.delay('testapp.ops')")
    assert "'requests'" in answer  # the provider of testapp.ops.requests ran


def test_unknown_component_fails_once_without_retries(celery_stack: Stack) -> None:
    answer = send(celery_stack, "push_task.delay('testapp.ops', {'nope': 1})")
    assert answer.startswith("UnknownComponent")
    log = (celery_stack.workdir / "celery.log").read_text()
    assert "Retry in" not in log
