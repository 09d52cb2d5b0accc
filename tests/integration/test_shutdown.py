"""Embedded mode (no GRIP_URL): one Ctrl-C stops the server while tabs hold streams open.

uvicorn waits for open responses on shutdown, without limit by default; the streams end on the
signal (dashboards_sse/shutdown.py). runserver's request threads are daemons: it exits anyway,
and this checks it stays so. The signal goes to the server's process group, as a terminal's
Ctrl-C does, and the server starts with SIGINT at its default (a background job of a
non-interactive shell would inherit it ignored)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import PYTHON, REPO, Stack, free_port, spawn, stop, wait_for_port
from tests.sse import SSEClient

STREAM = "/dashboards/testapp.ops/stream/"
SERVERS = {
    "uvicorn": ["-m", "uvicorn", "tests.asgi:application", "--host", "127.0.0.1", "--port"],
    "runserver": ["-m", "django", "runserver", "127.0.0.1:{port}"],  # with its autoreloader
}
# How long one Ctrl-C may take to stop the server: the streams end at their next poll (0.25 s);
# generous for a loaded 2-core machine. Without the fix uvicorn never exits.
EXIT_WITHIN = 10.0


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """A migrated database, no GRIP_URL: Django serves the streams itself."""
    stack = Stack(Path(tmp_path_factory.mktemp("shutdown")), extra_env={"DSSE_GRIP_URL": ""})
    stack.migrate()
    return stack


@pytest.fixture(params=sorted(SERVERS))
def server(
    request: pytest.FixtureRequest, embedded: Stack
) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """The server, started as a user would; stopped by its PID if the test left it running."""
    name: str = request.param
    port = free_port()
    args = [arg.format(port=port) for arg in SERVERS[name]]
    if name == "uvicorn":
        args.append(str(port))
    log = embedded.workdir / f"{name}.log"
    process = spawn(["env", "--default-signal=INT", PYTHON, *args], embedded.env(), REPO, log)
    try:
        wait_for_port(port, process, timeout=60)
        yield name, port, process
    finally:
        stop(process)


def test_one_ctrl_c_stops_the_server_with_streams_open(
    server: tuple[str, int, subprocess.Popen[bytes]], embedded: Stack
) -> None:
    name, port, process = server
    log = embedded.workdir / f"{name}.log"
    clients = [SSEClient(f"http://127.0.0.1:{port}{STREAM}") for _ in range(2)]
    try:
        for client in clients:
            assert client.status == 200
            client.wait_for("stream-open")
        started = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)  # its own session: the group is the server's
        for client in clients:
            assert client.wait_closed(EXIT_WITHIN), f"{name}: a stream stayed open"
        try:
            process.wait(EXIT_WITHIN - (time.monotonic() - started))
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} still running after one SIGINT:\n{log.read_text()}")
        while _group_alive(process.pid):  # runserver's autoreloader child
            assert time.monotonic() - started < EXIT_WITHIN, f"{name}: a child still running"
            time.sleep(0.05)
        if name == "uvicorn":  # its graceful path: each response ended, then the process
            assert all(client.raw.endswith(b"0\r\n\r\n") for client in clients)
            assert "Finished server process" in log.read_text()
    finally:
        for client in clients:
            client.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
