"""Encrypted arguments on the job path: seal in the client, open right before the job runs.

The worker opens the last argument in place for the call and puts the sealed
value back afterwards, so whatever the failure path writes (retry, dead set,
error reports) still holds only ciphertext. An argument that cannot be opened
(missing key version, altered or replayed ciphertext) sends the job straight
to the dead set: never lost, never run with garbage.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from workhorse.middleware import JobContext, PushNext, RunNext
from workhorse.types import JobPayload
from workhorse_enterprise.encryption.cipher import UndecryptableArgument, open_sealed, seal
from workhorse_enterprise.encryption.keyring import KeyRing
from workhorse_enterprise.license_gate import ENCRYPTION

log = logging.getLogger("workhorse_enterprise.encryption")


class Encrypt:
    """Client middleware: seal the last argument of ``encrypt: true`` jobs."""

    def __init__(self, ring: KeyRing | None = None) -> None:
        ENCRYPTION.require()
        self._ring = ring

    @property
    def ring(self) -> KeyRing:
        if self._ring is None:  # read on first use: a client that never encrypts needs no keys
            self._ring = KeyRing.from_env()
        return self._ring

    def __call__(self, job: JobPayload, call_next: PushNext) -> JobPayload | None:
        item = cast(dict[str, Any], job)
        if item.get("encrypt") is not True or not item["args"]:
            return call_next(job)
        args = list(item["args"])
        args[-1] = seal(self.ring, args[-1], str(item["jid"]), str(item["class"]))
        item["args"] = args
        return call_next(job)


class Decrypt:
    """Server middleware: open the sealed argument for the duration of the call."""

    def __init__(self, ring: KeyRing | None = None) -> None:
        ENCRYPTION.require()
        self._ring = ring
        self._ring_error: Exception | None = None

    def ring(self) -> KeyRing:
        if self._ring is None:
            self._ring = KeyRing.from_env()  # no keys: every version is "missing"
        return self._ring

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        job = cast(dict[str, Any], ctx.job)
        if job.get("encrypt") is not True:
            return call_next()
        args = job.get("args")
        if not isinstance(args, list) or not args:
            return call_next()  # nothing was sealed (a job without arguments)
        sealed = args[-1]
        try:
            args[-1] = open_sealed(self._ring_or_empty(), sealed, ctx.jid, ctx.name)
        except UndecryptableArgument:
            job["retry"] = 0  # no retry can help: straight to the dead set, still sealed
            raise
        try:
            return call_next()
        finally:
            args[-1] = sealed

    def _ring_or_empty(self) -> KeyRing:
        try:
            return self.ring()
        except Exception as exc:  # noqa: BLE001 - no keys configured is a missing key too
            return _EmptyRing(exc)


class _EmptyRing(KeyRing):
    """Stands in when no key ring is configured: every version is missing."""

    def __init__(self, reason: Exception) -> None:
        self.ciphers = {}
        self.newest = 0
        self.reason = reason


def refuse_encrypt(job: JobPayload, call_next: PushNext) -> JobPayload | None:
    """Unlicensed client: an ``encrypt`` job is refused, never pushed in clear text."""
    if job.get("encrypt") is True:
        ENCRYPTION.require()
    return call_next(job)


def refuse_encrypted(ctx: JobContext, call_next: RunNext) -> object:
    """Unlicensed worker: an encrypted job fails (and retries) instead of running on ciphertext."""
    if ctx.job.get("encrypt") is True:
        ENCRYPTION.require()
    return call_next()
