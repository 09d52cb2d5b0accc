"""The CI workflow in the repository (.github/workflows/ci.yml): valid for GitHub (its schema,
as check-jsonschema ships it: no network), and it runs `bash .ci/run` where that can work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def workflow_job() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return job  # type: ignore[no-any-return]


def test_workflow_is_valid_for_github() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_runs_ci_run_in_debian_bookworm_as_root() -> None:
    job = workflow_job()
    assert "bookworm" in job["container"]["image"]  # root: .ci/run's apt-get needs no sudo
    assert job["timeout-minutes"] >= 90  # .ci/run's budget
    steps = job["steps"]
    runs = [step.get("run", "").strip() for step in steps]
    assert runs[-1] == "bash .ci/run"
    assert not [run for run in runs if "sudo " in run]
    uses = [step.get("uses", "") for step in steps]
    checkout = next(i for i, action in enumerate(uses) if action.startswith("actions/checkout"))
    installs = next(i for i, run in enumerate(runs) if "apt-get install" in run)
    assert installs < checkout, "git before the checkout, or actions/checkout makes no clone"
    assert {"git", "make", "python3-venv"} <= set(runs[installs].split())


def test_ci_run_is_make_test_on_the_python_the_workflow_names() -> None:
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    # The workflow's PYTHON reaches the Makefile only because the Makefile lets it.
    assert re.search(r"^PYTHON \?= ", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert workflow_job()["env"]["PYTHON"] == "/usr/bin/python3"
