"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, one postmaster on a free
loopback port, stopped by its PID. Debian's server binaries live in /usr/lib/postgresql/*/bin
(not on PATH); initdb and postgres refuse to run as root, so under root they run as the
``postgres`` user (Popen's ``user=``, so the PID we hold is the postmaster's own).

Run by hand for the unit tests against PostgreSQL::

    .venv/bin/python -m tests.postgres     # prints DSSE_TEST_PG=..., stops on Ctrl-C
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bench.procs import free_port, stop, wait_for_port

if TYPE_CHECKING:
    import psycopg

OS_USER = "postgres"


def find_bindir() -> Path | None:
    """The newest installed server's bin directory, or None when PostgreSQL is missing."""
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    if pg_config := shutil.which("pg_config"):  # other layouts (source builds, Homebrew)
        with contextlib.suppress(OSError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
            bindir = Path(out.stdout.strip())
            if (bindir / "initdb").exists() and (bindir / "postgres").exists():
                return bindir
    return None


class Postgres:
    """``with Postgres(find_bindir()) as pg:`` a running cluster with database ``pg.name``."""

    def __init__(self, bindir: Path, name: str = "dsse", user: str = "postgres") -> None:
        self.bindir = bindir
        self.name = name
        self.user = user  # the database superuser initdb creates (trust auth, no password)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """This database in tests/settings.py's DSSE_TEST_PG format."""
        return self.url_for(self.name)

    def url_for(self, dbname: str) -> str:
        return f"{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """A fresh empty database (one per test keeps tests independent); its DSSE_TEST_PG."""
        with self.connect("postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url_for(dbname)

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.name,
            connect_timeout=5,
            **kwargs,
        )

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> Postgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _as_owner(self) -> dict[str, Any]:
        """Popen arguments that drop root to the postgres user (nothing when not root)."""
        if os.geteuid() != 0:
            return {}
        return {"user": OS_USER, "group": pwd.getpwnam(OS_USER).pw_gid, "extra_groups": []}

    def start(self, timeout: float = 30.0) -> None:
        # Our own dir in /tmp: pytest's tmp dirs are 0700 root, which the postgres user
        # cannot enter.
        self.workdir = Path(tempfile.mkdtemp(prefix="dsse-pg-"))
        data = self.workdir / "data"
        if os.geteuid() == 0:
            entry = pwd.getpwnam(OS_USER)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "-U",
                self.user,
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            env=env,
            cwd=self.workdir,
            check=True,
            capture_output=True,
            **self._as_owner(),
        )
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.workdir),
            # Durability is pointless for a cluster deleted after the run.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            # Quick deadlock reports keep a concurrency bug from looking like a hang.
            "deadlock_timeout": "200ms",
        }
        args = [str(self.bindir / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with open(self.workdir / "postgres.log", "ab") as log:
            self.process = subprocess.Popen(
                args,
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the cleanup fallback kills it
                **self._as_owner(),
            )
        wait_for_port(self.port, self.process, timeout)
        self._wait_accepting(timeout)
        self.create_database(self.name)

    def _wait_accepting(self, timeout: float) -> None:
        """An open port may still answer "the database system is starting up"."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres"):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or (self.process and self.process.poll()):
                    raise RuntimeError(f"PostgreSQL did not start: {self.log()[-2000:]}") from None
                time.sleep(0.1)

    def log(self) -> str:
        path = self.workdir and self.workdir / "postgres.log"
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT: disconnect clients, checkpoint, exit), then whatever is left
        of the process group is killed; the temp dir goes too."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout)
            stop(process)  # SIGTERM + SIGKILL of the group if it did not exit
            _wait_group_gone(process.pid)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    """Backends exit just after the postmaster; wait until none of the group remains."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def main() -> None:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops the cluster as Ctrl-C does
    with Postgres(bindir) as pg:
        print(f"DSSE_TEST_PG={pg.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
