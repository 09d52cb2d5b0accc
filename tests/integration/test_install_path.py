"""The README's Install section as a new user runs it: the package from a freshly built wheel in
a fresh venv, `startproject`, the README's edits, then embedded mode under runserver and Pushpin
(started by `manage.py dashboards_sse pushpin`) in front of uvicorn, static files included.

The fresh venv gets the package from the wheel only (asserted), and sees the shared venv's
installed dependencies (Django, django-eventstream, uvicorn...) through a ``.pth`` file, as
``--system-site-packages`` would for a system-wide install: downloading them for every run
would make the test depend on the network and take minutes. Building the wheel is pip's
ordinary isolated build (`python -m build`: the sdist, then the wheel from the sdist), which
fetches setuptools from the package index or pip's cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.live import REPO, free_port, spawn, stop, wait_for_port
from tests.sse import SSEClient

README = (REPO / "README.md").read_text()
INSTALL = README[README.index("## Install\n") : README.index("## Settings\n")]

# The README's edits, as this test applies them to startproject's files (each line must be in
# the README's Install section: see test_the_readme_shows_these_edits).
SETTINGS_EDIT = """
import os

INSTALLED_APPS += ["django_eventstream", "django_htmx", "dashboards_sse", "shop"]
MIDDLEWARE = ["django_grip.GripMiddleware", *MIDDLEWARE]
GRIP_URL = os.environ.get("GRIP_URL")
"""
URLS_EDIT = """
from django.urls import include, path
urlpatterns += [path("dashboards/", include("dashboards_sse.urls"))]
"""
ASGI_EDIT = """
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
application = ASGIStaticFilesHandler(get_asgi_application())
"""
DASHBOARD = """
from dashboards_sse import Dashboard, Stat


class Sales(Dashboard):
    orders = Stat(label="Orders")
"""
README_LINES = [
    "pip install 'django-dashboards-sse[asgi]'",
    "django-admin startproject mysite && cd mysite",
    "python manage.py startapp shop",
    "import os",
    '"django_eventstream", "django_htmx", "dashboards_sse", "shop"]',
    'MIDDLEWARE = ["django_grip.GripMiddleware", ...]',
    'GRIP_URL = os.environ.get("GRIP_URL")',
    "from django.urls import include, path",
    'path("dashboards/", include("dashboards_sse.urls"))',
    "from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler",
    "application = ASGIStaticFilesHandler(get_asgi_application())",
    "python manage.py migrate",
    "python manage.py runserver",
    "python manage.py dashboards_sse pushpin",
    "uvicorn mysite.asgi:application",
    "python manage.py dashboards_sse push shop.sales orders 12",
]


def test_the_readme_shows_these_edits() -> None:
    missing = [line for line in README_LINES if line not in INSTALL]
    assert not missing, f"README's Install section no longer shows: {missing}"


@dataclass
class Project:
    """A startproject site in a fresh venv that has our package from the built wheel."""

    venv: Path
    path: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self, **extra: str) -> dict[str, str]:
        # Nothing of the repository's: no PYTHONPATH, no test settings.
        return {"PATH": os.environ["PATH"], "HOME": str(self.path.parent), **extra}

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, *args],
            cwd=self.path,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def manage(self, *args: str, **env: str) -> str:
        done = self.run("manage.py", *args, **env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = self.path.parent / f"{name}.log"
        process = spawn([self.python, *args], self.env(**env), self.path, log)
        self.processes.append(process)
        return process


def build_wheel(workdir: Path) -> Path:
    """sdist, then the wheel from the sdist, of a copy of the checkout (a build writes
    build/ and *.egg-info into its source tree)."""
    source = workdir / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", ".nox", "build", "dist", "*.egg-info", "__pycache__", ".run",
            "*.sqlite3", ".*_cache",
        ),
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(workdir / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = (workdir / "dist").glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    # Short: Pushpin's run dir (unix socket paths) lives under it.
    workdir = Path(tempfile.mkdtemp(prefix="dsse-inst-", dir="/tmp"))
    project = None
    try:
        wheel = build_wheel(workdir)
        venv = workdir / "venv"
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        where = "import sysconfig; print(sysconfig.get_path('purelib'))"
        purelib = subprocess.check_output([str(venv / "bin" / "python"), "-c", where], text=True)
        (Path(purelib.strip()) / "shared_dependencies.pth").write_text(
            sysconfig.get_path("purelib") + "\n"
        )
        install = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        install += ["install", "--no-deps", "--no-index", "-q", str(wheel)]
        subprocess.run(install, check=True, capture_output=True, timeout=120)
        site = workdir / "site"
        site.mkdir()
        project = Project(venv, site / "mysite")
        # `django-admin` is `python -m django` (Django itself is one of the shared dependencies).
        subprocess.run(
            [project.python, "-m", "django", "startproject", "mysite"], cwd=site, check=True
        )
        project.manage("startapp", "shop")
        (project.path / "shop" / "dashboards.py").write_text(DASHBOARD)
        for name, edit in [("settings", SETTINGS_EDIT), ("urls", URLS_EDIT), ("asgi", ASGI_EDIT)]:
            with open(project.path / "mysite" / f"{name}.py", "a") as file:
                file.write(edit)
        project.manage("migrate", "-v0")
        yield project
    finally:
        for process in project.processes if project else []:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_package_comes_from_the_wheel(project: Project) -> None:
    done = project.run("-c", "import dashboards_sse; print(dashboards_sse.__file__)")
    assert done.stdout.startswith(str(project.venv)), done.stdout + done.stderr
    assert project.manage("check").strip() == "System check identified no issues (0 silenced)."


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.status, response.read().decode()


def receive_a_push(project: Project, base_url: str, value: int, **env: str) -> None:
    with SSEClient(f"{base_url}/dashboards/shop.sales/stream/", timeout=20) as client:
        assert client.status == 200, client.body()
        client.wait_for("stream-open", timeout=20)
        out = project.manage("dashboards_sse", "push", "shop.sales", "orders", str(value), **env)
        # embedded mode stores (its streams read the database); through Pushpin it publishes
        published = "GRIP_URL" in env
        expected = "pushed shop.sales orders" if published else "stored shop.sales orders"
        assert expected in out, out
        event = client.wait_for("orders", contains=f">{value}<", timeout=20)
        assert "dsse-number" in event.data


def test_embedded_mode_under_runserver(project: Project) -> None:
    port = free_port()
    server = project.start(
        "runserver", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"
    )
    try:
        wait_for_port(port, server, timeout=60)
        status, page = get(f"http://127.0.0.1:{port}/dashboards/shop.sales/")
        assert status == 200 and "Orders" in page
        receive_a_push(project, f"http://127.0.0.1:{port}", 41)
    finally:
        stop(server)


def test_through_the_commands_pushpin_in_front_of_uvicorn(project: Project) -> None:
    django, proxy, publish = free_port(), free_port(), free_port()
    run_dir = project.path.parent / "pushpin"
    pushpin = project.start(
        "pushpin", "manage.py", "dashboards_sse", "pushpin",
        "--origin", f"127.0.0.1:{django}", "--http", f"127.0.0.1:{proxy}",
        "--publish-port", str(publish), "--run-dir", str(run_dir),
    )  # fmt: skip
    wait_for_port(proxy, pushpin, timeout=60)
    wait_for_port(publish, pushpin, timeout=60)
    printed = (project.path.parent / "pushpin.log").read_text()
    grip_url = re.search(r"^Django needs GRIP_URL=(\S+)$", printed, re.MULTILINE)
    assert grip_url, printed
    env = {"GRIP_URL": grip_url.group(1)}
    server = project.start(
        "uvicorn", "-m", "uvicorn", "mysite.asgi:application", "--port", str(django), **env
    )
    wait_for_port(django, server, timeout=60)
    base = f"http://127.0.0.1:{proxy}"
    status, page = get(f"{base}/dashboards/shop.sales/")
    assert status == 200 and "Orders" in page
    # Static files under uvicorn (ASGIStaticFilesHandler): our CSS and JS, htmx and its SSE
    # extension, exactly as the page links them.
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    names = " ".join(assets)
    assert "dashboards_sse.css" in names and "dashboards_sse.js" in names and "htmx" in names
    for asset in assets:
        assert get(base + asset)[0] == 200, asset
    receive_a_push(project, base, 42, **env)
