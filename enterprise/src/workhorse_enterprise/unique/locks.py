"""Unique locks in Redis: take-and-push, release, list and clear; one atomic call each.

A lock is the string key ``unique:<digest>`` (under the installation's prefix,
so a hash-tagged prefix keeps it in the slot of the queues it guards) holding
the jid of the job that owns it, with a TTL of the job's ``unique_for``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import redis
from redis.client import NEVER_DECODE
from redis.commands.core import Script

from workhorse.keys import Keys
from workhorse.memo import PerOwner
from workhorse_enterprise.license_gate import UNIQUE_JOBS

DIGEST = re.compile(r"[0-9a-f]{64}")
PREFIX = "unique:"


@cache
def _source(name: str) -> str:
    lua = resources.files("workhorse_enterprise.unique") / "lua"
    return (lua / f"{name}.lua").read_text(encoding="utf-8")


class LockScripts:
    """The two scripts bound to one Redis client; building them needs the license."""

    def __init__(self, client: redis.Redis) -> None:
        UNIQUE_JOBS.require()
        self.push: Script = client.register_script(_source("unique_push"))
        self.release: Script = client.register_script(_source("unique_release"))


scripts_for: PerOwner[redis.Redis, LockScripts] = PerOwner(LockScripts)


def lock_key(keys: Keys, digest: str) -> str:
    return keys.key(PREFIX + digest)


def push(
    client: redis.Redis,
    keys: Keys,
    digest: str,
    jid: str,
    ttl_ms: int,
    raw: str,
    queue: str,
    at: float | None,
) -> str | None:
    """Take the lock and store the job; None when pushed, else the jid holding the lock."""
    target = keys.queue(queue) if at is None else keys.schedule
    holder = scripts_for(client).push(
        keys=[lock_key(keys, digest), keys.queues, target],
        args=[jid, max(1, ttl_ms), raw, queue, "" if at is None else repr(at)],
    )
    if holder is None:
        return None
    return holder.decode() if isinstance(holder, bytes) else str(holder)


def release(client: redis.Redis, keys: Keys, digest: str, jid: str) -> bool:
    """Drop the lock if ``jid`` still holds it; True when it did."""
    if not DIGEST.fullmatch(digest):
        return False  # bytes in Redis may be anything: never build a key from garbage
    return bool(scripts_for(client).release(keys=[lock_key(keys, digest)], args=[jid]))


def release_many(client: redis.Redis, keys: Keys, owners: Iterable[tuple[str, str]]) -> int:
    """Drop each ``(digest, jid)`` lock that jid still holds, in two round trips; how many."""
    script = scripts_for(client).release
    valid = [
        (lock_key(keys, digest), jid) for digest, jid in owners if DIGEST.fullmatch(digest)
    ]  # never build a key from garbage
    if not valid:
        return 0
    # The first call alone loads the script where the locks live (a pipeline cannot
    # recover from NOSCRIPT on a cluster); every lock shares that slot and node.
    released = int(script(keys=[valid[0][0]], args=[valid[0][1]]))
    pipe = client.pipeline(transaction=False)
    for key, jid in valid[1:]:
        script(keys=[key], args=[jid], client=pipe)
    return released + sum(int(done) for done in pipe.execute())


@dataclass(frozen=True, slots=True)
class HeldLock:
    """One lock as found in Redis. Another program may have written anything under the
    ``unique:`` prefix, so names and values are shown escaped, never trusted."""

    digest: str  # the key after ``unique:``; a 64-hex digest unless something else wrote it
    jid: str  # the holder, as text (non-UTF-8 escaped, shortened past SHOWN characters)
    ttl: float | None  # seconds left; None when the key never expires (not one of ours)

    @property
    def clearable(self) -> bool:
        return DIGEST.fullmatch(self.digest) is not None


SHOWN = 80


def held(client: redis.Redis, keys: Keys, limit: int = 1000) -> list[HeldLock]:
    """Up to ``limit`` locks held now, by SCAN (never KEYS), soonest to expire first."""
    UNIQUE_JOBS.require()
    start = len(lock_key(keys, "").encode())
    found: list[HeldLock] = []
    cursor: int | bytes = 0
    pattern = _glob(lock_key(keys, "")) + "*"
    while len(found) < limit:
        # Raw bytes throughout: a decoding client fails on the first non-UTF-8 name or value.
        cursor, names = _scan(client, cursor, pattern, lock_key(keys, ""))
        found.extend(_read(client, names, start)[: limit - len(found)])
        if int(cursor) == 0:
            break
    return sorted(found, key=lambda lock: (lock.ttl is None, lock.ttl or 0.0))


def _read(client: redis.Redis, names: list[bytes], start: int) -> list[HeldLock]:
    if not names:
        return []
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.execute_command("GET", name, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
        pipe.execute_command("PTTL", name)  # type: ignore[no-untyped-call]
    replies = pipe.execute(raise_on_error=False)
    found = []
    for name, value, ttl in zip(names, replies[::2], replies[1::2], strict=True):
        if not isinstance(value, bytes) or not isinstance(ttl, int) or ttl == -2:
            continue  # released while we looked, or not a string key: not a lock
        found.append(HeldLock(_text(name[start:]), _text(value), None if ttl < 0 else ttl / 1000))
    return found


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _scan(
    client: redis.Redis, cursor: int | bytes, pattern: str, near: str
) -> tuple[int | bytes, list[bytes]]:
    """One SCAN step. On a cluster, on the node of ``near``'s slot: the prefix's hash tag
    (which workhorse requires there) puts every lock in that one slot."""
    options: dict[str, Any] = {}
    if isinstance(client, redis.RedisCluster):
        options["target_nodes"] = client.get_node_from_key(near)
    reply = _raw(client, "SCAN", cursor, "MATCH", pattern, "COUNT", 500, **options)
    cursor, names = reply
    if isinstance(cursor, dict):  # a cluster gives each node's cursor; there was one node
        (cursor,) = cursor.values()
    return int(cursor), list(names)


def _raw(client: redis.Redis, *command: object, **options: Any) -> Any:
    return client.execute_command(  # type: ignore[no-untyped-call]
        *command, **options, **{NEVER_DECODE: True}
    )


def clear(client: redis.Redis, keys: Keys, digest: str) -> bool:
    """Remove one lock whoever holds it (an operator's decision); True when it existed."""
    UNIQUE_JOBS.require()
    if not DIGEST.fullmatch(digest):
        raise ValueError(
            f"{digest!r} is not a unique lock digest (64 hex characters); "
            "`workhorse unique list` shows them"
        )
    return bool(client.delete(lock_key(keys, digest)))


def clear_all(client: redis.Redis, keys: Keys) -> int:
    """Remove every lock; how many there were."""
    return sum(
        clear(client, keys, lock.digest)
        for lock in held(client, keys, limit=10**9)
        if lock.clearable
    )


def _glob(text: str) -> str:
    """``text`` with SCAN's glob characters escaped (a prefix may hold ``{`` ``[`` ``*``)."""
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)
