"""``workhorse unique list|clear``: the unique locks held now, and clearing them."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from workhorse.cli.options import redis_options
from workhorse.cli.session import open_client
from workhorse.errors import NotFoundError
from workhorse.keys import Keys
from workhorse_enterprise.license_gate import UNIQUE_JOBS
from workhorse_enterprise.unique import locks


@UNIQUE_JOBS.guard
@click.group("unique")
def unique() -> None:
    """Unique-job locks (Enterprise): which are held, by which jid, for how long."""


@unique.command("list")
@redis_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_locks(redis_url: str | None, prefix: str, as_json: bool) -> None:
    """Held locks, soonest to expire first."""
    held = locks.held(open_client(redis_url, prefix).redis, Keys(prefix))
    if as_json:
        click.echo(
            json.dumps([asdict(lock) | {"clearable": lock.clearable} for lock in held], indent=2)
        )
    elif not held:
        click.echo("no unique locks are held")
    else:
        click.echo(f"{'digest':64}  {'jid':24}  ttl")
        for lock in held:
            ttl = "never expires" if lock.ttl is None else f"{lock.ttl:.0f}s"
            click.echo(f"{lock.digest:64}  {lock.jid:24}  {ttl}")


@unique.command("clear")
@redis_options
@click.argument("digest", required=False)
@click.option("--all", "everything", is_flag=True, help="Clear every held lock.")
def clear(redis_url: str | None, prefix: str, digest: str | None, everything: bool) -> None:
    """Clear the lock DIGEST (from `workhorse unique list`), or --all of them."""
    client = open_client(redis_url, prefix).redis
    if everything:
        click.echo(f"cleared {locks.clear_all(client, Keys(prefix))} unique lock(s)")
        return
    if digest is None:
        raise click.UsageError("give a lock DIGEST (see `workhorse unique list`) or --all")
    try:
        found = locks.clear(client, Keys(prefix), digest)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="DIGEST") from None
    if not found:
        raise NotFoundError(f"no unique lock {digest}; it was released or expired")
    click.echo(f"cleared unique lock {digest}")
