"""Telling plugins which jobs an operator or the API removed (hook ``workhorse_jobs_removed``).

Single deletions already hold the removed job's bytes. Clearing a whole queue
or set would otherwise drop jobs unseen, so when a plugin listens the key is
renamed aside in the Lua call that counts it (``set_aside.lua``), read back in
chunks for the hook, then unlinked: nothing pushed meanwhile is touched, and
nobody sees a half-cleared key. With no listener, clearing stays one UNLINK.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import cast

import redis
from redis.client import NEVER_DECODE

from workhorse import payload, plugins
from workhorse.errors import PayloadError
from workhorse.keys import Keys
from workhorse.scripts import Scripts
from workhorse.types import JobPayload

CHUNK = 1000
ASIDE_TTL = 3600  # a clear interrupted half-way leaves nothing behind for longer


def announce(client: redis.Redis, keys: Keys, raws: Iterable[str | bytes], reason: str) -> None:
    """Fire the hook for the jobs stored as ``raws`` (bytes that are not a job are skipped)."""
    if not plugins.listens_for_removals():
        return
    jobs: list[JobPayload] = []
    for raw in raws:
        try:
            jobs.append(payload.decode(raw))
        except PayloadError:
            continue  # bytes in Redis may be anything; there is nothing to release for them
    for start in range(0, len(jobs), CHUNK):
        plugins.jobs_removed(jobs[start : start + CHUNK], reason, client, keys)


def clear(
    client: redis.Redis, keys: Keys, key: str, sorted_set: bool, queue: str | None = None
) -> int:
    """Remove ``key`` (a list or zset of jobs) whole; how many jobs it held.

    ``queue``: the name to drop from the ``queues`` set in the same step.
    """
    if not plugins.listens_for_removals():
        pipe = client.pipeline(transaction=True)
        (pipe.zcard if sorted_set else pipe.llen)(key)
        pipe.unlink(key)
        if queue is not None:
            pipe.srem(keys.queues, queue)
        return int(pipe.execute()[0])
    aside = f"{key}:removing:{secrets.token_hex(8)}"  # same hash tag as key: same slot
    removed = Scripts(client).set_aside(
        key, aside, ASIDE_TTL, None if queue is None else keys.queues, queue or ""
    )
    command = "ZRANGE" if sorted_set else "LRANGE"
    for start in range(0, removed, CHUNK):
        # As bytes: another program may have stored anything, and a decoding client would
        # fail on the first non-UTF-8 member, stranding the rest of the chunk.
        raws = client.execute_command(  # type: ignore[no-untyped-call]
            command, aside, start, start + CHUNK - 1, **{NEVER_DECODE: True}
        )
        announce(client, keys, cast("list[bytes]", raws), "cleared")
    client.unlink(aside)
    return removed
