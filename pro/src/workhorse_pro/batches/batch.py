"""``Batch``: create a group of jobs atomically, or reopen one from its own jobs (issue 8).

>>> with Batch(description="import 42", on_success=notify) as batch:  # doctest: +SKIP
...     for row in rows:
...         import_row.perform_async(row)

Core's ``Client.capture()`` collects the block's pushes instead of writing
them; at the end of the block one Lua call (``lua/write.lua``) stores the batch
and every job with a ``bid`` field, and seals the batch. An exception in the
block writes nothing. ``atomic=False`` writes every ``flush_every`` jobs (the
memory of a million-job batch stays bounded) and seals at the end, so the
callbacks cannot fire before the last chunk is in.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, cast

from workhorse import payload, tracelinks
from workhorse.client import Client, default_client
from workhorse.errors import ConfigError
from workhorse.job import Job
from workhorse.types import JobPayload
from workhorse_pro.batches.config import check_lifetime
from workhorse_pro.batches.context import open_batches, running_job
from workhorse_pro.batches.errors import BatchError, BatchNotFound
from workhorse_pro.batches.scripts import QueuedJob, Ref
from workhorse_pro.batches.tracker import Tracker
from workhorse_pro.license_gate import BATCHES

log = logging.getLogger(__name__)
Callback = Job[..., Any] | str | None
# The batch hash field holding the creating span's traceparent (``_lib.lua`` reads it
# for the callback jobs), and the job field the consumer span turns into a link.
TRACE_FIELD = "traceparent"
LINK_FIELD = "batch_traceparent"


def new_bid() -> str:
    """14 URL-safe characters (80 random bits), the shape of Sidekiq Pro's bids, never
    starting with '-' (``workhorse batches status -x...`` would read it as an option)."""
    while (bid := secrets.token_urlsafe(10)).startswith("-"):
        pass
    return bid


def _callback_name(value: Callback, event: str) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, Job):
        return value.name
    raise ConfigError(
        f"on_{event} must be a job (a function decorated with @workhorse.job) or a registered "
        f"job name, got {value!r}"
    )


class Batch:
    """A group of jobs with ``complete``/``success``/``death`` callbacks.

    Callbacks are jobs (or job names) called as ``callback(status, *callback_args)``
    where ``status`` is :meth:`BatchStatus.as_dict` plus ``"event"``.
    """

    def __init__(
        self,
        description: str = "",
        *,
        on_complete: Callback = None,
        on_success: Callback = None,
        on_death: Callback = None,
        callback_queue: str | None = None,
        callback_args: Sequence[object] = (),
        atomic: bool = True,
        flush_every: int = 10_000,
        ttl: float | None = None,
        linger: float | None = None,
        client: Client | None = None,
    ) -> None:
        BATCHES.require()
        if flush_every < 1:
            raise ConfigError(f"flush_every must be 1 or more, got {flush_every}")
        self.client = client or default_client()
        self._tracker = Tracker.of(self.client)
        config = self._tracker.config
        self.bid = new_bid()
        self.description = description
        self.atomic = atomic
        self.flush_every = flush_every
        self.ttl = check_lifetime("ttl", ttl) if ttl is not None else config.ttl
        self.linger = check_lifetime("linger", linger) if linger is not None else config.linger
        self._callbacks = {
            "complete": _callback_name(on_complete, "complete"),
            "success": _callback_name(on_success, "success"),
            "death": _callback_name(on_death, "death"),
        }
        self._callback_args = payload.check_args(callback_args)
        self._ref = Ref(self.bid, callback_queue or config.callback_queue)
        self._written = False  # the batch exists in Redis
        self._reopened = False
        self._parent: Ref | None = None
        # The creating trace context (tracing on only): stored in the batch hash and
        # stamped on its jobs and callbacks as ``batch_traceparent``, which becomes a link.
        self._traceparent: str | None = None
        self._capture: AbstractContextManager[list[JobPayload]] | None = None
        self._jobs: list[JobPayload] = []
        self.jids: list[str] = []  # jobs written by this handle, in push order

    # -- reopening ---------------------------------------------------------
    @classmethod
    def reopen(cls, bid: str, client: Client | None = None) -> Batch:
        """A handle to add jobs (or child batches) to an existing batch, from one of its jobs."""
        BATCHES.require()
        client = client or default_client()
        ref = Tracker.of(client).meta.ref(bid)
        if ref is None:
            raise BatchNotFound(bid)
        batch = cls(client=client, callback_queue=ref.callback_queue)
        batch.bid, batch._ref = bid, ref
        batch._written = batch._reopened = True
        if tracelinks.active():
            stored = batch._tracker.redis.hget(batch._tracker.bkeys.hash(bid), TRACE_FIELD)
            batch._traceparent = stored if isinstance(stored, str) and stored else None
        return batch

    @classmethod
    def current(cls, client: Client | None = None) -> Batch | None:
        """The batch of the job running on this thread (reopened), or None outside batch jobs."""
        running = running_job.get()
        return None if running is None else cls.reopen(running.bid, client)

    # -- the block ---------------------------------------------------------
    def __enter__(self) -> Batch:
        if self._capture is not None:
            raise BatchError(f"batch {self.bid} is already open on this thread")
        outer = open_batches.get()
        if outer and not self._reopened:
            self._parent = self._choose_parent(outer[-1])
        self._capture = self.client.capture()
        self._jobs = self._capture.__enter__()
        open_batches.set((*outer, self))
        return self

    def _choose_parent(self, outer: Batch) -> Ref:
        if not outer._written:
            raise BatchError(
                f"batch {self.bid} is created inside batch {outer.bid}, which does not exist "
                "in Redis yet; create child batches from a job of the parent, inside "
                "`with Batch.current():`, so the parent can wait for them"
            )
        return outer._ref

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._capture is None:
            raise BatchError(f"batch {self.bid}: __exit__ without __enter__; use `with batch:`")
        try:
            self._capture.__exit__(exc_type, exc, tb)
        finally:
            self._capture = None
            open_batches.set(open_batches.get()[:-1])
        if exc_type is not None:
            self._abandon()
            return
        self.flush(final=True)

    def _abandon(self) -> None:
        dropped = len(self._jobs)
        self._jobs.clear()
        if self._written and not self._reopened:
            # Chunks already written are real jobs; sealing lets their callbacks fire.
            log.warning(
                "batch %s: the block raised; %d unwritten job(s) dropped, the %d "
                "written are kept and the batch is sealed",
                self.bid,
                dropped,
                len(self.jids),
            )
            self._write([], seal=True)
        else:
            log.info("batch %s: the block raised; nothing was written", self.bid)

    # -- writing -------------------------------------------------------------
    def wants_flush(self) -> bool:
        """Called by the client middleware before each push while the block is open."""
        return not self.atomic and len(self._jobs) >= self.flush_every

    def flush(self, final: bool = False) -> None:
        """Write the collected jobs (and on ``final``, seal a new batch)."""
        if self._written or not tracelinks.active():
            self._flush(final)
            return
        # The batch's own span, a child of whatever span creates it: its jobs and
        # callbacks link to it, so the batch's trace is one click away from each.
        with tracelinks.span("create batch", "internal", {"workhorse.batch.id": self.bid}) as tp:
            self._traceparent = tp
            self._flush(final)

    def _flush(self, final: bool) -> None:
        stamp = payload.timestamp(self.client.settings.timestamp_format)
        jobs = [self._prepare(job, stamp) for job in self._jobs]
        self._jobs.clear()
        seal = final and not self._reopened
        if not jobs and not seal:
            return
        self._write(jobs, seal=seal)

    def _write(self, jobs: list[QueuedJob], seal: bool) -> None:
        create = not self._written
        now = payload.timestamp("float")
        self._tracker.scripts.write(
            self._ref,
            jobs,
            create=create,
            seal=seal,
            ttl=self.ttl,
            parent=self._parent,
            fields=self._fields() if create else "{}",
            created=now,
        )
        self._written = True
        self.jids += [job.jid for job in jobs]

    def _fields(self) -> str:
        fields: dict[str, str | int] = {
            "desc": self.description,
            "cbq": self._ref.callback_queue,
            "cb": json.dumps(self._callbacks),
            "cbargs": json.dumps(self._callback_args),
            "ttl": int(self.ttl),
            "linger": int(self.linger),
        }
        if self._traceparent:
            fields[TRACE_FIELD] = self._traceparent
        return json.dumps(fields)

    def _prepare(self, job: JobPayload, stamp: int | float) -> QueuedJob:
        item = cast(dict[str, Any], job)  # the client's normalised copy: ours to change
        item["bid"] = self.bid
        if self._traceparent:
            item[LINK_FIELD] = self._traceparent
        at = item.pop("at", None)
        if at is not None:
            item.pop("enqueued_at", None)
            return QueuedJob(item["jid"], None, payload.encode(item), float(at))
        item["enqueued_at"] = stamp
        return QueuedJob(item["jid"], item["queue"], payload.encode(item))

    def __repr__(self) -> str:
        return f"<Batch {self.bid} {self.description!r}>"
