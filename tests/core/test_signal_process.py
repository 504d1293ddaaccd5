"""Real worker processes and real signals: repeated TERMs never hang a worker or lose a job,
the second says how to force the stop and the third forces it (issue 17)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from support.processes import CORE_TESTS
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings

THREADS = 2
SHUTDOWN_TIMEOUT = 1.0
# Enough to see a hang: an exit takes the shutdown timeout plus a second or two.
EXIT_DEADLINE = SHUTDOWN_TIMEOUT + 20
WORKER = [sys.executable, "-m", "workhorse", "worker", "-r", "jobs_for_tests"]


class Worker:
    """`workhorse worker` in a session (and process group) of its own, logging to a file."""

    def __init__(self, url: str, log: Path, *args: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*WORKER, "--redis-url", url, "-c", str(THREADS), *args],
                cwd=CORE_TESTS,
                env={**os.environ, "PYTHONPATH": str(CORE_TESTS)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text()

    def exit_code(self, deadline: float = EXIT_DEADLINE) -> int:
        try:
            return self.process.wait(deadline)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker hung: still running {deadline}s after TERM\n{self.output()}")

    def term_until(self, condition: str, what: str) -> None:
        """Send TERM every quarter second until ``condition`` shows in the log."""

        def sent_and_seen() -> bool:
            self.process.send_signal(signal.SIGTERM)
            return wait_quietly(lambda: condition in self.output(), 0.25)

        wait_for(sent_and_seen, what, timeout=15, interval=0)


def wait_quietly(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(10)


def enqueue_slow_jobs(redis_url: str, count: int) -> list[str]:
    client = Client(settings=Settings(redis_url=redis_url))
    markers = [f"job-{n}" for n in range(count)]
    for marker in markers:
        client.enqueue("jobs_for_tests.slow", [120, marker])
    return markers


def queued_markers(r: redis.Redis) -> list[str]:
    return sorted(json.loads(raw)["args"][1] for raw in r.lrange("queue:default", 0, -1))


def burst_of_terms(pid: int, pairs: int = 100) -> None:
    """TERM to the process, then to its group (as `timeout` does), again and again within
    microseconds: each may land while the previous one's handler is running."""
    for _ in range(pairs):
        os.kill(pid, signal.SIGTERM)
        os.killpg(pid, signal.SIGTERM)
        until = time.perf_counter() + random.uniform(0, 0.00005)
        while time.perf_counter() < until:
            pass


@pytest.mark.parametrize("processes", [1, 2], ids=["single", "p2"])
def test_bursts_of_term_never_hang_a_worker_and_running_jobs_go_back(
    redis_url: str, r: redis.Redis, workers: list[Worker], tmp_path: Path, processes: int
) -> None:
    busy = THREADS * processes
    markers = enqueue_slow_jobs(redis_url, busy + 2)  # two wait in the queue throughout
    for round_number in range(4):
        r.delete("test:started")
        log = tmp_path / f"round-{round_number}.log"
        worker = Worker(redis_url, log, "-t", str(SHUTDOWN_TIMEOUT), "-p", str(processes))
        workers.append(worker)
        wait_for(lambda: r.llen("test:started") >= busy, "every thread to run a job", timeout=30)
        burst_of_terms(worker.pid)
        assert worker.exit_code() == 0, worker.output()
        assert queued_markers(r) == markers, "every running job is back in its queue"
        assert r.smembers("processes") == set()
        assert "Traceback" not in worker.output()


@pytest.mark.parametrize("processes", [1, 2], ids=["single", "p2"])
def test_second_term_says_how_to_force_and_the_third_stops_at_once_requeueing_jobs(
    redis_url: str, r: redis.Redis, workers: list[Worker], tmp_path: Path, processes: int
) -> None:
    busy = THREADS * processes
    markers = enqueue_slow_jobs(redis_url, busy + 1)
    worker = Worker(redis_url, tmp_path / "worker.log", "-t", "600", "-p", str(processes))
    workers.append(worker)
    wait_for(lambda: r.llen("test:started") >= busy, "every thread to run a job", timeout=30)
    worker.term_until("received TERM: stopping", "the first TERM to start the shutdown")
    worker.term_until("send TERM once more to stop now", "the second TERM's reminder")
    worker.term_until("received TERM a third time: stopping now", "the third TERM")
    # Long before the 600 s shutdown timeout:
    assert worker.exit_code() == 0, worker.output()
    out = worker.output()
    assert f"waiting for {THREADS} running job(s)" in out
    assert f"pushing {THREADS} unfinished job(s) back" in out
    assert queued_markers(r) == markers
    assert r.smembers("processes") == set()
