"""Hook implementations of Pro batches (entry point ``pro-batches``). Hooks only: they
configure; the objects they return (``tracking``) run on the job path."""

from __future__ import annotations

import logging

import click

from workhorse.client import default_client
from workhorse.config import Settings
from workhorse.hookspecs import hookimpl
from workhorse.middleware import ClientMiddleware, ServerMiddleware
from workhorse.types import JobPayload
from workhorse_pro.batches import callback, tracker, tracking
from workhorse_pro.license_gate import BATCHES, PRO

log = logging.getLogger("workhorse_pro.batches")
_SHUTDOWN_DRAIN = 10.0
__all__ = ["callback"]  # imported so every worker registers the callback job


@hookimpl
def workhorse_client_middleware() -> list[ClientMiddleware]:
    return [tracking.FlushMiddleware()]


@hookimpl
def workhorse_server_middleware(settings: Settings) -> list[ServerMiddleware]:
    # Without a license, batch jobs still run as plain jobs; only tracking is off.
    if not BATCHES.licensed:
        return []
    return [tracking.BatchMiddleware(settings)]


@hookimpl
def workhorse_job_died(job: JobPayload) -> None:
    if "bid" in job and BATCHES.licensed:
        tracking.record_death(job, default_client())


@hookimpl
def workhorse_startup() -> None:
    problem = BATCHES.problem()
    if problem is not None:
        log.warning(
            "batches are off in this worker: batch jobs run as plain jobs, their "
            "batches are not tracked and their callbacks do not fire. %s",
            problem,
        )
        return
    log.info("batches on (%s)", PRO.describe())


@hookimpl
def workhorse_shutdown() -> None:
    # Core closes the fetcher after this hook: record every pending success
    # first, so its job is acknowledged rather than run again.
    if not tracker.drain_all(_SHUTDOWN_DRAIN):
        log.warning(
            "batch job successes were still unrecorded after %.0fs at shutdown; "
            "their jobs stay unacknowledged and will run again",
            _SHUTDOWN_DRAIN,
        )


@hookimpl
def workhorse_dashboard_tabs() -> list[object]:
    from workhorse_pro.batches.web import tab

    return [tab()]


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from workhorse_pro.batches.cli import batches

    return [batches]  # guarded: unlicensed, every subcommand exits 1 saying what to do
