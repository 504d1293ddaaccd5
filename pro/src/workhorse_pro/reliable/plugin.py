"""Hook implementations of reliable fetch (entry point ``pro-reliable-fetch``).

Hooks configure; the objects they return run: ``ReliableFetch`` on the job path,
``RecoveryService`` in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from redis import Redis

from workhorse.hookspecs import hookimpl
from workhorse.keys import Keys
from workhorse.middleware import ClientMiddleware
from workhorse.types import Fetcher, JobPayload, MetricSample, ProcessContext, Service
from workhorse_pro.license_gate import RELIABLE_FETCH
from workhorse_pro.reliable import expiry
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.inflight import Token
from workhorse_pro.reliable.recovery import Recoverer, RecoveryService
from workhorse_pro.reliable.status import ReliableStatus, status_of

if TYPE_CHECKING:
    import click

log = logging.getLogger("workhorse_pro.reliable")


@hookimpl
def workhorse_job_options() -> Mapping[str, bool]:
    return {expiry.OPTION: True}


@hookimpl
def workhorse_validate_job_options(options: Mapping[str, object]) -> None:
    expiry.validate(options)


@hookimpl
def workhorse_client_middleware() -> list[ClientMiddleware]:
    # Stamping the deadline is free for anyone; discarding at fetch is the licensed part.
    return [expiry.stamp_deadline]


@hookimpl
def workhorse_make_fetcher(process: ProcessContext) -> Fetcher[Token] | None:
    problem = RELIABLE_FETCH.problem()
    if problem is not None:
        log.warning(
            "reliable fetch is OFF, using core's basic fetch: jobs running in a process that "
            "dies are lost, paused queues are not honoured and expires_in is not enforced. %s",
            problem,
        )
        return None
    config = ReliableConfig.from_settings(process.settings)
    if not config.enabled:
        log.warning("reliable fetch is switched off (WORKHORSE_RELIABLE_FETCH=0): basic fetch")
        return None
    return ReliableFetch(
        process.redis, process.keys, process.identity, process.settings.queues, config
    )


@hookimpl
def workhorse_services(process: ProcessContext) -> list[Service]:
    if not RELIABLE_FETCH.licensed:
        return []
    from workhorse import plugins  # late: only to report poison pills to job_died hooks

    def died(job: JobPayload, error: BaseException) -> None:
        plugins.job_died(job, error, process)

    config = ReliableConfig.from_settings(process.settings)
    recoverer = Recoverer(process.redis, process.keys, process.settings, config, died)
    return [RecoveryService(recoverer)]


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from workhorse_pro.reliable import cli

    return [cli.pause, cli.unpause, cli.reliable]


@hookimpl
def workhorse_dashboard_tabs() -> list[object]:
    from workhorse_pro.reliable.web import tab

    return [tab()]


@hookimpl
def workhorse_metrics(redis: Redis, keys: Keys) -> list[MetricSample]:
    """Leases and jobs in progress for ``/metrics`` (issue 20); read at scrape time only."""
    if not RELIABLE_FETCH.licensed:
        return []
    return reliable_samples(status_of(redis, keys))


def reliable_samples(status: ReliableStatus) -> list[MetricSample]:
    samples = [
        MetricSample(
            "workhorse_reliable_in_progress_jobs",
            "Jobs fetched by reliable fetch and not yet acknowledged, by process.",
            p.in_progress,
            {"process": p.identity},
        )
        for p in status.processes
    ]
    samples += [
        MetricSample(
            "workhorse_reliable_lease_alive",
            "1 while the process's reliable-fetch lease is held; 0 once it expired "
            "(its jobs are then recovered).",
            float(p.alive),
            {"process": p.identity},
        )
        for p in status.processes
    ]
    for event, value in (
        ("recovered", status.recovered),
        ("poisoned", status.poisoned),
        ("expired", status.expired),
    ):
        samples.append(
            MetricSample(
                "workhorse_reliable_jobs",
                "Jobs reliable fetch recovered "
                "from dead processes, buried as poison, or dropped as "
                "expired, since the counters began.",
                value,
                {"event": event},
            )
        )
    return samples
