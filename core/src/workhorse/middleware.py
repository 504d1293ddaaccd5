"""Client and server middleware: Protocols, and chains composed once at startup.

A chain is a closure built when the client or worker starts, so the per-job
cost is one Python call per middleware and nothing when there is none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from workhorse.types import JobPayload

if TYPE_CHECKING:
    from workhorse.client import Client
    from workhorse.job import Job

PushNext = Callable[[JobPayload], JobPayload | None]
ClaimedWrite = Callable[["Client", JobPayload], bool]
# (job, state) -> stored?  ``state`` is scratch space that lives as long as the
# ``workhorse.testing.unique()`` block that switched offline claims on.
OfflineClaim = Callable[[JobPayload, dict[str, Any]], bool]


class ClientMiddleware(Protocol):
    """Wraps every push. Return ``call_next(job)`` (possibly changed), or None to drop it.

    A middleware that must decide *at write time*, atomically with the write
    (a uniqueness lock), returns ``claim(job, write)`` instead: see :func:`claim`.
    """

    def __call__(self, job: JobPayload, call_next: PushNext) -> JobPayload | None: ...


class ClaimedJob(dict[str, Any]):
    """A job whose write a client middleware took over (built by :func:`claim`).

    Still a plain job dict to every other middleware; a middleware that copies
    it drops the claim and the job is written the ordinary way.
    """

    __slots__ = ("offline", "write")

    def __init__(
        self, job: JobPayload, write: ClaimedWrite, offline: OfflineClaim | None = None
    ) -> None:
        super().__init__(job)
        self.write = write
        self.offline = offline


def claim(job: JobPayload, write: ClaimedWrite, offline: OfflineClaim | None = None) -> JobPayload:
    """Let ``write(client, job)`` store ``job`` instead of the client's pipeline.

    ``write`` gets the client that owns the job's Redis (its shard, when
    sharded) and the job, and returns False when it refused to store it: the
    push then returns None, as if a middleware had dropped it. Called only when
    the client writes to Redis directly; inside ``Client.capture()`` (atomic
    groups such as batches) and under ``workhorse.testing`` the job is written
    the ordinary way and the claim is ignored, except that in testing's fake
    and inline modes, inside ``workhorse.testing.unique()``, ``offline(job,
    state)`` decides instead (False: the push returns None), keeping whatever
    it needs in ``state``, a dict that lives as long as that block.
    """
    return cast("JobPayload", ClaimedJob(job, write, offline))


_offline_state: dict[str, Any] | None = None  # set by workhorse.testing.unique()


def offline_claims() -> dict[str, Any] | None:
    """The state of offline claims while ``workhorse.testing.unique()`` is on, else None.

    Server middleware that releases what an offline claim took (a unique lock)
    looks there first.
    """
    return _offline_state


def set_offline_claims(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """Switch offline claims on (a fresh dict) or off (None); returns the previous state."""
    global _offline_state
    previous, _offline_state = _offline_state, state
    return previous


@dataclass(slots=True)
class JobContext:
    """What server middleware sees of the job being executed."""

    job: JobPayload
    queue: str
    raw: str
    definition: Job[..., Any] | None
    stash: dict[str, object] = field(default_factory=dict)
    acknowledge: Callable[[], None] | None = None
    deferred: bool = False

    def defer_acknowledgement(self) -> Callable[[], None]:
        """Take over acknowledging this job: the worker will not, the caller must.

        For middleware that must record something durable before the fetcher
        lets go of the job (Pro batches). Returns the acknowledging callable;
        with reliable fetch, a process that dies before calling it has the job
        recovered and run again.
        """
        if self.acknowledge is None:
            raise RuntimeError("this job's acknowledgement cannot be deferred")
        self.deferred = True
        return self.acknowledge

    @property
    def jid(self) -> str:
        return str(self.job.get("jid", ""))

    @property
    def name(self) -> str:
        return str(self.job.get("class", ""))


RunNext = Callable[[], object]


AsyncRunNext = Callable[[], Awaitable[object]]
AsyncServerStep = Callable[[JobContext, AsyncRunNext], Awaitable[object]]


class ServerMiddleware(Protocol):
    """Wraps every execution. Call ``call_next()`` to run the job; raising fails it.

    To also wrap ``async def`` jobs on the worker's async lane, give the middleware a
    ``call_async(ctx, call_next)`` coroutine method doing the same with
    ``await call_next()`` (see docs/async-jobs.md)."""

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object: ...


def async_step(mw: ServerMiddleware) -> AsyncServerStep | None:
    """The middleware's ``call_async``, or None if it has no async form."""
    step = getattr(mw, "call_async", None)
    return cast("AsyncServerStep", step) if callable(step) else None


def sync_only(middleware: Sequence[ServerMiddleware]) -> list[str]:
    """Names of the middleware in the chain that cannot wrap an async job on the loop."""
    return [_name(mw) for mw in middleware if async_step(mw) is None]


def _name(mw: object) -> str:
    kind = mw if callable(mw) and hasattr(mw, "__qualname__") else type(mw)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', repr(mw))}"


def compose_server_async(
    middleware: Sequence[ServerMiddleware],
) -> Callable[[JobContext, AsyncRunNext], Awaitable[object]]:
    """The async chain: ``await run(ctx, invoke)`` through every middleware's ``call_async``
    (each must have one: see :func:`sync_only`)."""
    steps = [step for step in map(async_step, middleware) if step is not None]
    if len(steps) != len(middleware):
        raise ValueError(f"middleware without call_async: {', '.join(sync_only(middleware))}")
    if not steps:
        return lambda _ctx, invoke: invoke()
    if len(steps) == 1:
        return steps[0]

    def run(ctx: JobContext, invoke: AsyncRunNext) -> Awaitable[object]:
        call = invoke
        for step in reversed(steps):
            call = _bind_async(step, ctx, call)
        return call()

    return run


def _bind_async(step: AsyncServerStep, ctx: JobContext, call_next: AsyncRunNext) -> AsyncRunNext:
    return lambda: step(ctx, call_next)


def compose_client(middleware: Sequence[ClientMiddleware]) -> PushNext:
    """Build ``chain(job) -> job | None``: middleware outermost first; the caller writes."""

    def terminal(job: JobPayload) -> JobPayload:
        return job

    chain: PushNext = terminal
    for mw in reversed(middleware):
        chain = _bind_client(mw, chain)
    return chain


def _bind_client(mw: ClientMiddleware, call_next: PushNext) -> PushNext:
    return lambda job: mw(job, call_next)


def compose_server(
    middleware: Sequence[ServerMiddleware],
) -> Callable[[JobContext, RunNext], object]:
    """Build ``run(ctx, invoke)`` that threads ``invoke`` through every middleware."""
    if not middleware:
        return lambda _ctx, invoke: invoke()
    if len(middleware) == 1:
        only = middleware[0]
        return lambda ctx, invoke: only(ctx, invoke)

    def run(ctx: JobContext, invoke: RunNext) -> object:
        call: RunNext = invoke
        for mw in reversed(middleware):
            call = _bind_server(mw, ctx, call)
        return call()

    return run


def _bind_server(mw: ServerMiddleware, ctx: JobContext, call_next: RunNext) -> RunNext:
    return lambda: mw(ctx, call_next)
