"""What the main() of a bench module with profiles (bench.items, .multipush, .scoped,
.throughput; bench.instances' options) does around its own steps: options from the full or the
``--quick`` profile, the commit measured, a run dir for the servers (removed at the end), the
stack started with this process as its publisher, and the result's header and files."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import django

from . import machine, procs
from .output import sayer, write_results
from .stack import REPO, Stack, run_dir

RESULTS = Path(__file__).resolve().parent / "results"
Profiles = Mapping[str, Mapping[str, Any]]  # "full" and "quick": option -> value


def parser(prog: str, description: str | None, quick: str) -> argparse.ArgumentParser:
    """A bench's parser, ``--quick`` first (``quick``: its help, what the quick profile is)."""
    found = argparse.ArgumentParser(prog=prog, description=description)
    found.add_argument("--quick", action="store_true", help=quick)
    return found


def parse(
    parser: argparse.ArgumentParser, argv: list[str] | None, profiles: Profiles
) -> tuple[argparse.Namespace, str]:
    """``--out`` added last, then the command line parsed; every option of the profile the
    command line left unset (None, or no option of that name) takes the profile's value.
    Returns the options and the profile's name."""
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "full"
    for option, value in profiles[name].items():
        if getattr(args, option, None) is None:
            setattr(args, option, value)
    return args, name


def code_version() -> dict[str, Any]:
    """The commit measured and whether dashboards_sse/ had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=REPO, capture_output=True, text=True
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "dashboards_sse_modified": bool(git("status", "--porcelain", "--", "dashboards_sse")),
    }


def command_line(module: str, args: argparse.Namespace, profiles: Profiles) -> str:
    """How to run this measurement again: ``python -m <module>``, ``--quick`` if given, and
    every option of the profile that was changed from it."""
    profile = profiles["quick" if args.quick else "full"]
    changed = [
        f"--{name.replace('_', '-')} {getattr(args, name):g}"
        for name in profile
        if getattr(args, name) != profile[name]
    ]
    return " ".join([f"python -m {module}", *(["--quick"] if args.quick else []), *changed])


def measured_commit(code: dict[str, Any]) -> str:
    """``code_version()`` as a report says it: the commit, and whether the package differed."""
    modified = " (dashboards_sse modified)" if code["dashboards_sse_modified"] else ""
    return f"Commit {code['commit']}{modified}"


def start_publishing(stack: Stack) -> None:
    """Start ``stack`` and set Django up in this process with its settings: this process
    publishes (``push()``, ``batch()``, ``send_event``) as an application's would."""
    stack.start()
    os.environ.update(stack.env())
    django.setup()


@dataclass
class Run:
    """One run of bench ``bench`` (``bench.<bench>``: its progress lines and result files)."""

    bench: str
    profile: str  # "full" or "quick"
    started: float  # time.monotonic()
    code: dict[str, Any]  # code_version() at the start: what was measured
    nofile: tuple[int, int]  # RLIMIT_NOFILE, raised before any server is spawned
    dir: Path  # the servers' work dirs and logs
    say: Callable[[str], None] = field(init=False)

    def __post_init__(self) -> None:
        self.say = sayer(self.bench)

    @contextmanager
    def work_dir(self, keep: bool = False) -> Iterator[Path]:
        """The run dir, removed when the block ends however it ends (``keep``: left, with the
        servers' logs in it)."""
        try:
            yield self.dir
        finally:
            if keep:
                self.say(f"kept {self.dir}")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def header(self, options: dict[str, Any]) -> dict[str, Any]:
        """What a result starts with: date, profile, seconds so far, options, machine, code."""
        return {
            "date": date.today().isoformat(),
            "profile": self.profile,
            "elapsed_s": round(time.monotonic() - self.started, 1),
            "options": options,
            "machine": machine.info(),
            "code": self.code,
        }

    def write(self, out: Path, result: dict[str, Any], markdown: str, suffix: str = "") -> None:
        """``<out>/<date>-<bench>[-quick]<suffix>``.json and .md (printed, then said)."""
        quick = "" if self.profile == "full" else "-quick"
        stem = out / f"{result['date']}-{self.bench}{quick}{suffix}"
        write_results(stem, result, markdown)
        self.say(f"wrote {stem}.json and .md ({result['elapsed_s']:.0f} s)")


def begin(bench: str, profile: str) -> Run:
    """A run starting now: the code version read, RLIMIT_NOFILE raised, a run dir made."""
    started, code = time.monotonic(), code_version()
    nofile = procs.raise_nofile()
    return Run(bench, profile, started, code, nofile, run_dir())
