"""Server middleware: run declarative limiters, and reschedule jobs that are over a limit.

A job over a limit has not failed; it is early. Instead of the retry path
(which counts a failure and backs off blindly), the job goes back to the
``schedule`` zset for the moment the limiter said it admits again, plus a
small jitter so a crowd of rescheduled jobs does not arrive in one instant.
The payload's ``overrated`` field (Sidekiq Enterprise's name) counts the
reschedules; past the cap the error falls into the normal retry path.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

import redis

from workhorse import payload
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.keys import Keys
from workhorse.middleware import AsyncRunNext, JobContext, RunNext
from workhorse.plugin_settings import PluginSettings
from workhorse_enterprise.license_gate import RATE_LIMITING
from workhorse_enterprise.limits.base import Limiter
from workhorse_enterprise.limits.errors import OverLimit

log = logging.getLogger(__name__)
MAX_RESCHEDULES = 20
JITTER = 0.05  # seconds; long waits get 1 % of the wait instead when that is larger


@dataclass(frozen=True, slots=True)
class RescheduleSettings:
    """What the worker does with an over-limit job (prefix ``limits``: the
    ``limits_max_reschedules`` extra or ``WORKHORSE_LIMITS_MAX_RESCHEDULES``, ...)."""

    max_reschedules: int = MAX_RESCHEDULES  # then the job fails into retry; 0: never
    reschedule_jitter: float = JITTER  # seconds of random delay added (at least)

    def __post_init__(self) -> None:
        if self.max_reschedules < 0 or self.reschedule_jitter < 0:
            raise ConfigError(
                "limits_max_reschedules and limits_reschedule_jitter must be 0 or more, "
                f"got {self.max_reschedules} and {self.reschedule_jitter}"
            )


SETTINGS = PluginSettings("limits", RescheduleSettings)


class LimitsMiddleware:
    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        RATE_LIMITING.require()
        self.redis = client
        self.schedule_key = Keys(settings.prefix).schedule
        config = SETTINGS.read(settings)
        self.max_reschedules = config.max_reschedules
        self.jitter = config.reschedule_jitter

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        limiter = ctx.definition.options.get("limiter") if ctx.definition is not None else None
        try:
            if isinstance(limiter, Limiter):
                with limiter.acquire():
                    return call_next()
            return call_next()
        except OverLimit as exc:
            if not self.reschedule(ctx, exc):
                raise
            return None

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        """The same around an async job: ``acquire_async`` waits without blocking the loop."""
        limiter = ctx.definition.options.get("limiter") if ctx.definition is not None else None
        try:
            if isinstance(limiter, Limiter):
                async with limiter:
                    return await call_next()
            return await call_next()
        except OverLimit as exc:
            if not await asyncio.to_thread(self.reschedule, ctx, exc):
                raise
            return None

    def reschedule(self, ctx: JobContext, exc: OverLimit) -> bool:
        """Put the job in ``schedule`` for ``exc.retry_at``; False once past the cap."""
        count = _int(ctx.job.get("overrated"))
        cap = self.max_reschedules if exc.reschedules is None else exc.reschedules
        if count >= cap:
            # The retry starts a fresh reschedule budget for its next attempt.
            ctx.job.pop("overrated", None)  # type: ignore[typeddict-item]
            log.warning(
                "%s jid=%s over limit %r after %d reschedules; failing into retry",
                ctx.name,
                ctx.jid,
                exc.name,
                count,
            )
            return False
        job = {**ctx.job, "overrated": count + 1}
        job.pop("enqueued_at", None)
        at = exc.retry_at + random.uniform(0.0, max(self.jitter, exc.retry_in * 0.01))
        self.redis.zadd(self.schedule_key, {payload.encode(job): at})
        log.debug(
            "%s jid=%s over limit %r: rescheduled in %.3fs (%d)",
            ctx.name,
            ctx.jid,
            exc.name,
            exc.retry_in,
            count + 1,
        )
        return True


def _int(value: object) -> int:
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0
