"""What a bench module prints as it goes and writes when it is done, written once."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def sayer(name: str) -> Callable[[str], None]:
    """A progress printer for ``name``: ``[name HH:MM:SS] message`` on stderr."""

    def say(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    return say


def number(value: Any, digits: int = 1) -> str:
    """A figure for a report: thousands separated, floats to ``digits``, None as "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    """A report's targets (``target``, ``measured``, ``met``) as markdown rows, with a header;
    what is not met in bold."""
    rows = ["| target | measured | |", "|---|---|---|"]
    return rows + [
        f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**not met**'} |"
        for t in targets
    ]


def write_results(stem: Path, result: dict[str, Any], markdown: str) -> None:
    """``stem``.json (every figure) and ``stem``.md (the report), which is printed too."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
