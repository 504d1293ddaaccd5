"""How many worker processes run under one license: counted in Redis, reported, never enforced.

A license may cap worker processes (``max_processes``) and threads per process
(``max_threads``). The children of ``workhorse worker -p N`` each see
``processes=1`` in their own settings, and workers on other hosts see nothing
of each other, so the count lives in Redis: every licensed worker process
adds its identity to a sorted set of its license at startup and at every
heartbeat (score: the beat's time) and removes it at shutdown; entries not
renewed within ``WINDOW`` (a crashed process) drop out. One pipelined round
trip per heartbeat, nothing on the job path.

Over the cap, each process logs one WARNING when it first sees the excess and
again only if the count grows; it never stops working (DESIGN.md section 5).
``workhorse doctor`` shows the count; ``workhorse version`` shows the cap.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import redis

import workhorse_licensing
from workhorse.keys import Keys
from workhorse.types import ProcessContext
from workhorse_licensing import License, Tier
from workhorse_licensing.advice import CONTACT

log = logging.getLogger(__name__)
# Core's process hashes live 60 s after the last beat; a process counts as long.
WINDOW = 60.0
_TIERS: tuple[Tier, ...] = ("pro", "enterprise")


def key(keys: Keys, license_id: str) -> str:
    """Sorted set: identity -> time of its last beat, per license."""
    return keys.key(f"license:{license_id}:processes")


def active_license() -> License | None:
    """The license in force for any paid tier of this process (one key serves both)."""
    for tier in _TIERS:
        current = workhorse_licensing.status(tier)
        if current.active and current.license is not None:
            return current.license
    return None


def record(
    client: redis.Redis, keys: Keys, identity: str, license_id: str, now: float | None = None
) -> int:
    """Count ``identity`` as running now; return how many processes run under the license."""
    now = time.time() if now is None else now
    name = key(keys, license_id)
    pipe = client.pipeline(transaction=True)
    pipe.zadd(name, {identity: now})
    pipe.zremrangebyscore(name, "-inf", now - WINDOW)
    pipe.expire(name, int(WINDOW * 2))
    pipe.zcard(name)
    return int(pipe.execute()[-1])


def forget(client: redis.Redis, keys: Keys, identity: str, license_id: str) -> None:
    client.zrem(key(keys, license_id), identity)


def count(client: redis.Redis, keys: Keys, license_id: str, now: float | None = None) -> int:
    now = time.time() if now is None else now
    return int(client.zcount(key(keys, license_id), now - WINDOW, "+inf"))


def over_processes(lic: License, running: int) -> str | None:
    """The warning for ``running`` processes under ``lic``, or None within its cap."""
    if lic.max_processes is None or running <= lic.max_processes:
        return None
    return (
        f"{running} worker processes are running under license {lic.license_id}, which"
        f" allows {lic.max_processes}; they keep working, but stop the extra ones or ask"
        f" {CONTACT} for a larger license"
    )


def over_threads(lic: License, threads: int) -> str | None:
    if lic.max_threads is None or threads <= lic.max_threads:
        return None
    return (
        f"this process runs {threads} threads; license {lic.license_id} allows"
        f" {lic.max_threads} per process; lower --concurrency or ask {CONTACT} for a"
        " larger license"
    )


def summary(lic: License, running: int | None) -> str:
    """One line for ``workhorse doctor`` and ``version``."""
    cap = "no limit" if lic.max_processes is None else f"max {lic.max_processes}"
    if running is None:
        return f"license {lic.license_id}: worker processes {cap} (`workhorse doctor` counts them)"
    return f"license {lic.license_id}: {running} worker process(es) running, {cap}"


def diagnostics(
    client: redis.Redis | None, keys: Keys | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(problems, notes) for ``doctor``/``version``: the count, a problem when over the cap."""
    lic = active_license()
    if lic is None:
        return (), ()
    running = None if client is None or keys is None else count(client, keys, lic.license_id)
    over = over_processes(lic, running) if running is not None else None
    return ((over,) if over else ()), (summary(lic, running),)


@dataclass
class UsageMonitor:
    """Keeps each worker process's entry fresh and warns when the count goes over."""

    # identity -> the count it last warned about (several workers may share a process)
    warned_at: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def startup(self, process: ProcessContext) -> None:
        lic = active_license()
        if lic is None:
            return
        problem = over_threads(lic, process.settings.concurrency)
        if problem:
            log.warning("%s", problem)
        self.beat(process)

    def beat(self, process: ProcessContext) -> None:
        lic = active_license()
        if lic is None:
            return
        running = record(process.redis, process.keys, process.identity, lic.license_id)
        problem = over_processes(lic, running)
        with self._lock:
            warned = self.warned_at.get(process.identity, 0)
            self.warned_at[process.identity] = running if problem else 0
        if problem is None and warned:
            log.info(
                "worker processes under license %s: %d, within its limit again",
                lic.license_id,
                running,
            )
        elif problem is not None and running > warned:
            log.warning("%s", problem)
            self.warned_at[process.identity] = running

    def shutdown(self, process: ProcessContext) -> None:
        with self._lock:
            self.warned_at.pop(process.identity, None)
        lic = active_license()
        if lic is not None:
            forget(process.redis, process.keys, process.identity, lic.license_id)
