"""Leader election as a worker ``Service``: take the lease, keep it, give it back on exit.

One thread per process. A follower tries ``SET NX PX`` every ``retry_every``
seconds and also wakes exactly when the current lease runs out, so a
successor takes over at once after a clean step-down and within one lease
after a crash. The leader renews every ``renew_every`` seconds; if it cannot
reach Redis it steps down locally before its lease could have lapsed, so two
processes never both believe they lead (scripts that must be leader-only also
check the lease in Redis, which closes the remaining gap).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from workhorse.keys import Keys
from workhorse.types import ProcessContext
from workhorse_enterprise.leader.config import LeaderConfig
from workhorse_enterprise.leader.events import Dispatcher, Listener
from workhorse_enterprise.leader.lease import Lease

log = logging.getLogger("workhorse_enterprise.leader")
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)

_active: dict[str, LeaderElector] = {}
_active_lock = threading.Lock()


def is_leader(identity: str | None = None) -> bool:
    """Whether this process (or the worker ``identity`` in it) currently holds the lease."""
    with _active_lock:
        if identity is not None:
            found = _active.get(identity)
            return found is not None and found.is_leader
        return any(e.is_leader for e in _active.values())


def electors() -> list[LeaderElector]:
    with _active_lock:
        return list(_active.values())


class LeaderElector:
    """The ``leader-election`` service of one worker process."""

    name = "leader-election"

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        identity: str,
        config: LeaderConfig | None = None,
        process: ProcessContext | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or LeaderConfig()
        self.identity = identity
        self.lease = Lease(client, keys, identity, self.config.lease)
        self._monotonic = monotonic
        self._leader = False
        self._valid_until = 0.0
        self._redis_down = False
        self._stopping = threading.Event()
        self._stop_lock = threading.Lock()
        self._wake = threading.Event()
        self._changed = threading.Condition()
        self._events = Dispatcher(f"workhorse-leader-events-{identity[-6:]}", process)
        self._thread = threading.Thread(target=self._run, name="workhorse-leader", daemon=True)

    @property
    def is_leader(self) -> bool:
        return self._leader

    def subscribe(self, listener: Listener) -> None:
        """``listener(True/False)`` on every change; called at once if already leader."""
        self._events.listeners.append(listener)
        if self._leader:
            listener(True)

    def wait_for(self, leader: bool, timeout: float) -> bool:
        """Block until leadership equals ``leader`` (tests and tools)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._leader == leader, timeout)

    def start(self) -> None:
        with _active_lock:
            _active[self.identity] = self
        self._events.start()
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Step down so a successor takes over at once, then stop the threads. Idempotent."""
        with self._stop_lock:
            self._stopping.set()
            self._wake.set()
            if self._thread.is_alive():
                self._thread.join(timeout)
            if self._leader:
                try:
                    self.lease.release()
                except _REDIS_DOWN as exc:
                    log.warning(
                        "could not release the leader lease (%s); it expires by itself", exc
                    )
                self._set(False, "stepping down at shutdown")
            self._events.stop(timeout)
            with _active_lock:
                if _active.get(self.identity) is self:
                    del _active[self.identity]

    def recheck(self) -> None:
        """Someone saw evidence we lost the lease (a fenced script refused us): check now."""
        self._wake.set()

    # -- the loop -------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            wait = self._step()
            self._wake.wait(wait)
            self._wake.clear()

    def _step(self) -> float:
        sent = self._monotonic()
        try:
            wait = self._renew(sent) if self._leader else self._try_acquire(sent)
        except _REDIS_DOWN as exc:
            return self._redis_failed(exc)
        if self._redis_down:
            self._redis_down = False
            log.warning("leader election: Redis reachable again")
        return wait

    def _renew(self, sent: float) -> float:
        if self.lease.renew():
            self._valid_until = sent + self.config.lease
            return self.config.renew
        self._set(False, "the lease was lost to another process")
        return self.config.retry

    def _try_acquire(self, sent: float) -> float:
        if self._stopping.is_set():
            return 0.0
        if self.lease.acquire():
            self._valid_until = sent + self.config.lease
            self._set(True, f"lease {self.config.lease:g}s")
            return self.config.renew
        # Wake when the holder's lease runs out, not a whole retry later.
        return max(0.005, min(self.config.retry, self.lease.remaining() + 0.005))

    def _redis_failed(self, exc: BaseException) -> float:
        if not self._redis_down:
            log.warning("leader election: Redis unreachable (%s); will keep trying", exc)
            self._redis_down = True
        margin = min(1.0, self.config.lease / 10)
        if self._leader and self._monotonic() >= self._valid_until - margin:
            self._set(False, "Redis unreachable for longer than the lease")
        retry = min(self.config.retry, self.config.renew)
        if self._leader:
            retry = min(retry, max(0.005, self._valid_until - margin - self._monotonic()))
        return retry

    def _set(self, leader: bool, why: str) -> None:
        if leader == self._leader:
            return
        with self._changed:
            self._leader = leader
            self._changed.notify_all()
        if leader:
            log.info("this process (%s) is now the leader (%s)", self.identity, why)
        else:
            log.info("this process (%s) is no longer the leader: %s", self.identity, why)
        self._events.publish(leader)
