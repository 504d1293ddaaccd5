"""``workhorse cron list|pause|resume|run NAME``: parse, call ``control``, print."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from workhorse.cli.options import redis_options
from workhorse.cli.session import open_client
from workhorse_enterprise.license_gate import PERIODIC_JOBS
from workhorse_enterprise.periodic import control


@PERIODIC_JOBS.guard
@click.group()
def cron() -> None:
    """Periodic (cron) jobs of workhorse Enterprise."""


@cron.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@redis_options
def list_entries(as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Every entry: schedule, next run (in its time zone), last run and jid."""
    client = open_client(redis_url, prefix)
    rows, leader = control.status(client), control.leader(client)
    if as_json:
        click.echo(json.dumps({"leader": leader, "entries": [_json(r) for r in rows]}, indent=2))
        return
    click.echo(f"leader: {leader or '(none: no Enterprise worker holds the lease)'}")
    if not rows:
        click.echo("no periodic entries published yet (start an Enterprise worker)")
        return
    table = [("NAME", "SCHEDULE", "STATE", "NEXT RUN", "LAST RUN", "LAST JID")]
    table += [
        (
            r.entry.name,
            f"{r.entry.spec} {r.entry.tz}" if r.entry.cron else r.entry.spec,
            _state(r),
            _time(r.next_run),
            _time(r.last_run),
            r.last_jid or "-",
        )
        for r in rows
    ]
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
    control.pause(name, open_client(redis_url, prefix))
    click.echo(f"paused {name}")


@cron.command()
@click.argument("name")
@redis_options
def resume(name: str, redis_url: str | None, prefix: str) -> None:
    """Enqueue NAME on its schedule again."""
    control.resume(name, open_client(redis_url, prefix))
    click.echo(f"resumed {name}")


@cron.command("run")
@click.argument("name")
@redis_options
def run_now(name: str, redis_url: str | None, prefix: str) -> None:
    """Enqueue NAME's job now, once (its schedule is unchanged)."""
    jid = control.run_now(name, open_client(redis_url, prefix))
    click.echo(f"enqueued {name}: jid {jid}" if jid else f"{name}: dropped by client middleware")


def _state(row: control.EntryStatus) -> str:
    if row.entry.problem:
        return "invalid"
    return "paused" if row.paused else "active"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value else "-"


def _json(row: control.EntryStatus) -> dict[str, Any]:
    return {
        "name": row.entry.name,
        "job": row.entry.job,
        "schedule": row.entry.spec,
        "tz": row.entry.tz,
        "queue": row.entry.queue,
        "state": _state(row),
        "problem": row.entry.problem,
        "missed": row.entry.missed,
        "next_run": row.next_run.isoformat() if row.next_run else None,
        "last_run": row.last_run.isoformat() if row.last_run else None,
        "last_jid": row.last_jid,
        "history": row.history,
    }
