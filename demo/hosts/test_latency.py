"""The "Push latency" chart and "Your number" on the home dashboard (pushes stored, not sent):

cd demo && ../.venv/bin/python manage.py test hosts
"""

from __future__ import annotations

from unittest import mock

from dashboards_sse.models import ComponentState
from dashboards_sse.testing import capture_pushes
from django.test import SimpleTestCase, TestCase

from . import dashboards
from .dashboards import Host
from .latency import PushTimes, percentile
from .processes import ProcessSample
from .tests import row
from .watch import Watch


class PushTimesTest(SimpleTestCase):
    def test_nearest_rank_percentiles_in_milliseconds(self) -> None:
        times = PushTimes(keep=100)
        self.assertIsNone(times.percentiles())
        for ms in range(1, 101):  # 1 .. 100 ms
            times.add(ms / 1000)
        self.assertEqual(times.percentiles(), {"p50": 50.0, "p95": 95.0, "p99": 99.0})
        self.assertEqual(percentile([7.0], 99), 7.0)

    def test_only_the_newest_are_kept(self) -> None:
        times = PushTimes(keep=3)
        for seconds in (9.0, 0.001, 0.002, 0.003):
            times.add(seconds)
        self.assertEqual(times.percentiles(), {"p50": 2.0, "p95": 3.0, "p99": 3.0})


class HostLatencyAndYoursTest(TestCase):
    def setUp(self) -> None:
        sample = ProcessSample([row(1, 3.0, "init")], frozenset({(1, 0)}))
        fake = Watch(processes=lambda: sample, cpu=lambda: 12.0, reuse_within=0)
        for target, value in (
            ("hosts.dashboards.watch", fake),
            ("hosts.metrics.cpu_percent", fake.cpu),
            ("hosts.metrics.core_percents", lambda: [10.0, 20.0]),
            ("hosts.dashboards.push_times", PushTimes()),
        ):
            patch = mock.patch(target, value)
            patch.start()
            self.addCleanup(patch.stop)

    def stored(self, component: str) -> dict[str, object]:
        found = ComponentState.objects.get(dashboard="hosts.host", component=component)
        return found.state  # type: ignore[no-any-return]

    def test_each_refresh_pushes_the_measured_latency_of_the_ones_before(self) -> None:
        with capture_pushes():
            Host.refresh()
            self.assertFalse(ComponentState.objects.filter(component="push_latency").exists())
            self.assertEqual(len(dashboards.push_times.times), 1)
            measured = dashboards.push_times.times[0]
            self.assertGreater(measured, 0)
            Host.refresh()
        chart = self.stored("push_latency")
        points = {name: chart["series"][name] for name in ("p50", "p95", "p99")}  # type: ignore[index]
        self.assertEqual([len(p) for p in points.values()], [1, 1, 1])
        self.assertEqual(points["p99"][0][1], round(measured * 1000, 2))
        self.assertEqual(self.stored("cores")["columns"], [[10.0, 20.0], [10.0, 20.0]])

    def test_the_publisher_leaves_your_number_alone(self) -> None:
        self.assertNotIn("yours", Host.provided_values())
        with capture_pushes() as pushes:
            Host.yours.push(42, note="by you")
            Host.refresh()
            Host.refresh()
        self.assertEqual(self.stored("yours")["value"], 42)
        self.assertIn(">42<", pushes.html("hosts.host", "yours"))
        self.assertEqual(len(pushes.of("hosts.host", "yours")), 1)  # the refreshes: not in them

    def test_the_page_says_how_to_push_your_number(self) -> None:
        with mock.patch("hosts.metrics.read_load", return_value=(0.5, 0.5, 0.5)):
            page = self.client.get("/")
        self.assertContains(page, "Your number")
        self.assertContains(page, "<code>.venv/bin/python demo/push.py 42</code>", count=2)
        self.assertContains(page, "CPU per core, last minute")
        self.assertContains(page, "Push latency, store + publish")
