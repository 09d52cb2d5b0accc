"""pushpin/run (the repository's POSIX launcher, for containers without Python) renders our
config from the environment, refuses bad values at once, and renders exactly what
``manage.py dashboards_sse pushpin`` renders from the same templates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboards_sse.pushpin_config import PushpinConfig, PushpinInstances

REPO = Path(__file__).resolve().parent.parent
KEY = "k" * 40


def short_run_dir(tmp_path: Path) -> Path:
    """Under /tmp: pytest's tmp_path is too long for Pushpin's unix socket paths."""
    return Path("/tmp") / f"dsse-cfg-{os.getpid()}-{tmp_path.name[-12:]}"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    rundir = short_run_dir(tmp_path)
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


# pushpin/run's environment -> the PushpinConfig fields the command's options set.
SAME_INPUTS = [
    ({}, {}),
    (
        {
            "PUSHPIN_HTTP": "0.0.0.0:8999",
            "PUSHPIN_PUBLISH_ADDR": "0.0.0.0",
            "PUSHPIN_PUBLISH_PORT": "6001",
            "PUSHPIN_ORIGIN": "web-1:8000 web-2:8000",
            "PUSHPIN_CLIENT_BUFFER_SIZE": "8192",
        },
        {
            "http": "0.0.0.0:8999",
            "publish_addr": "0.0.0.0",
            "publish_port": 6001,
            "origins": ("web-1:8000", "web-2:8000"),
            "client_buffer_size": 8192,
        },
    ),
]


@pytest.mark.parametrize(("env", "fields"), SAME_INPUTS)
def test_sh_and_python_render_identical_files(
    tmp_path: Path, env: dict[str, str], fields: dict[str, object]
) -> None:
    """Both renderers read the package's templates; this holds their logic (defaults,
    substitution) together too."""
    script = 'cat "$2"; echo "--- routes ---"; cat "$(dirname "$2")/routes"'
    done = run(tmp_path, **fake_pushpin(tmp_path, script), **env)
    assert done.returncode == 0, done.stderr
    run_dir = str(short_run_dir(tmp_path))
    rendered = PushpinConfig(run_dir=run_dir, key=KEY, **fields).render()  # type: ignore[arg-type]
    assert done.stdout == rendered["pushpin.conf"] + "--- routes ---\n" + rendered["routes"]


def test_sh_reads_the_templates_from_the_package(tmp_path: Path) -> None:
    done = run(tmp_path, PUSHPIN_TEMPLATE_DIR=str(tmp_path / "none"), **fake_pushpin(tmp_path))
    assert done.returncode == 2
    assert "cannot read" in done.stderr and "PUSHPIN_TEMPLATE_DIR" in done.stderr
    for name in ("pushpin.conf.template", "routes.template"):  # one copy: the package's
        assert not (REPO / "pushpin" / name).exists()


@pytest.mark.parametrize("balancer", ["http", "stream"])
def test_sh_and_python_render_identical_instances(tmp_path: Path, balancer: str) -> None:
    """PUSHPIN_INSTANCES=3: each instance's files and nginx's are what the command writes.
    The stand-in pushpin and nginx exit at once, so pushpin/run stops and exits 1."""
    env = fake_pushpin(tmp_path, "exit 0")
    (tmp_path / "bin" / "nginx").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "bin" / "nginx").chmod(0o755)
    rundir = short_run_dir(tmp_path)
    full = {
        **os.environ,
        **env,
        "PUSHPIN_RUN_DIR": str(rundir),
        "PUSHPIN_SIG_KEY": KEY,
        "PUSHPIN_INSTANCES": "3",
        "PUSHPIN_INSTANCE_PORT": "9100",
        "PUSHPIN_BALANCER": balancer,
    }
    try:
        done = subprocess.run(
            ["sh", str(REPO / "pushpin" / "run")], env=full, capture_output=True, text=True,
            timeout=30,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "exited: stopping the others" in done.stderr
        public = PushpinConfig(run_dir=str(rundir), key=KEY)
        fleet = PushpinInstances(public, 3, instance_port=9100, balancer=balancer)
        for instance in fleet.instances:
            for name, text in instance.render().items():
                assert (Path(instance.run_dir) / name).read_text() == text
        for name, text in fleet.render_balancer().items():
            assert (rundir / name).read_text() == text
        proxies = "".join(f"    {proxy!r},\n" for proxy in fleet.grip_proxies)
        assert f"GRIP_PROXIES = [\n{proxies}]\n" in done.stdout
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PUSHPIN_INSTANCES": "0"}, "PUSHPIN_INSTANCES must be a number from 1 to 64"),
        ({"PUSHPIN_INSTANCES": "two"}, "PUSHPIN_INSTANCES must be a number from 1 to 64"),
        ({"PUSHPIN_INSTANCES": "2", "PUSHPIN_BALANCER": "haproxy"}, "PUSHPIN_BALANCER must be"),
        (
            {"PUSHPIN_INSTANCES": "2", "PUSHPIN_INSTANCE_PORT": "5562"},
            "the instances' ports overlap",
        ),
    ],
)
def test_bad_instances_are_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    done = run(tmp_path, **fake_pushpin(tmp_path), **env)
    assert done.returncode == 2
    assert message in done.stderr
