"""One typed wrapper per batch script in ``lua/``; every key a script touches is in KEYS."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import redis
from redis.commands.core import Script

from workhorse import payload
from workhorse.config import TimestampFormat
from workhorse.dedicated import DedicatedConnection
from workhorse.keys import Keys
from workhorse_pro.batches.errors import BatchClosed, BatchError, BatchNotFound
from workhorse_pro.batches.keys import BatchKeys

Event = Literal["complete", "success", "death"]
_PACKAGE = "workhorse_pro.batches"


@cache
def _source(name: str) -> str:
    lua = resources.files(_PACKAGE) / "lua"
    lib = (lua / "_lib.lua").read_text(encoding="utf-8")
    return lib + "\n" + (lua / f"{name}.lua").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Ref:
    """A batch and the queue its callbacks go to: enough to build its keys."""

    bid: str
    callback_queue: str


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """One job ready for ``write``: queue name (None when scheduled), JSON, score."""

    jid: str
    queue: str | None
    raw: str
    score: float = 0.0


class BatchScripts:
    """The batch scripts bound to one Redis client (EVALSHA, reloaded on NOSCRIPT)."""

    def __init__(self, client: redis.Redis, keys: Keys, timestamps: TimestampFormat) -> None:
        self.redis = client
        self.keys = keys
        self.bkeys = BatchKeys(keys)
        self.timestamps = timestamps
        self._scripts: dict[str, Script] = {
            name: client.register_script(_source(name))
            for name in (
                "write",
                "job_done",
                "jobs_done",
                "job_failed",
                "job_died",
                "callback_done",
            )
        }
        self._loaded: set[str] = set()
        # jobs_done runs on the success flusher's thread (one at a time) many times a
        # second: it skips redis-py's per-call pool, retry and telemetry work.
        self._flusher = DedicatedConnection(client)

    def _common(self) -> list[str | int | float]:
        """ARGV[1..3]: now (ms), the wire timestamp, a jid prefix for callback jobs."""
        stamp = payload.timestamp(self.timestamps)
        now_ms = int(stamp) if self.timestamps == "ms" else int(stamp * 1000)
        return [now_ms, stamp, secrets.token_hex(10)]

    def _run(self, name: str, keys: Sequence[str], args: Sequence[str | int | float]) -> int:
        if name not in self._loaded:
            # Load once up front: otherwise the first call of a 100,000-job write
            # would send its arguments twice (EVALSHA -> NOSCRIPT -> EVAL).
            self.redis.script_load(self._scripts[name].script)
            self._loaded.add(name)
        try:
            return int(self._scripts[name](keys=list(keys), args=list(args)))
        except redis.ResponseError as exc:
            raise _translate(exc) from None

    def job_event(
        self, kind: Literal["job_done", "job_failed", "job_died"], ref: Ref, jid: str
    ) -> int:
        """Record one job outcome; returns 1 if it changed the batch, 0 if already known."""
        keys = [self.keys.queues, *self.bkeys.view(ref.bid, ref.callback_queue)]
        return self._run(kind, keys, [*self._common(), ref.bid, jid])

    def jobs_done(self, groups: Sequence[tuple[Ref, Sequence[str]]]) -> int:
        """Record successes of several batches in one call; returns how many counted.
        Only the success flusher calls it (it owns the connection used)."""
        keys = [self.keys.queues]
        args = self._common()
        for ref, jids in groups:
            keys += self.bkeys.view(ref.bid, ref.callback_queue)
            args += [ref.bid, len(jids), *jids]
        try:
            return int(self._flusher.evalsha(self._scripts["jobs_done"], keys, args))
        except redis.ResponseError as exc:
            raise _translate(exc) from None

    def callback_done(self, ref: Ref, event: Event, parent: Ref | None, linger: float) -> int:
        keys = [self.keys.queues, *self.bkeys.view(ref.bid, ref.callback_queue)]
        if parent is not None:
            keys += self.bkeys.view(parent.bid, parent.callback_queue)
        args = [*self._common(), ref.bid, event, parent.bid if parent else "", int(linger)]
        return self._run("callback_done", keys, args)

    def write(
        self,
        ref: Ref,
        jobs: Sequence[QueuedJob],
        *,
        create: bool,
        seal: bool,
        ttl: float,
        parent: Ref | None = None,
        fields: str = "{}",
        created: float = 0.0,
    ) -> int:
        """Create/add/seal in one atomic call; raises BatchClosed or BatchNotFound."""
        keys = [
            self.keys.queues,
            *self.bkeys.view(ref.bid, ref.callback_queue),
            self.keys.schedule,
            self.bkeys.index,
        ]
        if parent is not None:
            keys += self.bkeys.view(parent.bid, parent.callback_queue)
        names = list(dict.fromkeys(job.queue for job in jobs if job.queue is not None))
        qoffset = len(keys) + 1
        keys += [self.keys.queue(name) for name in names]
        args: list[str | int | float] = [
            *self._common(),
            ref.bid,
            "create" if create else "add",
            int(seal),
            int(ttl),
            parent.bid if parent else "",
            fields,
            created,
            qoffset,
            len(names),
            *names,
            len(jobs),
        ]
        args += [job.jid for job in jobs]
        by_queue: dict[str, list[str]] = {name: [] for name in names}
        scheduled: list[str | float] = []
        for job in jobs:
            if job.queue is None:
                scheduled += [job.score, job.raw]
            else:
                by_queue[job.queue].append(job.raw)
        for name in names:
            args += [len(by_queue[name]), *by_queue[name]]
        args += [len(scheduled) // 2, *scheduled]
        return self._run("write", keys, args)


def _translate(exc: redis.ResponseError) -> BatchError | redis.ResponseError:
    code, _, rest = str(exc).partition(" ")
    bid = rest.split(" ", 1)[0]
    if code == "BATCH_CLOSED":
        return BatchClosed(bid)
    if code == "BATCH_GONE":
        return BatchNotFound(bid)
    if code == "BATCH_EXISTS":
        return BatchError(f"batch {bid} already exists; bids are random, so this is a bug")
    return exc
