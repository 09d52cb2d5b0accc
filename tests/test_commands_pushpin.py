"""``manage.py dashboards_sse pushpin``: its options, its errors, and the exec into Pushpin
(a stand-in ``pushpin`` on PATH here; tests/integration/test_pushpin_command.py runs the real
one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from dashboards_sse.pushpin_config import PushpinConfig

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 40


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """Short, under /tmp: Pushpin's unix socket paths live in it."""
    path = Path(tempfile.mkdtemp(prefix="dsse-cmd-", dir="/tmp")) / "run"
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def pushpin(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("dashboards_sse", "pushpin", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_print_key_creates_the_key_file_pushpin_run_reads(run_dir: Path) -> None:
    out, _ = pushpin("--print-key", "--run-dir", str(run_dir))
    key = out.strip()
    assert len(key) == 48
    assert (run_dir / "sig_key").read_text() == key
    assert pushpin("--print-key", "--run-dir", str(run_dir))[0].strip() == key
    done = subprocess.run(
        ["sh", str(ROOT / "pushpin" / "run"), "--print-key"],
        env={"PATH": os.environ["PATH"], "PUSHPIN_RUN_DIR": str(run_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == key  # one key file, whichever launcher


def test_write_config_renders_the_options(run_dir: Path) -> None:
    (run_dir.parent / "key").write_text(KEY)
    out, err = pushpin(
        "--write-config", str(run_dir.parent / "etc"),
        "--run-dir", str(run_dir),
        "--key-file", str(run_dir.parent / "key"),
        "--origin", "web-1:8000", "--origin", "web-2:8000",
        "--http", "0.0.0.0:8080",
        "--publish-addr", "0.0.0.0",
        "--publish-port", "6001",
        "--client-buffer-size", "8192",
    )  # fmt: skip
    expected = PushpinConfig(
        run_dir=str(run_dir),
        key=KEY,
        http="0.0.0.0:8080",
        publish_addr="0.0.0.0",
        publish_port=6001,
        origins=("web-1:8000", "web-2:8000"),
        client_buffer_size=8192,
    )
    etc = run_dir.parent / "etc"
    assert {path.name: path.read_text() for path in etc.iterdir()} == expected.render()
    assert f"start it with: pushpin --config {etc}/pushpin.conf -m\n" in out
    assert f"GRIP_URL=http://127.0.0.1:6001?key={KEY}\n" in out
    assert err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--http", "127.0.0.1"], r"--http must be host:port"),
        (["--http", "127.0.0.1:99999"], r"--http must be host:port .*'127.0.0.1:99999'"),
        (["--publish-port", "http"], r"--publish-port must be a TCP port"),
        (["--publish-addr", "a b"], r"--publish-addr must be a host name"),
        (["--origin", "localhost"], r"--origin must be host:port"),
        (["--origin", "a:1;b:2"], r"--origin must be host:port"),
        (["--client-buffer-size", "100"], r"between 1024 and 1048576"),
        (["--run-dir", "/tmp/" + "x" * 80], r"too long for unix socket paths"),
    ],
)
def test_bad_options_are_one_clear_error(run_dir: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        pushpin("--write-config", str(run_dir / "etc"), "--run-dir", str(run_dir), *args)
    assert not (run_dir / "etc").exists()  # nothing written


def test_an_unwritable_config_dir_is_a_clear_error(run_dir: Path) -> None:
    (run_dir.parent / "file").write_text("")
    with pytest.raises(CommandError, match=r"Cannot create .*/file/etc: Not a directory"):
        pushpin("--write-config", str(run_dir.parent / "file" / "etc"), "--run-dir", str(run_dir))


def test_missing_pushpin_says_how_to_install_it(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(CommandError, match=r"not installed .*apt-get install pushpin"):
        pushpin("--run-dir", str(run_dir))
    assert not run_dir.exists()  # said before touching any file


def test_a_grip_url_with_another_key_is_warned_about(run_dir: Path) -> None:
    (run_dir.parent / "key").write_text(KEY)
    args = ["--write-config", str(run_dir / "etc"), "--run-dir", str(run_dir)]
    args += ["--key-file", str(run_dir.parent / "key")]
    with override_settings(GRIP_URL="http://127.0.0.1:5561?key=" + "x" * 40):
        _, err = pushpin(*args)
    assert "GRIP_URL in your settings will not work with this Pushpin: its key differs" in err
    assert f"Set GRIP_URL=http://127.0.0.1:5561?key={KEY}" in err
    with override_settings(GRIP_URL=f"http://127.0.0.1:5561?key={KEY}"):
        assert pushpin(*args)[1] == ""


def test_the_command_execs_pushpin_with_the_rendered_config(run_dir: Path, tmp_path: Path) -> None:
    """The process becomes Pushpin (same PID, so SIGTERM to it stops Pushpin), after printing
    what GRIP_URL must be."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pushpin").write_text(
        '#!/bin/sh\necho "pid $$ args $*"\ntail -n 1 "$(dirname "$2")/routes"\n'
    )
    (fake / "pushpin").chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "dashboards_sse", "pushpin", "--run-dir", str(run_dir),
         "--origin", "127.0.0.1:8123", "--http", "127.0.0.1:7123", "--publish-port", "5123"],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "DJANGO_SETTINGS_MODULE":
             "tests.settings", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    key = (run_dir / "sig_key").read_text()
    banner, pid_line, route = out.rsplit("\n", 3)[:3]
    assert "Pushpin on http://127.0.0.1:7123/ in front of Django at 127.0.0.1:8123" in out
    assert f"Django needs GRIP_URL=http://127.0.0.1:5123?key={key}\n" in out
    assert pid_line == f"pid {process.pid} args --config {run_dir}/pushpin.conf -m"
    assert route == "* 127.0.0.1:8123"
    assert "runserver 127.0.0.1:8123" in banner


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--instances", "0"), "--instances must be a number from 1 to 64 or 'auto'"),
        (("--instances", "lots"), "--instances must be a number from 1 to 64 or 'auto'"),
        (("--instances", "2", "--balancer", "haproxy"), "--balancer must be one of http, stream"),
        (("--instance-port", "0"), "--instance-port must be a TCP port"),
        (
            ("--instances", "2", "--write-config", "/tmp/x"),
            "--write-config writes one instance's config",
        ),
    ],
)
def test_bad_instances_options_are_refused(
    run_dir: Path, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        pushpin(*args, "--run-dir", str(run_dir))
