"""Host metrics read straight from Linux's /proc: no psutil needed.

CPU usage is a rate, so it needs two samples of /proc/stat. The sampler keeps the previous
one in memory: in a long-running ``refresh --every 1`` each call measures the last second.
The first call (or one after a long pause) takes a short sample of its own. Calls close
together (the Stat and the Chart in one refresh) share one measurement.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
GIB = 1024**3


@dataclass(frozen=True)
class CpuTimes:
    busy: int
    total: int


def read_cpu_times(proc: Path = PROC) -> CpuTimes:
    """The aggregate ``cpu`` line of /proc/stat, in clock ticks."""
    with open(proc / "stat") as stat:
        fields = [int(part) for part in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user/nice).
    ticks = fields[:8]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    total = sum(ticks)
    return CpuTimes(busy=total - idle, total=total)


class CpuSampler:
    """CPU busy % since the previous call."""

    def __init__(
        self,
        proc: Path = PROC,
        first_sample: float = 0.2,
        reuse_within: float = 0.5,
        max_age: float = 10.0,
    ) -> None:
        self.proc = proc
        self.first_sample = first_sample
        self.reuse_within = reuse_within
        self.max_age = max_age
        self.previous: tuple[float, CpuTimes] | None = None
        self.percent: float | None = None

    def __call__(self) -> float:
        now = time.monotonic()
        if self.previous is not None:
            age = now - self.previous[0]
            if self.percent is not None and age < self.reuse_within:
                return self.percent
            if age > self.max_age:
                self.previous = None
        if self.previous is None:
            self.previous = (now, read_cpu_times(self.proc))
            time.sleep(self.first_sample)
            now = time.monotonic()
        current = read_cpu_times(self.proc)
        before = self.previous[1]
        elapsed = current.total - before.total
        busy = current.busy - before.busy
        self.percent = round(100.0 * busy / elapsed, 1) if elapsed > 0 else 0.0
        self.percent = min(max(self.percent, 0.0), 100.0)
        self.previous = (now, current)
        return self.percent


cpu_percent = CpuSampler()


def read_core_times(proc: Path = PROC) -> list[CpuTimes]:
    """The ``cpu0``, ``cpu1``... lines of /proc/stat: each core's times, in clock ticks."""
    cores = []
    with open(proc / "stat") as stat:
        for line in stat:
            name, _, rest = line.partition(" ")
            if not (name.startswith("cpu") and name[3:].isdigit()):
                continue
            ticks = [int(part) for part in rest.split()[:8]]
            idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
            cores.append(CpuTimes(busy=sum(ticks) - idle, total=sum(ticks)))
    return cores


class CoreSampler:
    """Each core's busy % since the previous call (the "CPU per core" heatmap), measured like
    :class:`CpuSampler`: a short sample of its own on the first call or after a long pause."""

    def __init__(self, proc: Path = PROC, first_sample: float = 0.2, max_age: float = 10.0):
        self.proc = proc
        self.first_sample = first_sample
        self.max_age = max_age
        self.previous: tuple[float, list[CpuTimes]] | None = None

    def __call__(self) -> list[float]:
        now = time.monotonic()
        if self.previous is not None and now - self.previous[0] > self.max_age:
            self.previous = None
        if self.previous is None:
            self.previous = (now, read_core_times(self.proc))
            time.sleep(self.first_sample)
            now = time.monotonic()
        current = read_core_times(self.proc)
        before = self.previous[1]
        if len(before) != len(current):  # a core went on- or offline: sample again
            self.previous = None
            return self()
        percents = []
        for old, new in zip(before, current, strict=True):
            elapsed, busy = new.total - old.total, new.busy - old.busy
            share = 100.0 * busy / elapsed if elapsed > 0 else 0.0
            percents.append(round(min(max(share, 0.0), 100.0), 1))
        self.previous = (now, current)
        return percents


core_percents = CoreSampler()


@dataclass(frozen=True)
class Memory:
    total: int
    available: int

    @property
    def used(self) -> int:
        return self.total - self.available

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.total, 1) if self.total else 0.0


def read_memory(proc: Path = PROC) -> Memory:
    """MemTotal and MemAvailable from /proc/meminfo, in bytes."""
    values: dict[str, int] = {}
    with open(proc / "meminfo") as meminfo:
        for line in meminfo:
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024
    available = values.get("MemAvailable", values.get("MemFree", 0))
    return Memory(total=values["MemTotal"], available=available)


def read_load(proc: Path = PROC) -> tuple[float, float, float]:
    """Load averages over 1, 5 and 15 minutes."""
    one, five, fifteen = (proc / "loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def read_uptime(proc: Path = PROC) -> float:
    """Seconds since boot."""
    return float((proc / "uptime").read_text().split()[0])


def format_duration(seconds: float) -> str:
    """``3d 4h 12m``, ``4h 12m``, ``12m 5s``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s"


def count_processes(proc: Path = PROC) -> int:
    """Processes visible here: the numeric entries of /proc."""
    return sum(1 for name in os.listdir(proc) if name.isdigit())


def running_processes(proc: Path = PROC) -> int | None:
    """Runnable tasks right now (``procs_running`` in /proc/stat)."""
    with open(proc / "stat") as stat:
        for line in stat:
            if line.startswith("procs_running "):
                return int(line.split()[1])
    return None
