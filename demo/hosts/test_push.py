"""``demo/push.py`` and the command ``demo/run.py`` prints, without a running demo (the
integration test tests/integration/test_demo_push.py runs both against a real one):

    cd demo && ../.venv/bin/python manage.py test hosts
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase

import push
import run


class PushArgumentsTest(SimpleTestCase):
    def test_one_value_goes_to_your_number_with_the_time(self) -> None:
        dashboard, component, value = push.push_arguments(["42"])
        self.assertEqual((dashboard, component), ("hosts.host", "yours"))
        self.assertEqual(json.loads(value)["value"], 42)
        self.assertRegex(json.loads(value)["note"], r"^pushed at \d\d:\d\d:\d\d by demo/push.py$")
        self.assertEqual(json.loads(push.push_arguments(["-2.5"])[2])["value"], -2.5)
        self.assertEqual(json.loads(push.push_arguments(["hi <b>"])[2])["value"], "hi <b>")

    def test_more_are_passed_on_to_dashboards_sse_push(self) -> None:
        args = ["tasks.inbox", "latest", '"hello"', "--key", "1"]
        self.assertEqual(push.push_arguments(args), args)
        for bad in ([], [""], ["--help"], ["a", "b"], ["--key", "1", "x"]):
            with self.subTest(bad=bad), self.assertRaises(SystemExit) as caught:
                push.push_arguments(bad)
            self.assertIn("usage: demo/push.py VALUE", str(caught.exception))


class RunningDemoTest(SimpleTestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.state = Path(tmp.name) / "demo.json"
        patch = mock.patch.object(push, "STATE", self.state)
        patch.start()
        self.addCleanup(patch.stop)

    def test_no_demo(self) -> None:
        with self.assertRaises(SystemExit) as caught:
            push.running_demo()
        self.assertIn("the demo is not running", str(caught.exception))
        self.assertIn("make demo", str(caught.exception))

    def test_a_demo_that_has_stopped(self) -> None:
        self.state.write_text(json.dumps({"pid": 2**22 + 12345, "db": "x", "url": "u"}))
        with self.assertRaises(SystemExit) as caught:
            push.running_demo()
        self.assertIn("is not running any more", str(caught.exception))

    def test_a_broken_state_file(self) -> None:
        self.state.write_text("{")
        with self.assertRaises(SystemExit) as caught:
            push.running_demo()
        self.assertIn("is not the demo's state", str(caught.exception))

    def test_a_running_demo(self) -> None:
        state = {"pid": os.getpid(), "db": "/x.sqlite3", "grip_url": None, "url": "http://h/"}
        self.state.write_text(json.dumps(state))
        self.assertEqual(push.running_demo(), state)


class RunStateTest(SimpleTestCase):
    def test_the_state_file_is_private_and_says_where_the_demo_is(self) -> None:
        with tempfile.TemporaryDirectory() as tmp, mock.patch.object(run, "RUN", Path(tmp)):
            env = {"DEMO_DB": "/db.sqlite3", "GRIP_URL": "http://127.0.0.1:1?key=k"}
            path = run.write_state(env, "http://127.0.0.1:2/")
            self.assertEqual(path.stat().st_mode & 0o777, 0o600)
            self.assertEqual(
                json.loads(path.read_text()),
                {
                    "pid": os.getpid(),
                    "db": "/db.sqlite3",
                    "grip_url": "http://127.0.0.1:1?key=k",
                    "url": "http://127.0.0.1:2/",
                },
            )

    def test_the_printed_command(self) -> None:
        repo = run.REPO
        with mock.patch.object(sys, "executable", str(repo / ".venv/bin/python")):
            with mock.patch.object(Path, "cwd", return_value=repo):
                with mock.patch.object(run, "RUN", (repo / ".run").resolve()):
                    self.assertEqual(run.push_command(), ".venv/bin/python demo/push.py 42")
                with mock.patch.object(run, "RUN", Path("/tmp/a b")):
                    self.assertEqual(
                        run.push_command("7"),
                        "DEMO_RUN_DIR='/tmp/a b' .venv/bin/python demo/push.py 7",
                    )
            # a directory the checkout is not under (CI may clone into /tmp)
            with mock.patch.object(Path, "cwd", return_value=Path("/proc")):
                self.assertEqual(
                    run.push_command(), f"{repo}/.venv/bin/python {repo}/demo/push.py 42"
                )
