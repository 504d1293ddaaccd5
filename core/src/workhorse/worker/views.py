"""What the helpers of a worker process see of the objects that own them.

``current_job()`` and the cancel watcher read a processor; both are below it, so
they name what they read here rather than importing the processor.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

    from workhorse.keys import Keys
    from workhorse.types import WorkerContext
    from workhorse.worker.running import RunningRegistry
    from workhorse.worker.timeouts import Watchdog


class RunningJobs(Protocol):
    """The jobs one processor runs, by thread id: what ``current_job`` and the cancel
    watcher read, and how they interrupt one."""

    @property
    def running(self) -> RunningRegistry: ...

    @property
    def cancelled_threads(self) -> Collection[int]: ...

    @property
    def process(self) -> WorkerContext: ...

    @property
    def watchdog(self) -> Watchdog: ...

    @property
    def redis(self) -> Redis: ...

    @property
    def keys(self) -> Keys: ...

    def cancel_running(self, tid: int) -> None: ...
