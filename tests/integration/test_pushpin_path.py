"""End to end through a real Pushpin: a short-lived process pushes, a held stream receives."""

from __future__ import annotations

import re
import time

import jwt

from tests.live import Stack, free_port
from tests.sse import SSEClient, expand

STREAM = "/dashboards/testapp.ops/stream/"


def open_stream(stack: Stack, query: str = "") -> SSEClient:
    client = SSEClient(stack.proxy_url + STREAM + query)
    assert client.status == 200, client.body()
    client.wait_for("stream-open")
    return client


def test_cli_push_reaches_held_stream(stack: Stack) -> None:
    with open_stream(stack) as client:
        done = stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "12.5")
        assert done.returncode == 0, done.stderr
        event = client.wait_for("cpu", contains="12.5")
        assert re.fullmatch(r"dashboard\.testapp\.ops:\d+", event.id or "")
        assert 'class="dsse-number">12.5<' in event.data


def test_several_components_pushed_in_one_call(stack: Stack) -> None:
    with open_stream(stack) as client:
        done = stack.run_python("Dashboard; push('testapp.ops', cpu=71, status='degraded')")
        assert done.returncode == 0, done.stderr
        cpu = client.wait_for("cpu", contains="71")
        status = client.wait_for("status", contains="degraded")
        assert cpu.id == status.id  # one message, one event id


WALL = {
    "orders": 1284,
    "revenue": 48120,
    "visitors": 912,
    "conversion": 3.4,
    "errors": 0,
    "state": "'all good'",
    "p95": [1, 412],
}


def test_a_push_of_seven_components_is_one_sse_event(stack: Stack) -> None:
    with SSEClient(stack.proxy_url + "/dashboards/testapp.wall/stream/") as client:
        assert client.status == 200
        client.wait_for("stream-open")
        values = ", ".join(f"{name}={value}" for name, value in WALL.items())
        done = stack.run_python(f"Dashboard; push('testapp.wall', {values})")
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 3  # long enough for anything else Pushpin would send
        received = []
        while time.monotonic() < deadline:
            received += client.events(timeout=deadline - time.monotonic())
    delivered = [event for event in received if event.type not in ("keep-alive", "stream-open")]
    assert [event.type for event in delivered] == ["dsse-update"]
    (message,) = delivered
    assert [update.type for update in expand([message])] == list(WALL)
    assert re.fullmatch(r"dashboard\.testapp\.wall:\d+", message.id or "")


def test_chart_points_appended_by_separate_processes(stack: Stack) -> None:
    with open_stream(stack) as client:
        for y in (10, 20):
            done = stack.manage(
                "dashboards_sse", "push", "testapp.ops", "latency", f"[{time.time()}, {y}]"
            )
            assert done.returncode == 0, done.stderr
        first = client.wait_for("latency")
        second = client.wait_for("latency")
        count = [
            int(re.search(r'data-points="(\d+)"', e.data).group(1))  # type: ignore[union-attr]
            for e in (first, second)
        ]
        assert count[1] == min(count[0] + 1, 5)  # window=5
        assert "<svg" in second.data and "<polyline" in second.data


def test_push_then_os_exit_is_delivered(stack: Stack) -> None:
    with open_stream(stack) as client:
        done = stack.run_python("import os\npush('testapp.ops', cpu=33.3)\nos._exit(0)")
        assert done.returncode == 0, done.stderr
        client.wait_for("cpu", contains="33.3")


def test_reconnect_with_last_event_id_replays_missed_updates(stack: Stack) -> None:
    with open_stream(stack) as client:
        stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "1")
        last_seen = client.wait_for("cpu", contains=">1.0<").id
    stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "2")  # nobody connected
    with open_stream(stack, f"?lastEventId={last_seen}") as client:
        replayed = client.wait_for("cpu", contains=">2.0<")
        assert int(replayed.id.rsplit(":", 1)[1]) == int(last_seen.rsplit(":", 1)[1]) + 1  # type: ignore[union-attr]


def test_page_through_pushpin_renders_last_pushed_state(stack: Stack) -> None:
    stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "64.5")
    with SSEClient(stack.proxy_url + "/dashboards/testapp.ops/") as page:
        assert page.status == 200
        html = page.body()
    assert ">64.5<" in html
    assert html.count("sse-connect=") == 1


def test_direct_stream_request_is_refused_at_once(stack: Stack) -> None:
    started = time.monotonic()
    with SSEClient(stack.django_url + STREAM) as client:
        assert client.status == 403
        assert "through Pushpin" in client.body()
    assert time.monotonic() - started < 5


def test_forged_grip_sig_is_refused(stack: Stack) -> None:
    forged = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, "x" * 40)
    for header in (forged, "garbage"):
        with SSEClient(stack.django_url + STREAM, headers={"Grip-Sig": header}) as client:
            assert client.status == 403
            assert "Grip-Sig did not verify" in client.body()


def test_unknown_dashboard_stream_is_404_through_pushpin(stack: Stack) -> None:
    with SSEClient(stack.proxy_url + "/dashboards/nope/stream/") as client:
        assert client.status == 404
        assert "No dashboard 'nope'" in client.body()


def test_malformed_last_event_id_is_400_through_pushpin(stack: Stack) -> None:
    with SSEClient(stack.proxy_url + STREAM, headers={"Last-Event-ID": "x:y:z"}) as client:
        assert client.status == 400


def test_push_fails_clearly_when_pushpin_unreachable(stack: Stack) -> None:
    unreachable = {
        "DSSE_GRIP_URL": f"http://127.0.0.1:{free_port()}?key={stack.key}",
    }
    started = time.monotonic()
    failed = stack.manage("dashboards_sse", "push", "testapp.ops", "cpu", "6", env=unreachable)
    assert failed.returncode != 0
    assert "did not accept the update" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30  # bounded retry (PUBLISH_TIMEOUT 5 s), never a hang


def test_batch_in_several_posts_arrives_complete_and_in_order(stack: Stack) -> None:
    code = (
        "from dashboards_sse.publish import grip as transport\n"
        "transport.MAX_BODY_BYTES = 100  # one item per POST\n"
        "with batch():\n"
        "    for n in range(300):\n"
        "        push('testapp.ops', cpu=n, status=f'run {n}', latency=n)\n"
        "        push('testapp.wall', orders=n)\n"
    )
    wall = SSEClient(stack.proxy_url + "/dashboards/testapp.wall/stream/")
    with open_stream(stack) as client, wall:
        wall.wait_for("stream-open")
        done = stack.run_python(code)
        assert done.returncode == 0, done.stderr
        got = [client.wait_for(kind) for kind in ("cpu", "status", "latency")]
        assert ">299.0<" in got[0].data and "run 299" in got[1].data
        assert 'data-points="5"' in got[2].data  # every point applied, window 5 kept
        # one event per dashboard (its components' newest states), each in its own POST
        assert got[0].id == got[1].id == got[2].id
        assert ">299<" in wall.wait_for("orders").data


def test_coalesced_push_is_sent_when_a_script_exits(stack: Stack) -> None:
    sensors = "/dashboards/testapp.sensors/stream/"
    with SSEClient(stack.proxy_url + sensors) as client:
        client.wait_for("stream-open")
        done = stack.run_python(
            "for n in range(50):\n"
            "    push('testapp.sensors', temperature=n)\n"
            "print(sum(bool(p.deferred) for p in [push('testapp.sensors', temperature=50)]))\n"
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "1"  # held, then sent by the exit flush
        first = client.wait_for("temperature")
        last = client.wait_for("temperature", contains=">50<")
        assert ">0<" in first.data
        assert int(last.id.rsplit(":", 1)[1]) == 2  # type: ignore[union-attr]


def test_large_event_passes_pushpin_buffers(stack: Stack) -> None:
    # A 2,500-point chart renders tens of KB of SVG: far over condure's 4 KB buffers.
    code = (
        "r = push('testapp.sensors', history={'series': [[x, x % 97] for x in range(2500)]})\n"
        "print(len(r.html['history'].encode()))\n"
    )
    with SSEClient(stack.proxy_url + "/dashboards/testapp.sensors/stream/") as client:
        client.wait_for("stream-open")
        done = stack.run_python(code)
        assert done.returncode == 0, done.stderr
        size = int(done.stdout)
        assert size > 30_000
        event = client.wait_for("history")
        assert 'data-points="2500"' in event.data
        assert abs(len(event.data.encode()) - size) < 100  # whole, bar SSE line framing
