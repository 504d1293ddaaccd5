"""``workhorse worker``: run worker processes."""

from __future__ import annotations

import click

from workhorse import logs
from workhorse.cli.options import redis_options
from workhorse.config import Settings, parse_capsule, parse_queues


@click.command()
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
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="Log lines as text (default) or one JSON object per line.")
@click.option("-v", "--verbose", is_flag=True, help="Log every job start and finish.")
@click.option("--shard", "shards", multiple=True, metavar="URL",
              help="Work queues spread over several Redis servers (repeat per shard); "
              "each queue is owned by one shard (consistent hashing by name).")
@redis_options
def worker(
    require: tuple[str, ...],
    queues: tuple[str, ...],
    concurrency: int | None,
    capsules: tuple[str, ...],
    processes: int,
    shutdown_timeout: float | None,
    prefetch: int | None,
    tag: str,
    sidekiq_compat: str | None,
    timestamps: str | None,
    log_format: str | None,
    verbose: bool,
    shards: tuple[str, ...],
    redis_url: str | None,
    prefix: str,
) -> None:
    """Run jobs: workhorse worker -r myapp.jobs -q critical,3 -q default,1 -c 10 -p 2"""
    settings = settings_from_options(
        require=require, queues=queues, concurrency=concurrency, capsules=capsules,
        processes=processes, shutdown_timeout=shutdown_timeout, prefetch=prefetch, tag=tag,
        sidekiq_compat=sidekiq_compat, timestamps=timestamps, log_format=log_format,
        redis_url=redis_url, prefix=prefix,
    )
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
    tag: str,
    sidekiq_compat: str | None,
    timestamps: str | None,
    log_format: str | None,
    redis_url: str | None,
    prefix: str,
) -> Settings:
    """Settings from this command's options; also used by commands that take the same
    options (workhorse-enterprise's ``swarm``)."""
    return Settings.from_env(
        redis_url=redis_url,
        prefix=prefix,
        queues=parse_queues(queues) if queues else None,
        concurrency=concurrency,
        capsules=tuple(parse_capsule(spec) for spec in capsules) or None,
        processes=processes,
        shutdown_timeout=shutdown_timeout,
        prefetch=prefetch,
        require=require,
        tag=tag,
        sidekiq_compat=int(sidekiq_compat) if sidekiq_compat else None,
        timestamps=timestamps,
        log_format=log_format,
    )


class ConfigurationExit(click.ClickException):
    """One line on stderr and exit code 2: restarting will not help (issue 17)."""

    exit_code = 2


def _run(settings: Settings, shards: tuple[str, ...]) -> int:
    if settings.processes > 1:
        from workhorse.worker.preflight import locate
        from workhorse.worker.supervisor import Supervisor

        locate(settings.require)  # one line now rather than a failing start per child
        return Supervisor(_child_argv(click.get_current_context()), settings.processes).run()
    if shards:
        from workhorse.sharding import Shards
        from workhorse.worker.sharded import run_sharded_worker

        return run_sharded_worker(settings, Shards.from_urls(shards))
    from workhorse.worker.launcher import run_worker

    return run_worker(settings)


def _child_argv(ctx: click.Context) -> list[str]:
    """The same command line with ``--processes 1``."""
    argv = ["worker"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        # `is False`, not `in (..., False)`: 0 == False would drop `-t 0` and `--prefetch 0`.
        if param.name == "processes" or value is None or value is False or value in ((), ""):
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
