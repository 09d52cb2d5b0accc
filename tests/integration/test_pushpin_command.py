"""``manage.py dashboards_sse pushpin`` starts a real Pushpin in front of a real Django, and a
pushed value arrives through it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.procs import children, name
from tests.live import Stack, wait_for_port
from tests.sse import SSEClient

STREAM = "/dashboards/testapp.ops/stream/"


@pytest.fixture(scope="module")
def command_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Django under uvicorn, and Pushpin started by the command (ports per run)."""
    stack = Stack(Path(tmp_path_factory.mktemp("cmd")))
    key_file = stack.workdir / "sig_key"
    key_file.write_text(stack.key)  # the key Django's GRIP_URL carries (tests.settings)
    try:
        stack.migrate()
        stack.start_django()
        args = [
            sys.executable, "-m", "django", "dashboards_sse", "pushpin",
            "--origin", f"127.0.0.1:{stack.django_port}",
            "--http", f"127.0.0.1:{stack.proxy_port}",
            "--publish-port", str(stack.publish_port),
            "--run-dir", str(stack.workdir / "pushpin"),
            "--key-file", str(key_file),
        ]  # fmt: skip
        # Without GRIP_URL in its settings: the command prints what it must be.
        process = stack._start("pushpin", args, stack.env(DSSE_GRIP_URL=""))
        wait_for_port(stack.proxy_port, process)
        wait_for_port(stack.publish_port, process)
        stack.wait_until_streaming()
        yield stack
    finally:
        stack.stop_all()


def test_the_command_prints_grip_url_and_becomes_pushpin(command_stack: Stack) -> None:
    log = (command_stack.workdir / "pushpin.log").read_text()
    assert f"Django needs GRIP_URL={command_stack.grip_url}\n" in log
    pid = command_stack.processes["pushpin"].pid
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert command[:2] == [b"pushpin", b"--config"]  # exec'd: the runner kept the PID
    services = {name(child) for child in children(pid)}
    assert services == {"condure", "zurl", "pushpin-proxy", "pushpin-handler"}


def test_a_pushed_value_arrives_through_the_commands_pushpin(command_stack: Stack) -> None:
    with SSEClient(command_stack.proxy_url + STREAM) as client:
        assert client.status == 200, client.body()
        client.wait_for("stream-open")
        done = command_stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "42.5")
        assert done.returncode == 0, done.stderr
        event = client.wait_for("cpu", contains="42.5")
        assert 'class="dsse-number">42.5<' in event.data


def test_sigterm_to_the_commands_pid_stops_every_service(command_stack: Stack) -> None:
    """Last in this module: it stops the Pushpin the others use."""
    run_dir = str(command_stack.workdir / "pushpin") + "/"
    command_stack.stop("pushpin")
    left = [
        entry.name
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and run_dir in read_cmdline(entry)
    ]
    assert left == []


def read_cmdline(entry: Path) -> str:
    try:
        return (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
