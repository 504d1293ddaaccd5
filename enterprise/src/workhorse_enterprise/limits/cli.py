"""``workhorse limits``: list limiters with their metrics, or forget one."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from workhorse.cli.options import redis_options
from workhorse.cli.session import open_client
from workhorse.errors import NotFoundError
from workhorse_enterprise.license_gate import RATE_LIMITING
from workhorse_enterprise.limits.inventory import LimiterStats, delete_limiter, list_limiters

_COLUMNS = ("name", "type", "limit", "per", "held", "admitted", "waited", "over", "reclaimed")


@RATE_LIMITING.guard
@click.command("limits")
@redis_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--delete",
    "delete",
    metavar="NAME",
    default=None,
    help="Forget the state and metrics of limiter NAME.",
)
def limits(redis_url: str | None, prefix: str, as_json: bool, delete: str | None) -> None:
    """Rate limiters (Enterprise): admitted, waited, over-limit and reclaimed counts."""
    client = open_client(redis_url, prefix).redis
    if delete is not None:
        if not delete_limiter(client, prefix, delete):
            raise NotFoundError(f"no limiter named {delete!r}; `workhorse limits` lists them")
        click.echo(f"deleted limiter {delete!r}")
        return
    stats = list_limiters(client, prefix)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in stats], indent=2))
    elif not stats:
        click.echo("no limiters (they appear here once used)")
    else:
        click.echo(table(stats))


def table(stats: list[LimiterStats]) -> str:
    rows = [_COLUMNS] + [_row(s) for s in stats]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


def _row(s: LimiterStats) -> tuple[str, ...]:
    per = f"{s.interval:g}s"
    held = "-" if s.held is None else str(s.held)
    return (
        s.name,
        s.kind,
        str(s.limit),
        per,
        held,
        str(s.admitted),
        str(s.waited),
        str(s.over),
        str(s.reclaimed),
    )
