"""Files and processes behind ``manage.py dashboards_sse pushpin``: the private run dir, the
signing key file, the rendered config, leftovers of a killed runner, and the exec.

Each step does what the repository's ``pushpin/run`` does, with the same defaults, so the two
share a run dir and key file (``pushpin/run --print-key`` and ``dashboards_sse pushpin
--print-key`` print the same key).
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from .exceptions import PushpinConfigError
from .pushpin_config import PushpinConfig, PushpinInstances, check_key

KEY_FILE_NAME = "sig_key"
CONFIG_NAME = "pushpin.conf"
INSTALL_HINT = (
    "Install it: `apt-get install pushpin` (Debian/Ubuntu; it brings condure and zurl), or "
    "run it in a container with the repository's compose.yaml (`docker compose up pushpin`)."
)


class PushpinNotInstalled(PushpinConfigError):
    """No ``pushpin`` executable on PATH."""


def default_run_dir() -> str:
    """``${TMPDIR:-/tmp}/dashboards-sse-pushpin-<uid>``, as pushpin/run."""
    base = os.environ.get("TMPDIR") or "/tmp"
    return f"{base.rstrip('/')}/dashboards-sse-pushpin-{os.getuid()}"


def prepare_run_dir(path: str) -> Path:
    """Create (mode 700) or check the run dir: it holds unauthenticated ipc sockets, so never
    a symlink, nor a directory of another user."""
    run_dir = Path(path)
    if run_dir.is_symlink():
        raise PushpinConfigError(f"The run dir must not be a symlink: {run_dir}")
    try:
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if run_dir.stat().st_uid != os.getuid():
            raise PushpinConfigError(f"The run dir is not owned by the current user: {run_dir}")
        run_dir.chmod(0o700)
    except OSError as exc:
        raise PushpinConfigError(f"Cannot use {run_dir} as the run dir: {exc.strerror}.") from None
    return run_dir


def read_or_create_key(key_file: Path) -> str:
    """The signing key in ``key_file``; a missing file is created first (48 random url-safe
    characters, mode 600, written atomically so a concurrent start never reads half a key)."""
    if not key_file.exists():
        # token_urlsafe(36): 48 characters of [A-Za-z0-9_-], 288 random bits (as pushpin/run).
        write_private(key_file, secrets.token_urlsafe(36))
    try:
        key = key_file.read_text(encoding="ascii").rstrip("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise PushpinConfigError(f"Cannot read the key file {key_file}: {exc}.") from None
    try:
        return check_key(key)
    except PushpinConfigError as exc:
        raise PushpinConfigError(f"{key_file}: {exc}") from None


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 600, atomically (a temporary file, then rename)."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
            os.chmod(temporary, stat.S_IRUSR | stat.S_IWUSR)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise PushpinConfigError(f"Cannot write {path}: {exc.strerror}.") from None


def write_config(config: PushpinConfig, directory: Path) -> Path:
    """Render into ``directory`` (created if missing): ``pushpin.conf`` and ``routes``, mode
    600 (the config holds the signing key). Returns the path of ``pushpin.conf``."""
    rendered = config.render()  # render first: a bad template writes nothing
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise PushpinConfigError(f"Cannot create {directory}: {exc.strerror}.") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PushpinConfigError(f"Cannot write to {directory}: permission denied.")
    for name, text in rendered.items():
        write_private(directory / name, text)
    return directory / CONFIG_NAME


def pushpin_command(config_path: Path) -> list[str]:
    """Pushpin in the foreground, every service's log merged onto stdout (``-m``)."""
    return ["pushpin", "--config", str(config_path), "-m"]


def find_pushpin() -> str:
    found = shutil.which("pushpin")
    if found is None:
        raise PushpinNotInstalled(
            f"Pushpin is not installed (no `pushpin` on PATH). {INSTALL_HINT}"
        )
    return found


def run_dir_processes(run_dir: str) -> dict[int, str]:
    """PID -> command line of every process whose command line names ``run_dir``: Pushpin's
    runner (``pushpin --config <run_dir>/pushpin.conf``) and the services it started."""
    marker = run_dir.rstrip("/") + "/"
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        if marker in command:
            found[int(entry.name)] = command
    return found


def is_runner(command: str) -> bool:
    """Pushpin's runner (``pushpin --config ...``), not one of the services it started."""
    return Path(command.split(" ", 1)[0]).name == "pushpin"


def stop_leftovers(run_dir: str, grace: float = 5.0) -> list[int]:
    """A SIGKILLed runner leaves condure, zurl, pushpin-proxy and pushpin-handler holding the
    ports, and the next start fails: stop the services of *this* run dir. Refuses while its
    runner is alive. Returns the PIDs stopped."""
    processes = run_dir_processes(run_dir)
    runners = [pid for pid, command in processes.items() if is_runner(command)]
    if runners:
        raise PushpinConfigError(
            f"A Pushpin for {run_dir} is already running (pid {' '.join(map(str, runners))}): "
            "stop it first, or give this one its own --run-dir and ports."
        )
    for pid in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while processes and run_dir_processes(run_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in run_dir_processes(run_dir):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return sorted(processes)


def exec_pushpin(config_path: Path) -> NoReturn:
    """Replace this process with Pushpin: its runner keeps our PID, and SIGTERM to that PID
    stops every service."""
    command = pushpin_command(config_path)
    os.execv(find_pushpin(), command)


# --- several instances behind nginx --------------------------------------------------------
NGINX_HINT = "Install it: `apt-get install nginx-light` (Debian/Ubuntu)."
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")


def find_nginx(balancer: str) -> str:
    found = shutil.which("nginx")
    if found is None:
        raise PushpinConfigError(
            f"Several instances need nginx as the balancer (no `nginx` on PATH). {NGINX_HINT}"
        )
    if balancer == "stream" and not STREAM_MODULE.exists():
        raise PushpinConfigError(
            f"--balancer stream needs nginx's stream module ({STREAM_MODULE} is missing): "
            "`apt-get install libnginx-mod-stream`, or use --balancer http."
        )
    return found


def write_instances(fleet: PushpinInstances) -> list[list[str]]:
    """Every instance's config (in its own run dir) and the balancer's; returns the commands
    to start, instances first, nginx last."""
    commands = []
    for instance in fleet.instances:
        prepare_run_dir(instance.run_dir)
        commands.append(pushpin_command(write_config(instance, Path(instance.run_dir))))
    run_dir = Path(fleet.public.run_dir)
    for name, text in fleet.render_balancer().items():
        write_private(run_dir / name, text)
    commands.append(nginx_command(run_dir))
    return commands


def nginx_command(run_dir: Path) -> list[str]:
    """nginx in the foreground (the config says ``daemon off``), logging to stderr from its
    first line (``-e``: not /var/log/nginx)."""
    return ["nginx", "-c", str(run_dir / "nginx.conf"), "-p", f"{run_dir}/", "-e", "stderr"]


def supervise(commands: list[list[str]], grace: float = 15.0) -> int:
    """Start every command and wait. SIGTERM, SIGINT or SIGHUP to this process, or any child
    exiting, stops them all (SIGTERM by PID, SIGKILL after ``grace`` seconds). Returns 0 when
    stopped by a signal, else the exit status of the child that ended first (1 if it was 0:
    none of them should end on its own)."""
    stopping: list[int] = []

    def on_signal(number: int, _frame: object) -> None:
        stopping.append(number)

    previous = {
        number: signal.signal(number, on_signal)
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    children: list[subprocess.Popen[bytes]] = []
    status = 0
    # Every viewer is a socket in an instance and two in nginx: the soft limit (often 1024)
    # would refuse them long before the hard one.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        for command in commands:
            children.append(subprocess.Popen(command))
        while not stopping:
            ended = [
                (command[0], child)
                for command, child in zip(commands, children, strict=True)
                if child.poll() is not None
            ]
            if ended:
                name, child = ended[0]
                status = child.returncode or 1
                print(
                    f"{name} (pid {child.pid}) exited with {child.returncode}: stopping the "
                    "others",
                    file=sys.stderr,
                )
                break
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return status
