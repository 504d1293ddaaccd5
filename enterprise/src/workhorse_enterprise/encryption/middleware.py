"""Encrypted arguments on the job path: seal in the client, open right before the job runs.

The worker opens the last argument in place for the call and puts the sealed
value back afterwards (or, for a failure recorded while the job still runs,
before it is recorded: ``reseal``), so whatever the failure path writes (retry,
dead set, error reports) still holds only ciphertext; the raw payload the
worker keeps for requeues and the Busy page never held anything else. An
argument that cannot be opened (missing key version, altered or replayed
ciphertext) sends the job straight to the dead set: never lost, never run with
garbage.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from workhorse import payload
from workhorse.errors import PayloadError
from workhorse.middleware import AsyncRunNext, JobContext, PushNext, RunNext
from workhorse.types import JobPayload
from workhorse_enterprise.encryption.cipher import Opener, UndecryptableArgument, seal
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
    """Server middleware: open the sealed argument for the duration of the call.

    Installed innermost as ``only_with("encrypt", Decrypt())``: the worker applies it
    to encrypted jobs only, right around the call of the job itself, so no other
    middleware ever sees (or writes, like a limiter's reschedule) the clear value.
    The key ring is read once per process, not per job.
    """

    def __init__(self, ring: KeyRing | None = None) -> None:
        ENCRYPTION.require()
        self._open = None if ring is None else Opener(ring)

    def opener(self) -> Opener:
        if self._open is None:
            try:
                ring = KeyRing.from_env()
            except Exception as exc:  # noqa: BLE001 - no/bad keys: every version is "missing"
                ring = _EmptyRing(exc)
            self._open = Opener(ring)
        return self._open

    def open_arguments(self, job: JobPayload) -> object:
        """Open the sealed last argument in place; returns the sealed value, for
        :meth:`restore_arguments` (``_UNOPENED`` when there was nothing to open).

        The worker's form of this middleware (``workhorse.middleware.ArgumentOpener``):
        a sync job that carries no other ``only_with`` field is called between this and
        :meth:`restore_arguments`, inside the chain of the other middleware, with no chain
        selected for ``encrypt`` (``__call__`` and ``call_async`` do the same around
        ``call_next``)."""
        item: dict[str, Any] = job  # type: ignore[assignment]  # no cast() call per job
        args = item.get("args")
        if item.get("encrypt") is not True or type(args) is not list or not args:
            return _UNOPENED  # not encrypted, or nothing was sealed (no arguments)
        sealed = args[-1]
        opener = self._open or self.opener()
        try:
            args[-1] = opener.open(sealed, item.get("jid", ""), item["class"])
        except UndecryptableArgument:
            item["retry"] = 0  # no retry helps: to the dead set, sealed
            raise
        return sealed

    def restore_arguments(self, job: JobPayload, token: object) -> None:
        """Put the sealed value back: the job is called with this very list, so the clear
        value is in the job only while it runs; anything recording the job afterwards sees
        the sealed one (and reseal() covers a failure recorded while it still runs)."""
        if token is not _UNOPENED:
            job["args"][-1] = token

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        job = ctx.job
        sealed = self.open_arguments(job)
        try:
            return call_next()
        finally:
            self.restore_arguments(job, sealed)

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        job = ctx.job
        sealed = self.open_arguments(job)
        try:
            return await call_next()
        finally:
            self.restore_arguments(job, sealed)


_UNOPENED = object()  # open_arguments() found nothing to open


def reseal(ctx: JobContext) -> None:
    """Put the sealed argument back into an encrypted job whose failure is being recorded.

    A job that ignores its time limit is failed, and written to the retry or
    dead set, by the watchdog while its thread still runs inside ``Decrypt``
    with the clear argument in the job. Runs from the ``workhorse_job_failed``
    hook (failures only), taking the sealed value from the payload as fetched.
    """
    args = ctx.job.get("args")
    if ctx.job.get("encrypt") is not True or type(args) is not list or not args:
        return
    try:
        fetched = payload.decode(ctx.raw).get("args")
    except PayloadError:
        return  # not the payload this job came from (a job run by hand): nothing was opened
    if type(fetched) is list and len(fetched) == len(args):
        args[-1] = fetched[-1]


class _EmptyRing(KeyRing):
    """Stands in when no key ring is configured: every version is missing."""

    def __init__(self, reason: Exception) -> None:
        self.ciphers = {}
        self.newest = 0
        self.digest_key = b""
        self.reason = reason


def refuse_encrypt(job: JobPayload, call_next: PushNext) -> JobPayload | None:
    """Unlicensed client: an ``encrypt`` job is refused, never pushed in clear text."""
    if job.get("encrypt") is True:
        ENCRYPTION.require()
    return call_next(job)


class RefuseEncrypted:
    """Unlicensed worker: an encrypted job fails (and retries) instead of running on ciphertext."""

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        if ctx.job.get("encrypt") is True:
            ENCRYPTION.require()
        return call_next()

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        if ctx.job.get("encrypt") is True:
            ENCRYPTION.require()
        return await call_next()


refuse_encrypted = RefuseEncrypted()
