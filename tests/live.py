"""Real servers for integration and browser tests: Pushpin from our pushpin/ config and Django
under uvicorn, on ports chosen per run, loopback only, each stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import (  # one toolkit for both harnesses
    free_port,
    processes_naming,
    spawn,
    stop,
    wait_for_port,
)
from bench.stack import pushpin_run_env

__all__ = ["Stack", "free_port", "running_stack", "spawn", "stop", "wait_for_port"]

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


LOGIN = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
user = get_user_model().objects.create_user({username!r})
{code}
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


@dataclass
class Stack:
    """A Pushpin in front of a Django server sharing one sqlite database with publishers."""

    workdir: Path
    key: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    proxy_port: int = field(default_factory=free_port)
    publish_port: int = field(default_factory=free_port)
    django_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis_port: int | None = None
    # Environment of every process started, over the defaults (a fleet: database, proxies).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def grip_url(self) -> str:
        return f"http://127.0.0.1:{self.publish_port}?key={self.key}"

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def django_url(self) -> str:
        return f"http://127.0.0.1:{self.django_port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.settings",
            DSSE_TEST_DB=str(self.workdir / "db.sqlite3"),
            DSSE_GRIP_URL=self.grip_url,
            PYTHONPATH=str(REPO),
        )
        if self.redis_port is not None:
            env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        env.update(self.extra_env)
        env.update(extra)
        return env

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = spawn(args, env, REPO, self.workdir / f"{name}.log")
        self.processes[name] = process
        return process

    def migrate(self) -> None:
        subprocess.run(
            [PYTHON, "-m", "django", "migrate", "-v0"], cwd=REPO, env=self.env(), check=True
        )

    def start_pushpin(self, origins: str | None = None) -> None:
        """Our Pushpin in front of this stack's Django (or ``origins``, "host:port ...")."""
        env = self.env(
            **pushpin_run_env(
                self.proxy_port,
                self.publish_port,
                origins or f"127.0.0.1:{self.django_port}",
                self.workdir / "pushpin",
                self.key,
            )
        )
        process = self._start("pushpin", ["sh", str(REPO / "pushpin" / "run")], env)
        wait_for_port(self.proxy_port, process)
        wait_for_port(self.publish_port, process)
        self.wait_until_streaming()

    def wait_until_streaming(self, timeout: float = 30.0) -> None:
        """Pushpin's ports open before its handler accepts streams ("Accept service
        unavailable"): ready means a stream opened through it."""
        from tests.sse import SSEClient

        deadline = time.monotonic() + timeout
        while True:
            try:
                with SSEClient(self.proxy_url + "/dashboards/testapp.ops/stream/") as client:
                    if client.status == 200:
                        return
                    problem = f"HTTP {client.status}"
            except OSError as exc:
                problem = str(exc)
            if time.monotonic() > deadline:
                raise RuntimeError(f"Pushpin not streaming after {timeout}s: {problem}")
            time.sleep(0.2)

    def start_django(self) -> None:
        args = [
            PYTHON,
            "-m",
            "uvicorn",
            "tests.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.django_port),
            "--log-level",
            "warning",
        ]
        wait_for_port(self.django_port, self._start("django", args, self.env()))

    def start_redis(self) -> None:
        """Debian's redis-server on a free loopback port, nothing persisted."""
        self.redis_port = free_port()
        args = [
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]
        wait_for_port(self.redis_port, self._start("redis", args, self.env()))

    def start_celery_worker(self, timeout: float = 60) -> None:
        """A real prefork worker (two children) of tests.celery_app."""
        args = [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "tests.celery_app",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ]
        process = self._start("celery", args, self.env())
        log = self.workdir / "celery.log"
        deadline = time.monotonic() + timeout
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker not ready: {log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop(process)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.stop_leftovers()

    def stop_leftovers(self) -> None:
        """Pushpin services orphaned by a SIGKILLed runner (their command lines name our
        run dir)."""
        marker = str(self.workdir / "pushpin") + "/"
        for pid in processes_naming(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def kill_pushpin_runner(self) -> None:
        """SIGKILL the runner alone: its services live on, as after an OOM kill."""
        process = self.processes.pop("pushpin")
        process.kill()
        process.wait()

    def run_python(self, code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a short-lived publisher process (Django set up, our API imported)."""
        prelude = "import django; django.setup()\nfrom dashboards_sse import *\n"
        return subprocess.run(
            [PYTHON, "-c", prelude + code],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def login(self, username: str, *, code: str = "") -> dict[str, str]:
        """Create ``username`` (``code`` may change ``user`` first) and return the Cookie header
        of a logged-in session, made in another process as a real login would."""
        done = self.run_python(LOGIN.format(username=username, code=code))
        assert done.returncode == 0, done.stderr
        return {"Cookie": f"sessionid={done.stdout.strip()}"}

    def manage(
        self, *args: str, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, "-m", "django", *args],
            cwd=REPO,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def running_stack(workdir: Path, **extra_env: str) -> Iterator[Stack]:
    stack = Stack(workdir, extra_env=extra_env)
    try:
        stack.migrate()
        stack.start_django()
        stack.start_pushpin()
        yield stack
    finally:
        stack.stop_all()
