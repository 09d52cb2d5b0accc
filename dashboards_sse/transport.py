"""Delivering items to Pushpin's HTTP publish endpoint: synchronous, retried, fork-safe.

django-grip's publisher (used by ``send_event``) publishes from a background thread by default:
an update is lost when the process exits or forks right after, and errors are swallowed. Here a
push returns only once Pushpin accepted every item, in one POST, or raises PublishError.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import requests

from .conf import Settings
from .exceptions import PublishError

# One HTTP session per process: a session inherited through fork() shares sockets with the
# parent, so a forked child (Celery prefork, gunicorn) starts its own.
_session: requests.Session | None = None
_session_pid = 0


def _get_session() -> requests.Session:
    global _session, _session_pid
    if _session is None or _session_pid != os.getpid():
        if _session is not None:
            _session.close()  # closes this process's copies of the parent's sockets only
        _session = requests.Session()
        _session_pid = os.getpid()
    return _session


# Pushpin refuses a publish body over push_in_max_body_size (1 MB in pushpin/); a big batch
# goes out in several POSTs, in order, none over this.
MAX_BODY_BYTES = 512 * 1024


def publish_items(items: list[dict[str, Any]], config: Settings) -> None:
    """POST ``items`` to Pushpin; retry connection errors and 5xx within the time budget."""
    if config.publish_url is None or not items:
        return
    deadline = time.monotonic() + config.publish_timeout
    for body in _bodies(items):
        _post(body, config, deadline)


def _bodies(items: list[dict[str, Any]]) -> Iterator[bytes]:
    """``{"items": [...]}`` request bodies of at most MAX_BODY_BYTES (one item may exceed it)."""
    chunk: list[bytes] = []
    size = 0
    for item in items:
        encoded = json.dumps(item, separators=(",", ":")).encode()
        if chunk and size + len(encoded) > MAX_BODY_BYTES:
            yield b'{"items":[' + b",".join(chunk) + b"]}"
            chunk, size = [], 0
        chunk.append(encoded)
        size += len(encoded) + 1
    yield b'{"items":[' + b",".join(chunk) + b"]}"


def _post(body: bytes, config: Settings, deadline: float) -> None:
    url = config.publish_url
    delay = 0.05
    attempts = 0
    while True:
        attempts += 1
        try:
            response = _get_session().post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=config.publish_request_timeout,
            )
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 200:
                return
            problem = f"HTTP {response.status_code}: {response.text.strip()[:200]}"
            if response.status_code < 500:
                raise PublishError(f"Pushpin at {url} refused the update ({problem}).")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PublishError(
                f"Pushpin at {url} did not accept the update after {attempts} attempt(s) "
                f"in {config.publish_timeout:g}s ({problem}). The update is stored: clients "
                f"replay it when they reconnect."
            )
        time.sleep(min(delay, remaining))  # the last attempt lands at the deadline
        delay = min(delay * 2, 1.0)
