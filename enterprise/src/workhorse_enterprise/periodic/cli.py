"""``workhorse cron list|pause|resume|run NAME``: parse, call ``control``, print."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

import workhorse_licensing
from workhorse.cli.options import redis_options
from workhorse.client import Client
from workhorse.config import Settings
from workhorse_enterprise.periodic import control

T = TypeVar("T")


def _run(redis_url: str | None, prefix: str, action: Callable[[Client], T]) -> T:
    client = Client(settings=Settings.from_env(redis_url=redis_url, prefix=prefix))
    try:
        return action(client)
    except workhorse_licensing.FeatureNotLicensed as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def cron() -> None:
    """Periodic (cron) jobs of workhorse Enterprise."""


@cron.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@redis_options
def list_entries(as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Every entry: schedule, next run (in its time zone), last run and jid."""
    rows, leader = _run(redis_url, prefix, lambda c: (control.status(c), control.leader(c)))
    if as_json:
        click.echo(json.dumps({"leader": leader, "entries": [_json(r) for r in rows]}, indent=2))
        return
    click.echo(f"leader: {leader or '(none: no Enterprise worker holds the lease)'}")
    if not rows:
        click.echo("no periodic entries published yet (start an Enterprise worker)")
        return
    table = [("NAME", "SCHEDULE", "STATE", "NEXT RUN", "LAST RUN", "LAST JID")]
    table += [(r.entry.name, f"{r.entry.spec} {r.entry.tz}" if r.entry.cron else r.entry.spec,
               _state(r), _time(r.next_run), _time(r.last_run), r.last_jid or "-") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
    for r in rows:
        if r.entry.problem:
            click.echo(f"! {r.entry.name}: {r.entry.problem}", err=True)


@cron.command()
@click.argument("name")
@redis_options
def pause(name: str, redis_url: str | None, prefix: str) -> None:
    """Stop enqueuing NAME until resumed (ticks while paused are not made up)."""
    _run(redis_url, prefix, lambda c: control.pause(name, c))
    click.echo(f"paused {name}")


@cron.command()
@click.argument("name")
@redis_options
def resume(name: str, redis_url: str | None, prefix: str) -> None:
    """Enqueue NAME on its schedule again."""
    _run(redis_url, prefix, lambda c: control.resume(name, c))
    click.echo(f"resumed {name}")


@cron.command("run")
@click.argument("name")
@redis_options
def run_now(name: str, redis_url: str | None, prefix: str) -> None:
    """Enqueue NAME's job now, once (its schedule is unchanged)."""
    jid = _run(redis_url, prefix, lambda c: control.run_now(name, c))
    click.echo(f"enqueued {name}: jid {jid}" if jid else f"{name}: dropped by client middleware")


def _state(row: control.EntryStatus) -> str:
    if row.entry.problem:
        return "invalid"
    return "paused" if row.paused else "active"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value else "-"


def _json(row: control.EntryStatus) -> dict[str, Any]:
    return {
        "name": row.entry.name, "job": row.entry.job, "schedule": row.entry.spec,
        "tz": row.entry.tz, "queue": row.entry.queue, "state": _state(row),
        "problem": row.entry.problem, "missed": row.entry.missed,
        "next_run": row.next_run.isoformat() if row.next_run else None,
        "last_run": row.last_run.isoformat() if row.last_run else None,
        "last_jid": row.last_jid, "history": row.history,
    }
