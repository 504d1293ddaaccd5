"""Bytes from Redis that are not a job we can run or write back (issue 17).

Any program may write to a queue or a sorted set, so a value read there may not
be UTF-8, or be JSON that cannot be written back (``NaN``, a lone surrogate).
Fetch and the poller read raw bytes and decode them here, one job at a time, so
a bad value never takes the other jobs of its round trip down with it. What
cannot be run goes to the dead set inside a wrapper: ordinary job JSON that
Sidekiq's dashboard and ours list like any dead job, with the original value
kept exactly (as ``args[0]`` when it is text, else base64 in ``original_base64``)
and an error that says what is wrong and what to do.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any, cast

from workhorse import payload, retry
from workhorse.config import TimestampFormat
from workhorse.errors import ArgumentError, PayloadError
from workhorse.types import TokenT, UnitOfWork

UNPARSEABLE = "workhorse.UnparseableJob"  # UTF-8 text that is not a job we can run
UNDECODABLE = "workhorse.UndecodableJob"  # bytes that are not UTF-8 text at all
ORIGINAL_FIELD = "original_base64"
ERROR_CLASS = "workhorse.errors.PayloadError"


def units(queue: str, popped: Sequence[bytes]) -> list[UnitOfWork[None]]:
    """The units of work for jobs popped from ``queue``, in order."""
    try:  # the common case: every job decodes, at about the cost redis-py's decoding had
        return [UnitOfWork(queue, raw.decode()) for raw in popped]
    except UnicodeDecodeError:
        return [unit(queue, raw, None) for raw in popped]


def unit(queue: str, raw: bytes, token: TokenT) -> UnitOfWork[TokenT]:
    """One popped job; bytes that are not UTF-8 are kept as they were in ``undecodable``."""
    try:
        return UnitOfWork(queue, raw.decode(), token)
    except UnicodeDecodeError:
        return UnitOfWork(queue, raw.decode("utf-8", "backslashreplace"), token, raw)


def text(raw: bytes) -> str:
    """``raw`` as text, or :class:`PayloadError` saying why it is not UTF-8."""
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise PayloadError(not_utf8(raw, exc)) from None


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Why ``raw`` cannot be a job."""
    return (
        f"job payload is not UTF-8 text ({exc.reason}: byte 0x{raw[exc.start]:02x} at offset "
        f"{exc.start} of {len(raw)}), so it cannot be job JSON and did not run"
    )


def undecodable_reason(unit: UnitOfWork[object]) -> str:
    """Why a unit holding bytes that are not UTF-8 was not run."""
    try:
        text(unit.undecodable or b"")
    except PayloadError as exc:
        return str(exc)
    return "job payload is not UTF-8 text"


def wrapper(
    original: str | bytes,
    queue: str,
    reason: str,
    fmt: TimestampFormat,
    now: float | None = None,
) -> dict[str, Any]:
    """The dead-set job that keeps ``original`` and says ``reason`` and what to do.

    ``retry: 0``: if someone retries it from a dashboard, no worker knows the class,
    so it fails and comes straight back here instead of being discarded.
    """
    now = time.time() if now is None else now
    stamp = payload.timestamp(fmt, now)
    if isinstance(original, bytes):
        try:
            original = original.decode()
        except UnicodeDecodeError:
            return _wrap_bytes(cast(bytes, original), queue, reason, stamp)
    return _dead_entry(
        UNPARSEABLE,
        original,
        queue,
        stamp,
        f"{reason}. The original value is args[0]: fix it (or the program "
        "that wrote it) and push the corrected job",
    )


def _wrap_bytes(original: bytes, queue: str, reason: str, stamp: int | float) -> dict[str, Any]:
    entry = _dead_entry(
        UNDECODABLE,
        original.decode("utf-8", "backslashreplace"),
        queue,
        stamp,
        f"{reason}. The exact original bytes are in the field "
        f"{ORIGINAL_FIELD} (base64), args[0] shows them with each bad byte as \\xNN. "
        "Fix the program that wrote them (job JSON must be UTF-8), then push the "
        "corrected job",
    )
    entry[ORIGINAL_FIELD] = base64.b64encode(original).decode("ascii")
    return entry


def _dead_entry(
    kind: str, shown: object, queue: str, stamp: int | float, message: str
) -> dict[str, Any]:
    """A dead-set entry standing in for something that is not a job: ``shown`` as its
    one argument, never retried, with ``message`` saying how to mend it."""
    return {
        "class": kind,
        "args": [shown],
        "jid": payload.new_jid(),
        "queue": queue,
        "retry": 0,
        "created_at": stamp,
        "failed_at": stamp,
        "retry_count": 0,
        "error_class": ERROR_CLASS,
        "error_message": payload.truncate_message(message),
    }


def failed_internally(
    original: str | bytes,
    queue: str,
    exc: BaseException,
    fmt: TimestampFormat,
    now: float | None = None,
) -> str:
    """The dead-set entry for a job that met a bug of workhorse's or a plugin's, not its
    own: the job unchanged, under the error's real class, so it can be retried once the
    bug is fixed. Only bytes that are not a job at all get :func:`wrapper`'s wrapper."""
    reason = (
        f"workhorse or a plugin failed while handling this job ({exc!r}), so it may not "
        "have run, or not to the end. Report the error (the worker's log has its "
        "traceback); retry the job from the dead set when it is safe to run again"
    )
    error_class = retry.class_name(exc)
    stamp = payload.timestamp(fmt, time.time() if now is None else now)
    try:
        job = dict(payload.decode(text(original) if isinstance(original, bytes) else original))
        job.update(
            failed_at=stamp, error_class=error_class, error_message=payload.truncate_message(reason)
        )
        job.setdefault("retry_count", 0)
        return payload.encode(job)
    except (PayloadError, ArgumentError, UnicodeEncodeError):
        return payload.encode(
            {**wrapper(original, queue, reason, fmt, now), "error_class": error_class}
        )


def wrap(
    original: str | bytes,
    queue: str,
    reason: str,
    fmt: TimestampFormat,
    now: float | None = None,
) -> str:
    """:func:`wrapper` as the JSON to store in the dead set."""
    return payload.encode(wrapper(original, queue, reason, fmt, now))
