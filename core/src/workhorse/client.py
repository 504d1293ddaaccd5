"""Pushing jobs into Redis: one at a time, in bulk, or scheduled; through the client chain."""

from __future__ import annotations

import copyreg
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import redis

from workhorse import payload
from workhorse.config import Settings
from workhorse.connection import RedisTarget, connect, describe_client, resolve, unavailable
from workhorse.errors import ArgumentError, ConfigError, RedisUnavailable
from workhorse.handle import JobHandle, for_queue
from workhorse.keys import Keys
from workhorse.memo import remembered
from workhorse.middleware import ClaimedJob, ClientMiddleware, compose_client, offline_claims
from workhorse.types import JobPayload
from workhorse.wire import Command, ThreadConnections, pack, pack_head

BULK_CHUNK = 1_000
# Runs a write later (e.g. Django's transaction.on_commit); workhorse.contrib installs them.
Deferrer = Callable[[Callable[[], None]], None]
# `perform_in(x)` treats x below this as relative seconds, above as an epoch (Sidekiq's rule).
_EPOCH_THRESHOLD = 1_000_000_000
T = TypeVar("T")


def run_at(when: float | datetime | timedelta, *, relative: bool) -> float:
    """Epoch seconds for ``perform_in``/``perform_at`` arguments."""
    if isinstance(when, timedelta):
        if not relative:
            raise ArgumentError(
                f"perform_at takes a time, got the duration {when!r}; use "
                "perform_in(timedelta(...)) for a delay, or perform_at(datetime.now(UTC) + delay)"
            )
        return time.time() + when.total_seconds()
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ArgumentError(
                f"naive datetime {when.isoformat()} is ambiguous: give it a tzinfo "
                "(e.g. datetime.now(timezone.utc) + timedelta(minutes=5))"
            )
        return when.timestamp()
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise ArgumentError(f"expected seconds, a timedelta or a datetime, got {when!r}")
    if relative and when < _EPOCH_THRESHOLD:
        return time.time() + float(when)
    return float(when)


class Client:
    """Pushes jobs to one Redis. Safe to share between threads (pooled connections)."""

    def __init__(
        self,
        redis_client: redis.Redis | None = None,
        settings: Settings | None = None,
        middleware: Sequence[ClientMiddleware] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.keys = Keys(self.settings.prefix)
        self._redis = redis_client
        self._target: RedisTarget | None = None
        self._lock = threading.Lock()
        if middleware is None:
            from workhorse import plugins

            middleware = plugins.client_middleware(self.settings)
        self._chain = compose_client(middleware)
        self._local = threading.local()
        # Set on first write when the Redis client allows it (see workhorse.wire).
        self._wire: ThreadConnections | None = None
        self._wire_checked = False
        self._queue_keys: dict[str, str] = {}
        self._push_heads: dict[str, bytes] = {}  # queue -> packed SADD + LPUSH head
        # Replaced by workhorse.testing's fake and inline modes.
        self.sink: Callable[[JobPayload], None] | None = None
        # Every write goes through it when set: transactional enqueue (workhorse.contrib).
        self.defer: Deferrer | None = None

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            with self._lock:
                if self._redis is None:
                    self._target = resolve(self.settings)
                    self._redis = connect(
                        self.settings.with_changes(
                            redis_url=self._target.url, redis_url_source=self._target.source
                        )
                    )
        return self._redis

    def push(self, job: JobPayload | dict[str, Any]) -> str | None:
        """Normalise and push one job; returns its jid, or None if middleware dropped it."""
        pushed = self._chain(self.normalize(job))
        if pushed is None:
            return None
        if type(pushed) is ClaimedJob:
            if self._direct():
                return self._write_claimed(pushed)
            if self._refused_offline(pushed):
                return None
        self._emit([pushed])
        return pushed["jid"]

    def enqueue(
        self, name: str, args: Iterable[object] = (), **options: object
    ) -> JobHandle | None:
        """Push by job name: works for names this process never registered (e.g. Ruby classes).
        Returns a :class:`JobHandle` (the jid), or None if middleware dropped the job."""
        jid = self.push({"class": name, "args": list(args), **options})
        return None if jid is None else JobHandle(jid, for_queue(self, options.get("queue")))

    def push_bulk(
        self, jobs: Iterable[JobPayload | dict[str, Any]], chunk_size: int = BULK_CHUNK
    ) -> list[str | None]:
        """Push many jobs, one pipeline per ``chunk_size`` jobs; jids in input order."""
        jids: list[str | None] = []
        chunk: list[JobPayload] = []
        for job in jobs:
            pushed = self._chain(self.normalize(job))
            if type(pushed) is ClaimedJob:
                if self._direct():
                    jids.append(self._write_claimed(pushed))
                    continue
                if self._refused_offline(pushed):
                    jids.append(None)
                    continue
            jids.append(None if pushed is None else pushed["jid"])
            if pushed is not None:
                chunk.append(pushed)
            if len(chunk) >= chunk_size:
                self._emit(chunk)
                chunk = []
        if chunk:
            self._emit(chunk)
        return jids

    @contextmanager
    def capture(self) -> Iterator[list[JobPayload]]:
        """Collect this thread's pushes instead of writing them (for atomic groups)."""
        stack: list[list[JobPayload]] = self._local.__dict__.setdefault("captures", [])
        collected: list[JobPayload] = []
        stack.append(collected)
        try:
            yield collected
        finally:
            stack.pop()

    def push_deferred(self, defer: Deferrer, push: Callable[[], T]) -> T:
        """Run ``push`` (pushes through this client) now; hand their writes to ``defer``.

        Client middleware runs now and jids are known now; only the Redis write
        waits, e.g. until a database transaction commits (``Job.on_commit()``).
        """
        with self.capture() as jobs:
            result = push()
        if jobs:
            batch = list(jobs)
            defer(lambda: self.deliver(batch))
        return result

    def deliver(self, jobs: Sequence[JobPayload]) -> None:
        """Write jobs that passed the client chain (to the testing sink when one is set)."""
        if self.sink is not None:
            for job in jobs:
                self.sink(job)
        else:
            self.write(jobs)

    def write(self, jobs: Sequence[JobPayload], *, atomic: bool = False) -> None:
        """Write already-normalised jobs in one round trip (MULTI/EXEC when ``atomic``)."""
        wire = None if atomic else self._thread_connections()
        try:
            if wire is not None:
                if len(jobs) == 1 and "at" not in jobs[0]:
                    wire.send_packed(self._packed_push(jobs[0]), 2)
                else:
                    wire.send(self.commands_for(jobs))
                return
            pipe = self.redis.pipeline(transaction=atomic)
            self.write_many_to(pipe, jobs)
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            # The one place a push meets the network: say which Redis, from where.
            if isinstance(exc, RedisUnavailable):
                raise
            raise unavailable(exc, self._place()) from exc

    def _thread_connections(self) -> ThreadConnections | None:
        if not self._wire_checked:
            client = self.redis
            with self._lock:
                if ThreadConnections.supports(client) and self._wire is None:
                    poll = self.settings.reply_poll_us / 1e6
                    self._wire = ThreadConnections(client, reply_poll=poll)
                self._wire_checked = True
        return self._wire

    def _place(self) -> RedisTarget | Settings:
        if self._target is not None:
            return self._target
        if self.settings.redis_url:
            return self.settings
        return RedisTarget(describe_client(self._redis), "the redis client given to Client")

    def write_many_to(self, pipe: Any, jobs: Sequence[JobPayload]) -> None:
        """Queue the commands storing ``jobs`` on a redis-py pipeline."""
        for command in self.commands_for(jobs):
            pipe.execute_command(*command)

    def commands_for(self, jobs: Sequence[JobPayload]) -> list[Command]:
        """The commands storing ``jobs``: SADD of their queues, one LPUSH per queue, one ZADD
        for schedules. Queues are registered on every push, in the same round trip, as
        Sidekiq does: a queue removed from ``queues`` (``queues clear``, the dashboard)
        while producers run is listed again by its next push, never left unlisted."""
        by_queue: dict[str, list[str]] = {}
        scheduled: list[object] = []
        stamp = payload.timestamp(self.settings.timestamp_format)
        encode = payload.encode
        for job in jobs:
            item = cast(dict[str, Any], job)
            at = item.pop("at", None)
            if at is not None:
                item.pop("enqueued_at", None)
                scheduled += (float(at), encode(item))
            else:
                item["enqueued_at"] = stamp
                by_queue.setdefault(item["queue"], []).append(encode(item))
        commands: list[Command] = []
        if by_queue:
            commands.append(("SADD", self.keys.queues, *by_queue))
            for queue, encoded in by_queue.items():
                # LPUSH a b c leaves a nearest the right end: popped first, FIFO kept.
                commands.append(("LPUSH", self._queue_key(queue), *encoded))
        if scheduled:
            commands.append(("ZADD", self.keys.schedule, *scheduled))
        return commands

    def _packed_push(self, job: JobPayload) -> bytes:
        """``commands_for([job])`` of a job for now, packed: the commands' bytes but the
        job's are the same for every push to its queue, so they are packed once."""
        item = cast(dict[str, Any], job)
        item["enqueued_at"] = payload.timestamp(self.settings.timestamp_format)
        body = payload.encode(item).encode()
        queue = item["queue"]
        head = self._push_heads.get(queue) or remembered(self._push_heads, queue, self._head)
        return b"%s$%d\r\n%s\r\n" % (head, len(body), body)

    def _head(self, queue: str) -> bytes:
        """SADD of ``queue`` and LPUSH to it up to the job, packed."""
        sadd = ("SADD", self.keys.queues, queue)
        return pack([sadd]) + pack_head(("LPUSH", self._queue_key(queue)), 1)

    def _queue_key(self, queue: str) -> str:
        return self._queue_keys.get(queue) or remembered(self._queue_keys, queue, self.keys.queue)

    def _direct(self) -> bool:
        """True when pushes go straight to Redis (not captured, not a testing sink)."""
        return self.sink is None and not self._local.__dict__.get("captures")

    def _refused_offline(self, job: ClaimedJob) -> bool:
        """In testing's fake/inline modes inside ``testing.unique()``: the claim said no."""
        state = offline_claims()
        if self.sink is None or state is None or job.offline is None:
            return False
        return not job.offline(cast(JobPayload, job), state)

    def target_for(self, job: JobPayload) -> Client:  # noqa: ARG002
        """The client whose Redis stores ``job`` (a shard's, for a sharded client)."""
        return self

    def _write_claimed(self, job: ClaimedJob) -> str | None:
        """Store a job a middleware claimed (see ``middleware.claim``); its jid, or None."""
        target = self.target_for(cast(JobPayload, job))
        try:
            stored = job.write(target, cast(JobPayload, job))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if isinstance(exc, RedisUnavailable):
                raise
            raise unavailable(exc, target._place()) from exc
        return str(job["jid"]) if stored else None

    def _emit(self, jobs: list[JobPayload]) -> None:
        captures = self._local.__dict__.get("captures")
        if captures:
            captures[-1].extend(jobs)
        elif self.defer is not None:
            self.defer(lambda: self.deliver(jobs))
        elif self.sink is not None:
            for job in jobs:
                self.sink(job)
        else:
            self.write(jobs)

    def normalize(self, job: JobPayload | dict[str, Any]) -> JobPayload:
        """Fill jid, queue, retry and created_at; check args; decide queue vs schedule."""
        item = cast(dict[str, Any], dict(job))
        name = item.get("class")
        if not isinstance(name, str) or not name:
            raise ConfigError(f'a job needs a "class" naming it, got {name!r}')
        args = item.get("args", [])
        if not isinstance(args, (list, tuple)):
            raise ArgumentError(f"job args must be a list, got {type(args).__name__}")
        item["args"] = payload.check_args(args) if self.settings.strict_args else list(args)
        if "queue" not in item:
            item["queue"] = "default"
        if "retry" not in item:
            item["retry"] = True
        if "jid" not in item:
            item["jid"] = payload.new_jid()
        if "created_at" not in item:
            item["created_at"] = payload.timestamp(self.settings.timestamp_format)
        at = item.pop("at", None)
        if at is not None and float(at) > time.time():
            item["at"] = float(at)
        return cast(JobPayload, item)


_default: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The process-wide client used by ``perform_async``; built from the environment."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Client()
    return _default


def set_default_client(client: Client | None) -> Client | None:
    """Install ``client`` for ``perform_async`` (None resets); returns the previous one."""
    global _default
    previous, _default = _default, client
    return previous


def configure(
    redis_url: str | None = None, prefix: str | None = None, **settings: object
) -> Client:
    """Point ``perform_async`` at a Redis: ``workhorse.configure(redis_url=..., prefix=...)``."""
    client = Client(
        settings=Settings.from_env(None, redis_url=redis_url, prefix=prefix, **settings)
    )
    set_default_client(client)
    return client


def job_handle(jid: str, client: Client | None = None) -> JobHandle:
    """A handle for a jid from anywhere (a log line, a database row, another process)."""
    return JobHandle(jid, client or default_client())


def cancel(jid: str, client: Client | None = None) -> str:
    """Cancel a job by jid: a waiting (queued, scheduled, retrying) job is removed; a running
    one is told through Redis and stopped by its worker. Returns ``removed``,
    ``signalled``, ``finished`` or ``unknown``; a cancelled job is never retried."""
    return job_handle(jid, client).cancel()


# A pickled handle is its jid; unpickled, it asks the default client (its own client
# holds sockets and stays behind).
copyreg.pickle(JobHandle, lambda handle: (job_handle, (str(handle),)))
