"""Unique jobs on the job path: the client middleware that locks-and-pushes, the server
middleware that releases, and the release on death.

The client side does no Redis work of its own: it names the job's identity
and *claims* the write (``workhorse.middleware.claim``), so checking the lock,
taking it and pushing the job happen in one Lua call. A refused push returns
None to the caller and logs which jid holds the lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from workhorse import payload
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.job import find
from workhorse.keys import Keys
from workhorse.middleware import (
    AsyncRunNext,
    JobContext,
    PushNext,
    RunNext,
    claim,
    offline_claims,
)
from workhorse.types import ClaimTarget, JobPayload
from workhorse_enterprise.license_gate import ENCRYPTION, UNIQUE_JOBS
from workhorse_enterprise.unique import identity, locks

log = logging.getLogger("workhorse_enterprise.unique")
OFFLINE = "unique:"  # the key of a lock in the state of workhorse.testing.unique()


class UniquePush:
    """Client middleware: jobs with ``unique_for`` get a lock taken atomically with the push."""

    def __init__(self, settings: Settings, digest_key: Callable[[], bytes] | None = None) -> None:
        """``digest_key`` gives the key for the identities of encrypted jobs (see
        ``identity``); None when encryption is not licensed, so such jobs are refused."""
        UNIQUE_JOBS.require()
        self.keys = Keys(settings.prefix)
        self.digest_key = digest_key

    def __call__(self, job: JobPayload, call_next: PushNext) -> JobPayload | None:
        item = cast(dict[str, Any], job)
        if item.get("unique_for") is None:
            return call_next(job)
        name = str(item["class"])
        definition = find(name)
        key_fn = definition.options.get("unique_key") if definition is not None else None
        item["unique_digest"] = identity.digest(
            name,
            str(item["queue"]),
            list(item["args"]),
            key_fn if callable(key_fn) else None,
            self._secret(item),
        )
        pushed = call_next(job)
        return None if pushed is None else claim(pushed, self.write, hold_offline)

    def _secret(self, item: dict[str, Any]) -> bytes | None:
        """The HMAC key of an encrypted job's identity; never a plain hash of its secret."""
        if item.get("encrypt") is not True:
            return None
        if self.digest_key is None:
            ENCRYPTION.require()  # unlicensed: refused here, before anything is hashed
            raise ConfigError("unique encrypted jobs need the encryption key ring")
        return self.digest_key()

    def write(self, client: ClaimTarget, job: JobPayload) -> bool:
        """Lock and store ``job`` in one Lua call (see ``lua/unique_push.lua``)."""
        item = dict(cast(dict[str, Any], job))
        at = item.pop("at", None)
        if at is None:
            item["enqueued_at"] = payload.timestamp(client.settings.timestamp_format)
        else:
            item.pop("enqueued_at", None)
        holder = locks.push(
            client.redis,
            client.keys,
            str(item["unique_digest"]),
            str(item["jid"]),
            int(_ttl(item, at) * 1000),
            payload.encode(item),
            str(item["queue"]),
            None if at is None else float(at),
        )
        if holder is None:
            return True
        log.info(
            "%s not pushed: an identical job is still pending (unique lock held by jid=%s)",
            item["class"],
            holder,
        )
        return False


def _ttl(item: dict[str, Any], at: object) -> float:
    """The lock's lifetime: ``unique_for``, plus the delay of a scheduled job (``at``)."""
    delay = max(0.0, float(at) - time.time()) if isinstance(at, int | float) else 0.0
    return float(item["unique_for"]) + delay


def hold_offline(job: JobPayload, held: dict[str, Any]) -> bool:
    """``workhorse.testing.unique()``: the lock, in memory, with the same rules as in Redis."""
    item = cast(dict[str, Any], job)
    key, jid, now = OFFLINE + str(item["unique_digest"]), str(item["jid"]), time.monotonic()
    holder = held.get(key)
    if holder is not None and holder[0] != jid and holder[1] > now:
        log.info(
            "%s not pushed: an identical job is still pending (unique lock held by jid=%s)",
            item["class"],
            holder[0],
        )
        return False
    held[key] = (jid, now + _ttl(item, item.get("at")))
    return True


def _release_offline(job: JobPayload) -> bool:
    """True when ``job``'s lock was an offline one (testing) and is now released."""
    held = offline_claims()
    key = OFFLINE + str(job.get("unique_digest"))
    if held is None or key not in held:
        return False
    if held[key][0] == str(job.get("jid", "")):
        del held[key]
    return True


class UniqueRelease:
    """Server middleware: release the lock when the job starts or succeeds (``unique_until``).

    A failure keeps the lock (the job is retrying); death releases it through
    :func:`release`, from the ``workhorse_job_died`` hook. A release that cannot
    reach Redis is logged, not raised: the job ran, and the lock expires with its
    TTL anyway.
    """

    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        UNIQUE_JOBS.require()
        self.redis = client
        self.keys = Keys(settings.prefix)

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        job = ctx.job
        if not isinstance(job.get("unique_digest"), str):
            return call_next()
        if job.get("unique_until") == "start":
            self.release(job)
            return call_next()
        result = call_next()
        self.release(job)
        return result

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        job = ctx.job
        if not isinstance(job.get("unique_digest"), str):
            return await call_next()
        if job.get("unique_until") == "start":
            await asyncio.to_thread(self.release, job)
            return await call_next()
        result = await call_next()
        await asyncio.to_thread(self.release, job)
        return result

    def release(self, job: JobPayload) -> None:
        release(self.redis, self.keys, job)


def release(client: redis.Redis, keys: Keys, job: JobPayload) -> None:
    """Drop ``job``'s unique lock if it still holds it (death, deletion, success)."""
    digest = job.get("unique_digest")
    if not isinstance(digest, str) or _release_offline(job):
        return
    try:
        locks.release(client, keys, digest, str(job.get("jid", "")))
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        log.warning(
            "could not release the unique lock of jid=%s (%s); it expires on its own",
            job.get("jid"),
            exc,
        )


def release_removed(client: redis.Redis, keys: Keys, jobs: Sequence[JobPayload]) -> None:
    """Jobs deleted, cleared, killed or cancelled by an operator give up their locks."""
    owners = [
        (digest, str(job.get("jid", "")))
        for job in jobs
        if isinstance(digest := job.get("unique_digest"), str)
    ]
    if owners:
        locks.release_many(client, keys, owners)
