"""A scaled-out deployment for integration tests: several Pushpin + Django pairs on one
PostgreSQL database, every publish sent to each Pushpin (GRIP_PROXIES), and Debian's nginx in
front rendering our pushpin/balancer.conf.template. Clients that reconnect resume from their
last event id wherever the balancer sends them (``ResilientReader``)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from tests.live import REPO, Stack, free_port, spawn, stop, wait_for_port
from tests.sse import SSEClient, expand

# Test-only: each response names the Pushpin the balancer chose, so a test can see where its
# clients landed (inherited by the template's server block, which adds no headers itself).
NGINX_MAIN = """
daemon off;
master_process on;
worker_processes 1;
user root;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    add_header X-Test-Pushpin $upstream_addr always;
    include {dir}/balancer.conf;
}}
"""


@dataclass
class Fleet:
    """``size`` Pushpin + Django pairs sharing one database and one signing key."""

    workdir: Path
    database: str  # DSSE_TEST_PG
    size: int = 2
    key: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    balancer_port: int = field(default_factory=free_port)
    members: list[Stack] = field(default_factory=list)
    balancer: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.members = [
            Stack(self.workdir / f"member-{n}", key=self.key) for n in range(1, self.size + 1)
        ]
        for member in self.members:
            member.workdir.mkdir(parents=True, exist_ok=True)
            member.extra_env = self.env()

    def env(self, **extra: str) -> dict[str, str]:
        """What every process of the fleet runs with: Postgres, and all Pushpins."""
        return {
            "DSSE_TEST_PG": self.database,
            "DSSE_GRIP_URL": "",
            "DSSE_GRIP_URLS": " ".join(
                f"http://127.0.0.1:{member.publish_port}?key={self.key}" for member in self.members
            ),
            **extra,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.balancer_port}"

    def start(self) -> None:
        self.members[0].migrate()
        for member in self.members:
            member.start_django()
        everyone = " ".join(f"127.0.0.1:{member.django_port}" for member in self.members)
        for member in self.members:
            member.start_pushpin(origins=everyone)
        self.start_balancer()

    def start_balancer(self) -> None:
        folder = self.workdir / "nginx"
        folder.mkdir(exist_ok=True)
        template = Template((REPO / "pushpin" / "balancer.conf.template").read_text())
        (folder / "balancer.conf").write_text(
            template.safe_substitute(
                BALANCER_LISTEN=f"127.0.0.1:{self.balancer_port}",
                PUSHPIN_1=f"127.0.0.1:{self.members[0].proxy_port}",
                PUSHPIN_2=f"127.0.0.1:{self.members[1].proxy_port}",
            )
        )
        (folder / "nginx.conf").write_text(NGINX_MAIN.format(dir=folder))
        args = ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)]
        self.balancer = spawn(args, dict(os.environ), REPO, folder / "stderr.log")
        wait_for_port(self.balancer_port, self.balancer)

    def crash(self, member: Stack) -> None:
        """Kill one Pushpin outright (SIGKILL to its every process), as a lost machine."""
        process = member.processes.pop("pushpin")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        member.stop_leftovers()

    def run_python(self, code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.members[0].run_python(code, timeout=timeout)

    def stop(self) -> None:
        if self.balancer is not None:
            stop(self.balancer)
            self.balancer = None
        for member in self.members:
            member.stop_all()


EVENT_ID = re.compile(r":(\d+)$")


class ResilientReader(threading.Thread):
    """An SSE client that, like our browser script, reconnects after every drop and resumes
    from the last event id it saw. Records the numeric id of every update event."""

    def __init__(self, url: str, event_type: str, last_event_id: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.event_type = event_type
        self.ids: list[int] = []
        self.landed: list[str] = []  # the Pushpin of each connection
        self.statuses: list[int] = []
        # Like the browser script, start from the id the page was rendered at.
        self.last_event_id = last_event_id
        self.connected = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            headers = {"Last-Event-ID": self.last_event_id}
            try:
                with SSEClient(self.url, headers=headers, timeout=5) as client:
                    self.statuses.append(client.status)
                    if client.status != 200:
                        raise ConnectionError(f"HTTP {client.status}")
                    self.landed.append(client.headers.get("x-test-pushpin", "?"))
                    self.connected.set()
                    while not self.done.is_set():
                        for event in expand(client.events(timeout=0.5)):
                            self._record(event.type, event.id)
            except (OSError, ValueError):
                self.connected.clear()
                time.sleep(0.2)  # the browser script waits with backoff; short here

    def _record(self, event_type: str, event_id: str | None) -> None:
        if event_id and event_type == self.event_type:
            match = EVENT_ID.search(event_id)
            if match:
                self.ids.append(int(match.group(1)))
        if event_id and not event_id.startswith("error"):
            self.last_event_id = event_id

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=10)


PAGE_EVENT_ID = re.compile(r'data-dsse-last-event-id="([^"]+)"')


def page_event_id(page_url: str) -> str:
    """The event id a dashboard page was rendered at (what the browser script resumes from)."""
    with SSEClient(page_url, timeout=10) as client:
        body = client.body()
    match = PAGE_EVENT_ID.search(body)
    assert client.status == 200 and match, (client.status, body[:500])
    return match.group(1)
