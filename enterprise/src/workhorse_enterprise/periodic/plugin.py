"""Enterprise periodic jobs and leader election, attached through core's hooks (issue 10).

Hooks only; the objects they return do the work. Without an Enterprise
license the worker logs why at startup and runs neither cron nor election.
"""

from __future__ import annotations

import logging
import threading

import click

from workhorse.client import Client
from workhorse.hookspecs import hookimpl
from workhorse.middleware import ServerMiddleware, only_with
from workhorse.types import ProcessContext, Service
from workhorse_enterprise.leader.config import LeaderConfig
from workhorse_enterprise.leader.elector import LeaderElector
from workhorse_enterprise.leader.services import LeaderOnly, registered_services
from workhorse_enterprise.license_gate import PERIODIC_JOBS
from workhorse_enterprise.periodic import registry
from workhorse_enterprise.periodic.results import RecordResults
from workhorse_enterprise.periodic.ticker import PeriodicTicker

log = logging.getLogger("workhorse_enterprise.periodic")


@hookimpl
def workhorse_startup() -> None:
    problem = PERIODIC_JOBS.problem()
    count = len(registry.entries())
    if problem:
        log.warning(
            "periodic jobs (%d registered) and leader election are OFF in this worker: %s",
            count,
            problem,
        )
        return
    for line in registry.problems():
        log.error("%s; this entry is skipped, the others run", line)
    log.info(
        "periodic jobs: %d entr%s registered; enqueued by the elected leader",
        count,
        "y" if count == 1 else "ies",
    )


@hookimpl
def workhorse_services(process: ProcessContext) -> list[Service]:
    if not PERIODIC_JOBS.licensed:
        return []
    elector = LeaderElector(
        process.redis,
        process.keys,
        process.identity,
        LeaderConfig.from_settings(process.settings),
        process,
    )
    entries = [registry.resolve(e) for e in registry.entries()]
    ticker = PeriodicTicker(
        process.redis, process.keys, entries, elector, Client(process.redis, process.settings)
    )
    _step_down_on_shutdown(process, elector)
    leader_only: list[Service] = [LeaderOnly(s) for s in registered_services()]
    # Started and stopped in this order: the elector last, so it steps down
    # only after the ticker and leader-only services have stopped.
    return [ticker, *leader_only, elector]


def _step_down_on_shutdown(process: ProcessContext, elector: LeaderElector) -> None:
    """Hand over the moment shutdown begins, not after running jobs drain (up to 25 s).

    A quiet (TSTP) leader keeps leading, as in Sidekiq Enterprise: cron does
    not depend on fetching.
    """

    def watch() -> None:
        process.stopping.wait()
        elector.stop(2.0)

    threading.Thread(target=watch, name="workhorse-leader-step-down", daemon=True).start()


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from workhorse_enterprise.periodic.cli import cron

    return [cron]  # guarded: unlicensed, every subcommand exits 1 saying what to do


@hookimpl
def workhorse_server_middleware() -> list[ServerMiddleware]:
    # Only jobs the scheduler pushed carry "periodic": every other job skips this.
    return [only_with("periodic", RecordResults())] if PERIODIC_JOBS.licensed else []


@hookimpl
def workhorse_dashboard_tabs() -> list[object]:
    from workhorse_enterprise.periodic.web import tab

    return [tab()]
