"""bench.viewers ``--reconnect``: a viewer whose stream drops comes back like the browser client
(backoff, ``Last-Event-ID`` of the last event it received), and records when; without it a
dropped viewer stays out, as before. Against a small loopback SSE server scripted per
connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import viewers
from tests import own_loop

OPEN = b"event: stream-open\ndata:\n\n"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
REFUSED = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"


def event(number: int) -> bytes:
    return f"event: dsse-update\nid: dashboard.load.load:{number}\ndata: {{}}\n\n".encode()


# What the server answers its 1st, 2nd, ... connection; "hold": keep it open.
SCRIPT = [
    (HEAD + OPEN + event(1) + event(2), "close"),  # a live stream that drops
    (REFUSED, "close"),  # its first reconnect is refused
    (HEAD + OPEN + event(3), "hold"),  # the second is open again
]


def reopened(pool: viewers.Pool) -> bool:
    return pool.reopened == 1


class Server:
    """Answers its 1st, 2nd, ... connection from ``SCRIPT``; keeps every request."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.handlers: list[asyncio.Task[None]] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.append(task)
        try:
            self.requests.append(await reader.readuntil(b"\r\n\r\n"))
            answer, then = SCRIPT[min(len(self.requests), len(SCRIPT)) - 1]
            writer.write(answer)
            await writer.drain()
            if then == "hold":
                await reader.read()  # until the viewer closes
        finally:
            writer.close()
            await writer.wait_closed()

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        await asyncio.gather(*self.handlers, return_exceptions=True)


async def run_pool(
    options: list[str], until: Callable[[viewers.Pool], bool], server: Server
) -> viewers.Pool:
    port = await server.start()
    args = viewers.parse(
        ["--port", str(port), "--path", "/s/", "--n", "1", "--out", "x", *options]
    )
    pool = viewers.Pool(args)
    pool.attempted += 1
    pool.connect(0)
    for _ in range(200):  # at most 2 s
        await asyncio.sleep(0.01)
        if until(pool):
            break
    await asyncio.sleep(0.1)  # nothing more is to happen
    pool.stop.set()
    for client in list(pool.clients.values()):
        client.close()
    await server.stop()
    return pool


def test_a_dropped_viewer_reconnects_with_its_last_event_id(tmp_path: Path) -> None:
    server = Server()
    options = ["--events", "--ids", "--reconnect", "--spread-ms", "40", "--base-ms", "20"]
    pool = own_loop.run(run_pool, options, reopened, server)
    requests = server.requests
    assert len(requests) == 3
    assert b"Last-Event-ID" not in requests[0]
    # both reconnects resume from the last id received before the drop
    assert all(b"\r\nLast-Event-ID: dashboard.load.load:2\r\n\r\n" in r for r in requests[1:])
    assert [pool.seq.tolist(), pool.conn.tolist()] == [[1, 2, 3], [0, 0, 0]]
    status = pool.status()
    assert (status["ok"], status["reopened"], status["down"], status["failed"]) == (1, 1, 0, 0)
    assert (status["dropped"], status["reconnects"]) == (1, 2)
    assert status["reconnect_errors"] == {"HTTP 502": 1}
    # one drop -> open again, after two attempts; every attempt's time recorded
    assert pool.back_conn.tolist() == [0] and pool.back_attempts.tolist() == [2]
    assert pool.back_drop[0] < pool.reconnect_t[0] < pool.reconnect_t[1] < pool.back_open[0]
    pool.write(tmp_path / "v")
    assert (tmp_path / "v.back.open").stat().st_size == 8
    assert (tmp_path / "v.reconnects.t").stat().st_size == 16


def test_the_attempt_counter_restarts_once_a_stream_is_open() -> None:
    options = ["--events", "--reconnect", "--spread-ms", "40", "--base-ms", "20"]
    pool = own_loop.run(run_pool, options, reopened, Server())
    assert pool.reopened == 1
    assert pool.attempt == {} and pool.from_live == {} and pool.down_since == {}


def test_without_reconnect_a_dropped_viewer_stays_out() -> None:
    server = Server()
    pool = own_loop.run(
        run_pool, ["--events", "--retries", "0"], lambda pool: pool.drops == 1, server
    )
    assert len(server.requests) == 1
    status = pool.status()
    assert (status["ok"], status["dropped"], status["open"]) == (1, 1, 0)
    assert "reopened" not in status and not pool.reconnect_t


@pytest.mark.parametrize("options", [["--reconnect"], ["--reconnect", "--events", "--poll"]])
def test_reconnect_needs_event_ids(options: list[str]) -> None:
    with pytest.raises(SystemExit):
        viewers.parse(["--port", "1", "--path", "/", "--n", "1", "--out", "x", *options])
