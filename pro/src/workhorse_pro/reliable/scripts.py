"""One typed wrapper per Lua script in ``lua/``.

Every key a script touches is in KEYS except the fetch lists (one per fetch from a
queue, holding its jobs): the in-progress hash names them and the scripts read
those names there. They share the prefix, hence its hash tag and cluster slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import NEVER_DECODE
from redis.commands.core import Script

from workhorse.dedicated import DedicatedConnection
from workhorse.scripts import source
from workhorse_pro.reliable.keys import ReliableKeys

PACKAGE = "workhorse_pro.reliable"
RECOVERIES_TTL = 7 * 24 * 3600  # seconds a job's recovery count is remembered


def _reading(name: str) -> str:
    """A script that reads in-progress hashes, with the helpers it shares."""
    return source("inprogress", PACKAGE) + source(name, PACKAGE)


@dataclass(frozen=True, slots=True)
class HeldJob:
    """Where one fetched job is held: its queue, the in-progress hash, and its place
    there (fetch field and 1-based offset; see lua/fetch.lua)."""

    queue_key: str
    hash_key: str
    field: str
    offset: int


@dataclass(frozen=True, slots=True)
class Recovery:
    recovered: int
    poisoned: int
    alive: bool = False


class ReliableScripts:
    def __init__(self, client: redis.Redis, keys: ReliableKeys) -> None:
        self.keys = keys
        self._client = client
        # fetch() runs on the fetch thread only. Its replies stay bytes: the caller decodes
        # job by job, so a job that is not UTF-8 cannot fail the whole fetch (issue 17).
        self._send = DedicatedConnection(client, decode=False)
        self._fetch: Script = client.register_script(source("fetch", PACKAGE))
        self._requeue: Script = client.register_script(_reading("requeue"))
        self._recover: Script = client.register_script(_reading("recover"))
        self._unfinished: Script = client.register_script(_reading("unfinished"))
        self._counts: Script = client.register_script(_reading("counts"))
        self._bury: Script = client.register_script(source("bury_poison", PACKAGE))

    def fetch(
        self,
        keys: list[str],
        lists: list[str],
        names: list[str],
        want: int,
        first_seq: int,
        acks: list[str],
        expired: int,
    ) -> tuple[list[Any], list[Any], list[list[bytes]]]:
        """Run fetch.lua and read the fetches it made, in one round trip. ``keys``:
        paused, stats, the queues, their in-progress hashes (see ``FetchPlan``);
        ``lists``: per queue, the list its fetch goes to; ``acks``: per queue, its ack
        list (see fetch.lua). Returns (paused 1-based queue indexes, jobs taken per
        queue, per queue the jobs taken, newest first)."""
        args = [want, len(names), first_seq, expired, *names, *acks]
        (paused, counts), *taken = self._send.evalsha_then(
            self._fetch, [*keys, *lists], args, *(("LRANGE", key, 0, -1) for key in lists)
        )
        return paused, counts, taken

    def counts(self, hash_keys: list[str]) -> list[int]:
        """How many unfinished jobs each in-progress hash holds."""
        return [int(n) for n in self._counts(keys=hash_keys)] if hash_keys else []

    def write_acks(
        self, keys: list[str], lists: list[str], names: list[str], acks: list[str], expired: int
    ) -> None:
        """fetch.lua taking no jobs, over the shared pool: callable from any thread.
        ``lists`` only fill KEYS' fetch-list slots; a call taking no jobs never opens them."""
        self._fetch(keys=[*keys, *lists], args=[0, len(names), 0, expired, *names, *acks])

    def close(self) -> None:
        self._send.close()

    def requeue(self, jobs: Sequence[HeldJob]) -> int:
        """Push ``jobs`` (newest first) back to their queues; only those still unfinished
        in this process's hashes move. Returns how many did."""
        if not jobs:
            return 0
        pairs = list(dict.fromkeys((job.queue_key, job.hash_key) for job in jobs))
        index = {pair: i + 1 for i, pair in enumerate(pairs)}
        keys = [key for pair in pairs for key in pair]
        args: list[Any] = []
        for job in jobs:
            args += [index[(job.queue_key, job.hash_key)], job.field, job.offset]
        return int(self._requeue(keys=keys, args=args))

    def unfinished(self, hash_key: str) -> list[str]:
        """The unfinished jobs held in one in-progress hash, oldest first. For display:
        bytes that are not UTF-8 show as ``\\xNN`` escapes instead of failing the listing."""
        raw = self._raw_reply(self._unfinished, [hash_key])
        return [bytes(job).decode("utf-8", "backslashreplace") for job in raw]

    def _raw_reply(self, script: Script, keys: list[str]) -> Any:
        """Run ``script`` with its reply left as the bytes Redis sent."""
        command = ("EVALSHA", script.sha, len(keys), *keys)
        send = self._client.execute_command
        try:
            return send(*command, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
        except redis.exceptions.NoScriptError:
            self._client.script_load(script.script)
            return send(*command, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]

    def recover(
        self, identity: str, lists: Sequence[tuple[str, str]], max_recoveries: int
    ) -> Recovery:
        """``lists``: (in-progress key, queue key) pairs of ``identity``."""
        keys = [
            self.keys.processes,
            self.keys.lease(identity),
            self.keys.recoveries,
            self.keys.poison,
            self.keys.stats,
            *(private for private, _ in lists),
            *(queue for _, queue in lists),
        ]
        args: list[Any] = [identity, len(lists), max_recoveries, RECOVERIES_TTL]
        recovered, poisoned = self._recover(keys=keys, args=args)
        if int(recovered) < 0:
            return Recovery(0, 0, alive=True)
        return Recovery(int(recovered), int(poisoned))

    def bury_poison(
        self,
        raw: bytes,
        dead_raw: str | None,
        jid: str,
        now: float,
        dead_timeout: float,
        dead_max_jobs: int,
    ) -> bool:
        """Move ``raw`` from the poison list to the dead set (drop it if ``dead_raw`` is None)."""
        keys = [self.keys.poison, self.keys.dead, self.keys.recoveries]
        args: list[Any] = [raw, dead_raw or "", repr(now), repr(dead_timeout), dead_max_jobs, jid]
        return bool(self._bury(keys=keys, args=args))
