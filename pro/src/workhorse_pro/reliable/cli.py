"""CLI: ``workhorse pause QUEUE``, ``workhorse unpause QUEUE``, ``workhorse reliable``."""

from __future__ import annotations

import json

import click

from workhorse.cli.options import redis_options
from workhorse.cli.session import open_client
from workhorse_pro.license_gate import RELIABLE_FETCH
from workhorse_pro.reliable import pausing
from workhorse_pro.reliable.status import read_status


@RELIABLE_FETCH.guard
@click.command()
@click.argument("queues", nargs=-1, required=True)
@redis_options
def pause(queues: tuple[str, ...], redis_url: str | None, prefix: str) -> None:
    """Pause QUEUES cluster-wide: pushes are kept, no worker takes their jobs (Pro)."""
    client = open_client(redis_url, prefix)
    for queue in queues:
        changed = pausing.pause(queue, client)
        click.echo(f"paused {queue}" if changed else f"{queue} was already paused")


@RELIABLE_FETCH.guard
@click.command()
@click.argument("queues", nargs=-1, required=True)
@redis_options
def unpause(queues: tuple[str, ...], redis_url: str | None, prefix: str) -> None:
    """Let workers take jobs from QUEUES again (Pro)."""
    client = open_client(redis_url, prefix)
    for queue in queues:
        changed = pausing.unpause(queue, client)
        click.echo(f"unpaused {queue}" if changed else f"{queue} was not paused")


@RELIABLE_FETCH.guard
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@redis_options
def reliable(as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Reliable fetch: jobs in progress per process, recovered, poison pills, expired, paused."""
    status = read_status(open_client(redis_url, prefix))
    if as_json:
        click.echo(json.dumps(status.as_dict(), indent=2))
        return
    click.echo(
        f"in progress {status.in_progress}  recovered {status.recovered}  "
        f"poison pills {status.poisoned}  expired {status.expired}  "
        f"paused {', '.join(status.paused) or '-'}"
    )
    for p in status.processes:
        lease = f"lease {p.lease_ms_left / 1000:.1f}s" if p.alive else "LEASE EXPIRED (recovering)"
        click.echo(f"  {p.identity}  in progress {p.in_progress}  {lease}")
