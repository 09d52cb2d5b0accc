"""django-dashboards twins (``dd.<slug>``) through a real Pushpin: the upstream dashboard's
permissions guard the stream, pushes arrive as the component's own HTML, bad values are
refused by the CLI before anything is stored or sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.live import Stack
from tests.sse import SSEClient

pytest.importorskip(
    "dashboards.component",
    reason="django-dashboards is not installed (pip install '.[django-dashboards]')",
)

LIVE_STREAM = "/dashboards/dd.ddapp_live/stream/"
STAFF_STREAM = "/dashboards/dd.ddapp_staff/stream/"

STORED = """
import json
from django_eventstream.utils import get_storage
from dashboards_sse.models import ComponentState
from dashboards_sse.registry import get_dashboard
board = get_dashboard("dd.ddapp_live")
state = ComponentState.objects.filter(dashboard=board.slug, component="live_cpu")
print(json.dumps({
    "state": state.values_list("state", flat=True).first(),
    "event_id": get_storage().get_current_id(board.channel),
}))
"""


def login(stack: Stack, name: str, staff: bool) -> dict[str, str]:
    return stack.login(name, code="user.is_staff = True; user.save()" if staff else "")


def stored(stack: Stack) -> dict[str, Any]:
    """live_cpu's stored state and the twin channel's current event id, read by another
    process from the stack's database."""
    done = stack.run_python(STORED)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_anonymous_stream_of_staff_dashboard_refused(stack: Stack) -> None:
    """Staff declares IsAdminUser: the twin's stream applies it, not only the page."""
    with SSEClient(stack.proxy_url + STAFF_STREAM) as client:
        assert client.status == 403
        assert "You may not view the dashboard 'dd.ddapp_staff'." in client.body()


def test_staff_stream_follows_upstream_permission(stack: Stack) -> None:
    """Refusal is IsAdminUser's answer, not a blanket one: staff stream, other users do not."""
    with SSEClient(stack.proxy_url + STAFF_STREAM, headers=login(stack, "dd-plain", False)) as c:
        assert c.status == 403
    with SSEClient(stack.proxy_url + STAFF_STREAM, headers=login(stack, "dd-staff", True)) as c:
        assert c.status == 200
        c.wait_for("stream-open")


def test_live_twin_streams_pushed_stat_html(stack: Stack) -> None:
    with SSEClient(stack.proxy_url + LIVE_STREAM) as client:
        assert client.status == 200
        assert client.headers["content-type"].startswith("text/event-stream")
        client.wait_for("stream-open")
        done = stack.manage("dashboards_sse", "push", "dd.ddapp_live", "live_cpu", "87.5")
        assert done.returncode == 0, done.stderr
        event = client.wait_for("live_cpu")
    # The event is django-dashboards' own Stat HTML, formatted by SSEStat(unit="%", decimals=1).
    assert "<h2>87.5%</h2>" in event.data
    assert 'class="stat"' in event.data
    assert event.id is not None


def test_invalid_value_is_refused_and_not_stored(stack: Stack) -> None:
    done = stack.manage("dashboards_sse", "push", "dd.ddapp_live", "live_cpu", "41")
    assert done.returncode == 0, done.stderr
    before = stored(stack)
    assert before["state"]["text"] == "41.0%"

    done = stack.manage("dashboards_sse", "push", "dd.ddapp_live", "live_cpu", '{"nope": 1}')
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("CommandError: dashboard 'dd.ddapp_live', stat 'live_cpu': ")
    assert "a mapping needs one of 'text' or 'value'" in done.stderr
    assert "['nope']" in done.stderr
    assert done.stdout == ""
    # Neither the state nor the channel moved: no event was stored, so none can be replayed.
    assert stored(stack) == before
