"""Handlers an application registers in code, without writing a plugin package.

Sidekiq users know these as ``config.error_handlers``, ``config.death_handlers``,
``config.on(:startup)`` and the middleware chains::

    import workhorse.handlers as wh

    wh.on_error(lambda ctx, error: sentry_sdk.capture_exception(error))
    wh.on_death(lambda job, error: alert(job["class"], job["jid"]))
    wh.on("startup", lambda process: warm_caches())
    wh.add_server_middleware(TimingMiddleware())

They are served to the worker by core's built-in plugin, so they follow the
same rules as plugin hooks: collected at startup, plain calls on the job path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
from workhorse.types import JobPayload, ProcessContext

Event = Literal["startup", "quiet", "shutdown", "heartbeat"]
ErrorHandler = Callable[[JobContext, BaseException], object]
DeathHandler = Callable[[JobPayload, "BaseException | None"], object]
EventHandler = Callable[[ProcessContext], object]

error_handlers: list[ErrorHandler] = []
death_handlers: list[DeathHandler] = []
event_handlers: dict[str, list[EventHandler]] = {
    "startup": [],
    "quiet": [],
    "shutdown": [],
    "heartbeat": [],
}
server_middleware: list[ServerMiddleware] = []
client_middleware: list[ClientMiddleware] = []


def on_error(handler: ErrorHandler) -> ErrorHandler:
    """Call ``handler(ctx, error)`` whenever a job raises (before its retry is scheduled)."""
    error_handlers.append(handler)
    return handler


def on_death(handler: DeathHandler) -> DeathHandler:
    """Call ``handler(job, error)`` when a job dies, is discarded or is cancelled (a waiting
    job cancelled with ``workhorse.cancel`` calls it in the cancelling process)."""
    death_handlers.append(handler)
    return handler


def on(event: Event, handler: EventHandler) -> EventHandler:
    """Call ``handler(process)`` on a worker lifecycle event."""
    if event not in event_handlers:
        raise ValueError(f"unknown event {event!r}: use one of {', '.join(event_handlers)}")
    event_handlers[event].append(handler)
    return handler


def add_server_middleware(middleware: ServerMiddleware) -> None:
    server_middleware.append(middleware)


def add_client_middleware(middleware: ClientMiddleware) -> None:
    """Takes effect for clients built afterwards (the default client is built lazily)."""
    client_middleware.append(middleware)


def clear() -> None:
    """Remove every handler (tests)."""
    error_handlers.clear()
    death_handlers.clear()
    for handlers in event_handlers.values():
        handlers.clear()
    server_middleware.clear()
    client_middleware.clear()
