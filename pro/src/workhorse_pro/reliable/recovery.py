"""Orphan recovery: a service in every licensed process that finds processes whose
lease expired and moves their in-progress jobs back to their queues (issue 7).

Sidekiq Pro recovers only when a new process starts; here any live process does it
within ``lease + recovery_interval`` seconds of a death. ``recover.lua`` pops each
job inside one script, so any number of processes may notice the same death.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import cast

import redis
from redis.client import NEVER_DECODE

from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.types import JobPayload
from workhorse_pro.license_gate import RELIABLE_FETCH
from workhorse_pro.reliable import poison
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.lease import registered_queues
from workhorse_pro.reliable.scripts import ReliableScripts

log = logging.getLogger(__name__)
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
OnDied = Callable[[JobPayload, BaseException], None]


class Recoverer:
    """One recovery pass at a time; the service below runs it on a timer."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        settings: Settings,
        config: ReliableConfig,
        on_died: OnDied | None = None,
    ) -> None:
        RELIABLE_FETCH.require()
        self.redis = client
        self.keys = ReliableKeys(keys)
        self.settings = settings
        self.config = config
        self.scripts = ReliableScripts(client, self.keys)
        self.on_died = on_died

    def recover_expired(self) -> int:
        """Recover every registered process whose lease is gone; returns jobs recovered."""
        registered = cast(dict[str, str], self.redis.hgetall(self.keys.processes))
        if not registered:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for identity in registered:
            pipe.exists(self.keys.lease(identity))
        total = 0
        for (identity, info), alive in zip(registered.items(), pipe.execute(), strict=True):
            if not alive:
                total += self.recover(identity, registered_queues(info))
        return total

    def recover(self, identity: str, queues: list[str]) -> int:
        lists = [(self.keys.in_progress(identity, q), self.keys.queue(q)) for q in queues]
        outcome = self.scripts.recover(identity, lists, self.config.max_recoveries)
        if outcome.recovered or outcome.poisoned:
            log.warning(
                "recovered %d job(s) of dead process %s (its lease expired) back to their queues%s",
                outcome.recovered,
                identity,
                f"; {outcome.poisoned} poison pill(s) set aside for the dead set"
                if outcome.poisoned
                else "",
            )
        return outcome.recovered + outcome.poisoned

    def bury_poison(self) -> int:
        return poison.bury_all(
            self._lrange_bytes,
            self.scripts,
            self.settings,
            self.config.max_recoveries,
            self.on_died,
        )

    def _lrange_bytes(self, key: str, start: int, end: int) -> list[bytes]:
        """LRANGE as stored: a poison pill that is not UTF-8 must still be buried (issue 17)."""
        send = self.redis.execute_command
        reply = send("LRANGE", key, start, end, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
        return cast(list[bytes], reply)

    def scan_orphans(self) -> int:
        """Recover in-progress lists no registration points to (e.g. lost in a Redis restart).

        Runs at most once per ``orphan_scan_interval`` across the cluster (SCAN is costly).
        """
        lock_ms = int(self.config.orphan_scan_interval * 1000)
        if not self.redis.set(self.keys.scan_lock, "1", nx=True, px=lock_ms):
            return 0
        registered = set(self.redis.hkeys(self.keys.processes))
        found: dict[str, list[str]] = defaultdict(list)
        for key in self.redis.scan_iter(match=self.keys.in_progress_pattern(), count=1000):
            parsed = self.keys.parse_in_progress(key)
            if parsed and parsed[0] not in registered:
                found[parsed[0]].append(parsed[1])
        return sum(self.recover(identity, queues) for identity, queues in found.items())


class RecoveryService:
    """Runs ``Recoverer`` every ``recovery_interval`` (jittered) on a thread of its own."""

    name = "reliable-fetch-recovery"

    def __init__(self, recoverer: Recoverer) -> None:
        RELIABLE_FETCH.require()
        self.recoverer = recoverer
        self.config = recoverer.config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Leases are judged only from this time on (monotonic); after an outage it lies in
        # the future, so every live process has renewed its lease first.
        self._judge_leases_from = time.monotonic()
        self._next_scan = time.monotonic() + self.config.recovery_interval

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="workhorse-reliable-recovery", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        failing = False
        while not self._stop.wait(self.config.recovery_interval * random.uniform(0.75, 1.25)):
            try:
                self.run_once()
            except _REDIS_DOWN as exc:
                if not failing:
                    log.warning("orphan recovery paused, Redis unreachable (%s)", exc)
                failing = True
                self._judge_leases_from = time.monotonic() + self.config.renew_interval * 2
                continue
            except Exception:
                log.exception("orphan recovery failed; retrying")
                continue
            failing = False

    def run_once(self) -> None:
        if time.monotonic() >= self._judge_leases_from:
            self.recoverer.recover_expired()
            if time.monotonic() >= self._next_scan:
                self._next_scan = time.monotonic() + self.config.orphan_scan_interval
                self.recoverer.scan_orphans()
        self.recoverer.bury_poison()
