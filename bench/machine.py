"""What the numbers were measured on: CPU, cores, memory, kernel, and software versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpuinfo() -> dict[str, Any]:
    text = Path("/proc/cpuinfo").read_text()
    models = [
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.startswith("model name")
    ]
    mhz = [
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("cpu MHz")
    ]
    return {
        "model": models[0] if models else "?",
        "logical_cpus": len(models),
        "mhz": mhz[0] if mhz else None,
    }


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def _version(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else None


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def info() -> dict[str, Any]:
    import resource

    return {
        "cpu": _cpuinfo(),
        "nproc": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rlimit_nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
        "loadavg_at_start": os.getloadavg(),
        "versions": {
            "django": _package("django"),
            "django-eventstream": _package("django-eventstream"),
            "django-grip": _package("django-grip"),
            "uvicorn": _package("uvicorn"),
            "uvloop": _package("uvloop"),
            "httptools": _package("httptools"),
            "redis-py": _package("redis"),
            "pushpin": _version(["pushpin", "--version"]),
            "redis-server": _version(["redis-server", "--version"]),
        },
    }
