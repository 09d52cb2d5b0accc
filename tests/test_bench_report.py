"""bench.report's points table: the raw stack's rows next to ours, with the same columns."""

from __future__ import annotations

from typing import Any

from bench import report


def point(mode: str, refused: int, pushpin: bool) -> dict[str, Any]:
    measured: dict[str, Any] = {
        "mode": mode,
        "viewers": 1000,
        "rate": 1,
        "open": 1000 - refused,
        "ok": not refused,
        "failures": [f"{refused} viewers could not connect"] if refused else [],
        "connect": {"ok": 1000 - refused, "failed": refused},
        "latency_ms": {"count": 9, "p50": 12.5, "p90": 20.0, "p99": 31.5, "max": 40.0},
        "deliveries": {"expected": 9000, "received": 8990, "lost": 10},
        "django": {"cpu_s": 0.5, "cpu_per_update_ms": 50.0, "requests": 0,
                   "requests_per_viewer_s": 0.0},
        "publisher": {"cpu_per_update_ms": 4.0},
        "client": {"cpu_pct": 20.0, "saturated": False},
    }  # fmt: skip
    if pushpin:
        measured["pushpin"] = {"cpu_s": 0.75, "cpu_per_update_ms": 75.0}
    return measured


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_raw_rows_follow_ours_with_open_refused_and_pushpin_cpu() -> None:
    skipped = {"mode": "raw", "viewers": 10, "rate": 1, "ok": None, "skipped": "budget"}
    points = [point("embedded", 0, False), point("raw", 300, True), point("pushpin", 0, True)]
    header, _, *rows = report.points_table([*points, skipped], 1)
    columns = cells(header)
    assert all(len(cells(row)) == len(columns) for row in rows)
    by_column = [dict(zip(columns, cells(row), strict=True)) for row in rows]
    assert [(r["mode"], r["viewers"]) for r in by_column] == [
        ("pushpin", "1,000"), ("raw", "10"), ("raw", "1,000"), ("embedded", "1,000"),
    ]  # fmt: skip
    ours, _, raw, embedded = by_column
    assert (ours["open / refused"], raw["open / refused"]) == ("1,000 / 0", "700 / 300")
    assert raw["held"] == "NO" and "300 viewers could not connect" in raw["notes"]
    assert raw["Pushpin CPU s (ms/update)"] == "0.75 (75.00)"
    assert embedded["Pushpin CPU s (ms/update)"] == "-"  # no Pushpin in that mode
    assert (raw["lost / expected"], raw["p50 ms"], raw["p99 ms"]) == ("10 / 9,000", "12.5", "31.5")
    assert by_column[1]["notes"] == "budget"
