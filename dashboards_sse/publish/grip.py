"""Delivering items to every GRIP proxy's HTTP publish endpoint: synchronous, retried, fork-safe.

django-grip's publisher (used by ``send_event``) publishes from a background thread by default:
an update is lost when the process exits or forks right after, and errors are swallowed. Here a
push returns only once every proxy accepted every item, or raises PublishError.

With several proxies (a Pushpin fleet, GRIP_PROXIES) each one gets the same bodies, in order,
at the same time, each retried within the one time budget; a proxy that did not accept them
is named in a PartialPublishError. A proxy whose last publish used up the budget is tried once
per publish until it accepts again, so one dead instance does not slow every push.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import jwt
import requests

from ..conf import GripProxy, Settings
from ..exceptions import PartialPublishError, PublishError

# One HTTP session per proxy and process: a session inherited through fork() shares sockets
# with the parent, so a forked child (Celery prefork, gunicorn) starts its own. One per proxy
# because proxies are posted to from parallel threads.
_sessions: dict[str, requests.Session] = {}
_sessions_pid = 0

# Threads that post to a fleet's other proxies while the caller posts to the first. Kept per
# process (a forked child has none of its parent's threads); starting threads per publish
# cost more than the POSTs (bench/fanout.py).
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
POOL_THREADS = 8

# Publish URLs of proxies (of a fleet) whose last publish failed after retrying.
_down: set[str] = set()

# Pushpin refuses a publish body over push_in_max_body_size (1 MB in pushpin/); a big batch
# goes out in several POSTs, in order, none over this.
MAX_BODY_BYTES = 512 * 1024
STORED = "The update is stored: clients replay it when they reconnect."
MAY_ARRIVE = (
    "It may still reach open streams: a request got to Pushpin, which did not answer in time."
)
NOT_LIVE = "Open streams did not get it live."
# The shortest timeout of a request, even with no budget left (the last attempt's).
MIN_REQUEST_TIMEOUT = 0.01


class Problem(NamedTuple):
    """What went wrong delivering to one proxy."""

    text: str
    may_have_arrived: bool  # a request reached the proxy, whose answer never came
# A JWT for a proxy with control_iss is valid this long (gripcontrol's choice too).
JWT_LIFETIME = 3600


def _get_session(url: str) -> requests.Session:
    global _sessions_pid
    if _sessions_pid != os.getpid():
        for session in _sessions.values():
            session.close()  # closes this process's copies of the parent's sockets only
        _sessions.clear()
        _sessions_pid = os.getpid()
    if url not in _sessions:
        _sessions[url] = requests.Session()
    return _sessions[url]


def _get_pool() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="dashboards_sse-publish")
        _pool_pid = os.getpid()
    return _pool


def auth_headers(proxy: GripProxy) -> dict[str, str]:
    """What gripcontrol sends: a JWT when the proxy has an issuer, else the key as a bearer
    token (Fastly Fanout's API token). Self-hosted Pushpin ignores both."""
    if proxy.control_iss and proxy.key:
        claim = {"iss": proxy.control_iss, "exp": int(time.time()) + JWT_LIFETIME}
        return {"Authorization": "Bearer " + jwt.encode(claim, proxy.key, algorithm="HS256")}
    if proxy.key:
        key = proxy.key.decode() if isinstance(proxy.key, bytes) else proxy.key
        return {"Authorization": "Bearer " + key}
    return {}


def publish_items(items: list[dict[str, Any]], config: Settings) -> None:
    """POST ``items`` to every proxy; retry connection errors and 5xx within the time budget."""
    if not config.proxies or not items:
        return
    bodies = list(_bodies(items))
    deadline = time.monotonic() + config.publish_timeout
    if len(config.proxies) == 1:
        problem = _deliver(config.proxies[0], bodies, config, deadline)
        if problem:
            may_arrive = problem.may_have_arrived
            raise PublishError(
                f"{problem.text} {STORED} {MAY_ARRIVE if may_arrive else NOT_LIVE}",
                may_still_arrive=may_arrive,
                items=items,
            )
        return
    first, *others = config.proxies
    futures = [_get_pool().submit(_deliver, proxy, bodies, config, deadline) for proxy in others]
    problems = [_deliver(first, bodies, config, deadline)]  # this thread takes the first
    problems += [future.result() for future in futures]
    outcome = {
        proxy.publish_url: problem for proxy, problem in zip(config.proxies, problems, strict=True)
    }
    failed = {url: problem for url, problem in outcome.items() if problem}
    if not failed:
        return
    accepted = [url for url, problem in outcome.items() if not problem]
    details = " ".join(problem.text for problem in failed.values())
    may_arrive = any(problem.may_have_arrived for problem in failed.values())
    if not accepted:
        raise PublishError(
            f"No GRIP proxy accepted the update. {details} {STORED} "
            + (MAY_ARRIVE if may_arrive else NOT_LIVE),
            may_still_arrive=may_arrive,
            items=items,
        )
    raise PartialPublishError(
        f"{len(failed)} of {len(config.proxies)} GRIP proxies did not accept the update "
        f"({len(accepted)} did: {', '.join(accepted)}). {details} The update is stored: "
        "viewers on those proxies get it with the next update they accept on this channel, "
        "or when they reconnect.",
        accepted,
        {url: problem.text for url, problem in failed.items()},
        may_still_arrive=may_arrive,
        items=items,
    )


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


def _deliver(
    proxy: GripProxy, bodies: list[bytes], config: Settings, deadline: float
) -> Problem | None:
    """Send ``bodies`` to one proxy, in order; return what went wrong, or None when accepted."""
    url = proxy.publish_url
    down = len(config.proxies) > 1 and url in _down
    for index, body in enumerate(bodies):
        problem = _post(proxy, body, config, time.monotonic() if down else deadline)
        if problem:
            _down.add(url)
            text = problem.text
            if down:
                text += " It failed the previous publish too: tried once, not retried."
            # the bodies before this one were accepted: some of the update arrives anyway
            return Problem(text, problem.may_have_arrived or index > 0)
    _down.discard(url)
    return None


def _post(proxy: GripProxy, body: bytes, config: Settings, deadline: float) -> Problem | None:
    """POST one body until accepted or ``deadline``: every request's timeout ends by then, so
    PUBLISH_TIMEOUT bounds a push (give or take MIN_REQUEST_TIMEOUT)."""
    url = proxy.publish_url
    headers = {"Content-Type": "application/json", **auth_headers(proxy)}
    delay = 0.05
    attempts = 0
    may_have_arrived = False
    while True:
        attempts += 1
        timeout = min(
            config.publish_request_timeout,
            max(deadline - time.monotonic(), MIN_REQUEST_TIMEOUT),
        )
        try:
            response = _get_session(url).post(url, data=body, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}: {exc}"
            # Sent, but no answer: Pushpin may be publishing it (frozen, overloaded). A refused
            # or timed-out connect never carried it.
            may_have_arrived |= not isinstance(exc, requests.ConnectTimeout) and not _refused(
                exc
            )
        else:
            if response.status_code == 200:
                return None
            problem = f"HTTP {response.status_code}: {response.text.strip()[:200]}"
            if response.status_code < 500:
                return Problem(f"Pushpin at {url} refused the update ({problem}).", False)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Problem(
                f"Pushpin at {url} did not accept the update after {attempts} attempt(s) in "
                f"{config.publish_timeout:g}s ({problem}).",
                may_have_arrived,
            )
        time.sleep(min(delay, remaining))  # the last attempt lands at the deadline
        delay = min(delay * 2, 1.0)


def _refused(exc: requests.RequestException) -> bool:
    """Whether the connection itself failed (refused, unreachable, name unknown)."""
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    # urllib3 wraps a failed connect in MaxRetryError(reason=NewConnectionError(...))
    return type(getattr(reason, "reason", reason)).__name__ in {
        "NewConnectionError",
        "NameResolutionError",
        "ConnectTimeoutError",
    }
