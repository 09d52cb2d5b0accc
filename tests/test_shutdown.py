from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from dashboards_sse import shutdown
from dashboards_sse.shutdown import WATCHED_SIGNALS, ChainedHandler, watch_signals


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A server's own Python handlers on SIGINT and SIGTERM (they record the signals they get),
    a fresh shutdown flag; the process's handlers are restored afterwards."""
    monkeypatch.setattr(shutdown, "_requested", threading.Event())
    saved = {signum: signal.getsignal(signum) for signum in WATCHED_SIGNALS}
    received: list[int] = []

    def server_handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    for signum in WATCHED_SIGNALS:
        signal.signal(signum, server_handler)
    try:
        yield received
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("signum", WATCHED_SIGNALS)
def test_signal_is_recorded_and_passed_on(handlers: list[int], signum: int) -> None:
    watch_signals()
    assert not shutdown.requested()
    signal.raise_signal(signum)
    assert shutdown.requested()
    assert handlers == [signum]  # the server still shuts down as it would have


def test_chained_once(handlers: list[int]) -> None:
    watch_signals()
    watch_signals()
    chained = signal.getsignal(signal.SIGTERM)
    assert isinstance(chained, ChainedHandler)
    assert not isinstance(chained.previous, ChainedHandler)
    signal.raise_signal(signal.SIGTERM)
    assert handlers == [signal.SIGTERM]


@pytest.mark.parametrize("disposition", [signal.SIG_DFL, signal.SIG_IGN])
def test_no_python_handler_left_alone(handlers: list[int], disposition: signal.Handlers) -> None:
    signal.signal(signal.SIGTERM, disposition)
    watch_signals()
    assert signal.getsignal(signal.SIGTERM) is disposition
    assert isinstance(signal.getsignal(signal.SIGINT), ChainedHandler)


def test_off_the_main_thread_nothing_installed(handlers: list[int]) -> None:
    before = {signum: signal.getsignal(signum) for signum in WATCHED_SIGNALS}
    worker = threading.Thread(target=watch_signals)  # a WSGI request thread
    worker.start()
    worker.join()
    assert {signum: signal.getsignal(signum) for signum in WATCHED_SIGNALS} == before
