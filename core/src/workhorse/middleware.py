"""Client and server middleware: Protocols, and the chains that run them.

A chain is a closure built when the client or worker starts, so the per-job
cost is one Python call per middleware and nothing when there is none; server
middleware wrapped in :func:`only_with` costs nothing for jobs without its field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from workhorse.types import ClaimTarget, JobDefinition, JobPayload

PushNext = Callable[[JobPayload], JobPayload | None]
ClaimedWrite = Callable[[ClaimTarget, JobPayload], bool]
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
    definition: JobDefinition | None
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


@dataclass(frozen=True, slots=True)
class OnlyWith:
    """A server middleware that only jobs whose payload has ``field`` go through.

    Built by :func:`only_with`. Called directly it checks the field itself; in a
    chain built by :func:`compose_server` it is left out of the chain for other
    jobs, so they pay nothing for it.
    """

    field: str
    middleware: ServerMiddleware

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        if self.field in ctx.job:
            return self.middleware(ctx, call_next)
        return call_next()


def only_with(field: str, middleware: ServerMiddleware) -> ServerMiddleware:
    """Run ``middleware`` only for jobs whose payload has ``field`` (any value).

    For middleware that leaves every other job alone anyway (encrypted arguments
    key on ``encrypt``, unique locks on ``unique_digest``): the worker's chain
    skips it for those jobs instead of calling it to find out.
    """
    return OnlyWith(field, middleware)


def compose_server(
    middleware: Sequence[ServerMiddleware],
) -> Callable[[JobContext, RunNext], object]:
    """Build ``run(ctx, invoke)`` that threads ``invoke`` through every middleware.

    ``only_with`` middleware join the chain only for jobs that carry their field:
    a job without any of those fields runs through the others alone; the chain for
    each combination of present fields is built once, when first needed.
    """
    fields = frozenset(mw.field for mw in middleware if isinstance(mw, OnlyWith))
    lean = _chain([mw for mw in middleware if not isinstance(mw, OnlyWith)])
    if not fields:
        return lean
    chains = {frozenset[str](): lean}

    def run(ctx: JobContext, invoke: RunNext) -> object:
        present = ctx.job.keys()
        if present.isdisjoint(fields):
            return lean(ctx, invoke)
        wanted = frozenset(present & fields)
        chain = chains.get(wanted)
        if chain is None:  # a race builds the same chain twice, harmlessly
            chain = chains[wanted] = _chain(_joined(middleware, wanted))
        return chain(ctx, invoke)

    return run


def skipped_without(middleware: Sequence[ServerMiddleware]) -> frozenset[str] | None:
    """The payload fields that bring a job into the chain :func:`compose_server` builds
    from ``middleware`` (its ``only_with`` fields), or None when every job goes through
    some middleware. A job carrying none of the fields runs through none: the worker
    then calls it directly."""
    if any(not isinstance(mw, OnlyWith) for mw in middleware):
        return None
    return frozenset(mw.field for mw in middleware if isinstance(mw, OnlyWith))


class ArgumentOpener(Protocol):
    """A server middleware that does nothing but swap the job's arguments for the call.

    It may offer this form besides ``__call__`` when it is wrapped in :func:`only_with`
    and is the innermost middleware (the last one). For a job that carries its field
    and no other ``only_with`` field, the worker then applies it around the call of the
    job itself instead of selecting and running a chain with it, with the same effect:

        token = opener.open_arguments(job)    # raising fails the job, not called
        try:
            run the job with job["args"]
        finally:
            opener.restore_arguments(job, token)

    (every other middleware still wraps the job, outside of this). So the job sees the
    opened arguments, and whatever the worker records afterwards (a retry, the dead set)
    holds them as fetched. Async jobs still go through ``__call__`` or ``call_async``.
    """

    def open_arguments(self, job: JobPayload) -> object:
        """Put the arguments the job is called with into ``job``; returns what
        :meth:`restore_arguments` needs to put the fetched ones back."""
        ...

    def restore_arguments(self, job: JobPayload, token: object) -> None:
        """Put back the arguments :meth:`open_arguments` replaced (``token`` is its result)."""
        ...


def innermost_opener(
    middleware: Sequence[ServerMiddleware],
) -> tuple[str, ArgumentOpener, frozenset[str]] | None:
    """(field, middleware, the other ``only_with`` fields) when the innermost middleware
    is an ``only_with`` one offering the :class:`ArgumentOpener` form, else None.

    Only the innermost one: applied around the call, it must be the last to see the job
    before it runs. Its field must bring in no other middleware.
    """
    if not middleware:
        return None
    last = middleware[-1]
    if not isinstance(last, OnlyWith):
        return None
    inner = last.middleware
    if not (
        callable(getattr(inner, "open_arguments", None))
        and callable(getattr(inner, "restore_arguments", None))
    ):
        return None
    others = [mw.field for mw in middleware[:-1] if isinstance(mw, OnlyWith)]
    if last.field in others:
        return None
    return last.field, cast("ArgumentOpener", inner), frozenset(others)


def _joined(
    middleware: Sequence[ServerMiddleware], present: frozenset[str]
) -> list[ServerMiddleware]:
    """The middleware a job carrying the ``present`` fields goes through, in order."""
    joined: list[ServerMiddleware] = []
    for mw in middleware:
        if not isinstance(mw, OnlyWith):
            joined.append(mw)
        elif mw.field in present:
            joined.append(mw.middleware)
    return joined


def _chain(middleware: Sequence[ServerMiddleware]) -> Callable[[JobContext, RunNext], object]:
    """Nest the middleware once, outermost first: per job, one call and one closure each."""
    if not middleware:
        return lambda _ctx, invoke: invoke()
    run: Callable[[JobContext, RunNext], object] = middleware[-1]  # takes (ctx, invoke) as is
    for mw in reversed(middleware[:-1]):
        run = _around(mw, run)
    return run


def _around(
    mw: ServerMiddleware, inner: Callable[[JobContext, RunNext], object]
) -> Callable[[JobContext, RunNext], object]:
    def run(ctx: JobContext, invoke: RunNext) -> object:
        return mw(ctx, lambda: inner(ctx, invoke))

    return run


# -- async jobs on the worker's async lane (issue 24) ----------------------------------
def async_step(mw: ServerMiddleware) -> AsyncServerStep | None:
    """The middleware's ``call_async`` (an ``only_with`` one's: its inner middleware's),
    or None if it has no async form."""
    inner = mw.middleware if isinstance(mw, OnlyWith) else mw
    step = getattr(inner, "call_async", None)
    return cast("AsyncServerStep", step) if callable(step) else None


def sync_only(middleware: Sequence[ServerMiddleware]) -> list[str]:
    """Names of the middleware in the chain that cannot wrap an async job on the loop."""
    return [_name(mw) for mw in middleware if async_step(mw) is None]


def _name(mw: object) -> str:
    if isinstance(mw, OnlyWith):
        mw = mw.middleware
    kind = mw if callable(mw) and hasattr(mw, "__qualname__") else type(mw)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', repr(mw))}"


def compose_server_async(
    middleware: Sequence[ServerMiddleware],
) -> Callable[[JobContext, AsyncRunNext], Awaitable[object]]:
    """:func:`compose_server` for async jobs: ``await run(ctx, invoke)`` through every
    middleware's ``call_async`` (each must have one: see :func:`sync_only`), with
    ``only_with`` middleware joining only the chains of jobs that carry their field."""
    missing = sync_only(middleware)
    if missing:
        raise ValueError(f"middleware without call_async: {', '.join(missing)}")
    fields = frozenset(mw.field for mw in middleware if isinstance(mw, OnlyWith))
    lean = _async_chain([mw for mw in middleware if not isinstance(mw, OnlyWith)])
    if not fields:
        return lean
    chains = {frozenset[str](): lean}

    def run(ctx: JobContext, invoke: AsyncRunNext) -> Awaitable[object]:
        present = ctx.job.keys()
        if present.isdisjoint(fields):
            return lean(ctx, invoke)
        wanted = frozenset(present & fields)
        chain = chains.get(wanted)
        if chain is None:  # built on the loop's thread only: no race
            chain = chains[wanted] = _async_chain(_joined(middleware, wanted))
        return chain(ctx, invoke)

    return run


def _async_chain(middleware: Sequence[ServerMiddleware]) -> AsyncServerStep:
    """Nest the middleware's ``call_async`` once, outermost first."""
    steps = [cast("AsyncServerStep", async_step(mw)) for mw in middleware]
    if not steps:
        return lambda _ctx, invoke: invoke()
    run = steps[-1]
    for step in reversed(steps[:-1]):
        run = _around_async(step, run)
    return run


def _around_async(step: AsyncServerStep, inner: AsyncServerStep) -> AsyncServerStep:
    def run(ctx: JobContext, invoke: AsyncRunNext) -> Awaitable[object]:
        return step(ctx, lambda: inner(ctx, invoke))

    return run
