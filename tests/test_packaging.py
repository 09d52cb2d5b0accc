"""The release as PyPI gets it: metadata, a README that renders there, and an sdist that is the
whole checkout (MANIFEST.in) with its unit tests passing from it, and its wheel's package data.

The sdist is built from a copy of the checkout's files (``git ls-files``, without ignored ones:
what a release checkout has), so that nothing left in the working tree leaks in, and built
without build isolation: the test extra brings build and setuptools (no registry needed)."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
HOMEPAGE = PROJECT["urls"]["Homepage"]
RAW = HOMEPAGE.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
FILE_LINK = HOMEPAGE + "/blob/main/"

# Left in a working tree by the demo, the tests and the benchmarks: never shipped.
LEFTOVERS = [
    "demo/db.sqlite3",
    "demo/staticfiles/dashboards_sse/dashboards_sse.css",
    "tests/__pycache__/conftest.cpython-311.pyc",
    "bench/results/tmp/run.json",
]
# Unit test modules that read the sdist's non-Python files: README.md and docs/, pushpin/,
# compose.yaml and demo/, .ci/ and .github/, the package's folder, its migrations, templates.
FROM_THE_SDIST = [
    "tests/test_ci.py",
    "tests/test_docs.py",
    "tests/test_pushpin_config.py",
    "tests/test_compose.py",
    "tests/test_import_graph.py",
    "tests/test_migrations.py",
    "tests/test_templatetags.py",
]

LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)")


def test_license_is_mit_spdx() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 dashboards_sse contributors" in text
    # PEP 639 metadata needs setuptools 77: the build requirement says so.
    assert "setuptools>=77.0.3" in PYPROJECT["build-system"]["requires"]


def test_project_urls() -> None:
    urls = PROJECT["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith(HOMEPAGE) for url in urls.values())
    for name in ("Documentation", "Changelog"):
        assert (ROOT / urls[name].removeprefix(FILE_LINK)).is_file(), urls[name]


def test_version_has_the_top_changelog_section() -> None:
    headings = re.findall(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0].split()[0] == PROJECT["version"]


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_readme_links_work_on_pypi() -> None:
    """PyPI renders README.md without the repository: every link and image is absolute, and
    those into the repository name a file it has (or a heading of the README)."""
    readme = (ROOT / "README.md").read_text()
    links = LINK.findall(readme)
    assert links
    for image, target in links:
        assert re.match(r"https?://", target), f"README.md: relative link {target!r}"
        if image and target.startswith(HOMEPAGE):
            pytest.fail(f"README.md: image {target!r} is a page, not the file ({RAW}...)")
        for prefix in (FILE_LINK, RAW):
            if target.startswith(prefix):
                path = target.removeprefix(prefix).split("#")[0]
                assert (ROOT / path).is_file(), f"README.md links {target!r}: no {path}"
        if target.startswith(HOMEPAGE + "#"):
            assert target.split("#", 1)[1] in _anchors(readme), target


@dataclass
class Release:
    tracked: list[str]  # the checkout's files (git ls-files)
    sdist: list[str]  # the sdist's files, relative to its top folder
    unpacked: Path
    wheel: Path


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = (done.stdout + done.stderr)[-4000:]  # a failing run's summary is at its end
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{output}"
    return done.stdout


def _git_files(*options: str) -> list[str]:
    out = _run(["git", "ls-files", "-z", *options], ROOT)
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an sdist itself): nothing to compare the sdist with")
    tmp = tmp_path_factory.mktemp("release")
    source = tmp / "checkout"
    for name in _git_files("--cached", "--others", "--exclude-standard"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    for name in LEFTOVERS:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("left over\n")
    build = [sys.executable, "-m", "build", "--no-isolation"]
    _run([*build, "--sdist", "--outdir", str(tmp / "dist"), str(source)], tmp)
    (archive,) = (tmp / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        # The "data" filter where this Python has it (3.11.4+; Debian's 3.11.2 may not).
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp / "unpacked", **safe)
        top = f"django_dashboards_sse-{PROJECT['version']}/"
        sdist = [m.name.removeprefix(top) for m in tar.getmembers() if m.isfile()]
    unpacked = tmp / "unpacked" / top
    # The wheel from the unpacked sdist, as pip builds it.
    _run([*build, "--wheel", "--outdir", str(tmp / "dist"), str(unpacked)], tmp)
    (wheel,) = (tmp / "dist").glob("*.whl")
    return Release(_git_files("--cached"), sdist, unpacked, wheel)


def _metadata(text: str) -> Message:
    return email.message_from_string(text)


def test_sdist_is_the_checkout(release: Release) -> None:
    missing = [name for name in release.tracked if name not in release.sdist]
    assert not missing, f"in the checkout, not in the sdist (MANIFEST.in): {missing}"
    shipped = [name for name in release.sdist if name in LEFTOVERS]
    assert not shipped, f"left over in the working tree, shipped in the sdist: {shipped}"
    metadata = _metadata((release.unpacked / "PKG-INFO").read_text())
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert {url.split(", ", 1)[0] for url in metadata.get_all("Project-URL", [])} == set(
        PROJECT["urls"]
    )


def test_wheel_has_the_package_and_its_data(release: Release) -> None:
    with zipfile.ZipFile(release.wheel) as wheel:
        names = set(wheel.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = _metadata(wheel.read(metadata_name).decode())
    package = [n for n in release.tracked if n.startswith("dashboards_sse/")]
    assert not [n for n in package if n not in names], "package files missing from the wheel"
    for required in (
        "dashboards_sse/py.typed",
        "dashboards_sse/static/dashboards_sse/dashboards_sse.js",
        "dashboards_sse/static/dashboards_sse/dashboards_sse.css",
        "dashboards_sse/templates/dashboards_sse/page.html",
        "dashboards_sse/migrations/0001_initial.py",
    ):
        assert required in names
    assert not [n for n in names if n.startswith(("tests/", "demo/", "bench/"))]
    assert metadata_name.replace("METADATA", "licenses/LICENSE") in names
    assert metadata["License-Expression"] == "MIT"


def test_unit_tests_run_from_the_sdist(release: Release) -> None:
    """In the unpacked sdist, against this environment: the package imported is the sdist's,
    every test module collects (their helpers and the files they import are there), and the
    modules that read its non-Python files pass."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DSSE_", "PYTEST_", "DJANGO_")) and name != "PYTHONPATH"
    }
    where = _run(
        [sys.executable, "-c", "import dashboards_sse; print(dashboards_sse.__file__)"],
        release.unpacked,
        env,
    )
    assert Path(where.strip()).is_relative_to(release.unpacked)
    pytest_args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    collected = _run([*pytest_args, "--collect-only", "tests"], release.unpacked, env)
    assert re.search(r"^\d+ tests collected", collected, re.MULTILINE), collected[-2000:]
    ran = _run([*pytest_args, *FROM_THE_SDIST], release.unpacked, env)
    assert re.search(r"^\d+ passed", ran.splitlines()[-1]), ran[-2000:]
