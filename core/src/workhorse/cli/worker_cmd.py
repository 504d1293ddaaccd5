"""``workhorse worker``: run worker processes."""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workhorse import logs
from workhorse.cli.options import redis_options
from workhorse.config import Settings, parse_capsule, parse_queues

if TYPE_CHECKING:
    from workhorse.httpd import RouteServer
    from workhorse.worker.health import SupervisorView


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-r",
    "--require",
    "require",
    multiple=True,
    metavar="MODULE",
    help="Module (or .py file) that registers jobs; repeatable.",
)
@click.option(
    "-q",
    "--queue",
    "queues",
    multiple=True,
    metavar="NAME[,WEIGHT]",
    help="Queue to work, with an optional weight; repeatable. Default: default.",
)
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1),
    default=None,
    help="Threads per process (default 10).",
)
@click.option(
    "--capsule",
    "capsules",
    multiple=True,
    metavar="NAME:QUEUES:THREADS",
    help="A further set of queues with threads of its own, beside the -q/-c one; repeatable. "
    "QUEUES as -q takes them, space-separated: --capsule serial:payments:1 "
    "--capsule 'bulk:reports,3 exports,1:20'.",
)
@click.option(
    "-p",
    "--processes",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Worker processes to run under a supervisor.",
)
@click.option(
    "-t",
    "--timeout",
    "shutdown_timeout",
    type=click.FloatRange(0),
    default=None,
    help="Seconds to wait for running jobs at shutdown (default 25).",
)
@click.option(
    "--prefetch",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help="Jobs per thread fetched ahead while jobs are fast (default 8). With basic fetch "
    "a killed process loses them: 0 = at most the running jobs (Sidekiq's exposure).",
)
@click.option(
    "--async-concurrency",
    "async_concurrency",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help="async def jobs run at once per process as tasks on its event loop, without a "
    "thread each (default 200, or WORKHORSE_ASYNC_CONCURRENCY); 0 runs them on job threads. "
    "See docs/async-jobs.md.",
)
@click.option(
    "--job-timeout",
    "job_timeout",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Time limit of jobs that set none (@job(timeout=...)); default none, or "
    "WORKHORSE_JOB_TIMEOUT. See docs/lifecycle.md.",
)
@click.option("-g", "--tag", default="", help="Tag shown in the dashboard's process list.")
@click.option(
    "--sidekiq-compat",
    "sidekiq_compat",
    type=click.Choice(["6", "7", "8"]),
    default=None,
    help="Major version of the oldest Ruby Sidekiq sharing this Redis; write what it reads "
    "(default 8, or WORKHORSE_SIDEKIQ_COMPAT). See docs/sidekiq-compat.md.",
)
@click.option(
    "--timestamps",
    type=click.Choice(["ms", "float"]),
    default=None,
    help="Override the job-time format --sidekiq-compat chose: int ms (Sidekiq 8) or float "
    "seconds (Sidekiq 6 and 7).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines as text (default) or one JSON object per line.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Debug output from workhorse's own loggers (never the root logger).",
)
@click.option(
    "--job-logs/--no-job-logs",
    default=None,
    help="Log a start and a done line per job, with its fields and elapsed time "
    "(WORKHORSE_JOB_LOGS=1); off by default, as each line costs ~30 µs.",
)
@click.option(
    "--shard",
    "shards",
    multiple=True,
    metavar="URL",
    help="Work queues spread over several Redis servers (repeat per shard); "
    "each queue is owned by one shard (consistent hashing by name).",
)
@click.option(
    "--health-port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="N",
    help="Serve /livez and /readyz on this port (Kubernetes probes).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="N",
    help="Serve Prometheus /metrics on this port (needs workhorse[prometheus]).",
)
@click.option(
    "--set",
    "plugin_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A plugin's setting, e.g. --set reliable_lease=30 (over WORKHORSE_RELIABLE_LEASE); "
    "repeatable. See docs/plugin-settings.md.",
)
@click.option(
    "--otel",
    is_flag=True,
    envvar="WORKHORSE_OTEL",
    help="Trace pushes and executions with OpenTelemetry (needs workhorse[otel]).",
)
@redis_options
def worker(verbose: bool, shards: tuple[str, ...], **options: Any) -> None:
    """Run jobs: workhorse worker -r myapp.jobs -q critical,3 -q default,1 -c 10 -p 2"""
    # Every other option is a setting; the swarm command builds its settings the same way.
    settings = settings_from_options(**options)
    logs.configure("DEBUG" if verbose else "INFO", settings.log_format)
    from workhorse.worker.preflight import RequireError

    try:
        raise SystemExit(_run(settings, shards))
    except RequireError as exc:
        raise ConfigurationExit(str(exc)) from None


def settings_from_options(
    *,
    require: tuple[str, ...],
    queues: tuple[str, ...],
    concurrency: int | None,
    capsules: tuple[str, ...],
    processes: int,
    shutdown_timeout: float | None,
    prefetch: int | None,
    job_timeout: float | None,
    tag: str,
    sidekiq_compat: str | None,
    timestamps: str | None,
    log_format: str | None,
    job_logs: bool | None,
    health_port: int | None,
    metrics_port: int | None,
    redis_url: str | None,
    prefix: str,
    otel: bool = False,
    plugin_settings: tuple[str, ...] = (),
    async_concurrency: int | None = None,
) -> Settings:
    """Settings from this command's options; also used by commands that take the same
    options (workhorse-enterprise's ``swarm``). ``otel`` switches tracing on here, for this
    process and the ones it forks."""
    if job_timeout is not None and not math.isfinite(job_timeout):
        raise click.BadParameter(
            f"{job_timeout} is not a number of seconds", param_hint="'--job-timeout'"
        )
    if otel:
        from workhorse import otel as tracing

        tracing.instrument()
    return Settings.from_env(
        redis_url=redis_url,
        prefix=prefix,
        queues=parse_queues(queues) if queues else None,
        concurrency=concurrency,
        capsules=tuple(parse_capsule(spec) for spec in capsules) or None,
        processes=processes,
        shutdown_timeout=shutdown_timeout,
        prefetch=prefetch,
        async_concurrency=async_concurrency,
        job_timeout=job_timeout,
        require=require,
        tag=tag,
        sidekiq_compat=int(sidekiq_compat) if sidekiq_compat else None,
        timestamps=timestamps,
        log_format=log_format,
        job_logs=job_logs,
        health_port=health_port,
        metrics_port=metrics_port,
        extras=parse_plugin_settings(plugin_settings) or None,
    )


_SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_plugin_settings(specs: tuple[str, ...]) -> dict[str, object]:
    """``--set NAME=VALUE`` options as ``Settings.extras``; each plugin converts its own
    values (``workhorse.plugin_settings``)."""
    extras: dict[str, object] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or not _SETTING_NAME.match(name):
            raise click.BadParameter(
                f"{spec!r}: give NAME=VALUE, NAME in lowercase with underscores, "
                "e.g. reliable_lease=30",
                param_hint="'--set'",
            )
        extras[name] = value
    return extras


class ConfigurationExit(click.ClickException):
    """One line on stderr and exit code 2: restarting will not help (issue 17)."""

    exit_code = 2


def _run(settings: Settings, shards: tuple[str, ...]) -> int:
    if settings.processes > 1:
        from workhorse.worker.preflight import locate
        from workhorse.worker.supervisor import Supervisor

        locate(settings.require)  # one line now rather than a failing start per child
        supervisor = Supervisor(_child_argv(click.get_current_context()), settings.processes)
        # The supervisor owns the ports: one probe and one scrape for all its processes.
        with supervisor_ports(supervisor, settings):
            return supervisor.run()
    if shards:
        if settings.health_port is not None or settings.metrics_port is not None:
            raise click.UsageError(
                "--health-port and --metrics-port serve one worker process; with --shard, "
                "run one worker per shard (or use -p) to get probes and metrics"
            )
        from workhorse.sharding import Shards
        from workhorse.worker.sharded import run_sharded_worker

        return run_sharded_worker(settings, Shards.from_urls(shards))
    from workhorse.worker.launcher import run_worker

    return run_worker(settings)


@contextmanager
def supervisor_ports(supervisor: SupervisorView, settings: Settings) -> Iterator[None]:
    """Serve ``--health-port`` (and ``--metrics-port``) from the ``-p N`` supervisor."""
    servers: list[RouteServer] = []
    share = quiet = None
    if settings.health_port is not None:
        from workhorse.worker import health

        quiet = tempfile.TemporaryDirectory(prefix="workhorse-quiet-")
        os.environ[health.QUIET_ENV] = quiet.name  # the children inherit it
        servers.append(health.serve_supervisor(supervisor, settings, Path(quiet.name)))
    if settings.metrics_port is not None:
        from workhorse import metrics
        from workhorse.worker import exporter

        share = tempfile.TemporaryDirectory(prefix="workhorse-metrics-")
        os.environ[metrics.SHARE_ENV] = share.name  # the children inherit it
        servers.append(exporter.serve_supervisor(settings, Path(share.name)))
    try:
        yield
    finally:
        for server in servers:
            server.stop()
        for directory in (share, quiet):
            if directory is not None:
                directory.cleanup()
        if quiet is not None:
            os.environ.pop(health.QUIET_ENV, None)


_SUPERVISOR_ONLY = ("processes", "health_port", "metrics_port")


def _child_argv(ctx: click.Context) -> list[str]:
    """The same command line with ``--processes 1``."""
    argv = ["worker"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        # `is False`, not `in (..., False)`: 0 == False would drop `-t 0` and `--prefetch 0`.
        if param.name in _SUPERVISOR_ONLY or value is None or value is False or value in ((), ""):
            continue
        flag = max(param.opts, key=len)
        if isinstance(value, tuple):
            for item in value:
                argv += [flag, str(item)]
        elif value is True:
            argv.append(flag)
        else:
            argv += [flag, str(value)]
    return argv
