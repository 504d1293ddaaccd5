"""Expiring jobs: the ``expires_in`` option, its deadline, and the check at fetch.

The clock starts when the job is due: at push for a normal job, at its run
time for a scheduled one (Sidekiq Pro's rule). The client stamps the absolute
deadline as ``expires_at`` (epoch seconds), so retries keep the original
deadline. A job pushed without our client middleware (another language, an
older client) falls back to ``enqueued_at`` (or ``created_at``) + ``expires_in``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta

from workhorse import payload
from workhorse.errors import ConfigError, PayloadError
from workhorse.middleware import PushNext
from workhorse.types import JobPayload

OPTION = "expires_in"
_MARKER = '"expires_'  # cheap substring test before parsing: most jobs never expire


def validate(options: Mapping[str, object]) -> None:
    if OPTION not in options:
        return
    value = options[OPTION]
    if isinstance(value, timedelta):
        raise ConfigError(
            f"expires_in must be seconds as a number, got {value!r}; "
            f"use expires_in={value.total_seconds():g}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            f"expires_in must be a positive number of seconds (e.g. expires_in=3600), got {value!r}"
        )


def stamp_deadline(job: JobPayload, call_next: PushNext) -> JobPayload | None:
    """Client middleware: add ``expires_at`` to jobs that carry ``expires_in``."""
    item: dict[str, object] = job  # type: ignore[assignment]
    expires_in = item.get(OPTION)
    if isinstance(expires_in, int | float) and "expires_at" not in item:
        due = item.get("at")
        start = float(due) if isinstance(due, int | float) else time.time()
        item["expires_at"] = round(start + float(expires_in), 3)
    return call_next(job)


def deadline(raw: str) -> float | None:
    """Epoch seconds after which the job must not start, or None if it never expires."""
    if _MARKER not in raw:
        return None
    try:
        job: dict[str, object] = payload.decode(raw)  # type: ignore[assignment]
    except PayloadError:
        return None  # the processor buries unparseable jobs with a clear error
    stamped = payload.seconds(job.get("expires_at"))
    if stamped is not None:
        return stamped
    expires_in = job.get(OPTION)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return None
    start = payload.seconds(job.get("enqueued_at")) or payload.seconds(job.get("created_at"))
    return None if start is None else start + float(expires_in)


def is_expired(raw: str, now: float) -> bool:
    limit = deadline(raw)
    return limit is not None and now > limit
