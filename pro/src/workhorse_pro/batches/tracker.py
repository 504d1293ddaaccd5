"""Per-Redis bundle of batch scripts, cached facts and settings, shared by a process."""

from __future__ import annotations

import time

from workhorse.client import Client
from workhorse.memo import PerOwner
from workhorse_pro.batches.config import BatchConfig
from workhorse_pro.batches.keys import BatchKeys
from workhorse_pro.batches.meta import MetaCache
from workhorse_pro.batches.recorder import DoneRecorder
from workhorse_pro.batches.scripts import BatchScripts


class Tracker:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.redis = client.redis
        self.bkeys = BatchKeys(client.keys)
        self.scripts = BatchScripts(self.redis, client.keys, client.settings.timestamp_format)
        self.meta = MetaCache(self.redis, self.bkeys)
        self.config = BatchConfig.from_settings(client.settings)
        self.done = DoneRecorder(self.scripts, self.meta)

    @staticmethod
    def of(client: Client) -> Tracker:
        """The tracker of ``client`` (built on first use)."""
        return _trackers(client)


_trackers: PerOwner[Client, Tracker] = PerOwner(Tracker)


def drain_all(timeout: float) -> bool:
    """Wait until every tracker's background successes are recorded (worker shutdown)."""
    deadline = time.monotonic() + timeout
    return all(t.done.drain(max(0.0, deadline - time.monotonic())) for t in _trackers.values())
