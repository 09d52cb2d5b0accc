"""Two Pushpins on one host behind one public port (``--instances 2`` of ``manage.py
dashboards_sse pushpin``, and ``PUSHPIN_INSTANCES=2`` of pushpin/run), in front of a real
Django under uvicorn: clients of the one port land on both instances, a push reaches each
client exactly once, and SIGTERM to the launcher's PID stops every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.procs import established, free_ports, processes_naming
from tests.live import REPO, Stack, wait_for_port
from tests.sse import SSEClient

STREAM = "/dashboards/testapp.ops/stream/"
CLIENTS = 8


class Instances:
    def __init__(self, stack: Stack, launcher: str, balancer: str) -> None:
        self.stack = stack
        self.launcher = launcher
        self.balancer = balancer
        self.run_dir = stack.workdir / "pp"
        self.instance_port = free_ports(2)
        self.publish_ports = [stack.publish_port, stack.publish_port + 1]
        self.client_ports = [self.instance_port, self.instance_port + 1]

    def start(self) -> subprocess.Popen[bytes]:
        stack = self.stack
        if self.launcher == "command":
            args = [
                sys.executable, "-m", "django", "dashboards_sse", "pushpin", "--instances", "2",
                "--balancer", self.balancer,
                "--origin", f"127.0.0.1:{stack.django_port}",
                "--http", f"127.0.0.1:{stack.proxy_port}",
                "--publish-port", str(stack.publish_port),
                "--instance-port", str(self.instance_port),
                "--run-dir", str(self.run_dir),
            ]  # fmt: skip
            env = stack.env(DSSE_GRIP_URL="")
        else:
            args = ["sh", str(REPO / "pushpin" / "run")]
            env = stack.env(
                PUSHPIN_INSTANCES="2",
                PUSHPIN_BALANCER=self.balancer,
                PUSHPIN_ORIGIN=f"127.0.0.1:{stack.django_port}",
                PUSHPIN_HTTP=f"127.0.0.1:{stack.proxy_port}",
                PUSHPIN_PUBLISH_PORT=str(stack.publish_port),
                PUSHPIN_INSTANCE_PORT=str(self.instance_port),
                PUSHPIN_RUN_DIR=str(self.run_dir),
                PUSHPIN_SIG_KEY=stack.key,
            )
        if self.launcher == "command":
            (self.run_dir).mkdir(mode=0o700)
            (self.run_dir / "sig_key").write_text(stack.key)
        process = stack._start("pushpin", args, env)
        for port in [stack.proxy_port, *self.publish_ports, *self.client_ports]:
            wait_for_port(port, process)
        stack.wait_until_streaming()
        return process


@pytest.fixture(
    scope="module", params=[("command", "http"), ("run", "stream")], ids=["command", "run"]
)
def instances(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Instances]:
    launcher, balancer = request.param
    # Each instance takes a port from each base: one taken by another run stops them all.
    stack = Stack(Path(tmp_path_factory.mktemp(launcher)), publish_port=free_ports(2))
    fleet = Instances(stack, launcher, balancer)
    # Django publishes to both instances (GRIP_PROXIES, as the launchers print it).
    stack.extra_env = {
        "DSSE_GRIP_URL": "",
        "DSSE_GRIP_URLS": " ".join(
            f"http://127.0.0.1:{port}?key={stack.key}" for port in fleet.publish_ports
        ),
    }
    try:
        stack.migrate()
        stack.start_django()
        fleet.start()
        yield fleet
    finally:
        stack.stop_all()


def test_the_launcher_prints_grip_proxies(instances: Instances) -> None:
    log = (instances.stack.workdir / "pushpin.log").read_text()
    for port in instances.publish_ports:
        entry = f"{{'control_uri': 'http://127.0.0.1:{port}', 'key': '{instances.stack.key}'}}"
        assert entry in log


def test_clients_of_one_port_land_on_both_and_a_push_reaches_each_once(
    instances: Instances,
) -> None:
    stack = instances.stack
    before = [established(port) for port in instances.client_ports]
    clients = [SSEClient(stack.proxy_url + STREAM, timeout=20) for _ in range(CLIENTS)]
    try:
        for client in clients:
            client.__enter__()
            assert client.status == 200, client.body()
            client.wait_for("stream-open")
        now = [established(port) for port in instances.client_ports]
        gained = [count - old for count, old in zip(now, before, strict=True)]
        # Round robin: both instances got some of them (and only the balancer's, here).
        assert all(count > 0 for count in gained), gained
        # Every held stream is an upstream connection. Counted whole, not as a gain: a stream
        # may reuse a connection the balancer kept alive from an earlier request.
        assert sum(now) >= CLIENTS, now
        done = stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "77.5")
        assert done.returncode == 0, done.stderr
        for client in clients:
            client.wait_for("cpu", contains="77.5")
        # Exactly once: nothing more for the cpu component arrives afterwards.
        for client in clients:
            extra = [
                event
                for event in client.events(timeout=1.0)
                if event.type == "cpu" and "77.5" in event.data
            ]
            assert extra == []
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def test_sigterm_to_the_launchers_pid_stops_every_process(instances: Instances) -> None:
    """Last in this module: it stops the Pushpins the others use."""
    process = instances.stack.processes.pop("pushpin")
    marker = str(instances.run_dir) + "/"
    ours = [pid for pid in processes_naming(marker)]
    assert len(ours) >= 2 * 5 + 1  # two runners with four services each, nginx (+ workers)
    os.kill(process.pid, signal.SIGTERM)  # by PID: the launcher alone, not its group
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 5
    while processes_naming(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_naming(marker) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in ours)
