"""``unlimited``: a limiter that always admits, to switch a limit off by configuration.

Call sites keep their ``with limiter:`` / ``acquire(cost=n)`` / ``@job(limiter=...)``;
only the construction changes, e.g. ``limits.unlimited("stripe") if
settings.STRIPE_UNLIMITED else limits.concurrent("stripe", 5)``. It never
touches Redis and never waits, so it works (and costs nothing) on an
unlicensed process too: there is no paid work to gate.
"""

from __future__ import annotations

import time

from workhorse.errors import ConfigError
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.base import Limiter
from workhorse_enterprise.limits.scripts import Verdict

_NEVER = 2**62  # the "limit" used for cost checks: any positive whole cost is admitted


class UnlimitedLimiter(Limiter):
    """Admits every caller at once, whatever the cost; holds nothing, stores nothing."""

    kind = "unlimited"  # type: ignore[assignment]  # not a Redis kind: it has no keys

    def __init__(self, name: str, **common: object) -> None:
        super().__init__(name, _NEVER, **common)  # type: ignore[arg-type]

    def describe(self) -> str:
        return "unlimited"

    def check_cost(self, cost: int) -> int:
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 1:
            raise ConfigError(
                f'unlimited limiter "{self.name}": cost must be a whole number >= 1, got {cost!r}'
            )
        return cost

    def acquire(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:  # noqa: ARG002
        return Admission(self, self.check_cost(cost), time.time(), 0.0)

    async def acquire_async(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:  # noqa: ARG002
        return self.acquire(cost)

    # Never called (acquire admits without asking Redis); defined for the base class.
    def attempt(self, cost: int, waited: bool, budget_us: int, token: str) -> Verdict:
        raise NotImplementedError("an unlimited limiter never asks Redis")

    def gives_up(self, verdict: Verdict, budget_us: int) -> bool:  # noqa: ARG002
        return False

    def pause(self, seconds: float) -> None:  # noqa: ARG002
        return None

    def release(self, lease: Admission) -> None:  # noqa: ARG002
        return None
