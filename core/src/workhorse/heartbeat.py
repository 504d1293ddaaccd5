"""Process presence in Redis: identity, the ``<identity>`` hash, ``:work``, stats flush, signals."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import redis

from workhorse import payload, stats
from workhorse.config import QueueWeight, Settings
from workhorse.keys import Keys
from workhorse.types import WorkEntry

if TYPE_CHECKING:
    from workhorse.types import UnitOfWork

log = logging.getLogger(__name__)
SIGNALS = ("TSTP", "TERM", "TTIN")


def new_identity() -> str:
    """``<hostname>:<pid>:<12 hex>``, Sidekiq's process identity format."""
    hostname = os.environ.get("DYNO") or socket.gethostname()
    return f"{hostname}:{os.getpid()}:{secrets.token_hex(6)}"


def rss_kb() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class Heartbeat:
    """Writes this process's presence every beat and returns any signal sent to it."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        settings: Settings,
        identity: str,
        version: str,
        supervisor_pid: int | None = None,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.settings = settings
        self.identity = identity
        self.version = version
        self.started_at = time.time()
        self.supervisor_pid = supervisor_pid
        self.flushed = stats.Totals()
        self._info = payload.encode(self._info_fields())
        running_key = {"work": keys.work, "workers": keys.workers}
        self.work_key = running_key[settings.generation.running_jobs_key](identity)

    def _info_fields(self) -> dict[str, Any]:
        s = self.settings
        weights = {cap.name: {q.name: q.weight for q in cap.queues} for cap in s.capsule_specs}
        capsules = {
            cap.name: {
                "concurrency": cap.concurrency,
                "mode": _mode(cap.queues),
                "weights": weights[cap.name],
            }
            for cap in s.capsule_specs
        }
        fields: dict[str, Any] = {
            "hostname": self.identity.rsplit(":", 2)[0],
            "started_at": self.started_at,
            "pid": os.getpid(),
            "tag": s.tag,
            "concurrency": s.total_concurrency,
            # Each name once, as every Sidekiq writes it; the weights say the rest,
            # one hash per capsule as Sidekiq 7 writes them.
            "queues": [name for capsule in weights.values() for name in capsule],
            "weights": list(weights.values()),
            "capsules": capsules,
            "labels": [*s.labels, "workhorse"],
            "identity": self.identity,
            "version": f"workhorse-{self.version}",
            "embedded": False,
        }
        if self.supervisor_pid:  # one of `workhorse worker -p N`'s processes
            fields["supervisor_pid"] = self.supervisor_pid
        return fields

    def beat(
        self,
        busy: Mapping[int, tuple[UnitOfWork[object], float]],
        totals: stats.Totals,
        quiet: bool,
    ) -> str | None:
        """One heartbeat; returns a signal name (TSTP/TERM/TTIN) if one was sent."""
        rtt_us = self._rtt_us()
        change = stats.delta(totals, self.flushed)
        pipe = self.redis.pipeline(transaction=True)
        stats.write(pipe, self.keys, change)
        self._write_presence(pipe, busy, quiet, rtt_us)
        pipe.rpop(self.keys.signals(self.identity))
        result = pipe.execute()
        self.flushed = totals
        signal = result[-1]
        return signal if signal in SIGNALS else None

    def poll_signal(self) -> str | None:
        """Take one pending signal off this process's list, between heartbeats."""
        signal = self.redis.rpop(self.keys.signals(self.identity))
        return signal if signal in SIGNALS else None

    def _write_presence(
        self,
        pipe: Any,
        busy: Mapping[int, tuple[UnitOfWork[object], float]],
        quiet: bool,
        rtt_us: int,
    ) -> None:
        ttl = int(self.settings.process_ttl)
        key, work_key = self.keys.process(self.identity), self.work_key
        pipe.sadd(self.keys.processes, self.identity)
        pipe.hset(
            key,
            mapping={
                "info": self._info,
                "busy": len(busy),
                "beat": time.time(),
                "quiet": "true" if quiet else "false",
                "rss": rss_kb(),
                "rtt_us": rtt_us,
                "concurrency": self.settings.total_concurrency,
            },
        )
        pipe.expire(key, ttl)
        pipe.unlink(work_key)
        if busy:
            pipe.hset(work_key, mapping=work_entries(busy))
            pipe.expire(work_key, ttl)

    def _rtt_us(self) -> int:
        start = time.perf_counter()
        self.redis.ping()
        return int((time.perf_counter() - start) * 1_000_000)

    def clear(self, totals: stats.Totals) -> None:
        """Final flush and removal from ``processes`` at clean exit."""
        pipe = self.redis.pipeline(transaction=True)
        stats.write(pipe, self.keys, stats.delta(totals, self.flushed))
        pipe.srem(self.keys.processes, self.identity)
        pipe.unlink(
            self.keys.process(self.identity),
            self.keys.work(self.identity),
            self.keys.workers(self.identity),
        )
        pipe.execute()
        self.flushed = totals

    def cleanup_dead_processes(self) -> int:
        """At most once a minute cluster-wide, drop ``processes`` members whose hash expired."""
        if not self.redis.set(self.keys.process_cleanup, "1", nx=True, ex=60):
            return 0
        members = list(self.redis.sscan_iter(self.keys.processes))
        if not members:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for identity in members:
            pipe.exists(self.keys.process(identity))
        gone = [m for m, alive in zip(members, pipe.execute(), strict=True) if not alive]
        if gone:
            self.redis.srem(self.keys.processes, *gone)
        return len(gone)


def _mode(queues: Sequence[QueueWeight]) -> str:
    """Sidekiq 8.1's capsule mode label for the fetch order."""
    if all(q.weight == 0 for q in queues):  # Settings.strict_order's rule, per capsule
        return "strict"
    return "random" if all(q.weight == 1 for q in queues) else "weighted"


def work_entries(busy: Mapping[int, tuple[UnitOfWork[object], float]]) -> dict[str, str]:
    entries = {}
    for tid, (unit, started) in list(busy.items()):
        entry: WorkEntry = {"queue": unit.queue, "payload": unit.raw, "run_at": int(started)}
        entries[_tid(tid)] = payload.encode(entry)
    return entries


def _tid(ident: int) -> str:
    digits, n = "0123456789abcdefghijklmnopqrstuvwxyz", (ident ^ os.getpid())
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"
