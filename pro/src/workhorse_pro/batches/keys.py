"""Every Redis key of a batch, built from the installation's prefix (issue 8).

All names go through ``workhorse.keys.Keys.key`` so a hash-tagged prefix
(``{wh}``) puts a batch's keys, its parent's and the job queues in one Redis
Cluster slot: the batch scripts touch all of them in one call. The names differ
from Sidekiq Pro's (``b-<bid>``, ``batches``) on purpose: a Ruby Sidekiq Pro
sharing the Redis must never mistake our batches for its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from workhorse.keys import Keys


@dataclass(frozen=True, slots=True)
class BatchKeys:
    keys: Keys

    @property
    def index(self) -> str:
        """ZSET bid -> creation time (epoch seconds): listing and search."""
        return self.keys.key("batch-index")

    def hash(self, bid: str) -> str:
        """HASH: description, counters, callbacks, event states and times."""
        return self.keys.key(f"batch:{bid}")

    def pending(self, bid: str) -> str:
        """SET of jids that have not succeeded yet (SCARD is ``pending``)."""
        return self.keys.key(f"batch:{bid}:pending")

    def failed(self, bid: str) -> str:
        """SET of pending jids that failed at least once (a subset of pending)."""
        return self.keys.key(f"batch:{bid}:failed")

    def dead(self, bid: str) -> str:
        """SET of jids that died or were discarded."""
        return self.keys.key(f"batch:{bid}:dead")

    def kids(self, bid: str) -> str:
        """SET of child bids whose completion the parent still waits for."""
        return self.keys.key(f"batch:{bid}:kids")

    def kids_ok(self, bid: str) -> str:
        """SET of child bids whose success the parent still waits for."""
        return self.keys.key(f"batch:{bid}:kids-ok")

    def view(self, bid: str, callback_queue: str) -> list[str]:
        """The seven keys a batch script receives for one batch, in ``_lib.lua``'s order.

        The last is the queue its callback jobs go to: a script may push one.
        """
        return [
            self.hash(bid),
            self.pending(bid),
            self.failed(bid),
            self.dead(bid),
            self.kids(bid),
            self.kids_ok(bid),
            self.keys.queue(callback_queue),
        ]
