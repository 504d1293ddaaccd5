"""``JobHandle``: what ``perform_async`` returns — the jid, plus status, result and cancel.

A handle *is* the jid (a ``str`` subclass), so code that stored, compared or
logged the returned jid keeps working. It remembers the client that pushed the
job, so it asks the same Redis (a shard, a prefix) about it.

>>> handle = add.set(store_result=True).perform_async(1, 2)  # doctest: +SKIP
>>> handle.status().state, handle.result(timeout=5)           # doctest: +SKIP
('succeeded', 3)
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypeVar

from workhorse import results
from workhorse.types import JobStore

if TYPE_CHECKING:
    from workhorse.api import Inspector
    from workhorse.api.jobs import JobStatus


StoreT = TypeVar("StoreT", bound=JobStore)


class JobHandle(str):
    """A pushed job's jid, with ways to ask about it."""

    _client: JobStore

    def __new__(cls, jid: str, client: JobStore) -> JobHandle:
        handle = super().__new__(cls, jid)
        handle._client = client
        return handle

    @property
    def jid(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"<JobHandle {str(self)!r}>"

    @property
    def client(self) -> JobStore:
        return self._client

    def _inspector(self) -> Inspector:
        from workhorse.api import Inspector

        client = self.client
        return Inspector(client.redis, client.keys, client.settings)

    def status(self) -> JobStatus:
        """Where the job is now: queued, scheduled, running, retrying (with ``attempt`` and
        ``next_run_at``), succeeded, failed, dead, cancelled or unknown."""
        return self._inspector().jobs.status(str(self))

    def result(self, timeout: float | None = None) -> Any:
        """Block until the job finished and return its value (``store_result=True`` jobs).

        Raises :class:`~workhorse.errors.JobFailed` (error class, message, backtrace)
        if it died or failed, ``JobCancelled`` if it was cancelled, and
        :class:`~workhorse.errors.ResultTimeout` after ``timeout`` seconds. Waiting is a
        blocking pop on the record's key: no polling."""
        client = self.client
        return results.wait(client.redis, client.keys, str(self), timeout).unwrap()

    def completion(self) -> results.Completion | None:
        """The completion record now, without waiting (None while unfinished)."""
        client = self.client
        return results.read(client.redis, client.keys, str(self))

    def cancel(self) -> str:
        """Cancel the job (see :func:`workhorse.cancel`)."""
        return self._inspector().jobs.cancel(str(self))

    def __await__(self) -> Generator[Any, None, Any]:
        """``await handle``: the result, waited for on a thread so the loop keeps running."""
        return asyncio.to_thread(self.result).__await__()


def for_queue(client: StoreT, queue: object) -> StoreT:
    """The client that holds a job of ``queue``: with sharding, the shard that owns it."""
    route = getattr(client, "client_for", None)
    return route(str(queue or "default")) if route is not None else client
