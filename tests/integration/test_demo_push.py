"""``make demo``'s "push it yourself": demo/run.py (real Pushpin, Django under uvicorn, the
publisher) on ports of this run, the command it prints run as-is from a shell in a clean
environment, the value seen on the stream through Pushpin and still on the page after the
demo's own refreshes; then the demo stopped by its PID, and the command says so."""

from __future__ import annotations

import os
import re
import secrets
import select
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import PYTHON, REPO, free_port, spawn, stop
from tests.sse import SSEClient, expand

pytestmark = pytest.mark.skipif(shutil.which("pushpin") is None, reason="pushpin not installed")

# What a fresh terminal has: none of this test run's Django settings or GRIP configuration.
DROPPED = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "GRIP_URL", "GRIP_URLS", "DEMO_DB")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("DSSE_")}
    return {**env, **extra}


def read_until(process: subprocess.Popen[bytes], pattern: str, timeout: float) -> list[str]:
    """demo/run.py's stdout lines up to the one matching ``pattern``."""
    assert process.stdout is not None
    lines: list[str] = []
    buffer = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if not ready:
            continue
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        *done, rest = buffer.split(b"\n")
        buffer = rest
        lines += [line.decode() for line in done]
        if any(re.search(pattern, line) for line in lines):
            return lines
    raise AssertionError(f"demo/run.py printed no {pattern!r} in {timeout}s: {lines}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], list[str], Path]]:
    run_dir = tmp_path / "run"
    env = terminal_env(
        DEMO_RUN_DIR=str(run_dir),
        PUSHPIN_RUN_DIR=str(tmp_path / "pp"),
        DEMO_PORT=str(free_port()),
        DJANGO_PORT=str(free_port()),
        DEMO_PUBLISH_PORT=str(free_port()),
    )
    process = spawn([PYTHON, "demo/run.py"], env, REPO, tmp_path / "run.err", pipes=True)
    try:
        lines = read_until(process, r"demo/push\.py", timeout=180)
        yield process, lines, run_dir
    finally:
        stop(process, timeout=30)


def test_the_printed_command_pushes_to_the_running_demo(
    demo: tuple[subprocess.Popen[bytes], list[str], Path],
) -> None:
    process, lines, run_dir = demo
    url = next(m.group(1) for line in lines if (m := re.search(r"Live dashboard: (\S+)", line)))
    assert "through Pushpin" in "\n".join(lines)
    command = next(line.strip() for line in lines if "demo/push.py" in line)
    assert command.endswith("demo/push.py 42"), command
    value = str(100 + secrets.randbelow(900))  # this run's own number (no thousands comma)
    with SSEClient(url + "dashboards/hosts.host/stream/") as stream:
        assert stream.status == 200
        stream.wait_for("cores", timeout=30)  # the publisher's refreshes arrive: the demo is live
        pushed = subprocess.run(
            command.removesuffix(" 42") + f" {value}",
            shell=True,
            cwd=REPO,
            env=terminal_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert pushed.returncode == 0, pushed.stderr
        assert re.search(r"pushed hosts\.host yours \(event \d+\)", pushed.stdout), pushed.stdout
        update = stream.wait_for("yours", timeout=15)
        assert f'<span class="dsse-number">{value}</span>' in update.data
        assert "by demo/push.py" in update.data
        # Three more seconds of the demo's own refreshes: none of them touches "Your number".
        deadline = time.monotonic() + 3
        refreshes = []
        while time.monotonic() < deadline:
            refreshes += expand(stream.events(timeout=max(deadline - time.monotonic(), 0.1)))
        assert any(event.type == "cores" for event in refreshes)
        assert not [event for event in refreshes if event.type == "yours"]
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode()
    assert f'<span class="dsse-number">{value}</span>' in page  # stored, still there
    stop(process, timeout=30)  # SIGTERM by PID: run.py stops its children, removes its state
    assert not (run_dir / "demo.json").exists()
    after = subprocess.run(
        command, shell=True, cwd=REPO, env=terminal_env(), capture_output=True, text=True
    )
    assert after.returncode != 0
    assert "the demo is not running" in after.stderr
