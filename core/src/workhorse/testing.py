"""Testing helpers for code that enqueues workhorse jobs: a fake mode and an inline mode.

Fake mode collects pushed jobs in memory instead of writing them to Redis;
inline mode runs each job at once, as a worker would: through a JSON round
trip and the server middleware chain. Both are context managers and replace
the process-wide default client (what ``perform_async`` uses) while active::

    from workhorse import testing

    def test_signup_sends_a_welcome_email():
        with testing.fake() as jobs:
            signup("ada@example.com")
            assert jobs.args(send_welcome) == [["ada@example.com"]]
            jobs.drain()                        # run them (and whatever they enqueue)

    def test_signup_end_to_end():
        with testing.inline():
            signup("ada@example.com")           # send_welcome ran before this returned

The pytest plugin (``workhorse.pytest_plugin``, loaded automatically) offers
the fixtures ``workhorse_fake``, ``workhorse_inline``, ``workhorse_redis_url``
and ``workhorse_client``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

from redis import Redis

from workhorse import invoke, payload, plugins
from workhorse.client import Client, set_default_client
from workhorse.config import Settings
from workhorse.errors import UnknownJobError
from workhorse.job import Job
from workhorse.keys import Keys
from workhorse.middleware import compose_server, set_offline_claims
from workhorse.types import JobPayload

__all__ = ["Fake", "Inline", "JobRunner", "fake", "inline", "unique"]

JobRef = Job[..., Any] | str


def _name(job: JobRef) -> str:
    return job if isinstance(job, str) else job.name


class JobRunner:
    """Runs one job payload the way a worker would, minus Redis."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._chain = compose_server(plugins.server_middleware(_RunnerProcess(self.settings)))

    def run(self, job: JobPayload | dict[str, Any] | str) -> object:
        """Round-trip ``job`` through JSON, then run it through the server middleware.

        Raises :class:`~workhorse.errors.UnknownJobError` for a name no module
        registered, and whatever the job raises.
        """
        raw = job if isinstance(job, str) else payload.encode(job)
        ctx = invoke.context(raw)
        if ctx.definition is None:
            raise UnknownJobError(ctx.name)
        return self._chain(ctx, invoke.invoker(ctx, _await))


class _RunnerProcess:
    """The process context server middleware gets under ``workhorse.testing``.

    Redis is the settings' own, connected on first use only: fake and inline
    modes never need it unless a middleware (a limiter, a unique lock) does.
    """

    identity = "workhorse-testing"
    quiet = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = Keys(settings.prefix)
        self.stopping = threading.Event()
        self._client = Client(settings=settings, middleware=())

    @property
    def redis(self) -> Redis:
        return self._client.redis


def _await(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run an ``async def`` job to completion, even when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="workhorse-inline-async")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class _Mode:
    """Installs a client whose ``sink`` replaces Redis; restores the previous one on exit."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.client = Client(settings=self.settings)
        self.client.sink = self._receive
        self.runner = JobRunner(self.settings)
        self._previous: Client | None = None
        self._active = False

    def _receive(self, job: JobPayload) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        if not self._active:
            self._previous = set_default_client(self.client)
            self._active = True
        return self

    def stop(self) -> None:
        if self._active:
            set_default_client(self._previous)
            self._active = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Fake(_Mode):
    """Jobs pushed while active are kept here (as JSON, in push order), not sent to Redis."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._raw: list[str] = []
        self._lock = threading.Lock()

    def _receive(self, job: JobPayload) -> None:
        raw = payload.encode(job)  # now: later changes by the caller must not leak in
        with self._lock:
            self._raw.append(raw)

    def jobs(self, job: JobRef | None = None) -> list[dict[str, Any]]:
        """Pushed payloads (fresh copies), all or of one job (a ``Job`` or its name)."""
        with self._lock:
            raws = list(self._raw)
        items = [dict(payload.decode(raw)) for raw in raws]
        return items if job is None else [i for i in items if i["class"] == _name(job)]

    def args(self, job: JobRef | None = None) -> list[list[Any]]:
        """Just the argument lists, e.g. ``[[1, "a"], [2, "b"]]``."""
        return [list(item.get("args", [])) for item in self.jobs(job)]

    def queue(self, name: str) -> list[dict[str, Any]]:
        return [item for item in self.jobs() if item.get("queue", "default") == name]

    def count(self, job: JobRef | None = None) -> int:
        return len(self.jobs(job))

    def __len__(self) -> int:
        return self.count()

    def clear(self, job: JobRef | None = None) -> None:
        """Forget all pushed jobs, or those of one job."""
        with self._lock:
            if job is None:
                self._raw.clear()
            else:
                name = _name(job)
                self._raw[:] = [r for r in self._raw if payload.decode(r)["class"] != name]  # type: ignore[typeddict-item]

    def perform_one(self, job: JobRef | None = None) -> bool:
        """Run the oldest pushed job (of ``job`` if given); False if there was none."""
        raw = self._take(None if job is None else _name(job))
        if raw is None:
            return False
        self.runner.run(raw)
        return True

    def drain(self, job: JobRef | None = None, limit: int = 10_000) -> int:
        """Run jobs, oldest first, until none is left (jobs they push run too); how many ran.

        A job that raises stops the drain and the error propagates. ``limit``
        guards against a job that keeps enqueuing itself.
        """
        ran = 0
        while self.perform_one(job):
            ran += 1
            if ran >= limit:
                raise RuntimeError(
                    f"drain ran {limit} jobs and more keep coming; is a job "
                    "enqueuing itself? Pass limit= to allow more"
                )
        return ran

    def _take(self, name: str | None) -> str | None:
        with self._lock:
            for index, raw in enumerate(self._raw):
                if name is None or payload.decode(raw)["class"] == name:  # type: ignore[typeddict-item]
                    return self._raw.pop(index)
        return None


class Inline(_Mode):
    """Jobs run at once, on the pushing thread; their errors reach the caller."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.ran: list[dict[str, Any]] = []

    def _receive(self, job: JobPayload) -> None:
        raw = payload.encode(job)
        self.ran.append(dict(payload.decode(raw)))
        self.runner.run(raw)


def fake(settings: Settings | None = None) -> Fake:
    """``with testing.fake() as jobs:`` collect pushed jobs in memory."""
    return Fake(settings)


def inline(settings: Settings | None = None) -> Inline:
    """``with testing.inline():`` run every pushed job immediately."""
    return Inline(settings)


@contextmanager
def unique(enabled: bool = True) -> Iterator[None]:
    """``with testing.unique():`` unique jobs are unique in fake and inline modes too.

    Off by default: in those modes every push goes through, so tests see each
    one. Inside the block a plugin that enforces uniqueness (Enterprise's
    ``unique_for``) holds its locks in memory for the block's lifetime: a
    second identical push returns None while the first is pending in
    ``fake()``, and a lock is released when the job runs (``drain()``,
    ``inline()``) as a worker would release it. Locks are forgotten when the
    block ends. ``unique(False)`` switches it off again inside an outer block.
    """
    previous = set_offline_claims({} if enabled else None)
    try:
        yield
    finally:
        set_offline_claims(previous)
