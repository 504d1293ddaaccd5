"""An idle process waits for its next job in a job thread, which runs the job it pops
(issue 24's idle latency): no hand-off from the fetch thread to a job thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import SimpleNamespace

import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse.fetch import BasicFetch
from workhorse.job import Job
from workhorse.types import UnitOfWork
from workhorse.worker import executor as executor_module
from workhorse.worker.executor import Executor
from workhorse.worker.launcher import WorkerProcess


class ScriptedFetch:
    """A split fetcher (types.SplitFetcher) whose waiting pops return what a test
    scripts, one entry per pop: a unit, an error to raise, or an event to wait for."""

    def __init__(self, script: list[object]) -> None:
        self.script = script
        self.stopped = threading.Event()  # ends the pops nothing was scripted for
        self.popped_on: list[str] = []  # the thread each waiting pop ran on
        self.requeued: list[UnitOfWork] = []

    def fetch(self, max_jobs: int, timeout: float) -> Sequence[UnitOfWork]:  # noqa: ARG002
        raise AssertionError("a split fetcher is driven through pop_now and pop_waiting")

    def pop_now(self, max_jobs: int) -> list[UnitOfWork]:  # noqa: ARG002
        return []

    def pop_waiting(self, timeout: float) -> list[UnitOfWork]:  # noqa: ARG002
        self.popped_on.append(threading.current_thread().name)
        step = self.script.pop(0) if self.script else self.stopped
        if isinstance(step, threading.Event):
            step.wait(2.0)
            return []
        if isinstance(step, Exception):
            raise step
        return [step]  # type: ignore[list-item]

    def acknowledge(self, unit: UnitOfWork) -> None: ...

    def requeue(self, units: Sequence[UnitOfWork]) -> None:
        self.requeued.extend(units)

    def close(self) -> None: ...


def _processor(ran_on: list[str], busy: int = 0) -> SimpleNamespace:
    def process_on(unit: UnitOfWork, *_: object) -> float:
        ran_on.append(threading.current_thread().name)
        return 0.0

    running = {i: None for i in range(busy)}
    return SimpleNamespace(process_on=process_on, abandoned=set(), redis=None, running=running)


def _started(fetcher: ScriptedFetch, processor: SimpleNamespace, threads: int = 2) -> Executor:
    executor = Executor(processor, fetcher, threads, fetch_timeout=1.0)  # type: ignore[arg-type]
    executor.start()
    return executor


def _stop(executor: Executor, fetcher: ScriptedFetch) -> None:
    executor.fetching.clear()
    fetcher.stopped.set()
    executor.stop_fetching(3.0)
    executor.stop_threads()


def _all_permits_free(executor: Executor) -> bool:
    return executor.permits.free() == executor.concurrency + executor.prefetch_permits


def test_the_job_an_idle_worker_pops_runs_on_the_thread_that_popped_it() -> None:
    ran_on: list[str] = []
    fetcher = ScriptedFetch([UnitOfWork("default", "{}")])
    executor = _started(fetcher, _processor(ran_on))
    try:
        wait_for(lambda: ran_on, "the job to run")
        assert ran_on[0] == fetcher.popped_on[0]
        assert ran_on[0].startswith("workhorse-"), "a job thread, not the fetch thread"
        wait_for(lambda: len(fetcher.popped_on) >= 2, "the next waiting pop")
    finally:
        _stop(executor, fetcher)
    assert _all_permits_free(executor), "the job's permit came back after it ran"


def test_a_pop_that_fails_in_a_job_thread_is_handled_as_a_failed_fetch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[Exception] = []

    def failed(exc: Exception, outage: object) -> float:
        failures.append(exc)
        return 0.0

    monkeypatch.setattr(executor_module, "fetch_failed", failed)
    ran_on: list[str] = []
    lost = redis.ConnectionError("Redis went away")
    fetcher = ScriptedFetch([lost, UnitOfWork("default", "{}")])
    executor = _started(fetcher, _processor(ran_on))
    try:
        wait_for(lambda: ran_on, "the job after the failed pop")
        assert failures == [lost], "reported (and backed off) by the fetch thread, once"
        wait_for(lambda: len(fetcher.popped_on) >= 3, "the next waiting pop")
    finally:
        _stop(executor, fetcher)
    assert _all_permits_free(executor), "no permit was lost with the failed pop"


def test_a_job_popped_while_the_worker_stops_goes_back_to_its_queue() -> None:
    arrives = threading.Event()
    job = UnitOfWork("default", "{}")

    class LateFetch(ScriptedFetch):
        def pop_waiting(self, timeout: float) -> list[UnitOfWork]:  # noqa: ARG002
            self.popped_on.append(threading.current_thread().name)
            arrives.wait(5.0)
            return [job]

    ran_on: list[str] = []
    fetcher = LateFetch([])
    executor = _started(fetcher, _processor(ran_on))
    wait_for(lambda: fetcher.popped_on, "a job thread to wait for a job")
    stopping = threading.Thread(target=executor.stop_fetching, args=(5.0,))
    stopping.start()
    wait_for(lambda: not executor.fetching.is_set(), "the worker to stop fetching")
    arrives.set()  # the pop brings a job only now
    stopping.join(6.0)
    executor.stop_threads()
    assert fetcher.requeued == [job]
    assert ran_on == []


def test_with_every_thread_busy_the_fetch_thread_waits_itself() -> None:
    ran_on: list[str] = []
    fetcher = ScriptedFetch([UnitOfWork("default", "{}")])
    executor = Executor(_processor(ran_on, busy=2), fetcher, 2, 1.0)  # type: ignore[arg-type]
    units, started = executor._fetch(1)  # as the fetch thread does, holding a prefetch permit
    assert (len(units), started) == (1, 0), "handed out as a fetched job"
    assert fetcher.popped_on == [threading.current_thread().name]
    assert executor.work.empty(), "no pop was left queued behind the running jobs"


_ran_on: list[str] = []


@workhorse.job(name="IdlePopProbe")
def idle_pop_probe() -> None:
    _ran_on.append(threading.current_thread().name)


@workhorse.job(name="IdlePopAsyncProbe")
async def idle_pop_async_probe() -> None:
    _ran_on.append(threading.current_thread().name)


@pytest.fixture
def waiting_pops(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The threads that started a waiting pop, and those whose pop brought a job."""
    waiting_on: list[str] = []
    popped_on: list[str] = []
    pop_waiting = BasicFetch.pop_waiting

    def recorded(self: BasicFetch, timeout: float) -> list[UnitOfWork[None]]:
        waiting_on.append(threading.current_thread().name)
        units = pop_waiting(self, timeout)
        if units:
            popped_on.append(threading.current_thread().name)
        return units

    monkeypatch.setattr(BasicFetch, "pop_waiting", recorded)
    _ran_on.clear()
    return waiting_on, popped_on


def _push_to_idle_worker(
    start_worker: Callable[..., WorkerProcess], waiting_on: list[str], job: Job[[], None]
) -> None:
    """Start a worker, wait until it waits for a job, push ``job`` and wait for it to run."""
    start_worker(concurrency=3)
    wait_for(lambda: waiting_on, "the idle worker to wait for a job")
    job.perform_async()
    wait_for(lambda: _ran_on, "the job to run")


def test_a_real_worker_runs_a_job_pushed_while_idle_on_the_popping_thread(
    start_worker: Callable[..., WorkerProcess],
    waiting_pops: tuple[list[str], list[str]],
) -> None:
    waiting_on, popped_on = waiting_pops
    _push_to_idle_worker(start_worker, waiting_on, idle_pop_probe)
    assert popped_on == _ran_on
    assert _ran_on[0].startswith("workhorse-") and _ran_on[0] != "workhorse-fetch"


def test_an_async_job_popped_by_an_idle_job_thread_runs_on_the_event_loop(
    start_worker: Callable[..., WorkerProcess],
    waiting_pops: tuple[list[str], list[str]],
) -> None:
    waiting_on, popped_on = waiting_pops
    _push_to_idle_worker(start_worker, waiting_on, idle_pop_async_probe)
    assert popped_on and popped_on[0] not in ("workhorse-fetch", "workhorse-asyncio")
    assert _ran_on == ["workhorse-asyncio"], "on the async lane, not in the thread that popped it"
    idle_pop_probe.perform_async()
    wait_for(lambda: len(_ran_on) == 2, "a thread job after it")
