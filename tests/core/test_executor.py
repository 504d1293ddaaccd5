"""The executor's prefetch: a small buffer of jobs beyond the idle threads, only for fast jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.types import UnitOfWork
from workhorse.worker.executor import FAST_JOB, Executor
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
