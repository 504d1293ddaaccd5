"""``Admission``: what a limiter granted, given back at the end of its ``with`` block."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workhorse_enterprise.limits.base import Limiter


@dataclass(slots=True)
class Admission:
    """What an admission gave you.

    ``admitted_at`` is the Redis server's clock (epoch seconds) at the moment of
    admission; ``waited`` the seconds spent waiting for it. Rate limiters have
    nothing to give back, so ``release`` only matters for concurrent ones.
    """

    limiter: Limiter
    cost: int
    admitted_at: float
    waited: float
    token: str | None = None
    released: bool = field(default=False)
    released_at: float | None = None  # server clock, set by a concurrent limiter

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        if not self.released:
            self.released = True
            self.limiter.release(self)

    async def release_async(self) -> None:
        if not self.released:
            self.released = True
            await self.limiter.release_async(self)

    def __enter__(self) -> Admission:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    async def __aenter__(self) -> Admission:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release_async()
