"""Hook implementations of unique jobs and encrypted arguments (entry point
``enterprise-jobs``). Hooks only.

Both features wrap the same pushes and executions, and their order matters:
the unique identity is taken from the clear arguments (outer), encryption
seals them after (inner); the worker opens the argument innermost, right
before the job runs. One hook each keeps that order fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import click
from redis import Redis

from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.hookspecs import hookimpl
from workhorse.keys import Keys
from workhorse.middleware import (
    ClientMiddleware,
    JobContext,
    PushNext,
    ServerMiddleware,
    only_with,
)
from workhorse.types import JobPayload, ProcessContext
from workhorse_enterprise.encryption.middleware import (
    Decrypt,
    Encrypt,
    refuse_encrypt,
    refuse_encrypted,
    reseal,
)
from workhorse_enterprise.license_gate import ENCRYPTION, UNIQUE_JOBS
from workhorse_enterprise.unique import identity
from workhorse_enterprise.unique.middleware import (
    UniquePush,
    UniqueRelease,
    release,
    release_removed,
)

log = logging.getLogger(__name__)


@hookimpl
def workhorse_job_options() -> Mapping[str, bool]:
    # unique_key is a callable: it stays on the job definition, never in the payload.
    return {"unique_for": True, "unique_until": True, "unique_key": False, "encrypt": True}


@hookimpl
def workhorse_validate_job_options(options: Mapping[str, object]) -> None:
    identity.validate(options)
    encrypt = options.get("encrypt")
    if encrypt is not None and not isinstance(encrypt, bool):
        raise ConfigError(f"encrypt= is True or False, got {encrypt!r}")


@hookimpl
def workhorse_client_middleware(settings: Settings) -> list[ClientMiddleware]:
    if not ENCRYPTION.licensed:
        encrypt: ClientMiddleware = refuse_encrypt
        digest_key = None
    else:
        encrypt = sealer = Encrypt()
        digest_key = lambda: sealer.ring.digest_key  # noqa: E731 - read on first use
    unique = UniquePush(settings, digest_key) if UNIQUE_JOBS.licensed else refuse_unique
    return [unique, encrypt]


def refuse_unique(job: JobPayload, call_next: PushNext) -> JobPayload | None:
    """Unlicensed: a unique job is refused loudly rather than pushed without its lock."""
    if job.get("unique_for") is not None:
        UNIQUE_JOBS.require()
    return call_next(job)


@hookimpl(tryfirst=True)  # called first, so its middleware sit innermost (see plugins.py)
def workhorse_server_middleware(process: ProcessContext) -> list[ServerMiddleware]:
    # Innermost, the argument is opened after every other middleware let the job through
    # (a limiter that reschedules it writes it sealed), and a unique lock is released only
    # by a job that actually runs. Unlicensed, locks expire with their TTL; encrypted jobs
    # fail and retry. Each is skipped for jobs without its field: plain jobs pay nothing.
    unique: list[ServerMiddleware] = (
        [only_with("unique_digest", UniqueRelease(process.settings, process.redis))]
        if UNIQUE_JOBS.licensed
        else []
    )
    return [*unique, only_with("encrypt", Decrypt() if ENCRYPTION.licensed else refuse_encrypted)]


@hookimpl(tryfirst=True)
def workhorse_job_failed(ctx: JobContext) -> None:
    # First, so error reporters and the retry/dead write see the sealed argument even
    # when the failure is recorded while the job still runs (an abandoned time limit).
    reseal(ctx)


@hookimpl
def workhorse_job_died(job: JobPayload, process: ProcessContext) -> None:
    if "unique_digest" in job and UNIQUE_JOBS.licensed:
        release(process.redis, process.keys, job)


@hookimpl
def workhorse_jobs_removed(jobs: Sequence[JobPayload], redis: Redis, keys: Keys) -> None:
    if UNIQUE_JOBS.licensed:  # unlicensed, locks expire with their TTL
        release_removed(redis, keys, jobs)


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from workhorse_enterprise.encryption.cli import encryption
    from workhorse_enterprise.unique.cli import unique

    return [unique, encryption]


@hookimpl
def workhorse_dashboard_tabs() -> list[object]:
    from workhorse_enterprise.unique.web import tab

    return [tab()]
