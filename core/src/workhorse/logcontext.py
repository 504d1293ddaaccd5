"""The job a thread (or task) is running, for logs: a context variable and a logging filter.

Nothing reads the running job unless a log record is written or
:func:`current_job` is called, so the hot path pays nothing for formatting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
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


# Each worker thread sets the variable once, to a one-item list it then reuses:
# a job costs two list stores (set, clear) and nothing is built unless a log
# record or a caller asks. (payload, queue, job definition) while a job runs.
_State = tuple[JobPayload, str, Any]
# [running job's state, (state, its fields) cached by the first record that needed them]
Slot = list[Any]
_current: ContextVar[Slot | None] = ContextVar("workhorse_job", default=None)


def slot() -> Slot:
    """This thread's (or task's) job slot, made on first use."""
    held = _current.get()
    if held is None:
        held = [None, None]
        _current.set(held)
    return held


def current_job() -> JobFields | None:
    """The job running in this thread or task, or None outside a job."""
    held = _current.get()
    if held is None or held[0] is None:
        return None
    state = held[0]
    cached = held[1]
    if cached is not None and cached[0] is state:  # the same job: built once per job
        fields: JobFields = cached[1]
        return fields
    fields = fields_for(state[0], state[1], _level(state[2]))
    held[1] = (state, fields)
    return fields


def _level(definition: Any) -> int:
    """The job's ``log_level`` option as a number (validated when the job was defined)."""
    value = definition.options.get("log_level") if definition is not None else None
    try:
        return level_number(value) if value else 0
    except ValueError:
        return 0


def fields_for(job: JobPayload, queue: str, level: int = 0) -> JobFields:
    """Build the log fields from a decoded payload; odd values from Redis become strings."""
    raw: Any = job
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


@contextmanager
def running(job: JobPayload, queue: str, definition: Any = None) -> Iterator[None]:
    """Make ``job`` the current job for the ``with`` block (tests, custom runners)."""
    held = slot()
    previous, held[0] = held[0], (job, queue, definition)  # a new tuple: the cache misses
    try:
        yield
    finally:
        held[0] = previous


class JobLogFilter(logging.Filter):
    """Attaches the current job to each record (``record.workhorse_job``) and applies a
    job's ``log_level``. Install it on a handler to get job fields with your own logging."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current_job()
        if fields is None:
            record.workhorse_job = getattr(record, "workhorse_job", None)
            return True
        if record.levelno < fields.level:
            return False
        record.workhorse_job = fields
        return True
