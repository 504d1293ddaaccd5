"""Completion records: what a finished job left for ``handle.status()`` and ``result()``.

A record is one JSON object in a list at ``result:<jid>`` (keys.py); the last element
is the newest (a job run again after a crash appends). A list, not a string, so a
waiter blocks on it with ``BLMOVE key key`` — the element rotates onto itself, every
waiter sees it and nobody polls. Records are written only
for jobs that opted in (``store_result=True``) and for cancellations, never for every
job: a Redis write per job would cost what the hot path is built to avoid.

Shape: ``{"state", "jid", "finished_at", "attempts"}`` plus ``"result"`` for a
success, or ``"error_class"``, ``"error_message"``, ``"error_backtrace"`` (lines).
States: ``succeeded``, ``failed`` (retries off), ``dead``, ``cancelled``.
"""

from __future__ import annotations

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
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < 10**9:
        return DEFAULT_TTL
    return max(1, int(ttl))


def attempts_of(job: Mapping[str, Any]) -> int:
    count = job.get("retry_count")
    return int(count) + 2 if isinstance(count, int) and not isinstance(count, bool) else 1


_SUCCESS = '{"state":"succeeded","jid":%s,"finished_at":%.3f,"attempts":%d,"result":%s}'
_PLAIN = frozenset({str, int, bool, type(None)})


def success(job: Mapping[str, Any], value: object) -> str:
    """The record of a success; :class:`ArgumentError` if ``value`` is not JSON-native.

    Formatted by hand: this runs once per job that stores its result, and a dict through
    the JSON encoder cost more than the rest of the record's way to Redis."""
    if type(value) not in _PLAIN:
        try:
            payload.check_args([value])
        except ArgumentError as exc:
            raise ArgumentError(
                f"the return value of {job.get('class')} cannot be stored as its result: "
                f"{str(exc).split(': ', 1)[-1]}"
            ) from None
    jid = job.get("jid", "")
    quoted = f'"{jid}"' if isinstance(jid, str) and jid.isalnum() else payload.dumps(jid)
    encoded = "null" if value is None else payload.dumps(value)
    return _SUCCESS % (quoted, time.time(), attempts_of(job), encoded)


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


def write(pipe: Any, keys: Keys, jid: str, record: str, ttl: int) -> None:
    """Queue the commands storing ``jid``'s record. A re-run after a crash appends a newer
    one; readers take the last element (the worker's batched writes skip the DEL)."""
    key = keys.result(jid)
    pipe.delete(key)
    pipe.rpush(key, record)
    pipe.expire(key, ttl)


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
    return parse(_raw(client, "LINDEX", keys.result(jid), -1))


def wait(client: redis.Redis, keys: Keys, jid: str, timeout: float | None) -> Completion:
    """Block until the record exists (``timeout`` None waits forever).

    ``BLMOVE key key RIGHT RIGHT`` hands the last element back to the same list in one
    step, so the record stays for other waiters and later reads.
    """
    key = keys.result(jid)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = 0.0 if deadline is None else deadline - time.monotonic()
        if deadline is not None and left <= 0:
            found = read(client, keys, jid)
            if found is not None:
                return found
            raise ResultTimeout(
                f"job {jid} did not finish within {timeout:g}s; wait longer "
                "(result(timeout=...)), or check handle.status()"
            )
        wait_for = max(min(left, BLOCK_SLICE), 0.01) if deadline is not None else BLOCK_SLICE
        raw = _raw(client, "BLMOVE", key, key, "RIGHT", "RIGHT", wait_for)
        found = parse(raw)
        if found is not None:
            return found
        if raw is not None:  # garbage at the key: not a record we can ever read
            raise JobFailed(jid, "UnreadableResult", f"the record at {key} is not a result")


def _raw(client: redis.Redis, *command: object) -> bytes | None:
    """A reply as the bytes Redis holds: a record another program wrote may not be UTF-8."""
    reply = client.execute_command(*command, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
    return cast("bytes | None", reply)
