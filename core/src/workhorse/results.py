"""Completion records: what a finished job left for ``handle.status()`` and ``result()``.

A record is one JSON string at ``result:<jid>`` (keys.py), written with ``SET ... EX``:
one command, the cheapest write Redis has for a key with a TTL. A job run again after
a crash overwrites it. Records are written only for jobs that opted in
(``store_result=True``) and for cancellations, never for every job: a Redis write per
job would cost what the hot path is built to avoid.

Waiting without polling: a waiter adds the jid to ``result-waiters`` (a zset), then
looks for the record, then blocks on ``result-wake:<jid>``. A writer sets the record,
then asks whether ``result-waiters`` holds anyone (same connection, so in that order)
and only then which of its jids are waited for, pushing their wake lists. Either the
writer's question comes after the waiter's registration and it wakes the waiter, or it
came before, and then so did the record, which the waiter's look finds. Nobody waiting
costs the writer nothing but one ``ZCARD`` per batch of records.

Shape: ``{"state", "jid", "attempts"}`` plus ``"result"`` for a success, or
``"error_class"``, ``"error_message"``, ``"error_backtrace"`` (lines), and
``"finished_at"``. States: ``succeeded``, ``failed`` (retries off), ``dead``,
``cancelled``.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import redis
from redis.client import NEVER_DECODE

from workhorse import payload, retry
from workhorse.errors import ArgumentError, JobCancelled, JobFailed, ResultTimeout
from workhorse.keys import Keys

DEFAULT_TTL = 24 * 3600  # seconds a record is kept unless result_ttl says otherwise
BACKTRACE_LINES = 50
STATES = frozenset({"succeeded", "failed", "dead", "cancelled"})
# One blocking pop waits at most this long: redis-py's connections may time a read out
# after their connect timeout (5 s), so a long wait is a few blocking pops in a row.
BLOCK_SLICE = 2.0
# A waiter's registration outlives its blocking pop by this much, so clocks of the
# waiting and writing hosts that disagree by less never drop a registration early.
WAITER_MARGIN = 60.0
WAKE_TTL = 60  # seconds a wake list is kept (waiters block on it for one slice)


@dataclass(frozen=True, slots=True)
class Completion:
    """A decoded completion record. ``value`` is the job's return value (succeeded)."""

    state: str
    jid: str
    finished_at: float = 0.0
    attempts: int = 1
    value: Any = None
    error_class: str = ""
    error_message: str = ""
    backtrace: list[str] = field(default_factory=list)

    def unwrap(self) -> Any:
        """The value, or the failure raised as :class:`JobFailed` / :class:`JobCancelled`."""
        if self.state == "succeeded":
            return self.value
        if self.state == "cancelled":
            raise JobCancelled(self.jid, self.error_message or "cancelled")
        raise JobFailed(self.jid, self.error_class, self.error_message, self.backtrace, self.state)


def ttl_of(job: Mapping[str, Any], fallback: object = None) -> int:
    """The job's ``result_ttl`` (else ``fallback``) if it is a sane positive number, else
    the default."""
    ttl = job.get("result_ttl", fallback)
    if ttl is None:  # the common case, first
        return DEFAULT_TTL
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < 10**9:
        return DEFAULT_TTL
    return max(1, int(ttl))


def attempts_of(job: Mapping[str, Any]) -> int:
    count = job.get("retry_count")
    return int(count) + 2 if isinstance(count, int) and not isinstance(count, bool) else 1


# ASCII only (non-ASCII escaped): a record's length in characters is its length in bytes,
# which the worker's batched writer relies on (recorder.py).
_ascii = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode
_PLAIN = frozenset({str, int, bool, type(None)})


def success(job: Mapping[str, Any], value: object) -> str:
    """The record of a success without its end (see :func:`finish`), in ASCII;
    :class:`ArgumentError` if ``value`` is not JSON-native.

    Formatted by hand and left open: this runs on the job's thread for every job that
    stores its result, and the writer adds one finish time per batch (formatting a float
    per record cost as much as the rest of the record)."""
    kind = type(value)
    if kind not in _PLAIN:
        try:
            payload.check_args([value])
        except ArgumentError as exc:
            raise ArgumentError(
                f"the return value of {job.get('class')} cannot be stored as its result: "
                f"{str(exc).split(': ', 1)[-1]}"
            ) from None
    jid = job.get("jid", "")
    # (bytes.isalnum: str.isalnum looks every character up in the Unicode tables, a
    # tenth of this function's time for a 24-character jid)
    quoted = f'"{jid}"' if type(jid) is str and jid.isascii() and jid.encode().isalnum() else None
    if quoted is None:
        quoted = _ascii(str(jid))
    if value is None:
        encoded = "null"
    elif kind is int:
        encoded = str(value)
    else:
        encoded = _ascii(value)
    attempts = 1 if "retry_count" not in job else attempts_of(job)
    return f'{{"state":"succeeded","jid":{quoted},"attempts":{attempts},"result":{encoded}'


def finished_at_suffix(now: float | None = None) -> str:
    """What closes open records written at ``now``: the writer formats it once per batch."""
    return ',"finished_at":%.3f}' % (time.time() if now is None else now)


def finish(open_record: str, now: float | None = None) -> str:
    """A complete record from :func:`success`'s open one."""
    return open_record + finished_at_suffix(now)


@dataclass(frozen=True, slots=True)
class Started:
    """A ``running`` record: a store_result job that was still running when the worker's
    next batch of records went out. A hint for ``status()``, never a result."""

    where: str  # the worker process's identity
    started_at: float
    attempts: int


_RUNNING_PREFIX = b'{"state":"running"'


def running(jid: str, attempts: int, where: str, started_at: float) -> str:
    """The record of a job still running (written with NX: it never replaces a final one)."""
    return _ascii(
        {
            "state": "running",
            "jid": jid,
            "attempts": attempts,
            "where": where,
            "started_at": round(started_at, 3),
        }
    )


def parse_started(raw: bytes | None) -> Started | None:
    """The ``running`` record in ``raw``, or None if it holds anything else."""
    if raw is None or not raw.startswith(_RUNNING_PREFIX):
        return None
    try:
        data = payload.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    attempts = data.get("attempts")
    return Started(
        str(data.get("where", "")),
        payload.seconds(data.get("started_at")) or 0.0,
        attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 1,
    )


def failure(job: Mapping[str, Any], state: str, error: BaseException | None) -> str:
    """The record of a death, a discarded failure or a cancellation."""
    lines: list[str] = []
    if error is not None and error.__traceback__ is not None:
        lines = traceback.format_exception(error)[-BACKTRACE_LINES:]
    name = retry.class_name(error) if error is not None else "JobCancelled"
    return payload.encode(
        {
            "state": state,
            "jid": job.get("jid", ""),
            "finished_at": time.time(),
            "attempts": attempts_of(job),
            "error_class": name,
            "error_message": payload.truncate_message(str(error) if error else "cancelled"),
            "error_backtrace": [line.rstrip("\n") for line in lines],
        }
    )


def write(client: redis.Redis, keys: Keys, jid: str, record: str, ttl: int) -> None:
    """Store one record and wake whoever waits for it (a failure, a cancellation: the
    worker writes successes in batches, recorder.py)."""
    pipe = client.pipeline(transaction=False)
    pipe.set(keys.result(jid), record, ex=ttl)
    pipe.zscore(keys.result_waiters, jid)
    if pipe.execute()[1] is not None:
        wake(client, keys, [jid])


def wake_waiting(client: redis.Redis, keys: Keys, jids: list[str]) -> None:
    """Someone waits for some result: wake those waiting for ``jids`` (just written)."""
    if not jids:
        return
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(keys.result_waiters, "-inf", time.time())  # waits that gave up
    pipe.zmscore(keys.result_waiters, jids)
    scores = pipe.execute()[-1]
    hits = [jid for jid, score in zip(jids, scores, strict=True) if score is not None]
    if hits:
        wake(client, keys, hits)


def wake(client: redis.Redis, keys: Keys, jids: list[str]) -> None:
    """Push the wake lists of ``jids``, whose records were just written."""
    pipe = client.pipeline(transaction=False)
    for jid in jids:
        pipe.rpush(keys.result_wake(jid), 1)
        pipe.expire(keys.result_wake(jid), WAKE_TTL)
    pipe.execute()


def parse(raw: str | bytes | None) -> Completion | None:
    """Decode a stored record leniently: bytes another program wrote read as None."""
    if raw is None:
        return None
    try:
        data = payload.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("state") not in STATES:
        return None
    backtrace = data.get("error_backtrace")
    finished = payload.seconds(data.get("finished_at")) or 0.0
    attempts = data.get("attempts")
    return Completion(
        state=str(data["state"]),
        jid=str(data.get("jid", "")),
        finished_at=finished,
        attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 1,
        value=data.get("result"),
        error_class=str(data.get("error_class", "")),
        error_message=str(data.get("error_message", "")),
        backtrace=[str(line) for line in backtrace] if isinstance(backtrace, list) else [],
    )


def read(client: redis.Redis, keys: Keys, jid: str) -> Completion | None:
    """The record now, without waiting."""
    return parse(_raw(client, keys.result(jid)))


def read_any(client: redis.Redis, keys: Keys, jid: str) -> Completion | Started | None:
    """The final record, or the ``running`` one, or None."""
    raw = _raw(client, keys.result(jid))
    return parse_started(raw) or parse(raw)


def wait(client: redis.Redis, keys: Keys, jid: str, timeout: float | None) -> Completion:
    """Block until the record exists (``timeout`` None waits forever).

    Each round registers the wait, looks for the record, and blocks on the wake list
    for at most a slice (``BLMOVE key key``: the element rotates onto itself, so every
    waiter sees it). See the module docstring for why no write is missed."""
    key, wake_key = keys.result(jid), keys.result_wake(jid)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = BLOCK_SLICE if deadline is None else deadline - time.monotonic()
        wait_for = max(min(left, BLOCK_SLICE), 0.01)
        raw = _register_and_look(client, keys, jid, wait_for)
        if raw is not None and not raw.startswith(_RUNNING_PREFIX):
            found = parse(raw)
            if found is None:  # garbage at the key: not a record we can ever read
                raise JobFailed(jid, "UnreadableResult", f"the record at {key} is not a result")
            return found
        if left <= 0:
            raise ResultTimeout(
                f"job {jid} did not finish within {timeout:g}s; wait longer "
                "(result(timeout=...)), or check handle.status()"
            )
        client.execute_command("BLMOVE", wake_key, wake_key, "RIGHT", "RIGHT", wait_for)  # type: ignore[no-untyped-call]


def _register_and_look(client: redis.Redis, keys: Keys, jid: str, wait_for: float) -> bytes | None:
    """One round trip: forget waits that gave up, register this one, read the record."""
    now = time.time()
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(keys.result_waiters, "-inf", now)
    pipe.zadd(keys.result_waiters, {jid: now + wait_for + WAITER_MARGIN}, gt=True)
    pipe.execute_command("GET", keys.result(jid), **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
    return _record_bytes(pipe.execute(raise_on_error=False)[-1])


def _raw(client: redis.Redis, key: str) -> bytes | None:
    pipe = client.pipeline(transaction=False)
    pipe.execute_command("GET", key, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
    return _record_bytes(pipe.execute(raise_on_error=False)[0])


def _record_bytes(reply: object) -> bytes | None:
    """The record as the bytes Redis holds (another program's may not be UTF-8); a key of
    another type reads as bytes that are no record."""
    if isinstance(reply, redis.ResponseError):
        if "WRONGTYPE" in str(reply):
            return b""
        raise reply
    return cast("bytes | None", reply)
