"""The job a thread (or task) is running, for logs: a context variable and a logging filter.

The processor sets the variable once per job (two C-level calls); nothing reads
it unless a log record is written, so the hot path pays nothing for formatting.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from workhorse.types import JobPayload

# Records below this are dropped while a job with ``log_level=`` runs (see JobLogFilter).
_LEVELS = logging.getLevelNamesMapping()


@dataclass(frozen=True, slots=True)
class JobFields:
    """What identifies the running job in a log line."""

    jid: str
    job_class: str
    queue: str
    attempt: int
    bid: str | None = None
    tags: tuple[str, ...] = ()
    # Numeric threshold from the job's ``log_level`` option; 0 = no per-job threshold.
    level: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The fields as log keys (``class``, not ``job_class``); empty ones left out."""
        fields: dict[str, Any] = {
            "jid": self.jid,
            "class": self.job_class,
            "queue": self.queue,
            "attempt": self.attempt,
        }
        if self.bid:
            fields["bid"] = self.bid
        if self.tags:
            fields["tags"] = list(self.tags)
        return fields


# (payload, queue, level threshold): set per job without building anything; the
# fields are made only when a log record or a caller asks for them.
_State = tuple[JobPayload, str, int]
_current: ContextVar[_State | None] = ContextVar("workhorse_job", default=None)


def current_job() -> JobFields | None:
    """The job running in this thread or task, or None outside a job."""
    state = _current.get()
    return None if state is None else fields_for(*state)


def fields_for(job: JobPayload, queue: str, level: int = 0) -> JobFields:
    """Build the log fields from a decoded payload; odd values from Redis become strings."""
    raw: dict[str, Any] = dict(job)
    count = raw.get("retry_count")
    try:
        attempt = 1 if count is None else int(count) + 2
    except (TypeError, ValueError):
        attempt = 1
    tags = raw.get("tags")
    bid = raw.get("bid")
    return JobFields(
        jid=str(raw.get("jid", "")),
        job_class=str(raw.get("class", "")),
        queue=queue,
        attempt=attempt,
        bid=str(bid) if bid else None,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        level=level,
    )


def level_number(value: object) -> int:
    """A ``log_level`` option (name or number) as a logging level; ValueError when unknown."""
    if isinstance(value, bool):
        raise ValueError(f"log_level must be a level name such as 'WARNING', got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.upper() in _LEVELS:
        return _LEVELS[value.upper()]
    raise ValueError(
        f"log_level must be one of {', '.join(sorted(_LEVELS))} or a number, got {value!r}"
    )


def enter(job: JobPayload, queue: str, level: int = 0) -> Any:
    """Make ``job`` the current job; returns the token for :func:`leave`."""
    return _current.set((job, queue, level))


def leave(token: Any) -> None:
    _current.reset(token)


class JobLogFilter(logging.Filter):
    """Attaches the current job to each record (``record.workhorse_job``) and applies a
    job's ``log_level``. Install it on a handler to get job fields with your own logging."""

    def filter(self, record: logging.LogRecord) -> bool:
        state = _current.get()
        if state is None:
            record.workhorse_job = getattr(record, "workhorse_job", None)
            return True
        if record.levelno < state[2]:
            return False
        record.workhorse_job = fields_for(*state)
        return True
