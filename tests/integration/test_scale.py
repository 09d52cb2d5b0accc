"""Scale-out through real parts: two Pushpins (own ports and run dirs) behind Debian's nginx,
two Django servers on one PostgreSQL, every publish sent to both Pushpins. Every client gets
every update, also when one Pushpin is killed mid-run and its clients reconnect to the other."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fleet import Fleet, ResilientReader, page_event_id
from tests.live import PYTHON, REPO, stop
from tests.postgres import Postgres

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx not installed (make system-deps installs it)"
)

PAGE = "/dashboards/testapp.ops/"
STREAM = PAGE + "stream/"

# argv: first value, count, pause (s). Pushes testapp.ops cpu values; prints a JSON summary.
PUBLISHER = """
import json, sys, time
import django
django.setup()
from dashboards_sse import PartialPublishError, PublishError, push

first, count, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
outcome = {"ids": [], "partial": [], "failed": []}
for value in range(first, first + count):
    try:
        outcome["ids"].append(push("testapp.ops", cpu=value).event_ids["cpu"])
    except PartialPublishError as exc:
        outcome["partial"].append([value, exc.failed and sorted(exc.failed)])
    except PublishError as exc:
        outcome["failed"].append([value, str(exc)])
    time.sleep(pause)
print(json.dumps(outcome))
"""


@pytest.fixture
def fleet(postgres: Postgres, tmp_path: Path) -> Iterator[Fleet]:
    database = postgres.create_database(f"scale_{uuid.uuid4().hex[:8]}")
    # Short run dirs: Pushpin's unix socket paths must stay under 108 bytes.
    fleet = Fleet(Path(f"/tmp/dsse-fleet-{uuid.uuid4().hex[:8]}"), database)
    try:
        fleet.start()
        yield fleet
    finally:
        fleet.stop()
        shutil.rmtree(fleet.workdir, ignore_errors=True)


def publishers(fleet: Fleet, *runs: tuple[int, int, float]) -> list[subprocess.Popen[str]]:
    """Publisher processes started at once (several Django processes writing concurrently),
    each with a one-second publish budget so a dead Pushpin is reported quickly."""
    env = fleet.members[0].env(DSSE_PUBLISH_TIMEOUT="1")
    return [
        subprocess.Popen(
            [PYTHON, "-c", PUBLISHER, *map(str, run)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run in runs
    ]


def outcome(process: subprocess.Popen[str]) -> dict[str, list]:
    try:
        out, err = process.communicate(timeout=120)
    finally:
        stop(process)
    assert process.returncode == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def wait_for_ids(readers: list[ResilientReader], ids: set[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(ids <= set(reader.ids) for reader in readers):
            return
        time.sleep(0.1)


def open_readers(fleet: Fleet, count: int) -> list[ResilientReader]:
    resume = page_event_id(fleet.url + PAGE)
    readers = [ResilientReader(fleet.url + STREAM, "cpu", resume) for _ in range(count)]
    for reader in readers:
        reader.start()
        assert reader.connected.wait(15), reader.statuses
    return readers


def test_every_client_gets_every_update_and_survives_losing_a_pushpin(fleet: Fleet) -> None:
    readers = open_readers(fleet, 8)
    try:
        first = {reader.landed[0] for reader in readers}
        addresses = {f"127.0.0.1:{member.proxy_port}" for member in fleet.members}
        assert first == addresses  # the balancer spread the clients over both instances

        runs = publishers(fleet, (1000, 40, 0.1), (2000, 40, 0.1))
        time.sleep(1.5)  # both publishers are under way
        lost = fleet.members[1]
        fleet.crash(lost)
        results = [outcome(process) for process in runs]
        published = {event_id for result in results for event_id in result["ids"]}
        partial = [entry for result in results for entry in result["partial"]]

        assert all(result["failed"] == [] for result in results), results
        # Pushes after the crash reached the survivor and named the dead instance.
        assert partial
        dead = f"http://127.0.0.1:{lost.publish_port}/publish/"
        assert all(failed == [dead] for _, failed in partial)
        # Every push is stored, with consecutive ids from both publishers.
        done = fleet.run_python(
            "from dashboards_sse.registry import get_dashboard\n"
            "from django_eventstream.models import Event\n"
            "print(sorted(Event.objects.filter(channel=get_dashboard('testapp.ops').channel,"
            " type='dsse-update').values_list('eid', flat=True)))"
        )
        assert done.returncode == 0, done.stderr
        every_id = set(json.loads(done.stdout))
        assert len(every_id) == 80
        assert every_id == set(range(min(every_id), min(every_id) + 80))
        assert published <= every_id

        wait_for_ids(readers, every_id)
        survivor = f"127.0.0.1:{fleet.members[0].proxy_port}"
        moved = [reader for reader in readers if len(reader.landed) > 1]
        assert moved, "no client was on the killed instance"
        for reader in readers:
            assert sorted(reader.ids) == sorted(every_id), (reader.landed, reader.statuses)
            assert reader.ids == sorted(reader.ids)  # in order, none twice
        for reader in moved:
            # $upstream_addr lists every instance tried: the dead one first, until nginx
            # leaves it out (fail_timeout), then the survivor.
            assert reader.landed[-1].split(", ")[-1] == survivor
    finally:
        for reader in readers:
            reader.stop()


def test_an_instance_that_missed_an_update_catches_up_with_the_next(fleet: Fleet) -> None:
    """A publish one Pushpin did not get (PartialPublishError) is not lost to its viewers:
    the next update it accepts reveals the gap and Pushpin fetches the missing event."""
    one, two = fleet.members
    direct = [
        ResilientReader(member.proxy_url + STREAM, "cpu", page_event_id(member.proxy_url + PAGE))
        for member in (one, two)
    ]
    for reader in direct:
        reader.start()
        assert reader.connected.wait(15), reader.statuses
    # Pushpin asks Django once more for missed events about a second after a stream opens
    # (its "recover" request): wait that out, or it would fetch the update below by itself.
    time.sleep(2.5)
    try:
        only_one = one.env(DSSE_GRIP_URLS="", DSSE_GRIP_URL=one.grip_url)
        done = subprocess.run(
            [
                PYTHON,
                "-c",
                "import django; django.setup()\nfrom dashboards_sse import push\n"
                "print(push('testapp.ops', cpu=1).event_ids['cpu'])",
            ],
            cwd=REPO,
            env=only_one,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        missed = int(done.stdout)
        wait_for_ids(direct[:1], {missed}, timeout=10)
        time.sleep(1.5)
        assert direct[1].ids == []  # the second instance did not get it, and does not ask

        done = fleet.run_python("print(push('testapp.ops', cpu=2).event_ids['cpu'])")
        assert done.returncode == 0, done.stderr
        following = int(done.stdout)
        wait_for_ids(direct, {missed, following}, timeout=15)
        assert [reader.ids for reader in direct] == [[missed, following]] * 2
        assert [len(reader.landed) for reader in direct] == [1, 1]  # no reconnect needed
    finally:
        for reader in direct:
            reader.stop()
