"""The executor's prefetch: a small buffer of jobs beyond the idle threads, only for fast jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jobs_for_tests as jobs
import pytest
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.types import UnitOfWork
from workhorse.worker import executor as executor_module
from workhorse.worker.executor import BATCH_WAIT, Executor
from workhorse.worker.job_speed import FAST_JOB, SHORT_JOB
from workhorse.worker.launcher import WorkerProcess


class _NoFetch:
    def fetch(self, max_jobs: int, timeout: float) -> Sequence[UnitOfWork]:  # noqa: ARG002
        return []

    def acknowledge(self, unit: UnitOfWork) -> None: ...

    def requeue(self, units: Sequence[UnitOfWork]) -> None: ...

    def close(self) -> None: ...


def _executor(concurrency: int) -> Executor:
    return Executor(
        processor=None,
        fetcher=_NoFetch(),
        concurrency=concurrency,  # type: ignore[arg-type]
        fetch_timeout=1.0,
    )


def test_no_prefetch_until_jobs_prove_fast_and_none_once_they_slow_down() -> None:
    executor = _executor(8)
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 0  # a new process assumes its jobs are slow
    executor.mean_job_seconds = FAST_JOB / 10
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 64  # eight jobs per thread may wait in memory
    assert executor._take_permits() == 36, "one fetch takes half the permits"
    assert executor._take_permits() == 36, "so the next can go out while its batch runs"
    executor.mean_job_seconds = 1.0
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 64, "buffered permits are taken back only once free"
    for _ in range(72):
        executor.permits.release()
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 0


def test_short_io_jobs_keep_a_quarter_as_many_jobs_as_threads_ready() -> None:
    executor = _executor(24)
    executor.mean_job_seconds = 0.01  # e.g. a 10 ms HTTP call
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 6, "a finished thread takes its next job from memory"
    executor.mean_job_seconds = SHORT_JOB * 2
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 0, "longer jobs are never held back behind running ones"


def test_the_short_job_buffer_follows_prefetch() -> None:
    executor = Executor(None, _NoFetch(), 24, 1.0, prefetch=0)  # type: ignore[arg-type]
    executor.mean_job_seconds = 0.01
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 0, "--prefetch 0 holds no job beyond the running ones"


def test_short_jobs_are_fetched_in_batches_not_one_per_finished_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(executor_module, "_sleep", waits.append)
    executor = _executor(8)
    executor.mean_job_seconds = 0.05
    executor._size_prefetch_permits()
    assert executor.prefetch_permits == 2
    executor.work.put(UnitOfWork("default", "{}"))  # a job is still ready in memory
    executor.backlog = True  # and the queue had more than the last fetch took
    assert executor._take_permits() == 5, "half of threads + buffer in one round trip"
    assert waits == [BATCH_WAIT], "more threads may finish meanwhile; never a long wait"


def test_no_batching_wait_when_the_queues_ran_dry(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(executor_module, "_sleep", waits.append)
    executor = _executor(8)
    executor.mean_job_seconds = 0.05
    executor._size_prefetch_permits()
    executor.work.put(UnitOfWork("default", "{}"))
    executor.backlog = False  # the last fetch got less than it asked for
    assert executor._take_permits() == 5
    assert waits == [], "an idle worker goes straight back to its blocking pop"


def test_no_batching_wait_while_threads_wait_for_work(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(executor_module, "_sleep", waits.append)
    executor = _executor(8)
    executor.mean_job_seconds = 0.05  # the average lags: the jobs may be faster by now
    executor._size_prefetch_permits()
    executor.backlog = True  # but no job is ready in memory
    assert executor._take_permits() == 5
    assert waits == [], "an idle thread gets its job one round trip later, not more"


def test_slow_jobs_are_not_held_in_one_process_while_another_is_idle(
    wh_client: Client, r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    for i in range(4):
        jobs.slow.perform_async(1.0, f"s{i}")
    first = start_worker(concurrency=2)
    second = start_worker(concurrency=2)
    # Had the first process fetched a third job to hold in memory, the second
    # could never be running two at once.
    wait_for(
        lambda: len(first.processor.running) == 2 and len(second.processor.running) == 2,
        "both processes to run two slow jobs at once",
        timeout=10,
    )
