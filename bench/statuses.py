"""Django's responses counted by status class, shared with the harness through a file.

bench.status_asgi (Django's ASGI application wrapped, for uvicorn) counts every response it
starts, and every request whose application raised before answering (uvicorn answers those
500 itself), into ``BENCH_STATUS_FILE``: a few little-endian u64 at fixed offsets, through a
shared mmap, exact at any instant, as bench.project.middleware's request counter is. Kept
outside bench/project so a drill can count 5xx without touching the project it measures.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

ENV = "BENCH_STATUS_FILE"
FIELDS = ("responses", "2xx", "3xx", "4xx", "5xx", "raised")
COUNTERS = struct.Struct(f"<{len(FIELDS)}Q")


class StatusCounter:
    """The writing side: one process (uvicorn's single worker) owns the counts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.ftruncate(fd, COUNTERS.size)
            self.shared = mmap.mmap(fd, COUNTERS.size)
        finally:
            os.close(fd)
        self.counts = [0] * len(FIELDS)

    def response(self, status: int) -> None:
        self.counts[0] += 1
        kind = status // 100
        if 2 <= kind <= 5:
            self.counts[kind - 1] += 1
        self._write()

    def raised(self) -> None:
        self.counts[FIELDS.index("raised")] += 1
        self._write()

    def _write(self) -> None:
        COUNTERS.pack_into(self.shared, 0, *self.counts)


def read(path: str | os.PathLike[str]) -> dict[str, int]:
    """The counts from the harness's side (all 0 before the first response)."""
    try:
        data = Path(path).read_bytes()[: COUNTERS.size]
    except FileNotFoundError:
        data = b""
    values = COUNTERS.unpack(data) if len(data) == COUNTERS.size else (0,) * len(FIELDS)
    return dict(zip(FIELDS, values, strict=True))
