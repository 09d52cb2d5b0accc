"""Several Django processes pushing to one dashboard at once, on a real PostgreSQL.

SQLite serialises whole transactions, so only a server database shows whether event ids stay
consecutive and chart windows keep every point when publishers really overlap. No GRIP_URL:
nothing is published, storage alone is exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.procs import spawn, stop
from dashboards_sse.registry import get_dashboard
from tests.live import REPO
from tests.postgres import Postgres

PROCESSES = 4
ROUNDS = 40
SENSORS, OPS = "testapp.sensors", "testapp.ops"
EXPIRED = 20_000

# argv: index, rounds, workdir. Every process runs the same schedule (see expected_*) with its
# own x values, so the test knows exactly which points and events must be stored.
PUBLISHER = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import connection
from dashboards_sse import batch, push

index, rounds, workdir = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
connection.ensure_connection()
(workdir / f"ready-{index}").touch()
while not (workdir / "go").exists():  # start together: the first pushes race too
    time.sleep(0.001)
for k in range(rounds):
    x = index * 1000 + k
    step = k % 4
    if step == 0:  # several components of one dashboard in one push
        push("testapp.sensors", history=(x, k), door=f"p{index} r{k}", temperature=k)
    elif step == 1:  # one batch over two dashboards, in opposite orders in odd/even processes
        pushes = [
            lambda: push("testapp.sensors", history=(x, k), door=f"p{index} b{k}"),
            lambda: push("testapp.ops", cpu=x, latency=(x, k)),
        ]
        with batch():
            for send in pushes if index % 2 else reversed(pushes):
                send()
            push("testapp.sensors", door=f"p{index} b{k} again")  # two pushes, one event
    elif step == 2:
        push("testapp.sensors", history=(x, k))
    else:  # rate limited (max_rate=2): mostly stored pending, published by a later flush
        push("testapp.sensors", trace=(x, k), temperature=k)
"""


def expected_points(chart: str) -> set[int]:
    steps = {"history": {0, 1, 2}, "trace": {3}}[chart]
    return {i * 1000 + k for i in range(PROCESSES) for k in range(ROUNDS) if k % 4 in steps}


# The components that get an event at each step of PUBLISHER (the rate-limited ones vary).
EVENTS_PER_STEP = {
    0: ["history", "door"],
    1: ["history", "door", "cpu", "latency"],
    2: ["history"],
}


def updates(kind: str, data: str) -> dict[str, str]:
    """A stored event's components and their HTML (one message per push)."""
    if kind != "dsse-update":
        return {}
    message = json.loads(json.loads(data))
    return {update["component"]: update["html"] for update in message["updates"]}


def expected_events() -> Counter[str]:
    """Updates per component when nothing is lost."""
    per_process = Counter(name for k in range(ROUNDS) for name in EVENTS_PER_STEP.get(k % 4, []))
    return Counter({name: count * PROCESSES for name, count in per_process.items()})


def run_publishers(env: dict[str, str], workdir: Path) -> list[tuple[int, str]]:
    processes = []
    try:
        for index in range(PROCESSES):
            args = [sys.executable, "-c", PUBLISHER, str(index), str(ROUNDS), str(workdir)]
            processes.append(spawn(args, env, REPO, workdir / f"publisher-{index}.log"))
        deadline = time.monotonic() + 60
        while not all((workdir / f"ready-{i}").exists() for i in range(PROCESSES)):
            assert all(p.poll() is None for p in processes), "a publisher died during setup"
            assert time.monotonic() < deadline, "publishers not ready after 60 s"
            time.sleep(0.02)
        (workdir / "go").touch()
        for process in processes:
            process.wait(120)
    finally:
        for process in processes:
            stop(process)
    return [
        (p.returncode, (workdir / f"publisher-{i}.log").read_text())
        for i, p in enumerate(processes)
    ]


@pytest.fixture
def database(postgres: Postgres) -> tuple[str, dict[str, str]]:
    """A fresh migrated database: its name and the environment of processes using it."""
    name = f"concurrent_{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSSE_")},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DSSE_TEST_PG": postgres.create_database(name),
        "PYTHONPATH": str(REPO),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"], cwd=REPO, env=env, check=True
    )
    # Events older than a day: every publisher trims them on its first push, all at once.
    with postgres.connect(name) as conn:
        conn.execute(
            "INSERT INTO django_eventstream_event (channel, type, data, eid, created)"
            " SELECT 'expired', 'x', '\"\"', n, now() - interval '25 hours'"
            " FROM generate_series(1, %s) AS n",
            (EXPIRED,),
        )
    return name, env


def fetch(postgres: Postgres, dbname: str, sql: str) -> list[tuple[Any, ...]]:
    with postgres.connect(dbname) as conn:
        return conn.execute(sql).fetchall()


def test_concurrent_publishers_lose_nothing(
    postgres: Postgres, database: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    dbname, env = database

    outcomes = run_publishers(env, tmp_path)

    # No IntegrityError, deadlock or serialization failure; nothing logged by a flush either.
    failed = [f"exit {code}:\n{output}" for code, output in outcomes if code or output]
    assert not failed, "\n".join(failed)
    events = fetch(
        postgres, dbname, "SELECT channel, eid, type, data FROM django_eventstream_event"
    )
    counters = dict(
        fetch(postgres, dbname, "SELECT name, value FROM django_eventstream_eventcounter")
    )
    assert not [eid for channel, eid, _, _ in events if channel == "expired"]  # trimmed
    for slug in (SENSORS, OPS):
        channel = get_dashboard(slug).channel
        eids = sorted(eid for ch, eid, _, _ in events if ch == channel)
        # Unique, consecutive from the eid=0 placeholder, and counted.
        assert eids == list(range(counters[channel] + 1))
    counted = Counter(name for _, eid, kind, data in events if eid for name in updates(kind, data))
    assert {k: counted[k] for k in expected_events()} == expected_events()

    rows = fetch(
        postgres,
        dbname,
        "SELECT dashboard, component, state, event_id, pending FROM dashboards_sse_componentstate",
    )
    states = {(slug, name): state for slug, name, state, _, _ in rows}
    history = {p[0] for p in states[SENSORS, "history"]["points"]}
    assert history == expected_points("history")
    trace = sorted(p[0] for p in states[SENSORS, "trace"]["points"])
    assert trace == sorted(expected_points("trace"))[-20:]  # the window keeps the newest x
    # Every stored state is what the component's newest event carries, none still pending.
    assert {(slug, name) for slug, name, *_ in rows} == {
        (SENSORS, n) for n in ("history", "door", "temperature", "trace")
    } | {(OPS, "cpu"), (OPS, "latency")}
    for slug, name, state, event_id, pending in rows:
        board = get_dashboard(slug)
        carrying = {
            eid: updates(kind, data)[name]
            for ch, eid, kind, data in events
            if ch == board.channel and name in updates(kind, data)
        }
        assert (event_id, pending) == (max(carrying), False), name
        assert carrying[event_id] == str(board.get_component(name).render(state)), name


def test_harness_leaves_no_postgres_process(postgres: Postgres) -> None:
    cluster = Postgres(postgres.bindir)  # a second one, stopped here
    with cluster:
        assert cluster.process is not None
        pid, workdir = cluster.process.pid, cluster.workdir
        with cluster.connect() as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("dsse",)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the postmaster and every backend of its group are gone
    assert workdir is not None and not workdir.exists()
