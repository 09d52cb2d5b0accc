"""The busiest processes of this machine, read from /proc/<pid>/stat: no psutil needed.

Like the machine's CPU, a process's CPU share is a rate: ``ProcessSampler`` keeps the previous
reading of every process and measures the time each one spent on a CPU since then (100 % is
one core, as in ``top``). Kernel threads are left out. A process is known by its pid *and* its
start time, so a reused pid is a new process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .metrics import PROC

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIB = 1024**2
PF_KTHREAD = 0x00200000  # /proc/<pid>/stat flags: a kernel thread
# Interpreters and shells: their command's name says little, their first argument more.
RUNNERS = ("python", "node", "ruby", "perl", "java", "sh", "bash", "dash", "zsh", "php")


@dataclass(frozen=True)
class ProcessTimes:
    pid: int
    comm: str
    ticks: int  # user + system time, in clock ticks
    started: int  # clock ticks after boot
    rss: int  # resident memory, in bytes

    @property
    def ident(self) -> tuple[int, int]:
        return (self.pid, self.started)


def parse_stat(pid: int, text: str) -> ProcessTimes | None:
    """One /proc/<pid>/stat line; None for a kernel thread or a zombie. The command name is
    between the first "(" and the last ")" (it may itself contain spaces and parentheses)."""
    head, _, tail = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = tail.split()  # fields[0] is the 3rd field of proc(5): state
    if fields[0] in ("Z", "X") or int(fields[6]) & PF_KTHREAD:
        return None
    return ProcessTimes(
        pid=pid,
        comm=comm,
        ticks=int(fields[11]) + int(fields[12]),  # utime, stime
        started=int(fields[19]),
        rss=max(int(fields[21]), 0) * PAGE_SIZE,
    )


def read_processes(proc: Path = PROC) -> dict[tuple[int, int], ProcessTimes]:
    """Every user-space process now, by ``(pid, start time)``. Processes that exit while
    being read are skipped."""
    found = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            text = (proc / name / "stat").read_text()
            times = parse_stat(int(name), text)
        except (OSError, ValueError, IndexError):
            continue
        if times is not None:
            found[times.ident] = times
    return found


def display_name(times: ProcessTimes, proc: Path = PROC) -> str:
    """The command name, and for an interpreter its script or module: ``python3 manage.py``,
    ``python3 -m uvicorn``, ``node server.js``."""
    if not times.comm.startswith(RUNNERS):
        return times.comm
    try:
        args = (proc / str(times.pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return times.comm
    words = [arg.decode(errors="replace") for arg in args[1:] if arg]
    for index, word in enumerate(words):
        if word in ("-m", "-c") and index + 1 < len(words):
            if word == "-c":
                return f"{times.comm} -c"
            return f"{times.comm} -m {words[index + 1]}"
        if not word.startswith("-"):
            return f"{times.comm} {Path(word).name}"
    return times.comm


@dataclass(frozen=True)
class ProcessRow:
    """A process as the "Processes by CPU" table shows it."""

    pid: int
    started: int
    name: str
    cpu: float  # % of one core since the previous sample
    memory: int  # MiB resident

    @property
    def ident(self) -> tuple[int, int]:
        return (self.pid, self.started)

    def as_row(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "cpu": self.cpu, "memory": self.memory}


@dataclass(frozen=True)
class ProcessSample:
    rows: list[ProcessRow]  # every process, busiest first
    alive: frozenset[tuple[int, int]]


class ProcessSampler:
    """Each process's CPU % since the previous call, busiest first (then by memory).

    The first call (or one after a long pause) takes a short sample of its own; names are
    looked up once per process (an interpreter's name needs its command line).
    """

    def __init__(
        self,
        proc: Path = PROC,
        first_sample: float = 0.2,
        max_age: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.proc = proc
        self.first_sample = first_sample
        self.max_age = max_age
        self.clock = clock
        self.sleep = sleep
        self.previous: tuple[float, dict[tuple[int, int], ProcessTimes]] | None = None
        self.names: dict[tuple[int, int], str] = {}

    def __call__(self) -> ProcessSample:
        now = self.clock()
        if self.previous is not None and now - self.previous[0] > self.max_age:
            self.previous = None
        if self.previous is None:
            self.previous = (now, read_processes(self.proc))
            self.sleep(self.first_sample)
            now = self.clock()
        current = read_processes(self.proc)
        then, before = self.previous
        seconds = max(now - then, 1e-3)
        rows = []
        for ident, times in current.items():
            old = before.get(ident)
            # a process started since the previous sample: all of its time is new
            ticks = times.ticks - (old.ticks if old is not None else 0)
            cpu = round(100.0 * max(ticks, 0) / CLOCK_TICKS / seconds, 1)
            rows.append(
                ProcessRow(
                    pid=times.pid,
                    started=times.started,
                    name=self.name_of(times),
                    cpu=cpu,
                    memory=round(times.rss / MIB),
                )
            )
        rows.sort(key=lambda row: (-row.cpu, -row.memory, row.pid))
        self.previous = (now, current)
        self.names = {ident: name for ident, name in self.names.items() if ident in current}
        return ProcessSample(rows=rows, alive=frozenset(current))

    def name_of(self, times: ProcessTimes) -> str:
        name = self.names.get(times.ident)
        if name is None:
            name = self.names[times.ident] = display_name(times, self.proc)[:60]
        return name
