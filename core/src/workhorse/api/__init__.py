"""Read and act on workhorse's (and Sidekiq's) Redis state: what the CLI and dashboard use.

Everything here works on the exact stored bytes, so deleting or retrying a job
never clobbers a concurrent change, and pages through large sets instead of
loading them whole.

>>> api = Inspector.from_url("redis://localhost:6379/0")  # doctest: +SKIP
>>> api.dead.size(), [r.jid for r in api.retries.page(0, 25)]  # doctest: +SKIP
"""

from __future__ import annotations

import redis

from workhorse.api.jobs import Jobs, JobStatus
from workhorse.api.processes import Processes, ProcessInfo, ProcessScan, Unreadable
from workhorse.api.queues import Queue, Queues
from workhorse.api.records import JobRecord
from workhorse.api.sets import JobSet
from workhorse.api.stats import JobMetrics, Stats, StatsSummary
from workhorse.config import Settings
from workhorse.keys import Keys

__all__ = [
    "Inspector",
    "JobMetrics",
    "JobRecord",
    "JobSet",
    "JobStatus",
    "Jobs",
    "ProcessInfo",
    "ProcessScan",
    "Processes",
    "Queue",
    "Queues",
    "Stats",
    "StatsSummary",
    "Unreadable",
]


class Inspector:
    """One entry point over a Redis: queues, job sets, processes and stats."""

    def __init__(
        self, client: redis.Redis, keys: Keys | None = None, settings: Settings | None = None
    ) -> None:
        self.redis = client
        self.keys = keys or Keys()
        self.settings = settings or Settings(prefix=self.keys.prefix)
        self.queues = Queues(client, self.keys, self.settings)
        self.scheduled = JobSet(client, self.keys, "schedule", self.settings)
        self.retries = JobSet(client, self.keys, "retry", self.settings)
        self.dead = JobSet(client, self.keys, "dead", self.settings)
        self.processes = Processes(client, self.keys)
        self.stats = Stats(client, self.keys)
        self.jobs = Jobs(self)

    @classmethod
    def from_url(cls, url: str | None = None, prefix: str = "") -> Inspector:
        from workhorse.connection import connect

        settings = Settings.from_env(redis_url=url, prefix=prefix)
        return cls(connect(settings), Keys(settings.prefix), settings)

    def job_set(self, name: str) -> JobSet:
        """``schedule``/``scheduled``, ``retry``/``retries`` or ``dead``."""
        table = {
            "schedule": self.scheduled,
            "scheduled": self.scheduled,
            "retry": self.retries,
            "retries": self.retries,
            "dead": self.dead,
        }
        return table[name]
