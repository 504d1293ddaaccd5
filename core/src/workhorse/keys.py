"""Every Redis key name workhorse uses, built from one optional prefix.

With no prefix the names are exactly Sidekiq's (``queue:default``, ``retry``...).
A prefix such as ``{wh}`` carries a Redis Cluster hash tag, so every key of one
installation hashes to one slot and multi-key scripts stay legal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = ""

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}" if self.prefix else name

    @property
    def queues(self) -> str:
        return self.key("queues")

    def queue(self, name: str) -> str:
        return self.key(f"queue:{name}")

    def queue_name(self, key: str) -> str:
        """Inverse of :meth:`queue`."""
        return key[len(self.queue("")) :]

    @property
    def schedule(self) -> str:
        return self.key("schedule")

    @property
    def retry(self) -> str:
        return self.key("retry")

    @property
    def dead(self) -> str:
        return self.key("dead")

    @property
    def processes(self) -> str:
        return self.key("processes")

    def process(self, identity: str) -> str:
        return self.key(identity)

    def work(self, identity: str) -> str:
        """A process's running jobs, by Sidekiq 7+'s name."""
        return self.key(f"{identity}:work")

    def workers(self, identity: str) -> str:
        """A process's running jobs, by Sidekiq 6's name."""
        return self.key(f"{identity}:workers")

    def signals(self, identity: str) -> str:
        return self.key(f"{identity}-signals")

    def stat(self, name: str, day: date | None = None) -> str:
        suffix = f":{day.isoformat()}" if day else ""
        return self.key(f"stat:{name}{suffix}")

    @property
    def process_cleanup(self) -> str:
        return self.key("process_cleanup")

    def metrics(self, minute_bucket: str) -> str:
        return self.key(f"j|{minute_bucket}")

    def metrics_rollup(self, bucket: str) -> str:
        """Sidekiq 8's 10-minute rollup: same hash layout as the minute buckets."""
        return self.key(f"j|{bucket}")

    def histogram(self, job: str, minute: str) -> str:
        """Sidekiq 8's execution-time histogram of ``job`` for one minute (``D-H:M``)."""
        return self.key(f"h|{job}-{minute}")

    @property
    def paused(self) -> str:
        return self.key("paused")

    def result(self, jid: str) -> str:
        """A job's completion record (issue 18): a one-element list, so waiters can block
        on it with BLMOVE, written only for jobs that store results or were cancelled."""
        return self.key(f"result:{jid}")

    @property
    def cancelled(self) -> str:
        """Cancellation requests: zset jid -> time asked; workers poll it for running jobs."""
        return self.key("cancelled")

    def cursor(self, jid: str) -> str:
        """An iterable job's saved position (issue 18)."""
        return self.key(f"cursor:{jid}")

    def sorted_set(self, name: str) -> str:
        """Key of one of the three job sets by its public name."""
        return {"schedule": self.schedule, "retry": self.retry, "dead": self.dead}[name]
