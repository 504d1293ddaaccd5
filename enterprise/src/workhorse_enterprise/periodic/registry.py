"""The process-wide list of periodic entries: ``register()``, ``@periodic`` and startup checks.

Registering never raises and needs no license, so a user's job module always
imports (issue 10). A wrong entry is kept with its ``problem``; the worker
reports it by name at startup and runs the others. ``check()`` raises them
all at once, for a test of your own configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from workhorse.errors import ConfigError
from workhorse.job import Job, find, validate_options
from workhorse_enterprise.periodic.entry import (
    DEFAULT_GRACE,
    DEFAULT_MAX_MISSED,
    Entry,
    MissedPolicy,
    build,
)
from workhorse_enterprise.periodic.errors import PeriodicConfigError

J = TypeVar("J", bound=Job[Any, Any])

_entries: dict[str, Entry] = {}
_lock = threading.Lock()


def register(
    cron: str | None = None,
    job: Job[Any, Any] | str | None = None,
    *,
    every: int | None = None,
    tz: str = "UTC",
    name: str | None = None,
    args: list[Any] | tuple[Any, ...] = (),
    queue: str | None = None,
    retry: bool | int | None = None,
    missed: MissedPolicy = "skip",
    max_missed: int = DEFAULT_MAX_MISSED,
    grace: float = DEFAULT_GRACE,
    external: bool = False,
    **options: Any,
) -> Entry:
    """Enqueue ``job`` with ``args`` on a crontab schedule (or ``every`` whole seconds).

    ``job`` is a ``@workhorse.job`` or a registered job name; ``external=True``
    skips the check that this worker knows the name (a job another app runs,
    e.g. a Ruby class). ``name`` defaults to the job's name. Other keyword
    arguments are job options (``tags=...``), as in ``.set(...)``.
    """
    job_name, problem = _job_name(job)
    entry_options: dict[str, Any] = dict(options)
    if queue is not None:
        entry_options["queue"] = queue
    if retry is not None:
        entry_options["retry"] = retry
    entry_name = name or job_name or "(unnamed)"
    if problem is None:
        problem = _options_problem(entry_options, entry_name)
    entry = build(
        name=entry_name,
        job=job_name or "",
        cron=cron,
        every=every,
        tz=tz,
        args=args,
        options=entry_options,
        missed=missed,
        max_missed=max_missed,
        grace=grace,
        external=external,
        problem=problem,
    )
    with _lock:
        if entry.name in _entries and _entries[entry.name] != entry:
            entry = replace(
                entry,
                schedule=None,
                problem=(
                    f'a periodic entry named "{entry.name}" is already registered; '
                    "pass name= to tell them apart"
                ),
            )
            _entries[f"{entry.name}#{len(_entries)}"] = entry
        else:
            _entries[entry.name] = entry
    return entry


def periodic(
    cron: str | None = None, *, every: int | None = None, **settings: Any
) -> Callable[[J], J]:
    """Decorator form of :func:`register`, stacked on ``@workhorse.job``::

    @periodic("@hourly", tz="Europe/Berlin")
    @workhorse.job
    def rollup() -> None: ...
    """

    def decorate(job: J) -> J:
        register(cron, job, every=every, **settings)
        return job

    return decorate


def _job_name(job: object) -> tuple[str | None, str | None]:
    if isinstance(job, Job):
        return job.name, None
    if isinstance(job, str) and job:
        return job, None
    return None, (
        f"the job {job!r} is not a @workhorse.job or a job name; decorate the function "
        "with @workhorse.job (below @periodic) or pass the registered name"
    )


def _options_problem(options: Mapping[str, object], name: str) -> str | None:
    try:
        validate_options(options, f'periodic entry "{name}"')
    except ConfigError as exc:
        return str(exc)
    return None


def entries() -> list[Entry]:
    """Every registered entry, valid or not, in registration order."""
    with _lock:
        return list(_entries.values())


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()


def resolve(entry: Entry) -> Entry:
    """Check the job exists in this worker and merge its options under the entry's."""
    if entry.problem:
        return entry
    definition = find(entry.job)
    if definition is None:
        if entry.external:
            return entry
        return replace(
            entry,
            schedule=None,
            problem=(
                f'job "{entry.job}" is not registered in this worker; import the module that '
                "defines it with -r, or pass external=True for a job another app runs"
            ),
        )
    return replace(entry, options={**definition.wire_options(), **entry.options})


def problems(checked: list[Entry] | None = None) -> list[str]:
    """One line per invalid entry, naming it."""
    listed = [resolve(e) for e in entries()] if checked is None else checked
    return [f'periodic entry "{e.name}": {e.problem}' for e in listed if e.problem]


def check() -> None:
    """Raise :class:`PeriodicConfigError` listing every invalid entry (for your own tests)."""
    found = problems()
    if found:
        raise PeriodicConfigError("; ".join(found))
