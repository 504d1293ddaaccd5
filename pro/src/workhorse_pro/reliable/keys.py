"""Redis key names of reliable fetch, built on core's ``Keys`` so one prefix (and its
Redis Cluster hash tag) covers them too.

Names deliberately differ from Sidekiq Pro's (``super_processes``, ``queue:sq|...``):
a Sidekiq Pro process sharing the Redis would otherwise treat our in-progress lists
as its own orphans and requeue jobs that are still running here.
"""

from __future__ import annotations

from dataclasses import dataclass

from workhorse.keys import Keys

IN_PROGRESS = "inprogress"


@dataclass(frozen=True, slots=True)
class ReliableKeys:
    base: Keys

    @property
    def processes(self) -> str:
        """Hash: identity -> JSON registration (its queues) of every reliable-fetch process."""
        return self.base.key("reliable:processes")

    def lease(self, identity: str) -> str:
        """String with a PX expiry; present while ``identity`` is alive."""
        return self.base.key(f"reliable:lease|{identity}")

    def in_progress(self, identity: str, queue: str) -> str:
        """Hash indexing the unfinished fetches ``identity`` took from ``queue``."""
        return self.base.key(f"{IN_PROGRESS}|{identity}|{queue}")

    def fetch_lists(self, identity: str, queue: str) -> str:
        """Prefix of the lists holding the jobs one fetch took from ``queue`` (newest
        first), each named by the fetch's first sequence number and indexed by the
        in-progress hash (see lua/fetch.lua). Not matched by ``in_progress_pattern``."""
        return self.base.key(f"{IN_PROGRESS}-batch|{identity}|{queue}|")

    def in_progress_pattern(self) -> str:
        return self.base.key(f"{IN_PROGRESS}|*")

    def parse_in_progress(self, key: str) -> tuple[str, str] | None:
        """(identity, queue) of an in-progress key, or None if ``key`` is not one."""
        head = self.base.key(f"{IN_PROGRESS}|")
        if not key.startswith(head):
            return None
        identity, sep, queue = key[len(head) :].partition("|")
        return (identity, queue) if sep and identity and queue else None

    @property
    def recoveries(self) -> str:
        """Hash: jid -> how many times the job was recovered from a dead process."""
        return self.base.key("reliable:recoveries")

    @property
    def poison(self) -> str:
        """List of recovered jobs judged poison pills, on their way to the dead set."""
        return self.base.key("reliable:poison")

    @property
    def stats(self) -> str:
        """Hash of counters: recovered, poisoned, expired."""
        return self.base.key("reliable:stats")

    @property
    def scan_lock(self) -> str:
        return self.base.key("reliable:orphan_scan")

    def queue(self, name: str) -> str:
        return self.base.queue(name)

    @property
    def queues(self) -> str:
        return self.base.queues

    @property
    def paused(self) -> str:
        return self.base.paused

    @property
    def dead(self) -> str:
        return self.base.dead
