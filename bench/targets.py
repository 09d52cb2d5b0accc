"""The side-by-side ratios and the issue's targets, computed from measured points only.

Where a denominator was measured as zero (Pushpin mode makes no Django requests in a window;
CPU is read in 10 ms ticks) the ratio is a lower bound, computed with one request or one tick
in its place, and marked ``bound: ">="``.
"""

from __future__ import annotations

from typing import Any

TICK_S = 0.01
P99_BOUNDS_S = (0.25, 1.0, 5.0)
SAME_P99_S = 1.0  # the bound at which "more viewers than embedded" is judged


def measured(points: list[dict], mode: str, n: int, rate: float) -> dict[str, Any] | None:
    for p in points:
        if (p["mode"], p["viewers"], p["rate"]) == (mode, n, rate) and "latency_ms" in p:
            return p
    return None


def ratio(big: float, small: float, floor: float) -> dict[str, Any]:
    bound = small < floor
    return {"value": round(big / max(small, floor), 1), "bound": ">=" if bound else "="}


def django_cpu(p: dict[str, Any]) -> float:
    """Django's CPU for a window: the server process plus the publishing process."""
    return p["django"]["cpu_s"] + p["publisher"]["cpu_s"]


def max_viewers(points: list[dict], mode: str, rate: float, p99_s: float) -> int:
    held = [
        p["viewers"]
        for p in points
        if p["mode"] == mode
        and p["rate"] == rate
        and p.get("ok")
        and p["latency_ms"]["p99"] <= p99_s * 1000
    ]
    return max(held, default=0)


def vs_polling(points: list[dict], n: int = 1000, rate: float = 1) -> dict[str, Any] | None:
    ours, poll = measured(points, "pushpin", n, rate), measured(points, "polling", n, rate)
    if not ours or not poll:
        return None
    return {
        "viewers": n,
        "rate": rate,
        "requests": {
            "pushpin": ours["django"]["requests"],
            "polling": poll["django"]["requests"],
            "ratio": ratio(poll["django"]["requests"], ours["django"]["requests"], 1),
        },
        "server_cpu_s": {
            "pushpin": ours["django"]["cpu_s"],
            "polling": poll["django"]["cpu_s"],
            "ratio": ratio(poll["django"]["cpu_s"], ours["django"]["cpu_s"], TICK_S),
        },
        "django_cpu_s": {
            "pushpin": round(django_cpu(ours), 3),
            "polling": round(django_cpu(poll), 3),
            "ratio": ratio(django_cpu(poll), django_cpu(ours), TICK_S),
        },
        "polling_held": poll["ok"],
        "polling_cpu_ms_per_request": round(
            1000 * poll["django"]["cpu_s"] / max(1, poll["django"]["requests"]), 2
        ),
        "polling_requests_per_viewer_s": poll["django"]["requests_per_viewer_s"],
    }


def per_update_ms(p: dict[str, Any]) -> float:
    """Django's CPU per update: server process plus publishing process."""
    return p["django"]["cpu_per_update_ms"] + p["publisher"]["cpu_per_update_ms"]


def cpu_per_update(
    points: list[dict], rate: float, small: int = 10, big: int = 5000
) -> dict | None:
    a, b = measured(points, "pushpin", small, rate), measured(points, "pushpin", big, rate)
    if not a or not b:
        return None
    before, after = per_update_ms(a), per_update_ms(b)
    return {
        "rate": rate,
        "ms_per_update": {str(small): round(before, 3), str(big): round(after, 3)},
        "server_ms": {
            str(small): a["django"]["cpu_per_update_ms"],
            str(big): b["django"]["cpu_per_update_ms"],
        },
        "publisher_ms": {
            str(small): a["publisher"]["cpu_per_update_ms"],
            str(big): b["publisher"]["cpu_per_update_ms"],
        },
        "change_pct": round(100 * (after - before) / before, 1) if before else None,
    }


def rss_per_connection(points: list[dict]) -> dict[str, Any] | None:
    held = [p for p in points if p["mode"] == "pushpin" and "memory" in p and p["viewers"] >= 1000]
    if not held:
        return None
    p = max(held, key=lambda q: q["viewers"])
    parts = {
        name.split("/", 1)[1]: m["kb_per_connection"]
        for name, m in p["memory"].items()
        if name.startswith("pushpin/")
    }
    return {"viewers": p["viewers"], **p["memory"]["pushpin"], "parts": parts}


def summarize(points: list[dict], micro: dict[str, Any], rates: list[float]) -> dict[str, Any]:
    out: dict[str, Any] = {"vs_polling": vs_polling(points)}
    modes = sorted({p["mode"] for p in points})
    out["max_viewers"] = {
        f"{rate:g}/s": {
            f"p99<={b:g}s": {m: max_viewers(points, m, rate, b) for m in modes}
            for b in P99_BOUNDS_S
        }
        for rate in rates
    }
    out["cpu_per_update"] = {f"{r:g}/s": cpu_per_update(points, r) for r in rates}
    out["rss_per_connection"] = rss_per_connection(points)
    out["targets"] = targets(points, micro, out)
    return out


def target(name: str, measured_text: str, met: bool | None) -> dict[str, Any]:
    return {
        "target": name,
        "measured": measured_text,
        "status": "not measured" if met is None else "met" if met else "not met",
    }


def targets(points: list[dict], micro: dict[str, Any], s: dict[str, Any]) -> list[dict]:
    rows = []
    p = measured(points, "pushpin", 10000, 1)
    rows.append(
        target(
            "10,000 viewers at 1 update/s: 0 lost, p99 <= 250 ms",
            f"{p['deliveries']['lost']} lost, p99 {p['latency_ms']['p99']:.0f} ms" if p else "-",
            (p["deliveries"]["lost"] == 0 and p["latency_ms"]["p99"] <= 250) if p else None,
        )
    )
    # One row per rate: at 1/s a window holds few updates, so 10 ms CPU ticks weigh more.
    for rate, c in (s["cpu_per_update"] or {"1/s": None}).items():
        rows.append(
            target(
                f"Django CPU per update at 5,000 viewers within 10% of 10 viewers ({rate})",
                change_text(c),
                abs(c["change_pct"]) <= 10 if c and c["change_pct"] is not None else None,
            )
        )
    v = s["vs_polling"]
    for key, label, need in (
        ("requests", "Django requests", 500),
        ("django_cpu_s", "Django CPU", 50),
    ):
        r = v[key]["ratio"] if v else None
        rows.append(
            target(
                f">= {need}x fewer {label} than 1 s polling at 1,000 viewers",
                f"{r['bound']} {r['value']:,.0f}x" if r else "-",
                r["value"] >= need if r else None,
            )
        )
    e = s["max_viewers"].get("1/s", {}).get(f"p99<={SAME_P99_S:g}s") or {}
    ours, emb = e.get("pushpin", 0), e.get("embedded", 0)
    # 0 held is a result only if embedded was tried at the smallest N Pushpin was.
    tried = [p["viewers"] for p in points if p["mode"] == "embedded" and "latency_ms" in p]
    smallest = min((p["viewers"] for p in points if p["mode"] == "pushpin"), default=0)
    known = "embedded" in e and (emb > 0 or (tried and min(tried) <= smallest))
    rows.append(
        target(
            f">= 5x more viewers than embedded at the same p99 (<= {SAME_P99_S:g} s, 1/s)",
            f"{ours:,} vs {emb:,} viewers" if known else "-",
            (ours >= 5 * emb and ours > 0) if known else None,
        )
    )
    t = micro.get("throughput", {})
    label = "batch" if t.get("batch_available") else "plain"
    how = "batch()" if label == "batch" else "plain push() loop: batch() not available yet"
    u = t.get(label, {}).get("updates_per_s")
    rows.append(
        target(
            ">= 2,000 component updates/s from one publisher process",
            f"{u:,.0f}/s ({how})" if u else "-",
            u >= 2000 if u else None,
        )
    )
    r = micro.get("render", {}).get("p99_ms")
    rows.append(target("Stat render p99 <= 1 ms", f"{r} ms" if r else "-", r <= 1 if r else None))
    m = s["rss_per_connection"]
    k = m["kb_per_connection"] if m else None
    rows.append(
        target(
            "Pushpin RSS <= 40 KB per held connection",
            f"{k:.1f} KB at {m['viewers']:,} viewers" if k is not None else "-",
            k <= 40 if k is not None else None,
        )
    )
    return rows


def change_text(c: dict[str, Any] | None) -> str:
    if not c or c["change_pct"] is None:
        return "-"
    ms, server = c["ms_per_update"], c["server_ms"]
    return (
        f"{ms['10']:.2f} -> {ms['5000']:.2f} ms ({c['change_pct']:+.1f}%; server alone "
        f"{server['10']:.2f} -> {server['5000']:.2f})"
    )
