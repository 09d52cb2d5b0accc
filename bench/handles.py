"""The harness's side of the viewer and publisher processes: spawn, talk, read, stop."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import procs
from .stack import PYTHON, REPO

CONNECT_FIELDS = ("attempted", "ok", "failed", "pending", "errors")


def open_viewers(
    env: dict[str, str],
    workdir: Path,
    port: int,
    path: str,
    n: int,
    rate: float,
    inflight: int,
    tag: str,
    extra: tuple[str, ...],
) -> tuple[Viewers, dict[str, Any]]:
    """``n`` stream viewers of ``path`` connected at ``rate`` a second and waited for (every one
    open or finally refused), with what connecting took: seconds and the client's counts."""
    started = time.monotonic()
    viewers = Viewers(env, workdir, port, path, n, False, rate, inflight, tag, extra)
    settled = viewers.wait_settled(n, n / rate * 2 + 20)
    status = dict(viewers.status)
    connect = {
        "seconds": round(time.monotonic() - started, 2),
        "settled": settled,
        **{name: status[name] for name in CONNECT_FIELDS},
    }
    return viewers, connect


class Viewers:
    """A ``python -m bench.viewers`` process; its latest status line is kept by a thread."""

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        port: int,
        path: str,
        n: int,
        poll: bool,
        rate: float,
        inflight: int,
        tag: str,
        extra: tuple[str, ...] = (),
        paths: Sequence[str] = (),
    ) -> None:
        """``extra``: more bench.viewers options (e.g. ``--events``, ``--retries 0``).
        ``paths``: viewers on many streams instead of ``path``, viewer ``i`` on
        ``paths[i % len(paths)]`` (written to ``<prefix>.paths``)."""
        self.prefix = workdir / f"viewers-{tag}"
        args = [PYTHON, "-m", "bench.viewers", "--port", str(port)]
        if paths:
            paths_file = Path(f"{self.prefix}.paths")
            paths_file.write_text("".join(f"{p}\n" for p in paths))
            args += ["--paths-file", str(paths_file)]
        else:
            args += ["--path", path]
        args += ["--n", str(n), "--out", str(self.prefix), "--rate", str(rate)]
        args += ["--inflight", str(inflight)] + (["--poll"] if poll else []) + list(extra)
        self.process = procs.spawn(args, env, REPO, workdir / f"viewers-{tag}.log", pipes=True)
        self.status: dict[str, Any] = {}
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.status = json.loads(line)
            if self.status.get("done"):
                self.finished.set()
        self.finished.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_settled(self, n: int, timeout: float) -> bool:
        """Until every viewer is open or finally failed (False on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.status
            if self.process.poll() is not None:
                raise RuntimeError(f"viewer process exited: see {self.prefix}.log")
            if s and s["attempted"] == n and s["pending"] == 0 and s["ok"] + s["failed"] >= n:
                return True
            time.sleep(0.1)
        return False

    def wait_records(self, target: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.status.get("records", 0) < target and time.monotonic() < deadline:
            time.sleep(0.05)

    def finish(self) -> dict[str, Any]:
        """Stop (SIGTERM), let it write its records, return its final status."""
        if self.process.poll() is None:
            self.process.terminate()
        self.finished.wait(60)
        procs.stop(self.process)
        return self.status


class Publisher:
    """A ``python -m bench.publisher`` process driven over stdin/stdout."""

    def __init__(self, env: dict[str, str], workdir: Path, target: str) -> None:
        args = [PYTHON, "-m", "bench.publisher", "--target", target]
        self.process = procs.spawn(args, env, REPO, workdir / "publisher.log", pipes=True)
        self.seq = 1
        ready = self._answer()
        if not ready.get("ready"):
            raise RuntimeError(f"publisher not ready: {ready}")

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("publisher exited: see publisher.log")
        return json.loads(line)

    def run(self, rate: float, duration: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        command = {"cmd": "run", "rate": rate, "duration": duration, "seq": self.seq}
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        self.process.stdin.flush()
        result = self._answer()
        self.seq += max(1, round(rate * duration))
        return result

    def stop(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                self.process.stdin.write(b'{"cmd": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        procs.stop(self.process)
