"""One GET request to an ASGI application in this process, no server and no network: the scope
of a request as Pushpin forwards it (signed with ``Grip-Sig``), and the messages the application
sends back. bench.micro's ``connect`` times Django's part of a stream connect with it;
tests/test_asgi.py compares answers with it."""

from __future__ import annotations

import asyncio
from typing import Any

Headers = list[tuple[bytes, bytes]]
Message = dict[str, Any]


def request_headers(host: bytes, grip_sig: str | None = None, cookie: bytes = b"") -> Headers:
    """``Host``, then Pushpin's ``Grip-Sig`` and a ``Cookie`` when given."""
    headers = [(b"host", host)]
    if grip_sig is not None:
        headers.append((b"grip-sig", grip_sig.encode()))
    if cookie:
        headers.append((b"cookie", cookie))
    return headers


def get_scope(
    path: str, query_string: bytes, headers: Headers, server: tuple[str, int]
) -> dict[str, Any]:
    """An HTTP/1.1 GET of ``path`` from a loopback client."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": server,
    }


async def get(app: Any, scope: dict[str, Any]) -> list[Message]:
    """Call ``app`` with ``scope``: an empty request body, then a client that never
    disconnects (a held stream is answered, not waited on). What it sent: the
    ``http.response.start`` message, then its body messages."""
    received = False
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # never set: the client stays
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
