"""Hook implementations of rate limiting (entry point ``enterprise-limits``).

Hooks only configure; the middleware object they return runs per job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import click
from redis import Redis

from workhorse.errors import ConfigError
from workhorse.hookspecs import hookimpl
from workhorse.keys import Keys
from workhorse.middleware import ServerMiddleware
from workhorse.types import MetricSample, ProcessContext
from workhorse_enterprise.license_gate import RATE_LIMITING
from workhorse_enterprise.limits.base import Limiter
from workhorse_enterprise.limits.inventory import LimiterStats, list_limiters
from workhorse_enterprise.limits.middleware import LimitsMiddleware

log = logging.getLogger(__name__)


@hookimpl
def workhorse_job_options() -> Mapping[str, bool]:
    # False: the limiter object stays on the job definition, never in the payload.
    return {"limiter": False}


@hookimpl
def workhorse_validate_job_options(options: Mapping[str, object]) -> None:
    limiter = options.get("limiter")
    if limiter is not None and not isinstance(limiter, Limiter):
        raise ConfigError(
            f"limiter= must be a limiter such as workhorse_enterprise.limits.concurrent("
            f'"name", 5), got {limiter!r}'
        )


@hookimpl
def workhorse_server_middleware(process: ProcessContext) -> list[ServerMiddleware]:
    if not RATE_LIMITING.licensed:
        return []  # no limiter can exist in this process either: creating one raises
    return [LimitsMiddleware(process.settings, process.redis)]


@hookimpl
def workhorse_startup() -> None:
    problem = RATE_LIMITING.problem()
    if problem is not None:
        log.warning("rate limiting is off; jobs without limiters run as usual. %s", problem)


@hookimpl
def workhorse_dashboard_tabs() -> list[object]:
    # The tab reads metrics only, so it is shown even without a license (they expire).
    try:
        from workhorse_enterprise.limits.web import tab
    except ImportError:  # the dashboard's extra dependencies are not installed
        return []
    return [tab()]


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    from workhorse_enterprise.limits.cli import limits

    return [limits]


@hookimpl
def workhorse_metrics(redis: Redis, keys: Keys) -> list[MetricSample]:
    """Each limiter's counters and holders for ``/metrics`` (issue 20); scrape time only."""
    if not RATE_LIMITING.licensed:
        return []
    return limiter_samples(list_limiters(redis, keys.prefix))


_COUNTERS = {
    "admitted": "Runs the limiter let through.",
    "waited": "Times a job had to wait for the limiter (rescheduled or blocked).",
    "over": "Times the limiter was over its limit when asked.",
    "reclaimed": "Concurrency slots taken back from holders that died or timed out.",
}


def limiter_samples(limiters: list[LimiterStats]) -> list[MetricSample]:
    samples = []
    for stats in limiters:
        labels = {"limiter": stats.name, "kind": stats.kind}
        samples.append(
            MetricSample(
                "workhorse_limiter_limit", "The limiter's limit.", float(stats.limit), labels
            )
        )
        if stats.held is not None:
            samples.append(
                MetricSample(
                    "workhorse_limiter_held",
                    "Concurrency slots held right now.",
                    float(stats.held),
                    labels,
                )
            )
        for event, help_text in _COUNTERS.items():
            # Gauges of counters kept in Redis: they can reset when a limiter's data expires.
            samples.append(
                MetricSample(
                    f"workhorse_limiter_{event}", help_text, float(getattr(stats, event)), labels
                )
            )
    return samples
