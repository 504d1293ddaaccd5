"""``workhorse.current_job()``: the job running on this thread (or asyncio task).

Nothing is recorded per job for this: the worker already keeps its running jobs by
thread, and an ``async def`` job's task carries its worker thread's id in a
context variable.
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workhorse import logcontext, payload
from workhorse.errors import JobCancelled
from workhorse.logcontext import JobFields

if TYPE_CHECKING:
    from workhorse.worker.views import RunningJobs

# Every live processor: one per capsule of each worker in this process (issue 22). A
# thread runs one processor's jobs, so its id finds the one job it runs.
_processors: weakref.WeakSet[RunningJobs] = weakref.WeakSet()
async_thread: contextvars.ContextVar[int] = contextvars.ContextVar("workhorse_job_thread")


def install(processor: RunningJobs | None) -> None:
    """Called by each processor: its running jobs are what ``current_job`` reads. ``None``
    forgets every processor (tests)."""
    if processor is None:
        _processors.clear()
    else:
        _processors.add(processor)


@dataclass(frozen=True)
class CurrentJob:
    """The running job as its own code sees it."""

    jid: str
    job: dict[str, Any]
    queue: str
    _thread: int
    _processor: RunningJobs = field(repr=False, compare=False)

    @property
    def cancelled(self) -> bool:
        """True once someone asked to cancel this job (``workhorse.cancel``)."""
        return self._thread in self._processor.cancelled_threads

    @property
    def stopping(self) -> bool:
        """True once this worker process began shutting down: a long job should save its
        place and return (iterable jobs do)."""
        return self._processor.process.stopping.is_set()

    def restart_clock(self) -> None:
        """Start this job's time limit afresh (iterable jobs: the limit is per item)."""
        self._processor.watchdog.rearm(self._thread)

    @property
    def fields(self) -> JobFields | None:
        """What identifies this job in log lines: class, attempt, bid, tags (issue 20)."""
        return logcontext.current_job()

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled: a safe point to stop at."""
        if self.cancelled:
            raise JobCancelled(self.jid, "cancelled while running")


def current_job() -> CurrentJob | None:
    """The job running here, or None outside a worker's job."""
    tid = async_thread.get(threading.get_ident())
    found = next(((p, e) for p in list(_processors) if (e := p.running.get(tid))), None)
    if found is None:
        return None
    processor, (unit, _) = found
    try:
        job = dict(payload.decode(unit.raw))
    except Exception:  # noqa: BLE001 - not a job: nothing is running as far as user code knows
        return None
    return CurrentJob(str(job.get("jid", "")), job, unit.queue, tid, processor)
