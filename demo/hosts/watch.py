"""What the publisher notices, for the "Latest events" feed, and the machine's overall status.

Once a second the publisher's refresh samples the processes (``processes.ProcessSampler``) and
the machine; :class:`Events` compares each sample with the ones before and says what is worth
telling: the publisher starting, a process starting or exiting among the busiest ones (once it
stayed busy for a few seconds), CPU crossing its warning threshold and coming back (with
hysteresis, so it does not flap), the machine's status changing. Each event is a Feed item
with its own id, so pushing one twice replaces it instead of showing it twice.

:class:`Watch` ties it together for the dashboard's providers: one sample per refresh however
many providers ask, and the events collected until ``take_events()`` (the dashboard's
``refresh``) pushes them.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import metrics
from .processes import CLOCK_TICKS, ProcessRow, ProcessSample, ProcessSampler

TOP = 8  # rows of "Processes by CPU"
# The dashboard's thresholds; the status and the events use the same bounds.
CPU_THRESHOLDS = [(0, "ok"), (60, "warn"), (85, "crit")]
MEMORY_THRESHOLDS = [(0, "ok"), (85, "warn"), (95, "crit")]
LOAD_THRESHOLDS = [(0, "ok"), (1.0, "warn"), (2.0, "crit")]  # load average per core
CPU_HIGH = 60.0  # an event when CPU reaches this...
CPU_NORMAL = 50.0  # ...and another when it is back below this
BUSY_CPU = 10.0  # % of a core: below, a process among the "busiest" is no news

Item = dict[str, Any]


def system_status(load_per_core: float, memory_percent: float) -> dict[str, str]:
    """The machine in one word: ``ok``, ``warn`` (busy) or ``down`` (overloaded), with the
    reason as the badge's text (so it reads without its colour)."""
    load_warn, load_down = LOAD_THRESHOLDS[1][0], LOAD_THRESHOLDS[2][0]
    memory_warn, memory_down = MEMORY_THRESHOLDS[1][0], MEMORY_THRESHOLDS[2][0]
    if memory_percent >= memory_down:
        return {"status": "down", "text": f"Out of memory: {memory_percent:.0f} %"}
    if load_per_core >= load_down:
        return {"status": "down", "text": f"Overloaded: load {load_per_core:.1f}/core"}
    if memory_percent >= memory_warn:
        return {"status": "warn", "text": f"Memory low: {memory_percent:.0f} % used"}
    if load_per_core >= load_warn:
        return {"status": "warn", "text": f"Busy: load {load_per_core:.1f}/core"}
    return {"status": "ok", "text": "Healthy"}


def short_duration(seconds: float) -> str:
    """``4s``, ``3m 5s``, ``2h 10m``, ``3d 4h``."""
    whole = max(int(seconds), 0)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def who(rows: list[ProcessRow]) -> str:
    """``python3 -c (pid 12)``, or ``chromium (pids 12, 13, 15)`` for several of one name."""
    pids = ", ".join(str(row.pid) for row in rows[:4]) + (", …" if len(rows) > 4 else "")
    return f"{rows[0].name} (pid{'s' if len(rows) > 1 else ''} {pids})"


def by_name(rows: Iterable[ProcessRow]) -> list[list[ProcessRow]]:
    groups: dict[str, list[ProcessRow]] = {}
    for row in rows:
        groups.setdefault(row.name, []).append(row)
    return list(groups.values())


@dataclass(frozen=True)
class Observation:
    processes: ProcessSample
    cpu: float
    status: dict[str, str]
    uptime: float


@dataclass
class Events:
    """Compares each observation with the ones before; returns the Feed items worth showing.

    What counts as news, so the feed tells a story rather than ticking:

    - the first observation: the publisher started;
    - a process that started since then and stayed among the ``top`` busiest, using at least
      ``BUSY_CPU`` % of a core, for ``busy_for`` observations in a row (a short-lived compiler
      or test run is no news); several of one name at once make one item;
    - such a process exiting, or any process exiting that had been that busy for ``busy_for``
      observations, with how long it ran;
    - CPU reaching ``CPU_HIGH`` %, or falling back under ``CPU_NORMAL`` %, for ``settle``
      observations in a row;
    - the machine's status (``system_status``) changing, for ``settle`` observations in a row.
    """

    top: int = TOP
    busy_for: int = 5
    settle: int = 3
    clock: Callable[[], float] = time.time
    at_start: frozenset[tuple[int, int]] | None = None  # the processes already running
    streaks: dict[tuple[int, int], int] = field(default_factory=dict)  # observations in top
    shown: dict[tuple[int, int], ProcessRow] = field(default_factory=dict)  # the last top
    reported: dict[tuple[int, int], ProcessRow] = field(default_factory=dict)  # said started
    cpu_high: bool = False
    cpu_turning: int = 0  # observations in a row on the other side of the CPU threshold
    status: str | None = None
    status_turning: int = 0

    def observe(self, seen: Observation) -> list[Item]:
        now = self.clock()
        items: list[Item] = []

        def add(kind: str, title: str, text: str, level: str = "info") -> None:
            item = {"id": f"{kind}-{now:.3f}", "title": title, "text": text, "level": level}
            items.append({**item, "time": now})

        top = seen.processes.rows[: self.top]
        busy = [row for row in top if row.cpu >= BUSY_CPU]
        streaks = {row.ident: self.streaks.get(row.ident, 0) + 1 for row in busy}
        if self.at_start is None:
            self.at_start = seen.processes.alive
            self.cpu_high = seen.cpu >= CPU_HIGH
            self.status = seen.status["status"]
            count, health = len(seen.processes.alive), seen.status["text"].lower()
            add(
                "publisher",
                "Publisher started",
                f"watching {count} user-space processes; CPU {seen.cpu:.1f} %, {health}",
            )
        else:
            self._processes(seen, busy, streaks, add)
            self._cpu(seen, top, add)
            self._status(seen, add)
        self.streaks = streaks
        self.shown = {row.ident: row for row in top}
        return items

    def _processes(
        self,
        seen: Observation,
        busy: list[ProcessRow],
        streaks: dict[tuple[int, int], int],
        add: Callable[..., None],
    ) -> None:
        assert self.at_start is not None
        started = [
            row
            for row in busy
            if streaks[row.ident] == self.busy_for
            and row.ident not in self.at_start
            and row.ident not in self.reported
        ]
        for group in by_name(started):
            cpu = max(row.cpu for row in group)
            add(f"started-{group[0].pid}", "Started", f"{who(group)}, {cpu:.0f} % CPU")
            self.reported.update((row.ident, row) for row in group)
        alive = seen.processes.alive
        exited = {ident: row for ident, row in self.reported.items() if ident not in alive}
        exited.update(
            (ident, row)
            for ident, row in self.shown.items()
            if ident not in alive and self.streaks.get(ident, 0) >= self.busy_for
        )
        for group in by_name(exited.values()):
            ran = short_duration(seen.uptime - group[0].started / CLOCK_TICKS)
            add(f"exited-{group[0].pid}", "Exited", f"{who(group)} after {ran}")
        for ident in exited:
            self.reported.pop(ident, None)

    def _cpu(self, seen: Observation, top: list[ProcessRow], add: Callable[..., None]) -> None:
        crossing = seen.cpu < CPU_NORMAL if self.cpu_high else seen.cpu >= CPU_HIGH
        self.cpu_turning = self.cpu_turning + 1 if crossing else 0
        if self.cpu_turning < self.settle:
            return
        self.cpu_high, self.cpu_turning = not self.cpu_high, 0
        if self.cpu_high:
            busiest = f"; busiest: {who(top[:1])}, {top[0].cpu:.0f} %" if top else ""
            level = "error" if seen.cpu >= CPU_THRESHOLDS[2][0] else "warn"
            add("cpu-high", f"CPU above {CPU_HIGH:.0f} %", f"{seen.cpu:.1f} %{busiest}", level)
        else:
            add("cpu-normal", "CPU back to normal", f"{seen.cpu:.1f} %", "ok")

    def _status(self, seen: Observation, add: Callable[..., None]) -> None:
        state = seen.status["status"]
        self.status_turning = self.status_turning + 1 if state != self.status else 0
        if self.status_turning < self.settle:
            return
        self.status, self.status_turning = state, 0
        text = "healthy again" if state == "ok" else seen.status["text"]
        add("status", "System", text, {"warn": "warn", "down": "error"}.get(state, "ok"))


@dataclass(frozen=True)
class Snapshot:
    top: list[ProcessRow]
    status: dict[str, str]


class Watch:
    """One observation per refresh (providers asking within ``reuse_within`` seconds share
    it); the events it produced wait in ``pending`` for :meth:`take_events`.

    Only the publisher's ``refresh`` takes them; a page rendered before the first refresh
    may call a provider in the web process, whose events are dropped (``pending`` is short).
    """

    def __init__(
        self,
        processes: Callable[[], ProcessSample] | None = None,
        cpu: Callable[[], float] = metrics.cpu_percent,
        reuse_within: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.processes = processes or ProcessSampler()
        self.cpu = cpu
        self.reuse_within = reuse_within
        self.clock = clock
        self.events = Events()
        self.pending: deque[Item] = deque(maxlen=20)
        self.last: tuple[float, Snapshot] | None = None

    def current(self) -> Snapshot:
        now = self.clock()
        if self.last is not None and now - self.last[0] < self.reuse_within:
            return self.last[1]
        processes = self.processes()
        cores = os.cpu_count() or 1
        status = system_status(metrics.read_load()[0] / cores, metrics.read_memory().percent)
        seen = Observation(processes, self.cpu(), status, metrics.read_uptime())
        self.pending.extend(self.events.observe(seen))
        snapshot = Snapshot(top=processes.rows[: self.events.top], status=status)
        self.last = (now, snapshot)
        return snapshot

    def take_events(self) -> list[Item]:
        taken = list(self.pending)
        self.pending.clear()
        return taken


watch = Watch()
