"""``bench.status_asgi:application``: the bench project's ASGI application, its responses
counted by status (bench.statuses, ``BENCH_STATUS_FILE``). Each 5xx and each exception is
also written to stderr (Django's log in the run dir) with its request line, the first
``LOGGED`` of them."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .project.asgi import application as project_application
from .statuses import ENV, StatusCounter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LOGGED = 100
counter = StatusCounter(os.environ[ENV])
logged = 0


def log(text: str) -> None:
    global logged
    if logged < LOGGED:
        logged += 1
        print(f"bench.status_asgi: {text}", file=sys.stderr, flush=True)


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        await project_application(scope, receive, send)
        return
    line = f"{scope.get('method')} {scope.get('path')}"

    async def counted(message: Message) -> None:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            counter.response(status)
            if status >= 500:
                log(f"{status} {line}")
        await send(message)

    try:
        await project_application(scope, receive, counted)
    except BaseException as exc:
        counter.raised()
        log(f"raised {type(exc).__name__}: {exc} ({line})")
        raise
