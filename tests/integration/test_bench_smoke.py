"""``python -m bench --smoke``: the benchmark harness end to end, every mode (ours, the raw
stack, the baselines) with 10 viewers.

Starts real processes (Pushpin, Django under uvicorn, redis-server, a publisher and the viewer
process) through the harness itself and checks the JSON it writes.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MISSING = [name for name in ("numpy", "redis") if importlib.util.find_spec(name) is None]
MISSING += [name for name in ("pushpin", "redis-server") if shutil.which(name) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"bench extra or system packages missing ({', '.join(MISSING)}): "
    "pip install -e '.[bench]' and make system-deps",
)


def run_bench(module: str, out: Path, kind: str, *args: str) -> dict[str, Any]:
    """Run ``python -m <module> ... --out <out>``; the ``*-<kind>.json`` it wrote (and .md)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (result_file,) = out.glob(f"*-{kind}.json")
    assert result_file.with_suffix(".md").exists()
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def test_smoke_run_measures_every_mode(tmp_path: Path) -> None:
    result = run_bench("bench", tmp_path, "smoke", "--smoke")

    assert result["options"]["retries"] == 0
    points = {p["mode"]: p for p in result["points"]}
    assert set(points) == {"pushpin", "raw", "embedded", "polling", "redis"}
    for mode, point in points.items():
        assert point["ok"], (mode, point.get("failures"), point.get("skipped"))
        assert point["connect"]["ok"] == 10 and point["connect"]["failed"] == 0, mode
        assert point["connect"]["retried"] == 0, mode  # the client never retries
        latency = point["latency_ms"]
        assert latency["count"] > 0, mode
        assert 0 < latency["p50"] <= latency["p99"] <= latency["max"] < 5000, (mode, latency)
        assert point["publisher"]["cpu_per_update_ms"] > 0, mode
    for mode in ("pushpin", "raw", "embedded", "redis"):
        deliveries = points[mode]["deliveries"]
        assert deliveries["expected"] == 10 * round(result["options"]["duration"]), mode
        assert deliveries["lost"] == 0 and deliveries["received"] == deliveries["expected"], mode
    # Pushpin holds the streams: no Django request per viewer in the window; polling: ~1/s.
    assert points["pushpin"]["django"]["requests"] == 0
    assert points["polling"]["django"]["requests"] >= 10
    assert points["pushpin"]["memory"]["pushpin"]["rss_kb_at_n"] > 0
    # The raw stack: the same Pushpin in front of django-eventstream's view, measured alike.
    assert points["raw"]["memory"]["pushpin"]["rss_kb_at_n"] > 0
    assert points["raw"]["pushpin"]["cpu_s"] >= 0 and points["raw"]["django"]["cpu_s"] >= 0
    table = (tmp_path / f"{result['date']}-smoke.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith(("| pushpin | 10 ", "| raw "))]
    assert [row.split(" | ")[:3] for row in rows] == [
        ["| pushpin", "10", "10 / 0"],
        ["| raw", "10", "10 / 0"],
    ]  # side by side: raw right after ours, viewers open / refused

    micro = result["micro"]
    assert 0 < micro["render"]["p50_ms"] <= micro["render"]["p99_ms"] < 50
    assert micro["throughput"]["plain"]["updates_per_s"] > 0
    assert result["machine"]["nproc"] >= 1 and result["summary"]["targets"]


@pytest.mark.skipif(shutil.which("pushpin") is None, reason="pushpin not installed")
def test_fanout_bench_measures_every_variant(tmp_path: Path) -> None:
    result = run_bench("bench.fanout", tmp_path, "fanout", "--pushes", "5", "--rounds", "1")
    variants = result["variants"]
    assert [variants[name]["publishes"] for name in ("one", "two", "two_one_down")] == [5] * 3
    assert variants["two"]["partial_errors"] == 0
    assert variants["two_one_down"]["partial_errors"] == 5  # every publish names the dead one


@pytest.mark.skipif(shutil.which("pushpin") is None, reason="pushpin not installed")
def test_multipush_bench_measures_both_variants(tmp_path: Path) -> None:
    result = run_bench(
        "bench.multipush", tmp_path, "multipush-quick", "--quick", "--viewers", "20"
    )
    options, variants = result["options"], result["variants"]
    assert options["viewers"] == 20 and options["components"] == 7
    assert set(variants) == {"before", "after"}
    pushes = options["pushes"] * options["repeats"]
    for name, variant in variants.items():
        assert variant["runs"] == options["repeats"], name
        assert variant["pushes"] == pushes and variant["push_errors"] == 0, name
        assert variant["viewers_open"] == 20 and variant["viewers_refused"] == 0, name
        lost = variant["lost"]
        assert lost["viewer_pushes_expected"] == 20 * pushes, name
        assert lost["viewer_pushes_lost"] == 0 and lost["figures_lost"] == 0, name
        # No gap for Pushpin to recover: Django is not asked anything while pushes run.
        assert variant["django_requests"] <= 2, name
        assert variant["pushpin_cpu_ms_per_push"] >= 0, name
        assert 0 < variant["all_viewers_ms_p50"] <= variant["all_viewers_ms_p99"], name
        assert 0 < variant["viewer_has_push_ms_p50"] <= variant["viewer_has_push_ms_p99"], name
        assert variant["bytes_per_viewer_per_push"] > 0, name
    # Measured by the client: 7 per-component events, and push() sends either one message
    # per push or (before that change) one event per component — never anything else.
    before, after = variants["before"], variants["after"]
    assert before["deliveries_per_viewer_per_push"] == 7
    assert before["per_viewer"]["min"] == before["per_viewer"]["max"] == 7
    assert after["deliveries_per_viewer_per_push"] in (1, 7)
    assert after["per_viewer"]["min"] == after["per_viewer"]["max"]
    assert result["ratios"]["deliveries_per_viewer_per_push"] in (1, 7)
    assert result["facts"]["before_channel"].startswith("events-")


@pytest.mark.skipif(shutil.which("pushpin") is None, reason="pushpin not installed")
def test_scoped_bench_measures_fanout_and_connect_cost(tmp_path: Path) -> None:
    result = run_bench(
        "bench.scoped", tmp_path, "scoped-quick", "--quick", "--scopes", "20", "--per-scope",
        "2", "--stored", "1000", "--connects", "20", "--block", "10", "--interval", "1",
    )  # fmt: skip
    options, fanout = result["options"], result["fanout"]["summary"]
    assert options["scopes"] == 20 and options["viewers"] == 40 and options["retries"] == 0
    rounds = options["rounds"] * options["repeats"]
    # Each viewer gets each round of its own shop, once, and never another shop's.
    assert fanout["viewers_open"] == 40 and fanout["viewers_refused"] == 0
    assert fanout["rounds"] == rounds and fanout["rounds_failed"] == 0
    assert fanout["expected"] == 40 * rounds
    assert fanout["lost"] == 0 and fanout["misdelivered"] == 0 and fanout["duplicates"] == 0
    assert fanout["deliveries_per_viewer_per_round"] == 1
    assert fanout["per_viewer"]["min"] == fanout["per_viewer"]["max"] == 1
    assert 0 < fanout["latency_ms_p50"] <= fanout["latency_ms_p99"]
    assert fanout["django_requests"] <= 2  # Pushpin holds the streams
    assert fanout["pushpin_cpu_ms_per_round"] >= 0 and "met" in fanout["target"]

    cost = result["connect_cost"]
    assert cost["facts"]["table_rows"]["shops"] == 1000
    assert cost["facts"]["table_rows"]["scoped_component_states"] >= 1000
    assert cost["facts"]["hold"]["scoped"]["status"] == 200
    assert cost["facts"]["hold"]["unscoped"]["status"] == 200
    for name in ("unscoped", "scoped"):
        variant = cost["variants"][name]
        assert variant["connects"] == 20 and variant["ok"] == 20, (name, variant["failures"])
        assert variant["django_cpu_ms_per_connect"] > 0, name
        assert variant["django_requests_per_connect"] >= 1, name
    assert cost["ratio_scoped_to_unscoped"] > 0 and "met" in cost["target"]


@pytest.mark.skipif(shutil.which("pushpin") is None, reason="pushpin not installed")
def test_items_bench_measures_row_action_and_whole_table(tmp_path: Path) -> None:
    result = run_bench(
        "bench.items", tmp_path, "items-quick", "--quick", "--viewers", "5", "--pushes", "2",
        "--repeats", "1",
    )  # fmt: skip
    options, variants = result["options"], result["variants"]
    assert options["viewers"] == 5 and options["rows"] == 500 and options["retries"] == 0
    assert set(variants) == {"before", "after"}
    for name, variant in variants.items():
        assert variant["runs"] == 1 and variant["pushes"] == 2, name
        assert variant["push_errors"] == 0, (name, result["runs"][name][0]["push_errors"])
        assert variant["viewers_open"] == 5 and variant["viewers_refused"] == 0, name
        lost = variant["lost"]
        assert lost["viewer_pushes_expected"] == 10 and lost["viewer_pushes_lost"] == 0, name
        assert variant["deliveries_per_viewer_per_push"] == 1, name  # one message per push
        assert variant["per_viewer"]["min"] == variant["per_viewer"]["max"] == 1, name
        assert variant["django_requests"] <= 2, name  # no gap for Pushpin to recover
        assert 0 < variant["all_viewers_ms_p50"] <= variant["all_viewers_ms_p99"], name
        assert variant["pushpin_cpu_ms_per_push"] >= 0, name
    # What went on the wire (read through Pushpin): one insert of one row vs one replace of
    # the whole table; a row action stays small however long the table is.
    wire = result["facts"]["wire"]
    assert [u["action"] for u in wire["after"]["updates"]] == ["insert"]
    assert [u["action"] for u in wire["before"]["updates"]] == ["replace"]
    assert [u["action"] for u in wire["after_whole_list_pushed"]["updates"]] == ["insert"]
    row, whole = variants["after"]["bytes_per_event"], variants["before"]["bytes_per_event"]
    assert 0 < row < 1000 and whole > 100 * row
    assert result["ratios"]["bytes_per_event"] > 100
    assert result["facts"]["pushpin_origin_requests_in_runs"]["count"] >= 0
    assert whole >= result["facts"]["table_html_bytes"] > 50 * result["facts"]["row_html_bytes"]


def test_throughput_bench_checks_every_event_of_every_variant(tmp_path: Path) -> None:
    result = run_bench(
        "bench.throughput",
        tmp_path,
        "throughput-quick",
        "--quick",
        "--viewers",
        "10",
        "--seconds",
        "0.5",
        "--repeats",
        "1",
    )
    assert set(result["variants"]) == {"batch", "push", "send_event"}
    assert [t["met"] for t in result["targets"]][2] is True  # once, in order, nothing missing
    for name, variant in result["variants"].items():
        assert variant["viewers_open"] == 10 and variant["viewers_refused"] == 0, name
        assert variant["updates_per_s"] > 0 and variant["publish_errors"] == 0, name
        assert variant["expected"] == variant["received"] > 0, name
        assert variant["all_drained"], name
    batch, push = result["variants"]["batch"], result["variants"]["push"]
    assert batch["updates_per_s"] / batch["events_per_s"] == pytest.approx(50, rel=0.01)
    assert push["updates_per_s"] == push["events_per_s"]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed")
def test_instances_bench_measures_one_and_two_instances(tmp_path: Path) -> None:
    result = run_bench(
        "bench.instances", tmp_path, "instances-quick-10", "--quick", "--viewers", "10",
        "--pushes", "2", "--repeats", "1",
    )  # fmt: skip
    summary = result["summary"]
    assert set(summary) == {"one", "http", "stream"}
    for name, variant in summary.items():
        held = variant["connect"]["held_per_instance"]
        assert len(held) == variant["instances"] and sum(held) == 10, (name, held)
        assert variant["instances"] == 1 or min(held) > 0, (name, held)  # both instances used
        assert variant["refused"] == 0 and variant["lost"] == 0, name
        assert variant["duplicates"] == 0, name
        assert 0 < variant["p50_ms"] <= variant["p99_ms"], name
    assert summary["one"]["nginx_cpu_us_per_delivery"] == 0
    assert "verdict" in result["load"]
