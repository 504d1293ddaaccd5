"""The signal inbox, stop-request counting and the main thread's loop (worker/signals.py)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from workhorse.config import Settings
from workhorse.worker.launcher import WorkerProcess
from workhorse.worker.signals import SAME_REQUEST_SECONDS, SignalInbox, StopRequests, serve


@pytest.fixture
def inbox() -> Iterator[SignalInbox]:
    box = SignalInbox()
    yield box
    box.close()


def test_posted_signals_are_received_by_name_in_order(inbox: SignalInbox) -> None:
    inbox.post(signal.SIGTERM)
    inbox.post(signal.SIGTSTP)
    inbox.post(signal.SIGINT)
    assert inbox.receive(1.0) == ["TERM", "TSTP", "INT"]
    assert inbox.receive(0.01) == []


def test_a_real_signal_is_recorded_by_the_handler_and_read_later(inbox: SignalInbox) -> None:
    previous = signal.getsignal(signal.SIGTTIN)
    try:
        inbox.install([signal.SIGTTIN])
        os.kill(os.getpid(), signal.SIGTTIN)
        assert inbox.receive(5.0) == ["TTIN"]
    finally:
        signal.signal(signal.SIGTTIN, previous)


def test_a_full_pipe_drops_further_signals_instead_of_blocking_the_handler(
    inbox: SignalInbox,
) -> None:
    for _ in range(200_000):  # far more than a pipe buffer holds
        inbox.post(signal.SIGTERM)
    received = inbox.receive(1.0)
    assert received and set(received) == {"TERM"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_stop_is_graceful_the_second_reminds_the_third_forces() -> None:
    clock = Clock()
    requests = StopRequests(clock)
    steps = []
    for _ in range(4):
        steps.append(requests.record())
        clock.now += SAME_REQUEST_SECONDS + 0.1
    assert steps == ["graceful", "remind", "force", "force"]


def test_stop_signals_close_together_are_one_request() -> None:
    clock = Clock()
    requests = StopRequests(clock)
    assert requests.record() == "graceful"
    clock.now += 0.001  # `timeout` signals the process, then its group
    assert requests.record() is None
    clock.now += SAME_REQUEST_SECONDS - 0.01
    assert requests.record() is None
    clock.now += 0.02
    assert requests.record() == "remind"


class FakeWorker:
    def __init__(self) -> None:
        self.signals: list[str] = []
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.shutdowns = 0

    def handle_signal(self, name: str) -> None:
        self.signals.append(name)
        if name == "TERM":
            self.stopping.set()

    def is_stopping(self) -> bool:
        return self.stopping.is_set()

    def is_stopped(self) -> bool:
        return self.stopped.is_set()

    def begin_shutdown(self) -> None:
        self.shutdowns += 1
        self.stopping.set()
        threading.Timer(0.05, self.stopped.set).start()


def test_serve_hands_signals_to_every_worker_and_shuts_all_down_once(inbox: SignalInbox) -> None:
    workers = [FakeWorker(), FakeWorker()]
    inbox.post(signal.SIGTSTP)
    inbox.post(signal.SIGTERM)
    inbox.post(signal.SIGTERM)
    serve(workers, inbox, poll=0.01)
    assert [w.signals for w in workers] == [["TSTP", "TERM", "TERM"]] * 2
    assert [w.shutdowns for w in workers] == [1, 1]


def test_serve_stops_all_workers_when_one_is_stopped_another_way(inbox: SignalInbox) -> None:
    workers = [FakeWorker(), FakeWorker()]
    workers[1].stopping.set()  # e.g. a TERM from the dashboard, through Redis
    serve(workers, inbox, poll=0.01)
    assert [w.shutdowns for w in workers] == [1, 1]


def test_a_worker_run_without_signal_handlers_returns_once_stopped(settings: Settings) -> None:
    worker = WorkerProcess(settings)
    thread = threading.Thread(target=worker.run)
    thread.start()
    worker.stop()
    thread.join(30)
    assert not thread.is_alive() and worker.stopped.is_set() and not worker.forced
