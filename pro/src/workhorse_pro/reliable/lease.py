"""This process's registration and lease: proof of life for its in-progress lists.

The lease is a key with a PX expiry renewed four times per lease period by a
thread of its own (core's heartbeat beats every 10 s, too rarely for a 20 s
lease). When the process dies the key expires and any live process recovers
its jobs (see ``recovery``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence

import redis

from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.keys import ReliableKeys

log = logging.getLogger(__name__)


class ProcessLease:
    """Registers this process and keeps its lease alive while it holds in-progress jobs."""

    def __init__(
        self,
        client: redis.Redis,
        keys: ReliableKeys,
        identity: str,
        queues: Sequence[str],
        config: ReliableConfig,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.identity = identity
        self.config = config
        self._registration = json.dumps(
            {"queues": list(queues), "lease": config.lease, "started_at": time.time()},
            separators=(",", ":"),
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def acquire(self) -> None:
        """Register and take the lease (before the first fetch), then keep renewing it."""
        self._write(get_previous=False)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._renew_loop, name="workhorse-reliable-lease", daemon=True
            )
            self._thread.start()

    def renew(self) -> bool:
        """Renew; False (with a warning) if the lease had already expired."""
        previous = self._write(get_previous=True)
        if previous is None:
            log.warning(
                "reliable fetch lease of %s had expired (the process was paused or Redis was "
                "unreachable for over %.0f s); other processes may have recovered its running "
                "jobs, which can then run twice",
                self.identity,
                self.config.lease,
            )
            return False
        return True

    def _write(self, get_previous: bool) -> object:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.processes, self.identity, self._registration)
        pipe.set(self.keys.lease(self.identity), "1", px=self.config.lease_ms, get=get_previous)
        return pipe.execute()[-1]

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.config.renew_interval):
            try:
                self.renew()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not self._failing:
                    log.warning("cannot renew the reliable fetch lease (%s); retrying", exc)
                self._failing = True
                continue
            if self._failing:
                log.warning("reliable fetch lease renewed again")
                self._failing = False

    def release(self) -> None:
        """Stop renewing and unregister (clean shutdown, after the lists were emptied)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(self.keys.processes, self.identity)
        pipe.delete(self.keys.lease(self.identity))
        pipe.execute()


def registered_queues(registration: str) -> list[str]:
    """The queue names in a registration written by ``ProcessLease`` (empty if unreadable)."""
    try:
        queues = json.loads(registration).get("queues", [])
    except (ValueError, AttributeError):
        return []
    return [q for q in queues if isinstance(q, str)] if isinstance(queues, list) else []
