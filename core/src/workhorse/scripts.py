"""One typed wrapper per Lua script in ``lua/``. Every key a script touches is in KEYS."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from workhorse.dedicated import DedicatedConnection

# One due job for move_due: (member exactly as stored, payload to queue, queue key, queue name).
Move = tuple[str | bytes, str | bytes, str, str]


@cache
def source(name: str, package: str = "workhorse") -> str:
    """The text of ``<package>/lua/<name>.lua``."""
    return (resources.files(package) / "lua" / f"{name}.lua").read_text(encoding="utf-8")


class Scripts:
    """The scripts bound to one Redis client (EVALSHA, reloaded on NOSCRIPT by redis-py)."""

    def __init__(self, client: redis.Redis) -> None:
        self._fetch_many: Script = client.register_script(source("fetch_many"))
        self._move_due: Script = client.register_script(source("move_due"))
        self._requeue: Script = client.register_script(source("requeue_front"))
        self._zmove: Script = client.register_script(source("zmove"))
        self._set_aside: Script = client.register_script(source("set_aside"))

    def set_aside(
        self, key: str, aside: str, ttl: int, queues_key: str | None = None, queue: str = ""
    ) -> int:
        """Move the jobs of ``key`` to ``aside`` (expiring after ``ttl`` s); how many.
        With ``queues_key``, ``queue`` leaves the known-queues set in the same step."""
        keys = [key, aside] if queues_key is None else [key, aside, queues_key]
        return int(self._set_aside(keys=keys, args=[ttl, queue]))

    def fetch_many(
        self, queue_keys: Sequence[str], max_jobs: int, send: DedicatedConnection
    ) -> list[tuple[str, Any]]:
        """Pop up to ``max_jobs`` across the queues in order, over the fetch thread's
        own connection: (queue key, job as ``send`` reads it)."""
        flat: list[Any] = send.evalsha(self._fetch_many, list(queue_keys), [max_jobs])
        return _popped_pairs(queue_keys, flat)

    async def fetch_many_async(
        self, queue_keys: Sequence[str], max_jobs: int, client: aioredis.Redis
    ) -> list[tuple[str, Any]]:
        """As :meth:`fetch_many`, over a ``redis.asyncio`` client (the async lane's
        fetcher, on its event loop); loads the script first if Redis forgot it."""
        script, keys = self._fetch_many, list(queue_keys)
        try:
            flat: list[Any] = await client.evalsha(script.sha, len(keys), *keys, max_jobs)
        except NoScriptError:
            await client.script_load(script.script)
            flat = await client.evalsha(script.sha, len(keys), *keys, max_jobs)
        return _popped_pairs(keys, flat)

    def move_due(self, set_key: str, queues_key: str, moves: Sequence[Move]) -> int:
        """``moves``: (member, queued payload, queue key, queue name)."""
        queue_keys = list(dict.fromkeys(m[2] for m in moves))
        index = {key: i + 3 for i, key in enumerate(queue_keys)}
        args: list[str | bytes | int] = []
        for member, queued, queue_key, queue_name in moves:
            args += [member, queued, index[queue_key], queue_name]
        return int(self._move_due(keys=[set_key, queues_key, *queue_keys], args=args))

    def requeue_front(self, jobs: Sequence[tuple[str, str | bytes]]) -> int:
        """``jobs``: (queue key, raw job)."""
        if not jobs:
            return 0
        queue_keys = list(dict.fromkeys(key for key, _ in jobs))
        index = {key: i + 1 for i, key in enumerate(queue_keys)}
        args: list[str | bytes | int] = []
        for key, raw in jobs:
            args += [index[key], raw]
        return int(self._requeue(keys=queue_keys, args=args))

    def zmove(
        self, source_key: str, target_key: str, member: str | bytes, new_member: str, score: float
    ) -> bool:
        """Move ``member`` (exact bytes) to ``target_key`` as ``new_member``; False if gone."""
        return bool(self._zmove(keys=[source_key, target_key], args=[member, new_member, score]))


def _popped_pairs(queue_keys: Sequence[str], flat: list[Any]) -> list[tuple[str, Any]]:
    """The fetch_many script's reply (queue number, job, queue number, job, ...) as
    (queue key, job) pairs."""
    return [(queue_keys[int(flat[i]) - 1], flat[i + 1]) for i in range(0, len(flat), 2)]
