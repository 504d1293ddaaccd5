"""One typed wrapper per Lua script in ``lua/``; every key a script touches is in KEYS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from workhorse.scripts import source
from workhorse_pro.reliable.keys import ReliableKeys

PACKAGE = "workhorse_pro.reliable"
RECOVERIES_TTL = 7 * 24 * 3600  # seconds a job's recovery count is remembered


@dataclass(frozen=True, slots=True)
class Recovery:
    recovered: int
    poisoned: int
    alive: bool = False


class ReliableScripts:
    def __init__(self, client: redis.Redis, keys: ReliableKeys) -> None:
        self.keys = keys
        self._client = client
        self._execute: Callable[..., Any] = client.execute_command
        self._fetch: Script = client.register_script(source("fetch", PACKAGE))
        self._fetch_sha = self._fetch.sha
        self._requeue: Script = client.register_script(source("requeue", PACKAGE))
        self._recover: Script = client.register_script(source("recover", PACKAGE))
        self._bury: Script = client.register_script(source("bury_poison", PACKAGE))

    def fetch(
        self,
        keys: list[str],
        names: list[str],
        want: int,
        first_seq: int,
        acks: list[str],
        expired: int,
    ) -> tuple[list[Any], list[Any], list[str]]:
        """Run fetch.lua. ``keys``: paused, stats, the queues, their in-progress hashes
        (see ``FetchPlan``); ``acks``: per queue, its finished fields joined by commas.
        Returns (paused 1-based queue indexes, jobs taken per queue, jobs in order)."""
        # EVALSHA by hand: the hot path of every fetch skips redis-py's Script wrapper.
        try:
            paused, counts, jobs = self._execute(
                "EVALSHA", self._fetch_sha, len(keys), *keys,
                want, len(names), first_seq, expired, *names, *acks,
            )
        except NoScriptError:  # Redis restarted or SCRIPT FLUSH: load it again
            self._fetch_sha = self._client.script_load(self._fetch.script)
            return self.fetch(keys, names, want, first_seq, acks, expired)
        return paused, counts, jobs

    def requeue(self, jobs: Sequence[tuple[str, str, str]]) -> int:
        """``jobs``: (queue key, in-progress key, field). Pushes back only what is still ours."""
        if not jobs:
            return 0
        pairs = list(dict.fromkeys((queue, private) for queue, private, _ in jobs))
        index = {pair: i + 1 for i, pair in enumerate(pairs)}
        keys = [key for pair in pairs for key in pair]
        args: list[Any] = []
        for queue, private, field in jobs:
            args += [index[(queue, private)], field]
        return int(self._requeue(keys=keys, args=args))

    def recover(
        self, identity: str, lists: Sequence[tuple[str, str]], max_recoveries: int
    ) -> Recovery:
        """``lists``: (in-progress key, queue key) pairs of ``identity``."""
        keys = [
            self.keys.processes, self.keys.lease(identity), self.keys.recoveries,
            self.keys.poison, self.keys.stats,
            *(private for private, _ in lists), *(queue for _, queue in lists),
        ]
        args: list[Any] = [identity, len(lists), max_recoveries, RECOVERIES_TTL]
        recovered, poisoned = self._recover(keys=keys, args=args)
        if int(recovered) < 0:
            return Recovery(0, 0, alive=True)
        return Recovery(int(recovered), int(poisoned))

    def bury_poison(
        self, raw: str, dead_raw: str | None, jid: str, now: float, dead_timeout: float,
        dead_max_jobs: int,
    ) -> bool:
        """Move ``raw`` from the poison list to the dead set (drop it if ``dead_raw`` is None)."""
        keys = [self.keys.poison, self.keys.dead, self.keys.recoveries]
        args: list[Any] = [
            raw, dead_raw or "", repr(now), repr(dead_timeout), dead_max_jobs, jid
        ]
        return bool(self._bury(keys=keys, args=args))
