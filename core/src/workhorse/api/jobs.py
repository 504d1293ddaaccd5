"""One job by jid: where it is now (its status), and cancelling it.

Status is derived from where the job is, looked up in the order a job travels
backwards (finished, running, retry, schedule, queues, dead), plus the completion
record for finished jobs that keep one (workhorse.results). A job that finished
without a record (``store_result`` off) has left no trace: its status is
``unknown``, as after its record expired.

Lookups scan: the job sets with ZSCAN MATCH on the jid, the queues page by page.
That is fine for a status page or a CLI call, not for a loop over many jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import redis

from workhorse import plugins, results
from workhorse.api.records import JobRecord
from workhorse.config import Settings
from workhorse.errors import JobCancelled
from workhorse.keys import Keys
from workhorse.types import JobPayload

if TYPE_CHECKING:
    from workhorse.api import Inspector
    from workhorse.api.processes import ProcessInfo

log = logging.getLogger("workhorse.api")

State = Literal[
    "queued",
    "scheduled",
    "running",
    "retrying",
    "succeeded",
    "failed",
    "dead",
    "cancelled",
    "unknown",
]
# A cancellation request is remembered this long, so a worker that picks the job up
# later (e.g. recovered by reliable fetch) still sees it.
CANCEL_MEMORY = 24 * 3600.0


@dataclass(frozen=True)
class JobStatus:
    """Where a job is and what became of it.

    ``attempt`` counts runs started or finished (1 for the first); ``next_run_at`` is
    the epoch time a scheduled or retrying job runs next; ``where`` names the queue,
    set or process identity holding it.
    """

    jid: str
    state: State
    job: JobRecord | None = None
    where: str = ""
    attempt: int = 0
    next_run_at: float | None = None
    completion: results.Completion | None = None
    running_since: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed", "dead", "cancelled")

    @property
    def error(self) -> str:
        """``Class: message`` of the last failure, or empty."""
        if self.completion is not None and self.completion.error_class:
            return f"{self.completion.error_class}: {self.completion.error_message}"
        if self.job is not None and self.job.get("error_class"):
            return f"{self.job.get('error_class')}: {self.job.get('error_message', '')}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        done = self.completion
        return {
            "jid": self.jid,
            "state": self.state,
            "class": self.job.display_name if self.job else None,
            "queue": self.job.queue if self.job else None,
            "args": self.job.args if self.job else None,
            "where": self.where,
            "attempt": self.attempt,
            "next_run_at": self.next_run_at,
            "running_since": self.running_since,
            "finished_at": done.finished_at if done else None,
            "result": done.value if done else None,
            "error": self.error or None,
            "timeout": self.job.get("timeout") if self.job else None,
        }


def _attempts(job: JobRecord, running: bool = False) -> int:
    count = job.get("retry_count")
    done = int(count) + 1 if isinstance(count, int) and not isinstance(count, bool) else 0
    return done + 1 if running else max(done, 1)


class Jobs:
    """Status and cancellation by jid over one :class:`Inspector`."""

    def __init__(self, inspector: Inspector) -> None:
        self.api = inspector

    def status(self, jid: str) -> JobStatus:
        api = self.api
        done = results.read_any(api.redis, api.keys, jid)
        if isinstance(done, results.Completion):
            return JobStatus(
                jid,
                done.state,  # type: ignore[arg-type]
                completion=done,
                attempt=done.attempts,
                where="finished",
            )
        processes = api.processes.list()
        found = self._where(jid, processes)
        if found is not None:
            return found
        if done is not None and any(p.identity == done.where for p in processes):
            # Started less than a heartbeat ago (a store_result job's running record;
            # last, as a job retried since may still have one: NX never refreshes it).
            return JobStatus(
                jid, "running", None, done.where, done.attempts, running_since=done.started_at
            )
        return JobStatus(jid, "unknown")

    def _where(self, jid: str, processes: list[ProcessInfo]) -> JobStatus | None:
        """Where the job is now: a process's running jobs, a set, a queue (or None)."""
        api = self.api
        for process in processes:
            for running in process.running:
                if running.job.jid == jid:
                    return JobStatus(
                        jid,
                        "running",
                        running.job,
                        process.identity,
                        _attempts(running.job, running=True),
                        running_since=running.run_at,
                    )
        found = api.retries.find(jid)
        if found is not None:
            return JobStatus(jid, "retrying", found, "retry", _attempts(found), found.score)
        found = api.scheduled.find(jid)
        if found is not None:
            return JobStatus(jid, "scheduled", found, "schedule", 0, found.score)
        for name in api.queues.names():
            found = api.queues[name].find(jid)
            if found is not None:
                return JobStatus(jid, "queued", found, f"queue:{name}", _attempts(found) - 1)
        found = api.dead.find(jid)
        if found is not None:
            return JobStatus(
                jid, "dead", found, "dead", _attempts(found), extra={"died_at": found.score}
            )
        return None

    def cancel(self, jid: str, now: float | None = None) -> str:
        """Cancel a job; returns what happened: ``removed`` (it was waiting and is gone),
        ``signalled`` (running: its worker stops it within a second or so), ``finished``
        (too late) or ``unknown`` (no such job seen; a worker that picks it up later
        still cancels it)."""
        api, now = self.api, time.time() if now is None else now
        pipe = api.redis.pipeline(transaction=True)
        pipe.zadd(api.keys.cancelled, {jid: now})
        pipe.zremrangebyscore(api.keys.cancelled, "-inf", now - CANCEL_MEMORY)
        pipe.execute()
        current = self.status(jid)
        if current.finished:
            return "finished"
        if current.state == "running":
            return "signalled"
        if current.job is None:
            return "unknown"
        removed = self._remove(current)
        if removed:
            job = current.job.item or {"jid": jid}
            record = results.failure(job, "cancelled", None)
            results.write(api.redis, api.keys, jid, record, results.ttl_of(job))
            self._died(cast("JobPayload", job))
            return "removed"
        return "signalled"  # it moved on meanwhile: the worker sees the request

    def _remove(self, current: JobStatus) -> bool:
        """Take the waiting job out; plugins hear of it as ``cancelled``."""
        assert current.job is not None
        api = self.api
        if current.state == "queued":
            return api.queues[current.where.split(":", 1)[1]].delete(current.job, "cancelled")
        job_set = {"retrying": api.retries, "scheduled": api.scheduled, "dead": api.dead}
        return job_set[current.state].delete(current.job, "cancelled")

    def _died(self, job: JobPayload) -> None:
        """Run the death handlers here, in the cancelling process, as a running job's
        worker does for its cancellation (and as Sidekiq's API kill does)."""
        try:
            plugins.job_died(
                job,
                JobCancelled(str(job.get("jid", "")), "cancelled while waiting"),
                _Caller(self.api),
            )
        except Exception:
            log.exception("a death handler failed for cancelled jid=%s", job.get("jid"))


class _Caller:
    """The ``ProcessContext`` death handlers get when a client, CLI or dashboard cancels
    a waiting job: that process, not a worker."""

    def __init__(self, api: Inspector) -> None:
        self._api = api
        self.stopping = threading.Event()

    @property
    def identity(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}:cancel"

    @property
    def settings(self) -> Settings:
        return self._api.settings

    @property
    def quiet(self) -> bool:
        return False

    @property
    def redis(self) -> redis.Redis:
        return self._api.redis

    @property
    def keys(self) -> Keys:
        return self._api.keys
