"""Decode -> resolve -> invoke: how a stored job becomes a call of its function.

The worker and :mod:`workhorse.testing` both use this, so a job run by a test runs
exactly as a worker would run it. Everything around it (time limits, outcomes,
results) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from workhorse import payload
from workhorse.errors import UnknownJobError
from workhorse.job import find
from workhorse.middleware import JobContext, RunNext

RunCoroutine = Callable[[Coroutine[Any, Any, Any]], Any]


def _no_attempt(ctx: JobContext) -> str:  # noqa: ARG001 - the signature callers fill in
    return ""


def context(
    raw: str, queue: str | None = None, acknowledge: Callable[[], None] | None = None
) -> JobContext:
    """The job stored as ``raw`` with its registered definition (None when no module
    registered its name). Raises :class:`~workhorse.errors.PayloadError` when ``raw``
    is not a job."""
    job = payload.decode(raw)
    name = str(job["class"])  # type: ignore[typeddict-item]
    queue = str(job.get("queue") or "default") if queue is None else queue
    return JobContext(job, queue, raw, find(name), acknowledge=acknowledge)


def invoker(
    ctx: JobContext, run_coroutine: RunCoroutine, attempt: Callable[[JobContext], str] = _no_attempt
) -> RunNext:
    """What the server middleware chain calls last: the job's function with its
    arguments, an ``async def`` one through ``run_coroutine``. A job no module
    registered raises :class:`~workhorse.errors.UnknownJobError`, naming
    ``attempt(ctx)``. Both callables are the caller's long-lived ones: nothing is
    bound per job.
    """
    definition = ctx.definition
    if definition is None:
        return lambda: _unknown(ctx.name, attempt(ctx))
    # The arguments are read at call time: server middleware may replace them (decryption).
    if definition.is_async:
        return lambda: run_coroutine(definition.call(ctx.job.get("args", [])))
    return lambda: definition.call(ctx.job.get("args", []))


def _unknown(name: str, attempt: str) -> NoReturn:
    raise UnknownJobError(name, attempt)
