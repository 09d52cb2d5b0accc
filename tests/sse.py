"""A minimal blocking SSE client for tests: raw HTTP/1.1 on loopback, chunked decoding,
bounded by a deadline on every read (a test never hangs on a silent stream)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

UPDATE_EVENT = "dsse-update"


@dataclass
class Event:
    type: str
    data: str
    id: str | None


def expand(events: Iterable[Event]) -> list[Event]:
    """Each ``dsse-update`` message as one event per component it updates (type = component,
    data = its HTML, empty for a remove or clear; the message's id): how a viewer sees the
    components change. Other events pass through."""
    out = []
    for event in events:
        if event.type != UPDATE_EVENT:
            out.append(event)
            continue
        message = json.loads(event.data)
        out += [Event(u["component"], u.get("html", ""), event.id) for u in message["updates"]]
    return out


class SSEClient:
    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 10):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Accept: text/event-stream",
            "Connection: close",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.raw = b""
        self.text = ""
        self.pending: list[Event] = []
        try:
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            self.status, self.headers = self._read_head(timeout)
        except BaseException:
            self.sock.close()
            raise
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"

    def _recv(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        if not data:
            raise ConnectionError("stream closed")
        self.raw += data
        return True

    def _read_head(self, timeout: float) -> tuple[int, dict[str, str]]:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(deadline):
                raise TimeoutError("no response head")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers

    def _decode(self) -> None:
        if not self.chunked:
            self.text += self.raw.decode()
            self.raw = b""
            return
        while b"\r\n" in self.raw:
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if len(rest) < size + 2:
                return
            self.text += rest[:size].decode()
            self.raw = rest[size + 2 :]

    def body(self, timeout: float = 5) -> str:
        """Whatever the (non-streaming) response body is, read until close or timeout."""
        deadline = time.monotonic() + timeout
        try:
            while self._recv(deadline):
                pass
        except ConnectionError:
            pass
        self._decode()
        return self.text

    def events(self, timeout: float = 10) -> list[Event]:
        """Complete events available within ``timeout`` (returns early once any arrived)."""
        deadline = time.monotonic() + timeout
        while True:
            self._decode()
            if "\n\n" in self.text or not self._recv(deadline):
                break
        complete, _, self.text = self.text.rpartition("\n\n")
        out = []
        for block in complete.split("\n\n"):
            fields: dict[str, list[str]] = {}
            for line in block.split("\n"):
                if not line or line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
            if fields:
                out.append(
                    Event(
                        type=fields.get("event", ["message"])[0],
                        data="\n".join(fields.get("data", [])),
                        id=fields.get("id", [None])[0],
                    )
                )
        return out

    def wait_for(self, event_type: str, timeout: float = 10, contains: str = "") -> Event:
        """The next event of this type, or the next update of the component of this name
        (events before it are consumed, events after it kept)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            while self.pending:
                event = self.pending.pop(0)
                seen.append(event.type)
                if event.type == event_type and contains in event.data:
                    return event
            if time.monotonic() >= deadline:
                break
            self.pending = expand(self.events(timeout=deadline - time.monotonic()))
        raise AssertionError(f"no {event_type!r} event containing {contains!r}; saw {seen}")

    def wait_closed(self, timeout: float = 10) -> bool:
        """Read until the server closes the connection (True) or ``timeout`` passes (False);
        what was read stays in ``raw``."""
        deadline = time.monotonic() + timeout
        try:
            while self._recv(deadline):
                pass
        except ConnectionError:
            return True
        return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> SSEClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
