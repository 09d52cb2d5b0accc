"""p50 and p99 latency vs viewers per mode (log-log), one panel per update rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .report import MODE_ORDER

COLORS = {
    "pushpin": "tab:blue",
    "raw": "tab:purple",
    "embedded": "tab:orange",
    "polling": "tab:green",
    "redis": "tab:red",
}


def plot(points: list[dict[str, Any]], rates: list[float], path: Path, title: str) -> bool:
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rates), figsize=(6 * len(rates), 4.5), squeeze=False)
    for ax, rate in zip(axes[0], rates, strict=True):
        for mode in MODE_ORDER:
            got = sorted(
                (
                    p
                    for p in points
                    if p["mode"] == mode
                    and p["rate"] == rate
                    and p.get("latency_ms", {}).get("count")
                ),
                key=lambda p: p["viewers"],
            )
            if not got:
                continue
            n = [p["viewers"] for p in got]
            color = COLORS[mode]
            ax.plot(
                n, [p["latency_ms"]["p99"] for p in got], "-o", color=color, label=f"{mode} p99"
            )
            ax.plot(
                n,
                [p["latency_ms"]["p50"] for p in got],
                "--s",
                color=color,
                alpha=0.6,
                markersize=4,
                label=f"{mode} p50",
            )
            bad = [p for p in got if not p["ok"]]
            ax.plot(
                [p["viewers"] for p in bad],
                [p["latency_ms"]["p99"] for p in bad],
                "x",
                color="black",
                markersize=10,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axhline(250, color="grey", linewidth=0.8, linestyle=":", label="250 ms")
        ax.set_xlabel("viewers")
        ax.set_ylabel("push() call -> client receipt, ms")
        ax.set_title(f"{rate:g} update/s (x: point did not hold)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
