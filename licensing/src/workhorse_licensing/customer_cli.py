"""``workhorse license``: the customer's license commands, added to the ``workhorse`` CLI.

    workhorse license                    this machine's license state per installed paid tier
    workhorse license check-index URL    do my index credentials work, and what do they cover?

They live here, not in a paid package, so a customer who has only the free
``workhorse`` and ``workhorse-licensing`` can find out why the private index
refuses them (issue 16). ``click`` comes with ``workhorse``, which is what
loads this module (entry point ``workhorse.plugins: licensing``).
"""

from __future__ import annotations

from importlib.util import find_spec

import click

from .claims import TIERS, Tier
from .index_check import IndexCheckError, check_index, target
from .runtime import describe, status


def tiers_present() -> list[Tier]:
    return [tier for tier in TIERS if find_spec(f"workhorse_{tier}") is not None]


@click.group(name="license", invoke_without_command=True)
@click.pass_context
def license_group(ctx: click.Context) -> None:
    """Show who workhorse Pro/Enterprise is licensed to, or why it is not."""
    if ctx.invoked_subcommand is not None:
        return
    tiers = tiers_present()
    if not tiers:
        click.echo(
            "no paid tier is installed (workhorse-pro, workhorse-enterprise); the free"
            " core needs no license"
        )
        return
    for tier in tiers:
        click.echo(describe(tier))
    if not all(status(tier).active for tier in tiers):
        raise SystemExit(1)


@license_group.command(name="check-index")
@click.argument("url", envvar="WORKHORSE_INDEX_URL")
@click.option(
    "--customer",
    envvar="WORKHORSE_INDEX_CUSTOMER",
    help="Customer id, if not in URL (env WORKHORSE_INDEX_CUSTOMER).",
)
@click.option(
    "--token",
    envvar="WORKHORSE_INDEX_TOKEN",
    help="Download token, if not in URL (env WORKHORSE_INDEX_TOKEN).",
)
@click.option("--timeout", default=10.0, show_default=True, type=float, help="Seconds.")
def check_index_command(url: str, customer: str | None, token: str | None, timeout: float) -> None:
    """Ask the private index at URL whether these credentials work and what they cover.

    URL is the one you give pip, e.g. https://cus_acme:TOKEN@packages.workhorse.dev/simple/.
    Exits 0 when the credentials work and cover a paid package, 1 when refused.
    """
    try:
        where = target(url, customer, token)
    except IndexCheckError as exc:
        raise click.UsageError(str(exc)) from None
    result = check_index(where, timeout=timeout)
    click.echo(result.sentence, err=not result.ok)
    if not result.ok:
        raise SystemExit(1)
