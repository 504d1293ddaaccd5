"""A capsule: one set of queues with its own fetcher, job threads and prefetch buffer.

A worker process runs one capsule per ``Settings.capsule_specs`` entry (issue 22),
e.g. a one-thread capsule for a queue whose jobs must run one at a time beside a
twenty-thread capsule for everything else. Capsules share the process's Redis
connection pool, heartbeat, poller and event loop; nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from redis import Redis

from workhorse import plugins
from workhorse.config import DEFAULT_CAPSULE, CapsuleSpec, Settings
from workhorse.keys import Keys
from workhorse.stats import ThreadStats
from workhorse.types import Fetcher, ProcessContext, UnitOfWork, WorkerContext
from workhorse.worker.async_lane import AsyncLane
from workhorse.worker.async_runner import AsyncRunner
from workhorse.worker.executor import Executor
from workhorse.worker.processor import Processor


def fetch_identity(identity: str, capsule: str) -> str:
    """The identity a capsule's fetcher is given: the process's own for the default
    capsule, ``<identity>#<capsule>`` for the others, so state a fetcher keeps per
    identity (Pro's leases and in-progress lists) stays apart per capsule."""
    return identity if capsule == DEFAULT_CAPSULE else f"{identity}#{capsule}"


class CapsuleContext:
    """The ``ProcessContext`` a capsule's fetcher is built from: the process, with the
    capsule's queues and concurrency in ``settings`` and its own fetch identity."""

    def __init__(self, process: ProcessContext, spec: CapsuleSpec) -> None:
        self._process = process
        self._identity = fetch_identity(process.identity, spec.name)
        self._settings = process.settings.with_changes(
            queues=spec.queues, concurrency=spec.concurrency, capsules=()
        )

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def quiet(self) -> bool:
        return self._process.quiet

    @property
    def stopping(self) -> threading.Event:
        return self._process.stopping

    @property
    def redis(self) -> Redis:
        return self._process.redis

    @property
    def keys(self) -> Keys:
        return self._process.keys


class Capsule:
    """Fetcher, processor and executor of one capsule of a worker process."""

    def __init__(self, spec: CapsuleSpec, process: WorkerContext, run_async: AsyncRunner) -> None:
        self.spec = spec
        self.name = spec.name
        settings = process.settings
        self.fetcher: Fetcher[Any] = plugins.make_fetcher(CapsuleContext(process, spec))
        self.processor = Processor(process, self.fetcher, run_async)
        prefetch = settings.prefetch if spec.prefetch is None else spec.prefetch
        self.lane = _lane(spec, settings, self.processor, run_async, prefetch)
        self.executor = Executor(
            self.processor,
            self.fetcher,
            spec.concurrency,
            settings.fetch_timeout,
            prefetch,
            self.lane,
        )

    def describe(self) -> str:
        queues = ",".join(
            f"{q.name}{',' + str(q.weight) if q.weight else ''}" for q in self.spec.queues
        )
        lane = self.lane
        tasks = f" + {lane.limit} async ({lane.loop_name})" if lane is not None else ""
        return f"{self.name}: {self.spec.concurrency} threads{tasks}, queues {queues}"


def async_limit(spec: CapsuleSpec, settings: Settings) -> int:
    """How many async jobs the capsule runs at once: ``async_concurrency`` for the
    default capsule; a further capsule's async jobs are held to its thread count, so a
    one-thread capsule still runs one job at a time."""
    if spec.name == DEFAULT_CAPSULE:
        return settings.async_concurrency
    return min(spec.concurrency, settings.async_concurrency)


def _lane(
    spec: CapsuleSpec,
    settings: Settings,
    processor: Processor,
    run_async: AsyncRunner,
    prefetch: int,
) -> AsyncLane | None:
    limit = async_limit(spec, settings)
    if not limit or processor.run_chain_async is None:
        return None
    ahead = limit if prefetch else 0  # --prefetch 0: nothing held in memory, as for threads
    return AsyncLane(processor, run_async.loop(), limit, ahead)


def running(capsules: Iterable[Capsule]) -> dict[int, tuple[UnitOfWork[object], float]]:
    """Jobs running in any of ``capsules``, by thread id (a copy, for the heartbeat)."""
    merged: dict[int, tuple[UnitOfWork[object], float]] = {}
    for cap in capsules:
        merged.update(cap.processor.running.snapshot())
    return merged


def thread_stats(capsules: Iterable[Capsule]) -> list[ThreadStats]:
    return [stats for cap in capsules for stats in cap.executor.stats]
