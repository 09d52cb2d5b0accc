"""The "CPU per core" heatmap, a custom component, and the per-core sampler it shows:

cd demo && ../.venv/bin/python manage.py test hosts
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dashboards_sse import Dashboard, InvalidValue
from dashboards_sse.conf import get_settings
from django.test import SimpleTestCase

from . import heatmap
from .heatmap import Heatmap
from .metrics import CoreSampler


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


clock = Clock()


class Cells(Dashboard):
    slug = "hosts-test.cells"
    cores = Heatmap(label="Cores <b>", row_label="core", unit="%", columns=4, clock=clock)
    wide = Heatmap(label="Wide", row_label="cpu", clock=clock)


def pushed(component: Heatmap, *columns: Any) -> Any:
    state = None
    for column in columns:
        state = component.update(state, column)
    return state


class HeatmapTest(SimpleTestCase):
    def test_each_push_is_a_column_and_the_newest_are_kept(self) -> None:
        state = pushed(Cells.cores, [1, 2], [3, 4], [5, 6], [7, 8], [9.5, 10])
        self.assertEqual(state["columns"], [[3, 4], [5, 6], [7, 8], [9.5, 10]])
        self.assertEqual(len(state["times"]), 4)
        self.assertLess(state["times"][0], state["times"][-1])

    def test_another_number_of_rows_starts_again(self) -> None:
        state = pushed(Cells.cores, [1, 2], [3, 4], [5, 6, 7])
        self.assertEqual(state["columns"], [[5, 6, 7]])

    def test_many_rows_keep_fewer_columns_and_fit_the_html_limit(self) -> None:
        rows = [100.0] * heatmap.MAX_ROWS
        state = pushed(Cells.wide, *([rows] * 10))
        self.assertEqual(len(state["columns"]), heatmap.MAX_CELLS // heatmap.MAX_ROWS)
        html = Cells.wide.render(state)
        self.assertLess(len(html.encode()), get_settings().max_html_bytes)
        self.assertEqual(len(pushed(Cells.wide, *([[1.0, 2.0]] * 70))["columns"]), 60)

    def test_bad_values_name_the_dashboard_component_and_row(self) -> None:
        for raw, message in [
            ("12", "expected a list of numbers, one per row"),
            ({"cores": [1]}, "expected a list of numbers, one per row"),
            ([], "expected 1 to 64 numbers, got 0"),
            ([1] * 65, "expected 1 to 64 numbers, got 65"),
            ([1, True], "row 1: expected a number, got bool True"),
            ([1, "2"], "row 1: expected a number"),
            ([1, float("nan")], "row 1: expected a finite number"),
            ([101], "row 0: 101 is outside 0 to 100"),
            ([-1], "row 0: -1 is outside 0 to 100"),
        ]:
            with self.subTest(raw=raw), self.assertRaises(InvalidValue) as caught:
                Cells.cores.update(None, raw)
            self.assertIn("dashboard 'hosts-test.cells', heatmap 'cores'", str(caught.exception))
            self.assertIn(message, str(caught.exception))

    def test_render_a_row_per_core_with_its_latest_value_in_text(self) -> None:
        html = Cells.cores.render(pushed(Cells.cores, [10, 90], [20.4, 95]))
        self.assertIn("Cores &lt;b&gt;", html)  # escaped
        self.assertNotIn("<b>", html)
        self.assertEqual(html.count('class="demo-heat-row"'), 2)
        self.assertEqual(html.count("<rect "), 4)
        self.assertIn("core 0 20%, core 1 95%", html)  # the text alternative
        self.assertIn('data-dsse-state="crit"><span class="demo-heat-name">core 1', html)
        # two columns so far, stretched over the strip, oldest on the left
        self.assertIn('viewBox="0 0 2 1"', html)
        self.assertIn('<rect x="0" width="0.9" height="1" fill-opacity="0.15"/>', html)
        self.assertIn('<rect x="1" width="0.9" height="1" fill-opacity="0.25"/>', html)
        self.assertIn("No data yet", Cells.cores.render(None))

    def test_a_page_and_a_replay_show_the_stored_picture(self) -> None:
        state = pushed(Cells.cores, [10, 20], [30, 40])
        self.assertEqual(Cells.cores.render(state), Cells.cores.render(dict(state)))

    def test_declaration_errors(self) -> None:
        with self.assertRaises(ValueError):
            Heatmap(max_value=0)
        with self.assertRaises(ValueError):
            Heatmap(columns=0)


STAT = """cpu  {a} 0 0 {b} 0 0 0 0 0 0
cpu0 {c} 0 0 {d} 0 0 0 0 0 0
cpu1 {e} 0 0 {f} 0 0 0 0 0 0
intr 1 2 3
"""


class CoreSamplerTest(SimpleTestCase):
    def test_each_cores_busy_share_since_the_previous_call(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "stat").write_text(STAT.format(a=0, b=0, c=0, d=0, e=0, f=0))
            sampler = CoreSampler(proc=root, first_sample=0)
            self.assertEqual(sampler(), [0.0, 0.0])
            # core 0: 30 busy of 40 ticks; core 1: 10 of 40
            (root / "stat").write_text(STAT.format(a=40, b=40, c=30, d=10, e=10, f=30))
            self.assertEqual(sampler(), [75.0, 25.0])
            (root / "stat").write_text(
                STAT.format(a=40, b=40, c=30, d=10, e=10, f=30).replace("cpu1", "cpu9")
                + "cpu10 5 0 0 5 0 0 0 0 0 0\n"
            )
            self.assertEqual(len(sampler()), 3)  # a core came online: sampled again
