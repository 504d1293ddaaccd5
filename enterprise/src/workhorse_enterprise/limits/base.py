"""What every limiter shares: configuration, the license gate, and the wait loop.

A subclass supplies three operations: one atomic attempt (a Lua call), a pause
between attempts, and a release. The wait loop is written once in sync and
once in asyncio form; both are thin shells around :class:`waiting.Deadline`.
"""

from __future__ import annotations

import asyncio
import contextvars
from abc import ABC, abstractmethod
from types import TracebackType

import redis

from workhorse.client import default_client
from workhorse.errors import ConfigError
from workhorse_enterprise.license_gate import RATE_LIMITING
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.errors import OverLimit
from workhorse_enterprise.limits.names import Kind, LimiterKeys, check_name
from workhorse_enterprise.limits.scripts import LimiterScripts, Verdict, scripts_for
from workhorse_enterprise.limits.waiting import Deadline

DEFAULT_TTL = 90 * 24 * 3600.0  # idle limiter state expires after 90 days (issue 9)
DEFAULT_WAIT = 5.0

# Admissions taken by `with limiter:` in this thread or task, innermost last. One
# module-level variable (not one per limiter): dynamic names create many limiters.
_held: contextvars.ContextVar[tuple[Admission, ...]] = contextvars.ContextVar(
    "workhorse_limits_held", default=()
)


class Limiter(ABC):
    """A named limit shared through Redis by every process that uses the same name."""

    kind: Kind

    def __init__(
        self,
        name: str,
        limit: int,
        *,
        wait_timeout: float = DEFAULT_WAIT,
        ttl: float = DEFAULT_TTL,
        reschedules: int | None = None,
        redis_client: redis.Redis | None = None,
        prefix: str | None = None,
    ) -> None:
        # The license is checked where a limiter's work is built, its scripts
        # (``scripts``, then every acquire and release), not here: a job module
        # declaring @job(limiter=...) must still import on an unlicensed worker,
        # which then runs its free jobs without the limiter middleware.
        self.name = check_name(name)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f'limiter "{name}": limit must be a whole number >= 1, got {limit!r}')
        if wait_timeout < 0 or ttl <= 0:
            raise ConfigError(f'limiter "{name}": wait_timeout must be >= 0 and ttl > 0')
        self.limit = limit
        self.wait_timeout = float(wait_timeout)
        self.ttl_ms = int(ttl * 1000)
        # None: the worker's `limits_max_reschedules` setting decides (default 20).
        self.reschedules = reschedules
        self._redis = redis_client
        self._prefix = prefix
        self._keys: tuple[str, LimiterKeys] | None = None  # (prefix, its keys)

    def __repr__(self) -> str:
        return f"<{self.kind} limiter {self.name!r}: {self.describe()}>"

    @abstractmethod
    def describe(self) -> str:
        """The limit in words, e.g. ``10 per minute``."""

    # -- Redis ---------------------------------------------------------------
    @property
    def redis(self) -> redis.Redis:
        """The explicit client, else the default client's (resolved at each use, so a
        limiter defined at import time follows the worker's connection)."""
        return self._redis if self._redis is not None else default_client().redis

    @property
    def keys(self) -> LimiterKeys:
        prefix = self._prefix if self._prefix is not None else default_client().settings.prefix
        cached = self._keys
        if cached is None or cached[0] != prefix:
            cached = self._keys = (prefix, LimiterKeys.of(prefix, self.kind, self.name))
        return cached[1]

    @property
    def scripts(self) -> LimiterScripts:
        RATE_LIMITING.require()  # every route to Redis passes here, attempt() included
        return scripts_for(self.redis)

    # -- what subclasses provide ------------------------------------------
    @abstractmethod
    def attempt(self, cost: int, waited: bool, budget_us: int, token: str) -> Verdict:
        """One atomic try; ``budget_us`` is how long the caller may still wait."""

    @abstractmethod
    def gives_up(self, verdict: Verdict, budget_us: int) -> bool:
        """Whether a denied caller with ``budget_us`` left stops now (raises OverLimit)."""

    @abstractmethod
    def pause(self, seconds: float) -> None:
        """Block up to ``seconds`` before the next attempt."""

    async def pause_async(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @abstractmethod
    def release(self, lease: Admission) -> None:
        """Give back what ``lease`` holds (nothing, for rate limiters)."""

    async def release_async(self, lease: Admission) -> None:
        self.release(lease)

    def retry_in(self, verdict: Verdict) -> float:
        """Seconds until the limiter admits again, for OverLimit and rescheduling."""
        return verdict.wait_us / 1e6

    def check_cost(self, cost: int) -> int:
        if isinstance(cost, bool) or not isinstance(cost, int) or not 1 <= cost <= self.limit:
            raise ConfigError(
                f'{self.kind} limiter "{self.name}": cost must be a whole number from 1 to '
                f"its limit {self.limit}, got {cost!r} (it could never be admitted)"
            )
        return cost

    # -- acquiring -----------------------------------------------------------
    def acquire(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:
        """Wait until admitted (at most ``wait_timeout``) and return the lease.

        Raises :class:`OverLimit` (with ``retry_at``) when the wait would be longer.
        """
        RATE_LIMITING.require()
        deadline = Deadline.start(self.wait_timeout if wait_timeout is None else wait_timeout)
        self.check_cost(cost)
        while True:
            budget = deadline.budget_us()
            verdict = self.attempt(cost, deadline.waited, budget, deadline.token)
            if verdict.admitted:
                return self._lease(cost, verdict, deadline)
            if self.gives_up(verdict, budget):
                raise self._over(verdict, deadline)
            self.pause(deadline.pause_for(verdict))

    async def acquire_async(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:
        """:meth:`acquire` for asyncio: Redis calls run in a thread, waits do not block the loop."""
        RATE_LIMITING.require()
        deadline = Deadline.start(self.wait_timeout if wait_timeout is None else wait_timeout)
        self.check_cost(cost)
        while True:
            budget = deadline.budget_us()
            verdict = await asyncio.to_thread(
                self.attempt, cost, deadline.waited, budget, deadline.token
            )
            if verdict.admitted:
                return self._lease(cost, verdict, deadline)
            if self.gives_up(verdict, budget):
                raise self._over(verdict, deadline)
            await self.pause_async(deadline.pause_for(verdict))

    def _lease(self, cost: int, verdict: Verdict, deadline: Deadline) -> Admission:
        return Admission(self, cost, verdict.now_us / 1e6, deadline.elapsed(), deadline.token)

    def _over(self, verdict: Verdict, deadline: Deadline) -> OverLimit:
        return OverLimit(
            self.name,
            self.kind,
            self.describe(),
            self.retry_in(verdict),
            deadline.timeout,
            self.reschedules,
        )

    # -- `with limiter:` / `async with limiter:` ---------------------------
    def __enter__(self) -> Admission:
        lease = self.acquire()
        _held.set((*_held.get(), lease))
        return lease

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pop_held().release()

    async def __aenter__(self) -> Admission:
        lease = await self.acquire_async()
        _held.set((*_held.get(), lease))
        return lease

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._pop_held().release_async()

    def _pop_held(self) -> Admission:
        held = _held.get()
        for i in range(len(held) - 1, -1, -1):
            if held[i].limiter is self:
                _held.set(held[:i] + held[i + 1 :])
                return held[i]
        raise RuntimeError(f'limiter "{self.name}" was exited without being entered')
