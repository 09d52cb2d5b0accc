"""The home dashboard's process table, status and events, without Pushpin (pushes are stored,
not sent), on fake /proc trees and observations:

    cd demo && ../.venv/bin/python manage.py test hosts
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from unittest import mock

from dashboards_sse.models import ComponentState
from dashboards_sse.testing import capture_pushes
from django.test import SimpleTestCase, TestCase

from . import processes
from .dashboards import Host
from .processes import CLOCK_TICKS, ProcessRow, ProcessSample, ProcessSampler, parse_stat
from .watch import Events, Observation, Watch, system_status

OK = {"status": "ok", "text": "Healthy"}


def stat_line(pid: int, comm: str, ticks: int = 0, started: int = 100, state: str = "S") -> str:
    """A /proc/<pid>/stat line with what parse_stat reads: state, flags, utime, stime,
    starttime, rss (pages)."""
    fields = [state, "1", str(pid), str(pid), "0", "-1", "4194304"]  # state .. flags
    fields += ["0"] * 4 + [str(ticks), "0"]  # minflt .. cmajflt, utime, stime
    fields += ["0"] * 6 + [str(started), "1000", "256"]  # .. itrealvalue, starttime, vsize, rss
    return f"{pid} ({comm}) " + " ".join(fields) + " 0 0\n"


def fake_proc(root: Path, procs: dict[int, tuple[str, int, bytes]]) -> None:
    """``{pid: (comm, ticks, cmdline)}`` as /proc/<pid>/stat and cmdline files."""
    for entry in root.iterdir():
        if entry.name.isdigit() and int(entry.name) not in procs:
            for file in entry.iterdir():
                file.unlink()
            entry.rmdir()
    for pid, (comm, ticks, cmdline) in procs.items():
        directory = root / str(pid)
        directory.mkdir(exist_ok=True)
        (directory / "stat").write_text(stat_line(pid, comm, ticks, started=pid * 10))
        (directory / "cmdline").write_bytes(cmdline)


class ProcessesTest(SimpleTestCase):
    def test_parse_stat(self) -> None:
        times = parse_stat(42, stat_line(42, "tmux: server (1)", ticks=250, started=900))
        assert times is not None
        self.assertEqual((times.comm, times.ticks, times.started), ("tmux: server (1)", 250, 900))
        self.assertEqual(times.rss, 256 * processes.PAGE_SIZE)
        kernel = stat_line(2, "kthreadd").replace(" 4194304 ", f" {processes.PF_KTHREAD} ")
        self.assertIsNone(parse_stat(2, kernel))
        self.assertIsNone(parse_stat(7, stat_line(7, "defunct", state="Z")))

    def test_names_and_cpu_shares(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            fake_proc(
                root,
                {
                    10: ("python3", 0, b"/usr/bin/python3\0-u\0/srv/app/manage.py\0runserver\0"),
                    11: ("python3", 0, b"python3\0-m\0uvicorn\0app:asgi\0"),
                    12: ("nginx", 0, b"nginx: worker process\0"),
                },
            )
            clock = mock.Mock(return_value=2.0)
            sampler = ProcessSampler(proc=root, clock=clock, sleep=lambda s: None)
            sampler.previous = (0.0, processes.read_processes(root))
            # two seconds later: 10 used a whole core, 12 half of one; 13 started since
            fake_proc(
                root,
                {
                    10: ("python3", 2 * CLOCK_TICKS, b"python3\0manage.py\0"),
                    11: ("python3", 0, b"python3\0-m\0uvicorn\0"),
                    12: ("nginx", CLOCK_TICKS, b""),
                    13: ("sh", CLOCK_TICKS // 2, b"/bin/sh\0-c\0sleep 1\0"),
                },
            )
            sample = sampler()
        rows = [(row.pid, row.name, row.cpu) for row in sample.rows]
        self.assertEqual(
            rows,
            [
                (10, "python3 manage.py", 100.0),
                (12, "nginx", 50.0),
                (13, "sh -c", 25.0),
                (11, "python3 -m uvicorn", 0.0),
            ],
        )
        self.assertEqual(sample.alive, {(pid, pid * 10) for pid in (10, 11, 12, 13)})
        self.assertEqual(
            sample.rows[0].as_row(),
            {
                "pid": 10,
                "name": "python3 manage.py",
                "cpu": 100.0,
                "memory": round(256 * processes.PAGE_SIZE / 2**20),
            },
        )


def row(pid: int, cpu: float, name: str = "", started: int = 0) -> ProcessRow:
    return ProcessRow(pid=pid, started=started, name=name or f"job{pid}", cpu=cpu, memory=10)


def seen(
    rows: Iterable[ProcessRow],
    cpu: float = 10.0,
    status: dict[str, str] = OK,
    uptime: float = 1000.0,
    also_alive: Iterable[ProcessRow] = (),
) -> Observation:
    rows = sorted(rows, key=lambda r: -r.cpu)
    alive = frozenset(r.ident for r in [*rows, *also_alive])
    return Observation(ProcessSample(rows, alive), cpu, status, uptime)


class EventsTest(SimpleTestCase):
    def setUp(self) -> None:
        self.now = 1_000.0
        self.events = Events(top=3, busy_for=3, settle=3, clock=lambda: self.now)
        self.old = [row(1, 15.0, "init"), row(2, 12.0, "sshd")]

    def observe(self, observation: Observation) -> list[str]:
        self.now += 1
        return [f"{item['title']}: {item['text']}" for item in self.events.observe(observation)]

    def test_the_first_observation_says_the_publisher_started(self) -> None:
        items = self.events.observe(seen(self.old, cpu=12.5))
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["title"], "Publisher started")
        self.assertEqual(items[0]["text"], "watching 2 user-space processes; CPU 12.5 %, healthy")
        self.assertEqual(items[0]["time"], self.now)
        self.assertEqual(self.observe(seen(self.old)), [])

    def test_a_new_busy_process_is_news_once_it_stays_and_when_it_exits(self) -> None:
        self.observe(seen(self.old))
        build = row(30, 80.0, "cc1", started=50 * CLOCK_TICKS)
        self.assertEqual(self.observe(seen([*self.old, build])), [])
        self.assertEqual(self.observe(seen([*self.old, build])), [])
        self.assertEqual(
            self.observe(seen([*self.old, build])), ["Started: cc1 (pid 30), 80 % CPU"]
        )
        self.assertEqual(self.observe(seen([*self.old, build])), [])  # said once
        quiet = row(30, 0.0, "cc1", started=50 * CLOCK_TICKS)  # out of the top, still running
        busy = [row(3, 9.0), row(4, 8.0), row(5, 7.0)]
        self.assertEqual(self.observe(seen(busy, also_alive=[*self.old, quiet])), [])
        self.assertEqual(
            self.observe(seen(busy, uptime=125.0, also_alive=self.old)),
            ["Exited: cc1 (pid 30) after 1m 15s"],
        )

    def test_a_short_lived_process_is_no_news(self) -> None:
        self.observe(seen(self.old))
        blip = row(40, 90.0, "ls")
        self.observe(seen([*self.old, blip]))
        self.observe(seen([*self.old, blip]))
        self.assertEqual(self.observe(seen(self.old)), [])

    def test_a_long_busy_process_exiting_is_news(self) -> None:
        self.observe(seen(self.old))
        for _ in range(3):
            self.observe(seen(self.old))
        self.assertEqual(
            self.observe(seen([self.old[1]], uptime=7300.0)), ["Exited: init (pid 1) after 2h 1m"]
        )

    def test_processes_of_one_name_make_one_item(self) -> None:
        self.observe(seen(self.old))
        workers = [row(pid, 30.0, "chromium", started=pid) for pid in (50, 51, 52)]
        for _ in range(2):
            self.assertEqual(self.observe(seen([*self.old, *workers])), [])
        self.assertEqual(
            self.observe(seen([*self.old, *workers])),
            ["Started: chromium (pids 50, 51, 52), 30 % CPU"],
        )
        self.assertEqual(
            self.observe(seen(self.old))[0][:35], "Exited: chromium (pids 50, 51, 52) "
        )

    def test_cpu_crossing_its_threshold_with_hysteresis(self) -> None:
        both = [row(9, 97.0, "yes"), *self.old]
        self.observe(seen(self.old, cpu=20.0))
        self.assertEqual(self.observe(seen(both, cpu=70.0)), [])
        self.assertEqual(self.observe(seen(both, cpu=30.0)), [])  # a blip: starts again
        self.observe(seen(both, cpu=70.0))  # (and "Started: yes")
        self.observe(seen(both, cpu=90.0))
        items = self.events.observe(seen(both, cpu=65.0))
        self.assertEqual(items[0]["title"], "CPU above 60 %")
        self.assertEqual(items[0]["text"], "65.0 %; busiest: yes (pid 9), 97 %")
        self.assertEqual(items[0]["level"], "warn")
        self.assertEqual(len(items), 1)
        for cpu in (55.0, 45.0, 40.0):  # 55 is not below 50: not yet back
            self.assertEqual(self.observe(seen(both, cpu=cpu)), [])
        self.assertEqual(self.observe(seen(both, cpu=30.0)), ["CPU back to normal: 30.0 %"])

    def test_the_status_changing_for_a_while(self) -> None:
        busy = system_status(1.4, 20.0)
        self.observe(seen(self.old))
        self.observe(seen(self.old, status=busy))
        self.observe(seen(self.old))  # back at once: no news
        for _ in range(2):
            self.assertEqual(self.observe(seen(self.old, status=busy)), [])
        items = self.events.observe(seen(self.old, status=busy))
        self.assertEqual(
            [(i["title"], i["text"], i["level"]) for i in items],
            [("System", "Busy: load 1.4/core", "warn")],
        )
        for _ in range(2):
            self.observe(seen(self.old))
        self.assertEqual(self.observe(seen(self.old)), ["System: healthy again"])

    def test_item_ids_are_unique(self) -> None:
        self.events.settle = self.events.busy_for = 1
        self.observe(seen(self.old))
        items = self.events.observe(
            seen([row(7, 50.0, "a"), row(8, 50.0, "b")], cpu=99.0, status=system_status(3, 99))
        )
        self.assertEqual(len(items), 6)  # a, b started; init, sshd exited; CPU; status
        self.assertEqual(len({item["id"] for item in items}), 6)


class SystemStatusTest(SimpleTestCase):
    def test_states(self) -> None:
        self.assertEqual(system_status(0.3, 40.0), {"status": "ok", "text": "Healthy"})
        self.assertEqual(system_status(1.0, 40.0)["status"], "warn")
        self.assertEqual(
            system_status(0.3, 85.0), {"status": "warn", "text": "Memory low: 85 % used"}
        )
        self.assertEqual(
            system_status(2.5, 40.0), {"status": "down", "text": "Overloaded: load 2.5/core"}
        )
        self.assertEqual(system_status(2.5, 96.0)["text"], "Out of memory: 96 %")


class HostDashboardTest(TestCase):
    def setUp(self) -> None:
        self.samples = [
            ProcessSample([row(1, 3.0, "init")], frozenset({(1, 0)})),
            ProcessSample([row(1, 3.0, "init"), row(5, 50.0, "gcc")], frozenset({(1, 0), (5, 0)})),
        ]
        fake = Watch(processes=lambda: self.samples[0], cpu=lambda: 12.0, reuse_within=0.5)
        fake.events.settle = fake.events.busy_for = 1
        for target, value in (
            ("hosts.dashboards.watch", fake),
            ("hosts.metrics.cpu_percent", fake.cpu),
        ):
            patch = mock.patch(target, value)
            patch.start()
            self.addCleanup(patch.stop)
        self.watch = fake

    def stored(self, component: str) -> object:
        return ComponentState.objects.get(dashboard="hosts.host", component=component)

    def test_a_refresh_pushes_the_table_and_the_events_in_one_event(self) -> None:
        with capture_pushes() as pushes:
            Host.refresh()
            self.watch.last = None  # the next second
            self.samples.pop(0)
            Host.refresh()
        top, events = self.stored("top"), self.stored("events")
        self.assertEqual(top.event_id, events.event_id)  # type: ignore[attr-defined]
        self.assertEqual(
            [item["cells"]["name"] for item in top.state["items"]],  # type: ignore[attr-defined]
            ["gcc", "init"],
        )
        titles = [item["title"] for item in events.state["items"]]  # type: ignore[attr-defined]
        self.assertEqual(titles, ["Started", "Publisher started"])  # newest first
        self.assertIn("gcc (pid 5)", pushes.html("hosts.host", "events"))
        self.assertIn('data-dsse-state="ok"', pushes.html("hosts.host", "cpu"))
        self.assertEqual(self.watch.take_events(), [])

    def test_a_page_before_the_first_refresh_pushes_no_event(self) -> None:
        page = self.client.get("/")
        self.assertContains(page, "Processes by CPU")
        self.assertContains(page, "init")
        self.assertFalse(ComponentState.objects.filter(component="events").exists())
