"""Every plugin hook of workhorse, in one place.

Plugins are modules or objects registered from the ``workhorse.plugins``
entry-point group. Most hooks *configure*: they run at start-up, once per
client, heartbeat or scrape, and the objects they return (middleware,
fetchers, services) run on the job path. Three are *events* that fire per
occurrence, never per successful job: ``workhorse_job_failed`` and
``workhorse_job_died`` per failed or dead job, ``workhorse_jobs_removed`` per
removal by an operator. Implementations may accept a subset of a spec's
arguments. Core and the paid tiers fire these hooks only through the typed
wrappers of :mod:`workhorse.plugins` (``tests/core/test_plugin_seam.py``
checks that no tier reaches the plugin manager itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from redis import Redis

    from workhorse.config import Settings
    from workhorse.keys import Keys
    from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
    from workhorse.types import (
        Fetcher,
        JobPayload,
        MetricSample,
        PluginReport,
        ProcessContext,
        Service,
    )
    from workhorse.web.tab import DashboardTab

hookspec = pluggy.HookspecMarker("workhorse")
hookimpl = pluggy.HookimplMarker("workhorse")


# -- configuration -----------------------------------------------------------


@hookspec
def workhorse_settings_defaults() -> Mapping[str, object]:
    """Defaults for the plugin's own settings, merged into ``Settings.extras``."""
    raise NotImplementedError


@hookspec
def workhorse_job_options() -> Mapping[str, bool]:
    """Job option names this plugin accepts in ``@job(...)`` and ``.set(...)``.

    The value says whether the option travels in the job payload (True, it must
    then be JSON) or stays on the in-process job definition (False, e.g. a
    limiter object).
    """
    raise NotImplementedError


@hookspec
def workhorse_validate_job_options(options: Mapping[str, object]) -> None:
    """Raise ``ConfigError`` if an option this plugin owns has a bad value."""


# -- fetch -------------------------------------------------------------------


@hookspec(firstresult=True)
def workhorse_make_fetcher(process: ProcessContext) -> Fetcher[Any] | None:
    """A fetch strategy, or None to pass. First answer wins; core's ``BasicFetch``
    answers last.

    Called once per capsule (issue 22): ``process.settings`` holds that capsule's
    queues and concurrency, and ``process.identity`` is the process identity for the
    default capsule and ``<identity>#<capsule>`` for the others, so state a fetcher
    keeps per identity stays apart per capsule."""
    raise NotImplementedError


# -- middleware and handlers ------------------------------------------------


@hookspec
def workhorse_client_middleware(settings: Settings) -> list[ClientMiddleware]:
    """Middleware wrapped around every push, outermost first. Called once per client.

    A middleware returns ``call_next(job)``, None to drop the job, or
    ``workhorse.middleware.claim(job, write)`` to store the job itself in one
    atomic step with a check (Enterprise's unique jobs); ``write`` returning
    False makes the push return None.
    """
    raise NotImplementedError


@hookspec
def workhorse_server_middleware(
    settings: Settings, process: ProcessContext
) -> list[ServerMiddleware]:
    """Middleware wrapped around every execution. Called once per worker process
    (and once per ``workhorse.testing`` runner).

    ``process`` is the running process: middleware that needs Redis takes
    ``process.redis`` and ``process.keys`` here rather than a global client.
    ``settings`` is ``process.settings``, kept for implementations that take only it.
    """
    raise NotImplementedError


@hookspec
def workhorse_job_died(
    job: JobPayload, error: BaseException | None, process: ProcessContext
) -> None:
    """A job was sent to the dead set or discarded (retries exhausted, retry=False, kill).

    Called on the job's thread after the dead-set write. Keep it short.
    """


@hookspec
def workhorse_job_failed(ctx: JobContext, error: BaseException) -> None:
    """A job raised (before its retry was scheduled): error reporting services go here."""


@hookspec
def workhorse_jobs_removed(
    jobs: Sequence[JobPayload], reason: str, redis: Redis, keys: Keys
) -> None:
    """Jobs were taken out of the work to do by an operator or the API, not by running.

    ``reason`` is ``"deleted"`` (one job or a selection, from a queue or the
    schedule/retry/dead sets), ``"cleared"`` (a whole queue or set), ``"killed"``
    (moved to the dead set by hand) or ``"cancelled"`` (``workhorse.cancel``).
    Called after the change, on the caller's thread (a dashboard request, a CLI
    command), with the Redis and key prefix the jobs were removed from, in
    chunks of at most a thousand jobs. Jobs whose bytes were not a job object
    are left out. An exception is logged, never undoes the removal.
    Unique jobs release their locks here.
    """


# -- lifecycle and services --------------------------------------------------


@hookspec
def workhorse_startup(process: ProcessContext) -> None:
    """The worker process is about to start fetching. Log license state here."""


@hookspec
def workhorse_heartbeat(process: ProcessContext) -> None:
    """Called once per heartbeat (every ``heartbeat_interval`` s) on the heartbeat thread."""


@hookspec
def workhorse_quiet(process: ProcessContext) -> None:
    """The process stopped fetching (TSTP, or the start of a shutdown)."""


@hookspec
def workhorse_shutdown(process: ProcessContext) -> None:
    """The process is exiting; in-flight jobs were finished or requeued."""


@hookspec
def workhorse_leader(process: ProcessContext, elected: bool) -> None:
    """This process became (``elected=True``) or stopped being the cluster's leader.

    Fired by workhorse-enterprise's leader election; core never fires it.
    """


@hookspec
def workhorse_services(process: ProcessContext) -> list[Service]:
    """Background services to run inside every worker process (cron, recovery...)."""
    raise NotImplementedError


# -- CLI, dashboard, diagnostics --------------------------------------------


@hookspec
def workhorse_cli_commands() -> list[click.Command]:
    """Commands or groups to add under ``workhorse``."""
    raise NotImplementedError


@hookspec
def workhorse_dashboard_tabs() -> list[DashboardTab]:
    """Dashboard tabs with their routes and assets."""
    raise NotImplementedError


@hookspec
def workhorse_diagnostics(redis: Redis | None, keys: Keys | None) -> list[PluginReport]:
    """Name, version and license state for ``workhorse version`` and ``doctor``.

    ``redis`` and ``keys`` are the installation's Redis when the caller has one
    (``doctor``), else None (``version`` stays offline); a plugin may read live
    state there, such as how many processes run under its license.
    """
    raise NotImplementedError


@hookspec
def workhorse_metrics(redis: Redis, keys: Keys) -> list[MetricSample]:
    """Gauges for ``/metrics`` (leases, limiters, leader...), read at scrape time.

    Called once per scrape, never per job. Names should start with ``workhorse_``
    and follow Prometheus conventions (base units, ``_total`` only on counters).
    """
    raise NotImplementedError
