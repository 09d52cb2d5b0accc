"""The short Markdown report: points, side-by-side ratios, targets, micro-benchmarks, notes."""

from __future__ import annotations

from typing import Any

MODE_ORDER = ("pushpin", "raw", "embedded", "polling", "redis")


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}" if isinstance(value, int | float) else str(value)


def points_table(points: list[dict[str, Any]], rate: float) -> list[str]:
    rows = [
        "| mode | viewers | open / refused | held | lost / expected | p50 ms | p90 ms | p99 ms "
        "| max ms | Django CPU s (ms/update) | Pushpin CPU s (ms/update) "
        "| Django req (/viewer/s) | publisher ms/update | client CPU | notes |",
        "|---|--:|--:|:-:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    chosen = [p for p in points if p["rate"] == rate]
    chosen.sort(key=lambda p: (MODE_ORDER.index(p["mode"]), p["viewers"]))
    for p in chosen:
        head = f"| {p['mode']} | {p['viewers']:,} "
        if "latency_ms" not in p:
            why = p.get("skipped") or "; ".join(p.get("failures", []))
            rows.append(head + "| - " * 12 + f"| {why} |")
            continue
        lat, d = p["latency_ms"], p.get("deliveries")
        lost = f"{d['lost']:,} / {d['expected']:,}" if d else "n/a (polling)"
        notes = "; ".join(p["failures"])
        if p["client"]["saturated"]:
            notes = (notes + "; " if notes else "") + "client CPU-saturated: latency upper bound"
        if p.get("repeats", 1) > 1:
            notes = (notes + "; " if notes else "") + f"median of {p['repeats']} windows"
        dj, pp = p["django"], p.get("pushpin")
        pushpin_cpu = f"{pp['cpu_s']:.2f} ({pp['cpu_per_update_ms']:.2f})" if pp else "-"
        rows.append(
            head + f"| {open_refused(p)} | {'yes' if p['ok'] else 'NO'} | {lost} "
            f"| {_n(lat['p50'], 1)} | {_n(lat['p90'], 1)} | {_n(lat['p99'], 1)} "
            f"| {_n(lat['max'], 1)} | {dj['cpu_s']:.2f} ({dj['cpu_per_update_ms']:.2f}) "
            f"| {pushpin_cpu} "
            f"| {dj['requests']:,} ({dj['requests_per_viewer_s']:.3g}) "
            f"| {p['publisher']['cpu_per_update_ms']:.2f} | {p['client']['cpu_pct']:.0f}% "
            f"| {notes} |"
        )
    return rows


def open_refused(point: dict[str, Any]) -> str:
    """Viewers open at the window's start / viewers that could not connect (never retried)."""
    refused = point.get("connect", {}).get("failed")
    return f"{point['open']:,} / {'-' if refused is None else f'{refused:,}'}"


def ratios(summary: dict[str, Any]) -> list[str]:
    out = ["## Side by side", ""]
    v = summary.get("vs_polling")
    if v:
        out += [
            f"**Pushpin vs 1 s polling at {v['viewers']:,} viewers, {v['rate']:g} update/s** "
            "(per measurement window, medians where repeated; CPU in 10 ms ticks):",
            "",
            "| | pushpin | polling | polling / pushpin |",
            "|---|--:|--:|--:|",
        ]
        for key, label in (
            ("requests", "Django requests in window"),
            ("server_cpu_s", "Django server CPU s"),
            ("django_cpu_s", "Django CPU s (server + publisher)"),
        ):
            r = v[key]
            out.append(
                f"| {label} | {r['pushpin']:,} | {r['polling']:,} "
                f"| {r['ratio']['bound']} {r['ratio']['value']:,.0f}x |"
            )
        held = "held" if v["polling_held"] else "did NOT hold (see table)"
        per_request = v.get("polling_cpu_ms_per_request", "?")
        out += [
            "",
            f"Polling {held}; it was served {v['polling_requests_per_viewer_s']:.2f} requests "
            f"per viewer per second (1.0 asked), at {per_request} ms of "
            "Django CPU per request. Where polling is saturated the ratios are lower bounds.",
            "",
        ]
    out += [
        "**Most viewers held** (0 errors, <= 1% lost, p99 within the bound; grid-limited):",
        "",
    ]
    for rate, bounds in summary["max_viewers"].items():
        modes = [m for m in MODE_ORDER if m in next(iter(bounds.values()))]
        out += [f"| {rate} | " + " | ".join(modes) + " |", "|---" + "|--:" * len(modes) + "|"]
        for bound, values in bounds.items():
            out.append(f"| {bound} | " + " | ".join(f"{values[m]:,}" for m in modes) + " |")
        out.append("")
    for rate, c in summary["cpu_per_update"].items():
        if c:
            ms = c["ms_per_update"]
            out.append(
                f"- Django CPU per update at {rate} (server + publisher): 10 viewers "
                f"{ms['10']} ms, 5,000 viewers {ms['5000']} ms ({c['change_pct']:+.1f}%); "
                f"server alone {c['server_ms']['10']} / {c['server_ms']['5000']} ms."
            )
    m = summary.get("rss_per_connection")
    if m:
        out.append(
            f"- Pushpin RSS: {m['rss_kb_before'] / 1024:.0f} MB idle, "
            f"{m['rss_kb_at_n'] / 1024:.0f} MB with {m['viewers']:,} streams: "
            f"**{m['kb_per_connection']:.1f} KB per held connection**"
            + (
                " (" + ", ".join(f"{k} {v:.1f}" for k, v in sorted(m["parts"].items())) + " KB)."
                if m.get("parts")
                else "."
            )
        )
    return [*out, ""]


def micro_section(micro: dict[str, Any]) -> list[str]:
    out = ["## Micro-benchmarks", ""]
    t = micro.get("throughput", {})
    if "error" in t:
        out.append(f"Publisher throughput failed: `{t['error'][-300:]}`")
    elif t:
        out += ["| one publisher process, 50 Stats | updates/s | CPU ms/update |", "|---|--:|--:|"]
        for key, label in (
            ("plain", "plain push(), one component per call"),
            ("multi_component", "push() of 50 components in one call"),
            ("batch", "dashboards_sse.batch(): 50 push() calls"),
        ):
            if key in t:
                out.append(
                    f"| {label} | {t[key]['updates_per_s']:,.0f} | {t[key]['cpu_per_update_ms']} |"
                )
        if not t.get("batch_available"):
            out.append(
                "| dashboards_sse.batch() | not available yet: the target is judged on the "
                "plain loop | |"
            )
    out += buffers_section(micro.get("buffers"))
    r = micro.get("render", {})
    if "p99_ms" in r:
        out += [
            "",
            f"Stat render over {r['count']:,} renders: p50 {r['p50_ms']} ms, "
            f"p90 {r['p90_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms.",
        ]
    return [*out, ""]


def buffers_section(b: dict[str, Any] | None) -> list[str]:
    """The client_buffer_size tuning, measured side by side in this run."""
    if not b:
        return []
    out = [
        "",
        f"**Pushpin tuning** — condure's `client_buffer_size` at upstream's 8192 vs our 4096, "
        f"{b['viewers']:,} held viewers, 1 update/s:",
        "",
        "| client_buffer_size | KB per connection (all) | condure | zurl | proxy | handler "
        "| p99 ms | lost |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for size in ("8192", "4096"):
        got = b.get(size, {})
        mem = got.get("memory", {})

        def kb(name: str, mem: dict[str, Any] = mem) -> str:
            value = mem.get(name, {}).get("kb_per_connection")
            return "-" if value is None else f"{value:.1f}"

        p99 = (got.get("latency_ms") or {}).get("p99", "-")
        out.append(
            f"| {size} | {kb('pushpin')} | {kb('pushpin/condure')} | {kb('pushpin/zurl')} "
            f"| {kb('pushpin/pushpin-proxy')} | {kb('pushpin/pushpin-handler')} | {p99} "
            f"| {got.get('lost', '-')} |"
        )
    return out


def render(result: dict[str, Any], plot_name: str | None) -> str:
    m, s = result["machine"], result["summary"]
    out = [
        f"# dashboards_sse benchmark — {result['date']}{' (quick)' if result['quick'] else ''}",
        "",
        f"{m['cpu']['model']}, {m['nproc']} cores, {m['memory_mb'] // 1024} GB; Python "
        f"{m['python']}, Django {m['versions']['django']}, {m['versions']['pushpin']}, "
        f"{redis_version(m)}. Run took "
        f"{result['elapsed_s'] / 60:.1f} min; windows of {result['options']['duration']:g} s.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    out += [f"| {t['target']} | {t['measured']} | **{t['status']}** |" for t in s["targets"]]
    out.append("")
    if plot_name:
        out += [f"![p50 and p99 latency vs viewers]({plot_name})", ""]
    for rate in result["options"]["rates"]:
        out += [f"## {rate:g} update/s", "", *points_table(result["points"], rate), ""]
    out += ratios(s) + micro_section(result["micro"])
    out += ["## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(out) + "\n"


def redis_version(m: dict[str, Any]) -> str:
    text = m["versions"].get("redis-server") or ""
    return " ".join(text.split()[:3]) or "no redis-server"
