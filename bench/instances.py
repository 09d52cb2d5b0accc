"""``python -m bench.instances [--quick]``: one Pushpin vs two on one host behind one port.

Three stacks side by side (bench.stack: Django under uvicorn, our ``pushpin/run``), each with
``--viewers`` SSE viewers held (bench.viewers, ``--retries 0``: a refused viewer stays out and
counts as lost; refused connections are reported):

* ``one``: ``PUSHPIN_INSTANCES=1``, today's single Pushpin;
* ``http``: ``PUSHPIN_INSTANCES=2``, nginx's http proxy on the public port;
* ``stream``: ``PUSHPIN_INSTANCES=2``, nginx's stream (TCP) module on the public port.

Django publishes to every instance (``GRIP_PROXIES``). Then ``--repeats`` times, the variants
in rotating order, one block each: a publisher process pushes ``--pushes`` updates at
``--rate``/s. Per block: CPU (/proc, utime+stime) of the Pushpin processes (runners, condure,
zurl, pushpin-proxy, pushpin-handler) and of nginx, per delivery; latency from the push() call
to the viewer's receipt (p50/p99); lost and duplicates. Medians over repeats. Also where the
viewers landed (connections held by each instance). Writes
``<out>/<date>-instances[-quick].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import analysis, lifecycle, machine, procs
from .handles import Publisher, Viewers
from .multipush import pushpin_cpu, wait_quiet
from .output import sayer
from .stack import Stack, make_template_db, run_dir

VARIANTS: dict[str, dict[str, str]] = {
    "one": {"PUSHPIN_INSTANCES": "1"},
    "http": {"PUSHPIN_INSTANCES": "2", "PUSHPIN_BALANCER": "http"},
    "stream": {"PUSHPIN_INSTANCES": "2", "PUSHPIN_BALANCER": "stream"},
}
PROFILES: dict[str, dict[str, Any]] = {
    "full": {"viewers": 2000, "pushes": 20, "rate": 1.0, "repeats": 3, "connect_rate": 200.0},
    "quick": {"viewers": 300, "pushes": 5, "rate": 2.0, "repeats": 2, "connect_rate": 300.0},
}
SETTLE_S = 1.5  # after a block's deliveries, before its counters are read
DRAIN_S = 15.0  # at most, after a block's last push, for its deliveries


say = sayer("instances")


class InstancesStack(Stack):
    """bench.stack's stack with ``PUSHPIN_INSTANCES`` (its instances publish on
    publish_port, publish_port + 1, ...; Django publishes to each)."""

    instances: int = 1
    instance_port: int = 0

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.instances > 1:
            env.pop("BENCH_GRIP_URL", None)
            env["BENCH_GRIP_URLS"] = " ".join(
                f"http://127.0.0.1:{self.publish_port + n}?key={self.key}"
                for n in range(self.instances)
            )
        return env

    def start(self) -> None:
        # Every instance takes a port from each base: a taken one stops them all.
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.template_db, self.db)
        self.proxy_port = procs.free_port()
        self.publish_port = procs.free_ports(self.instances)
        if self.instances > 1:
            self.instance_port = procs.free_ports(self.instances)
            self.pushpin_env["PUSHPIN_INSTANCE_PORT"] = str(self.instance_port)
        self._start_django()
        self._start_pushpin()

    def held_per_instance(self) -> list[int]:
        """Open connections to each instance's client port (from /proc/net/tcp)."""
        if self.instances == 1:
            return [procs.established(self.proxy_port)]
        return [procs.established(self.instance_port + n) for n in range(self.instances)]

    def split_cpu(self) -> dict[str, float]:
        """CPU seconds so far: ``pushpin`` (every instance's processes) and ``nginx``."""
        process = self.processes.get("pushpin")
        by_name = pushpin_cpu(descendants(process.pid) if process else [])
        nginx = by_name.pop("nginx", 0.0)
        by_name.pop("sh", None)
        return {"pushpin": sum(by_name.values()), "nginx": nginx}


def descendants(pid: int) -> list[int]:
    """A process and every process below it (pushpin/run's sh: runners, services, nginx and
    its worker)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += procs.children(current)
    return found


class Bench:
    def __init__(self, args: argparse.Namespace, template: Path, rundir: Path) -> None:
        self.args = args
        self.stacks: dict[str, InstancesStack] = {}
        for name in args.variants:
            env = VARIANTS[name]
            stack = InstancesStack("pushpin", template, rundir / name)
            stack.instances = int(env["PUSHPIN_INSTANCES"])
            stack.pushpin_env = dict(env)
            self.stacks[name] = stack
        self.viewers: dict[str, Viewers] = {}
        self.publishers: dict[str, Publisher] = {}
        self.connect: dict[str, Any] = {}
        self.blocks: list[dict[str, Any]] = []
        self.final: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        a = self.args
        for name, stack in self.stacks.items():
            stack.start()
            self.publishers[name] = Publisher(stack.env(), stack.workdir, "push")
            say(f"{name}: Pushpin x{stack.instances} up on port {stack.proxy_port}")
        for name, stack in self.stacks.items():
            extra = ("--retries", "0", "--status-interval", "0.1")
            port, path = stack.viewer_target()
            viewers = Viewers(
                stack.env(), stack.workdir, port, path, a.viewers, False, a.connect_rate,
                200, name, extra,
            )  # fmt: skip
            self.viewers[name] = viewers
            settled = viewers.wait_settled(a.viewers, a.viewers / a.connect_rate * 2 + 30)
            status = dict(viewers.status)
            self.connect[name] = {
                "requested": a.viewers,
                "settled": settled,
                **{k: status[k] for k in ("ok", "failed", "pending", "errors")},
            }
            say(f"{name}: {status['ok']} of {a.viewers} viewers open, {status['failed']} refused")
        for stack in self.stacks.values():
            wait_quiet(stack, 2.0, 60.0)  # Pushpin's recover requests after the ramp
        for name, stack in self.stacks.items():
            self.connect[name]["held_per_instance"] = stack.held_per_instance()

    def block(self, name: str, repeat: int) -> None:
        a, stack, viewers = self.args, self.stacks[name], self.viewers[name]
        status0, cpu0 = dict(viewers.status), stack.split_cpu()
        result = self.publishers[name].run(a.rate, a.pushes / a.rate)
        # Every open viewer's every push, or DRAIN_S: a Pushpin behind its pushes still
        # delivers them (late, counted in the latency), and only what never came is lost.
        viewers.wait_records(status0["records"] + status0["open"] * len(result["pushes"]), DRAIN_S)
        time.sleep(SETTLE_S)
        status1, cpu1 = dict(viewers.status), stack.split_cpu()
        records = status1["records"] - status0["records"]
        cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
        self.blocks.append(
            {
                "variant": name,
                "repeat": repeat,
                "pushes": result["pushes"],
                "push_errors": result["errors"],
                "open": status0["open"],
                "deliveries": records,
                "pushpin_cpu_s": round(cpu["pushpin"], 4),
                "nginx_cpu_s": round(cpu["nginx"], 4),
                "pushpin_cpu_us_per_delivery": per(cpu["pushpin"], records),
                "nginx_cpu_us_per_delivery": per(cpu["nginx"], records),
                "total_cpu_us_per_delivery": per(cpu["pushpin"] + cpu["nginx"], records),
                "dropped": status1["dropped"] - status0["dropped"],
            }
        )
        last = self.blocks[-1]
        say(
            f"repeat {repeat + 1} {name}: {records} deliveries, Pushpin "
            f"{last['pushpin_cpu_us_per_delivery']} us + nginx "
            f"{last['nginx_cpu_us_per_delivery']} us per delivery"
        )

    def run(self) -> None:
        names = list(self.stacks)
        for repeat in range(self.args.repeats):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                self.block(name, repeat)

    def finish(self) -> None:
        for name, viewers in self.viewers.items():
            self.final[name] = viewers.finish()
        records = {name: analysis.Records(v.prefix) for name, v in self.viewers.items()}
        for block in self.blocks:
            found = analysis.deliveries(
                records[block["variant"]], block["pushes"], block["open"], True
            )
            block["latency_ms"] = found["latency_ms"]
            block.update(found["deliveries"])
            block["pushes"] = len(block["pushes"])

    def stop(self) -> None:
        for viewers in self.viewers.values():
            if viewers.process.poll() is None:
                viewers.finish()
        for publisher in self.publishers.values():
            publisher.stop()
        for stack in self.stacks.values():
            stack.stop()


def per(seconds: float, deliveries: int) -> float | None:
    return round(1e6 * seconds / deliveries, 1) if deliveries else None


def median(values: list[Any]) -> Any:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 2) if found else None


def summarize(bench: Bench) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in bench.stacks:
        blocks = [b for b in bench.blocks if b["variant"] == name]
        out[name] = {
            "instances": bench.stacks[name].instances,
            "connect": bench.connect[name],
            "pushpin_cpu_us_per_delivery": median(
                [b["pushpin_cpu_us_per_delivery"] for b in blocks]
            ),
            "nginx_cpu_us_per_delivery": median([b["nginx_cpu_us_per_delivery"] for b in blocks]),
            "total_cpu_us_per_delivery": median([b["total_cpu_us_per_delivery"] for b in blocks]),
            "p50_ms": median([b["latency_ms"]["p50"] for b in blocks]),
            "p99_ms": median([b["latency_ms"]["p99"] for b in blocks]),
            "lost": sum(b["lost"] for b in blocks),
            "duplicates": sum(b["duplicates"] for b in blocks),
            "refused": bench.connect[name]["failed"],
        }
    return out


def write(bench: Bench, summary: dict[str, Any], load: dict[str, Any], out: Path) -> Path:
    a = bench.args
    profile = PROFILES["quick" if a.quick else "full"]
    command = lifecycle.command_line("bench.instances", a, PROFILES)
    if a.variants != list(VARIANTS):
        command += f" --variants {','.join(a.variants)}"
    rate = f"-rate{a.rate:g}" if a.rate != profile["rate"] else ""
    size = f"-{a.viewers}" if a.viewers != profile["viewers"] else ""
    stem = f"{date.today().isoformat()}-instances{'-quick' if a.quick else ''}{rate}{size}"
    data = {
        "args": {k: v for k, v in vars(a).items() if k != "out"},
        "machine": machine.info(),
        "code": lifecycle.code_version(),
        "load": load,
        "summary": summary,
        "blocks": bench.blocks,
        "viewers_final": bench.final,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n")
    lines = [
        f"# One Pushpin vs two behind one port ({date.today().isoformat()})",
        "",
        f"`{command}`: {a.viewers:,} SSE viewers "
        f"per variant (bench.viewers, ramp {a.connect_rate:.0f}/s, no retries), {a.pushes} "
        f"pushes at {a.rate:g}/s per block, {a.repeats} repeats with the variants in rotating "
        "order, medians over repeats. The three stacks run side by side on this machine (client, "
        "Django, Pushpins and nginx on the same cores). CPU is utime+stime from /proc. Lost: "
        f"never received, waiting up to {DRAIN_S:g} s after a block's last push.",
        "",
        f"Load average before the run: {load['before']}; after: {load['after']} "
        f"({load['cpus']} CPUs).",
        "",
        "| variant | instances | held per instance | Pushpin CPU/delivery | nginx CPU/delivery "
        "| total | p50 | p99 | lost | duplicates | refused |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['instances']} | {s['connect']['held_per_instance']} "
            f"| {s['pushpin_cpu_us_per_delivery']} µs | {s['nginx_cpu_us_per_delivery']} µs "
            f"| {s['total_cpu_us_per_delivery']} µs | {s['p50_ms']} ms | {s['p99_ms']} ms "
            f"| {s['lost']} | {s['duplicates']} | {s['refused']} |"
        )
    lines += ["", load["verdict"], ""]
    (out / f"{stem}.md").write_text("\n".join(lines))
    return out / f"{stem}.md"


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def load_verdict(before: float, after: float, cpus: int) -> str:
    """The machine is shared: a load above its CPUs before the run makes CPU-per-delivery
    and latency figures of this run unfit to publish as this code's cost."""
    if max(before, after) > cpus:
        return (
            f"**Caution:** the machine was loaded beyond its {cpus} CPUs by other work "
            f"(load {before} before, {after} after): the latencies include waiting for a core "
            "and the figures do not measure this code alone. Re-run on an idle machine."
        )
    return "The machine was not loaded beyond its CPUs during the run."


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = lifecycle.parser("python -m bench.instances", None, "a small run (< 1 min)")
    for name, value in PROFILES["full"].items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=None)
    parser.add_argument(
        "--variants",
        type=lambda text: text.split(","),
        default=list(VARIANTS),
        help=f"which of {','.join(VARIANTS)} (default: all)",
    )
    args = lifecycle.parse(parser, argv, PROFILES)[0]
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    procs.raise_nofile()
    rundir = run_dir()
    say(f"run dir {rundir} (logs)")
    cpus = len(os.sched_getaffinity(0))
    before = loadavg()
    bench = Bench(args, make_template_db(rundir), rundir)
    try:
        bench.start()
        bench.run()
        bench.finish()
    finally:
        bench.stop()
    after = loadavg()
    load = {
        "before": before,
        "after": after,
        "cpus": cpus,
        "verdict": load_verdict(before, after, cpus),
    }
    summary = summarize(bench)
    path = write(bench, summary, load, args.out)
    print(path.read_text())


if __name__ == "__main__":
    main()
