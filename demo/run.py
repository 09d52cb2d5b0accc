"""``make demo``: Pushpin + Django (uvicorn) + a publisher, stopped cleanly on Ctrl-C.

It also seeds the tasks app (``manage.py seed_tasks``: two projects, the users ann and bob) and
prints their logins next to the URLs.

Without Pushpin on this machine it runs in embedded mode (Django holds the streams) and says so.
Ports: 7999 for the page (through Pushpin) and 8000 for Django, or free ones if those are taken;
``DEMO_PORT`` / ``DJANGO_PORT`` (and ``DEMO_PUBLISH_PORT``, Pushpin's publish port, 5561)
choose others, ``DEMO_EMBEDDED=1`` forces embedded mode.
State (database, logs) lives in ``.run/`` (``DEMO_RUN_DIR`` chooses another directory); while
the demo is up, ``.run/demo.json`` says where its database and Pushpin are, for ``demo/push.py``
(the "push it yourself" command it prints).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo"
RUN = Path(os.environ.get("DEMO_RUN_DIR") or REPO / ".run").resolve()
STATE = "demo.json"  # what demo/push.py reads


def port(preferred: int) -> int:
    """``preferred`` when it is free on loopback, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def wait_for(port_number: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited ({process.returncode}); see {RUN / (name + '.log')}")
        try:
            with socket.create_connection(("127.0.0.1", port_number), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not open port {port_number}; see {RUN / (name + '.log')}")


def wait_until_proxying(port_number: int) -> None:
    """Pushpin opens its port before its handler is ready (HTTP 500 "Accept service
    unavailable"); print the URL only once a request goes through."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port_number}/", timeout=2):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)


def seed_tasks(python: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """The tasks app's projects and demo users (idempotent; run once Pushpin is up, since a
    first run's tasks push their counts): their ``(username, password)``."""
    seeded = subprocess.run(
        [python, "manage.py", "seed_tasks"], cwd=DEMO, env=env, stdout=subprocess.PIPE, text=True
    )
    if seeded.returncode != 0:
        raise SystemExit(f"manage.py seed_tasks exited ({seeded.returncode}); see above")
    return [
        (words[1], words[2])
        for words in (line.split() for line in seeded.stdout.splitlines())
        if len(words) == 3 and words[0] == "login"
    ]


def write_state(env: dict[str, str], url: str) -> Path:
    """``.run/demo.json``: this demo's database, GRIP_URL (None: embedded) and page, for
    ``demo/push.py`` in another terminal; removed when the demo stops."""
    state = {
        "pid": os.getpid(),
        "db": env["DEMO_DB"],
        "grip_url": env.get("GRIP_URL"),
        "url": url,
    }
    path = RUN / STATE
    # Private: GRIP_URL holds Pushpin's signing key.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        json.dump(state, file, indent=2)
    path.chmod(0o600)
    return path


def push_command(value: str = "42") -> str:
    """The command that pushes to this demo from a second terminal in the same directory."""
    here = Path.cwd()

    def shown(path: Path) -> str:
        return str(path.relative_to(here)) if path.is_relative_to(here) else str(path)

    python = Path(sys.executable)
    if not python.is_absolute():
        python = Path(shutil.which(sys.executable) or sys.executable)
    words = [shown(python), shown(DEMO / "push.py"), value]
    if (REPO / ".run").resolve() == RUN:
        return shlex.join(words)
    return f"DEMO_RUN_DIR={shlex.quote(str(RUN))} {shlex.join(words)}"


class Processes:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], cwd: Path, **env: str) -> subprocess.Popen[bytes]:
        with open(RUN / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                args,
                cwd=cwd,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
            )
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        # A second Ctrl-C must not cut the shutdown short and orphan Pushpin's services.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # Pushpin's runner stops its services on TERM
        for _name, process in reversed(self.started):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo the same way Ctrl-C does


def main() -> int:
    RUN.mkdir(exist_ok=True)
    python = sys.executable
    env = {**os.environ, "DEMO_DB": str(RUN / "demo.sqlite3"), "PYTHONUNBUFFERED": "1"}
    django_port = port(int(os.environ.get("DJANGO_PORT", "8000")))
    pushpin = None if os.environ.get("DEMO_EMBEDDED") else shutil.which("pushpin")
    if pushpin:
        proxy_port = port(int(os.environ.get("DEMO_PORT", "7999")))
        publish_port = port(int(os.environ.get("DEMO_PUBLISH_PORT", "5561")))
        pushpin_env = {
            "PUSHPIN_HTTP": f"127.0.0.1:{proxy_port}",
            "PUSHPIN_PUBLISH_PORT": str(publish_port),
            "PUSHPIN_ORIGIN": f"127.0.0.1:{django_port}",
        }
        key = subprocess.run(
            ["sh", str(REPO / "pushpin" / "run"), "--print-key"],
            env={**env, **pushpin_env},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        env["GRIP_URL"] = f"http://127.0.0.1:{publish_port}?key={key}"
    else:
        env.pop("GRIP_URL", None)
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=DEMO, env=env, check=True)

    processes = Processes(env)
    state: Path | None = None
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (nohup, &)
    try:
        django = processes.start(
            "django",
            [
                python,
                "-m",
                "uvicorn",
                "demo.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(django_port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            DEMO,
        )
        wait_for(django_port, django, "django")
        if pushpin:
            proxy = processes.start(
                "pushpin", ["sh", str(REPO / "pushpin" / "run")], REPO, **pushpin_env
            )
            wait_for(proxy_port, proxy, "pushpin")
            wait_until_proxying(proxy_port)
            url = f"http://127.0.0.1:{proxy_port}/"
            mode = "through Pushpin"
        else:
            url = f"http://127.0.0.1:{django_port}/"
            mode = "EMBEDDED MODE: Pushpin is not installed, Django serves the stream itself"
        logins = seed_tasks(python, env)
        processes.start(
            "publisher", [python, "manage.py", "dashboards_sse", "refresh", "--every", "1"], DEMO
        )
        state = write_state(env, url)
        print(f"\n  Live dashboard: {url}   ({mode})")
        print(f"  Tasks (an inbox per user, a dashboard per project): {url}tasks/")
        print("    log in as " + "  or  ".join(f"{name} / {word}" for name, word in logins))
        print('  Push it yourself, from a second terminal here ("Your number" on the page):')
        print(f"    {push_command()}")
        print(f"  Logs in {RUN}/. Ctrl-C stops everything.\n", flush=True)
        while True:
            for name, process in processes.started:
                if process.poll() is not None:
                    print(f"{name} exited ({process.returncode}); see {RUN / (name + '.log')}")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        processes.stop_all()
        if state is not None:
            state.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
