"""workhorse.worker.permits: the fetch thread's permits, one per job it may fetch."""

from __future__ import annotations

import threading

from workhorse.worker.permits import Permits


def test_permits_are_taken_up_to_what_is_free_and_given_back() -> None:
    permits = Permits(3)
    assert permits.take(2) == 2 and permits.free() == 1
    assert permits.take(5) == 1 and permits.take(5) == 0
    permits.release(4)
    assert permits.free() == 4


def test_acquire_waits_for_a_permit_given_back_by_another_thread() -> None:
    permits = Permits(0)
    assert permits.acquire(timeout=0.01) is False
    threading.Timer(0.05, permits.release).start()
    assert permits.acquire(timeout=10) is True
    assert permits.free() == 0
