"""Network throughput of this machine, from the counters in /proc/net/dev (all interfaces).

Like the CPU sampler, a rate needs two samples: the sampler keeps the previous one, so in a
long-running ``refresh --every 1`` each call measures the last second, and calls close together
(the Stats and the Chart of one refresh) share one measurement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Counters:
    received: int  # bytes
    sent: int
    packets: int  # received + sent


def read_counters(proc: Path = PROC) -> Counters:
    received = sent = packets = 0
    with open(proc / "net" / "dev") as dev:
        for line in dev.readlines()[2:]:  # two header lines
            fields = line.split(":", 1)[1].split()
            received += int(fields[0])
            sent += int(fields[8])
            packets += int(fields[1]) + int(fields[9])
    return Counters(received, sent, packets)


@dataclass(frozen=True)
class Rates:
    received_kb: float  # KB/s
    sent_kb: float
    packets: float  # per second


class NetworkSampler:
    def __init__(self, proc: Path = PROC, reuse_within: float = 0.5) -> None:
        self.proc = proc
        self.reuse_within = reuse_within
        self.previous: tuple[float, Counters] | None = None
        self.rates = Rates(0.0, 0.0, 0.0)

    def __call__(self) -> Rates:
        now = time.monotonic()
        if self.previous is not None and now - self.previous[0] < self.reuse_within:
            return self.rates
        current = read_counters(self.proc)
        if self.previous is not None:
            seconds = now - self.previous[0]
            before = self.previous[1]
            self.rates = Rates(
                received_kb=(current.received - before.received) / 1024 / seconds,
                sent_kb=(current.sent - before.sent) / 1024 / seconds,
                packets=(current.packets - before.packets) / seconds,
            )
        self.previous = (now, current)
        return self.rates


network_rates = NetworkSampler()
