"""Lists through a real Pushpin: two processes push items to one feed at once; every viewer gets
each item once, as one small event, however long the feed has grown (1,000 items)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.live import REPO, Stack
from tests.sse import SSEClient

STREAM = "/dashboards/testapp.activity/stream/"
PER_PROCESS = 500
PUSHER = """
import sys
import django
django.setup()
from tests.testapp.dashboards import Activity
name = sys.argv[1]
for n in range(int(sys.argv[2])):
    Activity.archive.push({"id": f"{name}-{n}", "text": f"item {n} from {name}"})
"""


def test_item_events_stay_small_as_a_feed_grows_to_a_thousand(stack: Stack) -> None:
    clear = "from tests.testapp.dashboards import Activity\nActivity.archive.clear()"
    assert stack.run_python(clear).returncode == 0
    with SSEClient(stack.proxy_url + STREAM, timeout=30) as client:
        client.wait_for("stream-open")
        pushers = [
            subprocess.Popen(
                [sys.executable, "-c", PUSHER, name, str(PER_PROCESS)],
                cwd=REPO,
                env=stack.env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for name in ("a", "b")
        ]
        try:
            received: list[tuple[int, list[dict[str, str]]]] = []
            deadline = time.monotonic() + 120
            while sum(len(u) for _, u in received) < 2 * PER_PROCESS:
                assert time.monotonic() < deadline, f"got {len(received)} events"
                for event in client.events(timeout=1):
                    if event.type == "dsse-update":
                        received.append((len(event.data), json.loads(event.data)["updates"]))
        finally:
            for pusher in pushers:
                _, err = pusher.communicate(timeout=120)
                assert pusher.returncode == 0, err.decode()
    keys = [u["key"] for _, updates in received for u in updates]
    assert len(keys) == len(set(keys)) == 2 * PER_PROCESS  # each item once
    assert all(u["action"] == "insert" for _, updates in received for u in updates)
    sizes = [size for size, _ in received]
    assert max(sizes) < 600, max(sizes)  # one item's HTML, never the list's
    assert max(sizes) - min(sizes) < 40  # the same at 10 items as at 1,000
    done = stack.run_python(
        "from dashboards_sse.models import ComponentState\n"
        "print(len(ComponentState.objects.get(component='archive').state['items']))"
    )
    assert done.stdout.strip() == str(2 * PER_PROCESS)
