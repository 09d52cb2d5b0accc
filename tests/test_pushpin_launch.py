"""dashboards_sse.pushpin_launch: run dir, key file, config files, leftovers of a killed runner."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards_sse.exceptions import PushpinConfigError
from dashboards_sse.pushpin_config import PushpinConfig
from dashboards_sse.pushpin_launch import (
    default_run_dir,
    find_pushpin,
    is_runner,
    prepare_run_dir,
    pushpin_command,
    read_or_create_key,
    run_dir_processes,
    stop_leftovers,
    supervise,
    write_config,
)

KEY = "k" * 40
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory under /tmp (pytest's tmp_path is too long for Pushpin's socket paths)."""
    path = Path(tempfile.mkdtemp(prefix="dsse-launch-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_run_dir_is_pushpin_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", "/var/tmp/")
    assert default_run_dir() == f"/var/tmp/dashboards-sse-pushpin-{os.getuid()}"
    monkeypatch.delenv("TMPDIR")
    assert default_run_dir() == f"/tmp/dashboards-sse-pushpin-{os.getuid()}"


def test_run_dir_is_created_private_or_made_private(short_dir: Path) -> None:
    assert mode(prepare_run_dir(str(short_dir / "new"))) == 0o700
    short_dir.chmod(0o755)
    assert mode(prepare_run_dir(str(short_dir))) == 0o700


def test_a_symlinked_run_dir_is_refused(short_dir: Path) -> None:
    (short_dir / "link").symlink_to(short_dir)
    with pytest.raises(PushpinConfigError, match="must not be a symlink"):
        prepare_run_dir(str(short_dir / "link"))


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory away needs root")
def test_a_run_dir_of_another_user_is_refused(short_dir: Path) -> None:
    os.chown(short_dir, 65534, 65534)
    with pytest.raises(PushpinConfigError, match="not owned by the current user"):
        prepare_run_dir(str(short_dir))


def test_a_run_dir_that_cannot_be_created_is_a_clear_error(short_dir: Path) -> None:
    (short_dir / "file").write_text("")
    with pytest.raises(PushpinConfigError, match=r"Cannot use .*/file/run as the run dir"):
        prepare_run_dir(str(short_dir / "file" / "run"))


def test_key_file_is_created_once_mode_600(short_dir: Path) -> None:
    key_file = short_dir / "sig_key"
    key = read_or_create_key(key_file)
    assert len(key) == 48 and key.replace("-", "").replace("_", "").isalnum()
    assert mode(key_file) == 0o600
    assert read_or_create_key(key_file) == key
    assert list(short_dir.iterdir()) == [key_file]  # no temporary file left


def test_a_given_key_file_is_read_and_checked(short_dir: Path) -> None:
    (short_dir / "secret").write_text(KEY + "\n")
    assert read_or_create_key(short_dir / "secret") == KEY
    (short_dir / "weak").write_text("changeme")
    with pytest.raises(PushpinConfigError, match=r"weak: .*\"changeme\""):
        read_or_create_key(short_dir / "weak")


def test_config_files_are_written_mode_600(short_dir: Path) -> None:
    config = PushpinConfig(run_dir=str(short_dir), key=KEY)
    path = write_config(config, short_dir / "etc")
    assert path == short_dir / "etc" / "pushpin.conf"
    assert {p.name: p.read_text() for p in path.parent.iterdir()} == config.render()
    assert {mode(p) for p in path.parent.iterdir()} == {0o600}  # the config holds the key


def test_an_unwritable_config_dir_is_a_clear_error(short_dir: Path) -> None:
    (short_dir / "file").write_text("")
    config = PushpinConfig(run_dir=str(short_dir), key=KEY)
    with pytest.raises(PushpinConfigError, match=r"Cannot create .*/file/etc: Not a directory"):
        write_config(config, short_dir / "file" / "etc")


def test_pushpin_runs_in_the_foreground_with_merged_logs() -> None:
    assert pushpin_command(Path("/r/pushpin.conf")) == [
        "pushpin",
        "--config",
        "/r/pushpin.conf",
        "-m",
    ]


def test_missing_pushpin_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PushpinConfigError, match=r"apt-get install pushpin.*compose\.yaml"):
        find_pushpin()


def sleeper(argv0: str, *args: str) -> subprocess.Popen[bytes]:
    """A process whose command line is ``argv0 -c ... args``, as a runner or service's."""
    process = subprocess.Popen(
        [argv0, "-c", "import time; time.sleep(60)", *args], executable=sys.executable
    )
    # Until it has exec'd, the child's command line is still ours.
    deadline = time.monotonic() + 10
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    while not cmdline.read_bytes().startswith(argv0.encode() + b"\0"):
        assert time.monotonic() < deadline, "the child never exec'd"
        time.sleep(0.01)
    return process


def test_leftover_services_of_a_killed_runner_are_stopped(short_dir: Path) -> None:
    service = sleeper("zurl", f"--config={short_dir}/zurl.conf")
    other = sleeper("zurl", "--config=/elsewhere/zurl.conf")
    try:
        assert service.pid in run_dir_processes(str(short_dir))
        assert stop_leftovers(str(short_dir)) == [service.pid]
        assert service.wait(10) is not None
        assert other.poll() is None  # another run dir's services are left alone
    finally:
        for process in (service, other):
            process.kill()
            process.wait()


def test_a_live_runner_is_not_stopped(short_dir: Path) -> None:
    runner = sleeper("pushpin", "--config", f"{short_dir}/pushpin.conf")
    try:
        with pytest.raises(PushpinConfigError, match=rf"already running \(pid {runner.pid}\)"):
            stop_leftovers(str(short_dir))
        assert runner.poll() is None
    finally:
        runner.kill()
        runner.wait()


def test_is_runner() -> None:
    assert is_runner("pushpin --config /r/pushpin.conf -m")
    assert is_runner("/usr/bin/pushpin --config /r/pushpin.conf")
    assert not is_runner("pushpin-handler --config=/r/pushpin.conf")


def test_supervise_stops_the_others_when_one_exits() -> None:
    started = time.monotonic()
    status = supervise([["sleep", "60"], ["sh", "-c", "sleep 0.3; exit 3"]], grace=5)
    assert status == 3
    assert time.monotonic() - started < 10  # the sleeper was stopped, not waited for


SUPERVISOR = """
import sys
from dashboards_sse.pushpin_launch import supervise
sys.exit(supervise([["sleep", "60"], ["sleep", "61"]]))
"""


def test_sigterm_to_the_supervisor_stops_every_child() -> None:
    process = subprocess.Popen([sys.executable, "-c", SUPERVISOR], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        kids: list[int] = []
        while len(kids) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            kids = [
                int(pid)
                for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children")
                .read_text()
                .split()
            ]
        assert len(kids) == 2
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in kids)
    finally:
        if process.poll() is None:
            process.kill()
