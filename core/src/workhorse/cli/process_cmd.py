"""``workhorse quiet`` and ``workhorse stop``: signal one process (by identity) or all."""

from __future__ import annotations

import click

from workhorse.api import Processes
from workhorse.cli.exits import NotFound
from workhorse.cli.options import redis_options
from workhorse.cli.output import json_option, print_json
from workhorse.cli.session import open_inspector


def resolve_targets(processes: Processes, wanted: str) -> list[str]:
    """An exact identity; every process of a ``-p N`` worker named ``host:supervisor-pid``;
    or a unique prefix of an identity (``host:pid`` is usually enough)."""
    live = processes.list(with_work=False)
    identities = [p.identity for p in live]
    if wanted in identities:
        return [wanted]
    group = [p.identity for p in live if p.group == wanted]
    return group or [resolve_identity(identities, wanted)]


def resolve_identity(identities: list[str], wanted: str) -> str:
    """An exact identity, or a unique prefix of one."""
    if wanted in identities:
        return wanted
    matches = [i for i in identities if i.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(identities) or "(no live processes)"
        raise NotFound(f"no live process {wanted!r}; live processes: {known}")
    raise click.UsageError(
        f"{wanted!r} matches {len(matches)} processes "
        f"({', '.join(matches)}); give more of the identity"
    )


_IDENTITY_HELP = (
    " IDENTITY may also be HOST:PID of a `workhorse worker -p N` supervisor, "
    "for all of its processes."
)


def _signal_command(name: str, signal: str, doc: str) -> click.Command:
    @click.command(name, help=doc + _IDENTITY_HELP)
    @click.argument("identity", required=False, metavar="[IDENTITY]")
    @click.option("--all", "all_processes", is_flag=True, help="Every live process.")
    @json_option
    @redis_options
    def command(
        identity: str | None, all_processes: bool, as_json: bool, redis_url: str | None, prefix: str
    ) -> None:
        if bool(identity) == all_processes:
            raise click.UsageError(
                f"give a process IDENTITY or --all: workhorse {name} "
                "IDENTITY | --all (see workhorse status for identities)"
            )
        processes = open_inspector(redis_url, prefix).processes
        if all_processes:
            targets = [p.identity for p in processes.list(with_work=False)]
        else:
            targets = resolve_targets(processes, identity or "")
        for target in targets:
            processes.signal(target, signal)
        if as_json:
            print_json({"signal": signal, "processes": targets})
        else:
            click.echo(
                f"sent {signal} to {len(targets)} process(es); workhorse acts within a "
                "second or two, Ruby Sidekiq at its next heartbeat (5-10 s)"
                f"{''.join(chr(10) + '  ' + t for t in targets)}"
            )

    return command


quiet = _signal_command(
    "quiet",
    "TSTP",
    "Stop process IDENTITY (or --all) fetching new jobs; running jobs finish. Use before a "
    "deploy. IDENTITY is from `workhorse status`; a unique prefix of it is enough.",
)
stop = _signal_command(
    "stop",
    "TERM",
    "Shut process IDENTITY (or --all) down gracefully: running jobs get the shutdown "
    "timeout. IDENTITY is from `workhorse status`; a unique prefix of it is enough.",
)
