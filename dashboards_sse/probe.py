"""``manage.py dashboards_sse check``: is the configured Pushpin really delivering?

Three probes, each with a verdict a user can act on: the publish endpoint answers, a stream
opened through the proxy is accepted by Django (signature, routing), and a test event published
to the dashboard's channel comes back out of that stream.
"""

from __future__ import annotations

import http.client
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.urls import reverse

from .conf import GripProxy, get_settings
from .dashboard import Dashboard
from .publish.grip import auth_headers
from .publish.wire import user_item

CHECK_EVENT = "dashboards-sse-check"


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str


def probe_pushpin(proxy_url: str, dashboard: type[Dashboard], timeout: float) -> list[Probe]:
    config = get_settings()
    if not config.proxies:
        return [Probe("GRIP_URL", False, "not set: embedded mode, there is no Pushpin to check")]
    results = [_probe_publish(proxy, timeout) for proxy in config.proxies]
    stream = _open_stream(proxy_url, dashboard, timeout)
    if isinstance(stream, Probe):
        return [*results, stream]
    connection, response = stream
    results.append(Probe("stream through Pushpin", True, f"{proxy_url} → Django accepted"))
    try:
        results.append(_round_trip(config.proxies, dashboard, connection, response, timeout))
    finally:
        connection.close()
    return results


def _probe_publish(proxy: GripProxy, timeout: float) -> Probe:
    name = "publish endpoint"
    url = proxy.publish_url
    try:
        answer = requests.post(
            url, json={"items": []}, headers=auth_headers(proxy), timeout=timeout
        )
    except requests.RequestException as exc:
        return Probe(name, False, f"{url} unreachable: {type(exc).__name__}")
    if answer.status_code != 200:
        return Probe(name, False, f"{url} answered HTTP {answer.status_code}")
    return Probe(name, True, url)


def _open_stream(
    proxy_url: str, dashboard: type[Dashboard], timeout: float
) -> Probe | tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    name = "stream through Pushpin"
    parts = urlsplit(proxy_url)
    path = reverse("dashboards_sse:stream", args=[dashboard.slug])
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "text/event-stream"})
        response = connection.getresponse()
    except OSError as exc:
        connection.close()
        return Probe(name, False, f"{proxy_url} unreachable: {exc}")
    if response.status == 200:
        return connection, response
    body = response.read(300).decode(errors="replace").strip()
    connection.close()
    hints = {
        "Grip-Sig did not verify": "Django's GRIP_URL key differs from Pushpin's sig_key",
        "through Pushpin": "the request reached Django unsigned: is this URL our Pushpin?",
        "may not view": f"the dashboard {dashboard.slug!r} is not public; pick one with "
        "--dashboard",
    }
    hint = next((text for marker, text in hints.items() if marker in body), body)
    if response.status == 502:
        hint = "Pushpin cannot reach Django (check its routes / PUSHPIN_ORIGIN)"
    return Probe(name, False, f"HTTP {response.status}: {hint}")


def _round_trip(
    proxies: tuple[GripProxy, ...],
    dashboard: type[Dashboard],
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    timeout: float,
) -> Probe:
    """Publish a one-off event (not stored, no id: clients ignore it) and read it back."""
    name = "round trip"
    token = secrets.token_hex(8)
    deadline = time.monotonic() + timeout
    if not _read_until(connection, response, "event: stream-open", deadline):
        return Probe(name, False, "the stream never opened")
    # The dashboard's channel only takes items that continue its id chain, so the test event
    # goes to the per-user channel every stream also holds (anonymous here), limited to this
    # dashboard's streams. No id, an unknown event name: browsers ignore it.
    content = f"event: {CHECK_EVENT}\ndata: {token}\n\n"
    item = user_item(
        "anonymous", dashboard.channel, {"content": content}, get_settings().grip_prefix
    )
    started = time.monotonic()
    try:
        # every proxy: the balancer in front of a fleet may have sent the stream to any one
        for proxy in proxies:
            requests.post(
                proxy.publish_url,
                json={"items": [item]},
                headers=auth_headers(proxy),
                timeout=timeout,
            ).raise_for_status()
    except requests.RequestException as exc:
        return Probe(name, False, f"publishing the test event failed: {exc}")
    if not _read_until(connection, response, f"data: {token}", deadline):
        return Probe(name, False, f"the test event did not arrive within {timeout:g}s")
    elapsed = (time.monotonic() - started) * 1000
    return Probe(name, True, f"test event delivered in {elapsed:.0f} ms")


def _read_until(
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    marker: str,
    deadline: float,
) -> bool:
    """Read SSE lines (chunked decoding by http.client) until ``marker`` or the deadline."""
    while (remaining := deadline - time.monotonic()) > 0:
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        try:
            line = response.readline()
        except (TimeoutError, http.client.HTTPException):
            return False
        if not line:
            return False
        if line.decode(errors="replace").rstrip("\r\n") == marker:
            return True
    return False
