"""Periodic (cron) jobs (Enterprise): enqueued exactly once per tick by the elected leader.

::

    import workhorse
    from workhorse_enterprise.periodic import periodic, register

    @periodic("0 3 * * *", tz="Europe/Berlin", missed="once")
    @workhorse.job(queue="reports")
    def nightly_report() -> None: ...

    register("*/5 * * * *", "HardJob", args=[1], external=True)   # a job another app runs

Registering needs no license (so your modules always import); a worker runs
the entries only with an Enterprise license. See docs/periodic-jobs.md.
"""

from workhorse_enterprise.periodic.control import (
    EntryStatus,
    known_entries,
    pause,
    resume,
    run_now,
    status,
)
from workhorse_enterprise.periodic.entry import Entry, MissedPolicy
from workhorse_enterprise.periodic.errors import PeriodicConfigError, UnknownEntryError
from workhorse_enterprise.periodic.registry import check, entries, periodic, problems, register
from workhorse_enterprise.periodic.schedule import CronSchedule, IntervalSchedule, Schedule

__all__ = [
    "CronSchedule",
    "Entry",
    "EntryStatus",
    "IntervalSchedule",
    "MissedPolicy",
    "PeriodicConfigError",
    "Schedule",
    "UnknownEntryError",
    "check",
    "entries",
    "known_entries",
    "pause",
    "periodic",
    "problems",
    "register",
    "resume",
    "run_now",
    "status",
]
