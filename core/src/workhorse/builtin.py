"""Core's own defaults, registered as a plugin so every seam is exercised without Pro.

It also serves the handlers an application registered in code
(:mod:`workhorse.handlers`).
"""

from __future__ import annotations

import logging
from typing import Any

from workhorse import handlers
from workhorse.fetch import BasicFetch
from workhorse.hookspecs import hookimpl
from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
from workhorse.types import Fetcher, JobPayload, ProcessContext

log = logging.getLogger(__name__)


@hookimpl(trylast=True)
def workhorse_make_fetcher(process: ProcessContext) -> Fetcher[Any]:
    return BasicFetch(process.redis, process.keys, process.settings.queues)


@hookimpl(tryfirst=True)
def workhorse_server_middleware() -> list[ServerMiddleware]:
    return list(handlers.server_middleware)


@hookimpl(tryfirst=True)
def workhorse_client_middleware() -> list[ClientMiddleware]:
    return list(handlers.client_middleware)


@hookimpl
def workhorse_job_failed(ctx: JobContext, error: BaseException) -> None:
    for handler in handlers.error_handlers:
        _call(handler, "error handler", ctx, error)


@hookimpl
def workhorse_job_died(job: JobPayload, error: BaseException | None) -> None:
    for handler in handlers.death_handlers:
        _call(handler, "death handler", job, error)


def _event(name: str, process: ProcessContext) -> None:
    for handler in handlers.event_handlers[name]:
        _call(handler, f"{name} handler", process)


@hookimpl
def workhorse_startup(process: ProcessContext) -> None:
    _event("startup", process)


@hookimpl
def workhorse_quiet(process: ProcessContext) -> None:
    _event("quiet", process)


@hookimpl
def workhorse_shutdown(process: ProcessContext) -> None:
    _event("shutdown", process)


@hookimpl
def workhorse_heartbeat(process: ProcessContext) -> None:
    _event("heartbeat", process)


def _call(handler: object, what: str, *args: object) -> None:
    try:
        handler(*args)  # type: ignore[operator]
    except Exception:
        log.exception("%s %r failed; continuing", what, handler)
