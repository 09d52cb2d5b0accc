"""pushpin/Dockerfile, read without a Docker engine (none here, so it is never built in
tests): Debian bookworm's pushpin package, and an entrypoint that finds everything it needs
among the files the image copies (the repository is not in the image)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import REPO

DOCKERFILE = REPO / "pushpin" / "Dockerfile"
KEY = "k" * 40


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, rest = line.partition(" ")
            found.append((name.upper(), rest.strip()))
    return found


def test_built_from_debian_bookworms_pushpin_package() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "debian:bookworm-slim")
    (install,) = [rest for name, rest in steps if name == "RUN"]
    assert "apt-get install -y --no-install-recommends pushpin" in install


@pytest.fixture
def image_root() -> Iterator[Path]:
    """The image's files (its COPY steps) under a short temporary root."""
    root = Path(tempfile.mkdtemp(prefix="dsse-img-", dir="/tmp"))
    for name, rest in instructions():
        if name == "COPY":
            *sources, destination = shlex.split(rest)
            target = root / destination.lstrip("/")
            for source in sources:
                assert (REPO / source).is_file(), f"COPY {source}: no such file"
                path = target / Path(source).name if destination.endswith("/") else target
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / source, path)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_entrypoint_renders_our_config_from_the_images_files(image_root: Path) -> None:
    steps = dict(instructions())
    entrypoint = [
        str(image_root / arg.lstrip("/")) if arg.startswith("/") else arg
        for arg in json.loads(steps["ENTRYPOINT"])
    ]
    env = {name: value for name, value in re.findall(r"(\w+)=(\S+)", steps["ENV"])}
    fake = image_root / "bin"
    fake.mkdir()
    (fake / "pushpin").write_text('#!/bin/sh\ncat "$2"\n')  # prints the config it was given
    (fake / "pushpin").chmod(0o755)
    done = subprocess.run(
        entrypoint,
        env={
            **env,
            "PATH": f"{fake}:{os.environ['PATH']}",
            "PUSHPIN_TEMPLATE_DIR": str(image_root / env["PUSHPIN_TEMPLATE_DIR"].lstrip("/")),
            "PUSHPIN_RUN_DIR": str(image_root / "run"),
            "PUSHPIN_SIG_KEY": KEY,
            "PUSHPIN_ORIGIN": "web:8000",
        },
        cwd=image_root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "\nhttp_port=0.0.0.0:7999\n" in done.stdout
    assert f"\nsig_key={KEY}\n" in done.stdout
    assert "services=condure,zurl,pushpin-proxy,pushpin-handler" in done.stdout
    assert (image_root / "run" / "routes").read_text().splitlines()[-1] == "* web:8000"
