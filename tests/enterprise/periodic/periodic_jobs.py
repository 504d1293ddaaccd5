"""Jobs and entries for the periodic tests; also loaded by worker subprocesses with -r."""

from __future__ import annotations

import os

import workhorse
from workhorse_enterprise.periodic import register


@workhorse.job(queue="cron")
def beat(label: str) -> None:
    """Enqueued by the schedule; the failover test never runs it (no worker reads "cron")."""


@workhorse.job
def touch(key: str) -> None:
    from workhorse.client import default_client

    default_client().redis.rpush(key, "ran")


@workhorse.job(retry=False)
def explode() -> None:
    raise RuntimeError("boom")


if os.environ.get("WH_TEST_PERIODIC_ENTRIES") == "failover":
    grace = float(os.environ.get("WH_TEST_GRACE", "6"))
    register(None, beat, every=1, name="every-second-all", args=["all"], missed="all", grace=grace)
    register(
        None, beat, every=1, name="every-second-skip", args=["skip"], missed="skip", grace=grace
    )
    register(
        None, beat, every=1, name="every-second-once", args=["once"], missed="once", grace=grace
    )
    register("61 * * * *", beat, name="broken", args=["never"])


@workhorse.job(queue="cron", unique_for=600)
def unique_beat(label: str) -> None:
    """A unique job on a schedule: a tick is skipped while an earlier run holds the lock."""
