"""pushpin/run renders our config from the environment and refuses bad values at once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
KEY = "k" * 40


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    rundir = Path("/tmp") / f"dsse-cfg-{os.getpid()}-{tmp_path.name[-12:]}"
    full = {**os.environ, "PUSHPIN_RUN_DIR": str(rundir), "PUSHPIN_SIG_KEY": KEY, **env}
    try:
        return subprocess.run(
            ["sh", str(REPO / "pushpin" / "run"), *args],
            env=full,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


@pytest.mark.parametrize("size", ["", "big", "512", "99999999"])
def test_bad_client_buffer_size_is_refused(tmp_path: Path, size: str) -> None:
    done = run(tmp_path, "--print-key", PUSHPIN_CLIENT_BUFFER_SIZE=size or "x y")
    assert done.returncode == 2
    assert "PUSHPIN_CLIENT_BUFFER_SIZE" in done.stderr


def fake_pushpin(tmp_path: Path, script: str = 'cat "$2"') -> dict[str, str]:
    """A stand-in `pushpin` on PATH that prints what it was given instead of starting."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pushpin").write_text(f"#!/bin/sh\n{script}\n")
    (fake / "pushpin").chmod(0o755)
    return {"PATH": f"{fake}:{os.environ['PATH']}"}


@pytest.mark.parametrize(("given", "rendered"), [(None, "4096"), ("8192", "8192")])
def test_client_buffer_size_is_rendered(tmp_path: Path, given: str | None, rendered: str) -> None:
    env = fake_pushpin(tmp_path)
    if given is not None:
        env["PUSHPIN_CLIENT_BUFFER_SIZE"] = given
    done = run(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert f"\nclient_buffer_size={rendered}\n" in done.stdout
    assert not re.search(r"\$\{PUSHPIN_[A-Z_]+\}", done.stdout)  # every placeholder filled


@pytest.mark.parametrize("origins", ["web:8000", "web-1:8000 web-2:8000", "10.0.0.1:80 h:1 h:2"])
def test_origins_are_rendered_as_failover_targets(tmp_path: Path, origins: str) -> None:
    env = fake_pushpin(tmp_path, 'tail -n 1 "$(dirname "$2")/routes"')
    done = run(tmp_path, PUSHPIN_ORIGIN=origins, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"* {origins}\n"


@pytest.mark.parametrize(
    "origins", [" web:8000", "web:8000 ", "a:1  b:2", "a:1;b:2", "a|b", "a,b"]
)
def test_bad_origins_are_refused(tmp_path: Path, origins: str) -> None:
    done = run(tmp_path, PUSHPIN_ORIGIN=origins, **fake_pushpin(tmp_path))
    assert done.returncode == 2
    assert done.stderr == f"pushpin/run: invalid value: PUSHPIN_ORIGIN={origins}\n"
