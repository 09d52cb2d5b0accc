"""A batch() flood through a real Pushpin with 100 viewers: whatever Pushpin delivers (its gap
recovery may re-send events), a viewer that applies only events newer than the last one it
applied, as the browser script does, ends on the last push, having applied every event once."""

from __future__ import annotations

import json
import threading
import time

from tests.fleet import EVENT_ID
from tests.live import Stack
from tests.sse import SSEClient, expand

VIEWERS = 100
BATCHES = 150  # each: 20 pushes to two components, one message
STREAM = "/dashboards/testapp.ops/stream/"

FLOOD = f"""
for round in range({BATCHES}):
    with batch():
        for step in range(20):
            value = round * 20 + step
            push("testapp.ops", cpu=value, status=f"run {{value}}")
last = push("testapp.ops", status="done")
print(json.dumps({{"last": last.event_id}}))
"""


class Viewer(threading.Thread):
    """Reads one stream; applies an event only if its id is newer than the last applied."""

    def __init__(self, url: str, start: str) -> None:
        super().__init__(daemon=True)
        self.url, self.start_id = url, start
        self.applied: list[int] = []
        self.shown: dict[str, str] = {}
        self.dropped = 0
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with SSEClient(self.url, headers={"Last-Event-ID": self.start_id}, timeout=30) as c:
                assert c.status == 200, c.status
                self.ready.set()
                while not self.stop.is_set():
                    for event in c.events(timeout=0.5):
                        self.receive(event.type, event.id, event)
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.ready.set()

    def receive(self, kind: str, event_id: str | None, event: object) -> None:
        match = EVENT_ID.search(event_id or "")
        if kind != "dsse-update" or match is None:
            return
        number = int(match.group(1))
        if self.applied and number <= self.applied[-1]:
            self.dropped += 1
            return
        self.applied.append(number)
        for part in expand([event]):  # type: ignore[list-item]
            self.shown[part.type] = part.data


def test_every_viewer_ends_on_the_last_push(stack: Stack) -> None:
    done = stack.run_python("Dashboard; print(push('testapp.ops', status='start').event_id)")
    assert done.returncode == 0, done.stderr
    first = int(done.stdout.split()[-1])
    viewers = [Viewer(stack.proxy_url + STREAM, f"dashboard.testapp.ops:{first}")]
    viewers += [Viewer(stack.proxy_url + STREAM, viewers[0].start_id) for _ in range(VIEWERS - 1)]
    for viewer in viewers:
        viewer.start()
    try:
        for viewer in viewers:
            assert viewer.ready.wait(30) and viewer.error is None, viewer.error
        flood = stack.run_python("import json\n" + FLOOD, timeout=300)
        assert flood.returncode == 0, flood.stderr
        last = json.loads(flood.stdout.strip().splitlines()[-1])["last"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            not v.applied or v.applied[-1] < last for v in viewers
        ):
            time.sleep(0.2)
    finally:
        for viewer in viewers:
            viewer.stop.set()
        for viewer in viewers:
            viewer.join(timeout=10)

    expected = list(range(first + 1, last + 1))  # one event per batch, then the last push
    assert len(expected) == BATCHES + 1
    for index, viewer in enumerate(viewers):
        assert viewer.error is None, (index, viewer.error)
        assert viewer.applied == expected, (index, viewer.applied[-5:], viewer.dropped)
        assert ">done<" in viewer.shown["status"], index
        assert f">{BATCHES * 20 - 1:,}.0<" in viewer.shown["cpu"], index
