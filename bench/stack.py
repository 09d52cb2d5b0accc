"""The servers of one mode, fresh per session: Django under uvicorn, plus Pushpin (pushpin and
raw modes) or redis-server (redis mode), on free loopback ports, in a short per-session temp
dir."""

from __future__ import annotations

import contextlib
import importlib.util
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import procs

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STREAM_PATH = "/dashboards/load.load/stream/"
RAW_STREAM_PATH = "/bench/raw/stream/"  # django-eventstream's own view on Load's channel
MODES = ("pushpin", "raw", "embedded", "polling", "redis")
PUSHPIN_MODES = ("pushpin", "raw")  # the same Pushpin in front of the same Django


def base_env(db: Path, grip_url: str | None = None, redis_url: str | None = None) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.project.settings",
        BENCH_DB=str(db),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    if grip_url:
        env["BENCH_GRIP_URL"] = grip_url
    if redis_url:
        env["BENCH_REDIS_URL"] = redis_url
    return env


def pushpin_run_env(
    proxy_port: int, publish_port: int, origins: str, run_dir: Path, key: str
) -> dict[str, str]:
    """pushpin/run's settings for one loopback instance (bench, fan-out bench and tests)."""
    return {
        "PUSHPIN_HTTP": f"127.0.0.1:{proxy_port}",
        "PUSHPIN_PUBLISH_ADDR": "127.0.0.1",
        "PUSHPIN_PUBLISH_PORT": str(publish_port),
        "PUSHPIN_ORIGIN": origins,
        "PUSHPIN_RUN_DIR": str(run_dir),
        "PUSHPIN_SIG_KEY": key,
    }


def make_template_db(rundir: Path) -> Path:
    """Migrate once per run; sessions copy the file instead of migrating again."""
    db = rundir / "template.sqlite3"
    subprocess.run(
        [PYTHON, "-m", "django", "migrate", "-v0"], cwd=REPO, env=base_env(db), check=True
    )
    return db


def uvicorn_speedups() -> list[str]:
    args = []
    if importlib.util.find_spec("uvloop"):
        args += ["--loop", "uvloop"]
    if importlib.util.find_spec("httptools"):
        args += ["--http", "httptools"]
    return args


@dataclass
class Stack:
    mode: str
    template_db: Path
    workdir: Path  # short: Pushpin's ipc socket paths live under it (pushpin/run: <= 80 chars)
    key: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    django_port: int = field(default_factory=procs.free_port)
    proxy_port: int = 0
    publish_port: int = 0
    redis_port: int = 0
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    pushpin_env: dict[str, str] = field(default_factory=dict)  # e.g. a tuning under test

    @property
    def db(self) -> Path:
        return self.workdir / "db.sqlite3"

    @property
    def grip_url(self) -> str | None:
        if self.mode not in PUSHPIN_MODES:
            return None
        return f"http://127.0.0.1:{self.publish_port}?key={self.key}"

    @property
    def redis_url(self) -> str | None:
        return f"redis://127.0.0.1:{self.redis_port}/0" if self.redis_port else None

    def env(self) -> dict[str, str]:
        env = base_env(self.db, self.grip_url, self.redis_url)
        env["BENCH_COUNTER_FILE"] = str(self.workdir / "requests.count")
        return env

    def viewer_target(self) -> tuple[int, str]:
        """(port, path) the viewers open in this mode."""
        if self.mode == "pushpin":
            return self.proxy_port, STREAM_PATH
        if self.mode == "raw":
            return self.proxy_port, RAW_STREAM_PATH
        if self.mode == "polling":
            return self.django_port, "/bench/fragment/"
        if self.mode == "redis":
            return self.django_port, "/bench/redis/stream/"
        return self.django_port, STREAM_PATH

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.template_db, self.db)
        if self.mode in PUSHPIN_MODES:
            self.proxy_port, self.publish_port = procs.free_port(), procs.free_port()
        if self.mode == "redis":
            self._start_redis()
        self._start_django()
        if self.mode in PUSHPIN_MODES:
            self._start_pushpin()

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        process = procs.spawn(args, env, REPO, self.workdir / f"{name}.log")
        self.processes[name] = process
        return process

    def _start_redis(self) -> None:
        self.redis_port = procs.free_port()
        args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        # maxclients: Redis' default 10,000 would refuse the 10,000th subscriber.
        args += ["--save", "", "--appendonly", "no", "--maxclients", "60000"]
        args += ["--dir", str(self.workdir)]
        procs.wait_for_port(self.redis_port, self._spawn("redis", args, self.env()))

    def _start_django(self) -> None:
        args = [PYTHON, "-m", "uvicorn", "bench.project.asgi:application"]
        args += ["--host", "127.0.0.1", "--port", str(self.django_port), "--workers", "1"]
        args += ["--log-level", "warning", "--no-access-log", "--backlog", "4096"]
        args += uvicorn_speedups()
        procs.wait_for_port(self.django_port, self._spawn("django", args, self.env()))

    def _start_pushpin(self) -> None:
        env = self.env()
        env.update(
            pushpin_run_env(
                self.proxy_port,
                self.publish_port,
                f"127.0.0.1:{self.django_port}",
                self.workdir / "pp",
                self.key,
            )
        )
        env.update(self.pushpin_env)
        process = self._spawn("pushpin", ["sh", str(REPO / "pushpin" / "run")], env)
        procs.wait_for_port(self.proxy_port, process)
        procs.wait_for_port(self.publish_port, process)
        self._wait_until_streaming(process)

    def _wait_until_streaming(self, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
        """Pushpin's ports open before its handler accepts streams: ready means a 200 stream."""
        import socket

        deadline = time.monotonic() + timeout
        request = f"GET {STREAM_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Pushpin exited: see {self.workdir / 'pushpin.log'}")
            address = ("127.0.0.1", self.proxy_port)
            with contextlib.suppress(OSError), socket.create_connection(address, 2) as sock:
                sock.sendall(request)
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"Pushpin not streaming after {timeout}s")

    # -- what the harness measures -------------------------------------------------------
    def pids(self, name: str) -> list[int]:
        process = self.processes.get(name)
        if process is None:
            return []
        return procs.tree(process.pid) if name == "pushpin" else [process.pid]

    def cpu(self, name: str) -> float:
        return sum(procs.cpu_seconds(pid) for pid in self.pids(name))

    def rss_kb(self, name: str) -> int:
        return sum(procs.rss_kb(pid) for pid in self.pids(name))

    def django_requests(self) -> int:
        """Requests Django has served (bench.project.middleware's shared counter file)."""
        from .project.middleware import read

        return read(self.workdir / "requests.count")

    def stop(self) -> None:
        # Pushpin first (it holds connections to Django), then Django, then Redis.
        for name in ("pushpin", "django", "redis"):
            process = self.processes.pop(name, None)
            if process is not None:
                procs.stop(process)
        for leftover in self.workdir.glob("db.sqlite3*"):  # keep the logs, drop the database
            leftover.unlink()


def run_dir() -> Path:
    """A short temp dir for the whole run (Pushpin's run dirs go inside it)."""
    return Path(tempfile.mkdtemp(prefix="dsb-", dir="/tmp" if Path("/tmp").is_dir() else None))
