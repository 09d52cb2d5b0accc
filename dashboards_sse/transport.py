"""Delivering items to Pushpin's HTTP publish endpoint: synchronous, retried, fork-safe.

django-grip's publisher (used by ``send_event``) publishes from a background thread by default:
an update is lost when the process exits or forks right after, and errors are swallowed. Here a
push returns only once Pushpin accepted every item, in one POST, or raises PublishError.
"""

from __future__ import annotations

import os
import time
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


def publish_items(items: list[dict[str, Any]], config: Settings) -> None:
    """POST ``items`` to Pushpin; retry connection errors and 5xx within the time budget."""
    url = config.publish_url
    if url is None or not items:
        return
    deadline = time.monotonic() + config.publish_timeout
    delay = 0.05
    attempts = 0
    while True:
        attempts += 1
        try:
            response = _get_session().post(
                url, json={"items": items}, timeout=config.publish_request_timeout
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
