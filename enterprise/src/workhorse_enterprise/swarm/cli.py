"""``workhorse swarm`` (every option of ``workhorse worker``, plus the swarm's own) and
``workhorse restart`` (a rolling restart of a running swarm)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import click

from workhorse import logs
from workhorse.cli.worker_cmd import ConfigurationExit, settings_from_options, worker
from workhorse.errors import InputError
from workhorse_enterprise.license_gate import SWARM

# -p is the swarm's own (default: one child per CPU); --shard is not supported here.
_WORKER_PARAMS = [p for p in worker.params if p.name not in ("processes", "shards")]
_OWN = ("processes", "max_memory", "max_jobs", "pidfile")
# Also set on the commands themselves: click keeps the help option of a command's first
# invocation, and one invoked alone (tests, embedding) would otherwise lose `-h` for good.
_HELP = {"help_option_names": ["-h", "--help"]}


def _swarm(**options: Any) -> None:
    """Run N worker processes forked from one parent that imported the application once:
    workhorse swarm -r myapp.jobs -p 8 --max-memory 1024 --pidfile /run/workhorse.pid

    SIGUSR2 (or `workhorse restart`) rolls every child over to new code without
    stopping a running job. Enterprise; see docs/swarm.md."""
    from workhorse.worker.preflight import RequireError

    from .limits import RecycleLimits
    from .supervisor import Swarm

    own = {name: options.pop(name) for name in _OWN}
    verbose = options.pop("verbose")
    settings = settings_from_options(**options, processes=own["processes"])
    logs.configure("DEBUG" if verbose else "INFO", settings.log_format)
    limits = RecycleLimits(own["max_memory"], own["max_jobs"])
    swarm = Swarm(settings, own["processes"], limits, pidfile=own["pidfile"])
    try:
        raise SystemExit(swarm.run())
    except RequireError as exc:
        raise ConfigurationExit(str(exc)) from None


swarm = SWARM.guard(
    click.Command(
        "swarm",
        callback=_swarm,
        help=_swarm.__doc__,
        short_help="Run N preloaded worker processes (Enterprise).",
        context_settings=_HELP,
        params=[
            *_WORKER_PARAMS,
            click.Option(
                ["-p", "--processes"],
                type=click.IntRange(1),
                default=lambda: os.cpu_count() or 1,
                help="Worker processes to fork (default: one per CPU).",
            ),
            click.Option(
                ["--max-memory"],
                "max_memory",
                type=click.FloatRange(min=1),
                default=None,
                metavar="MB",
                help="Replace a child whose RSS goes over MB (it finishes "
                "its running jobs first; its successor is already working).",
            ),
            click.Option(
                ["--max-jobs"],
                "max_jobs",
                type=click.IntRange(1),
                default=None,
                metavar="N",
                help="Replace a child after it ran N jobs, the same way.",
            ),
            click.Option(
                ["--pidfile"],
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="Write the parent's pid here (for workhorse restart).",
            ),
        ],
    )
)


@SWARM.guard
@click.command("restart", context_settings=_HELP)
@click.option(
    "--pidfile",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The pidfile the swarm was started with (--pidfile).",
)
@click.option("--pid", type=click.IntRange(1), default=None, help="The swarm parent's pid.")
def restart(pidfile: Path | None, pid: int | None) -> None:
    """Rolling restart of a running `workhorse swarm`: new children start with the new code,
    the old ones finish their running jobs (no timeout), then exit. Sends it SIGUSR2."""
    target = _target(pidfile, pid)
    try:
        os.kill(target, signal.SIGUSR2)
    except ProcessLookupError:
        raise InputError(
            f"no process with pid {target}: is the swarm running? Check --pidfile/--pid"
        ) from None
    except PermissionError:
        raise InputError(f"not allowed to signal pid {target}: run as the swarm's user") from None
    click.echo(f"rolling restart requested from swarm pid {target}")


def _target(pidfile: Path | None, pid: int | None) -> int:
    if pidfile is None or pid is not None:
        if pid is None or pidfile is not None:
            raise InputError("give the swarm's --pidfile PATH or its --pid N (one of them)")
        return pid
    try:
        text = pidfile.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise InputError(
            f"cannot read pidfile {pidfile}: {exc.strerror}; is the swarm running with --pidfile?"
        ) from None
    if not text.isdigit() or not 0 < int(text) < 2**22:
        raise InputError(f"pidfile {pidfile} does not hold a pid (it holds {text[:40]!r})")
    return int(text)
