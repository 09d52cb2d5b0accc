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


@pytest.mark.parametrize(("given", "rendered"), [(None, "4096"), ("8192", "8192")])
def test_client_buffer_size_is_rendered(tmp_path: Path, given: str | None, rendered: str) -> None:
    # A stand-in `pushpin` on PATH prints the config it was given instead of starting.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pushpin").write_text('#!/bin/sh\ncat "$2"\n')
    (fake / "pushpin").chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ['PATH']}"}
    if given is not None:
        env["PUSHPIN_CLIENT_BUFFER_SIZE"] = given
    done = run(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert f"\nclient_buffer_size={rendered}\n" in done.stdout
    assert not re.search(r"\$\{PUSHPIN_[A-Z_]+\}", done.stdout)  # every placeholder filled
