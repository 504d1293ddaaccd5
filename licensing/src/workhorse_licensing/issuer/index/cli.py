"""``workhorse-index``: run the private index and manage who may use it.

workhorse-index serve --data DIR [--host 127.0.0.1] [--port 8080] [--upstream URL]
workhorse-index admin-token --data DIR             new upload token, shown once
workhorse-index customers add --data DIR ID --name NAME --tier pro [--license-id LIC]
workhorse-index customers update --data DIR ID [--tier T] [--license-id L] [--suspend]
workhorse-index customers list --data DIR
workhorse-index tokens issue --data DIR ID         new download token, shown once
workhorse-index tokens revoke --data DIR ID TOKEN_ID
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ...claims import TIERS, Tier
from ..files import private_dir
from .accounts import AccountError, Accounts
from .app import DEFAULT_UPSTREAM, IndexConfig

T = TypeVar("T")
data_option = click.option(
    "--data",
    "data_dir",
    required=True,
    envvar="WORKHORSE_INDEX_DATA",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index data directory (env WORKHORSE_INDEX_DATA).",
)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except (AccountError, OSError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The workhorse private package index."""


@main.command()
@data_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface).",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port to listen on.",
)
@click.option(
    "--upstream",
    default=DEFAULT_UPSTREAM,
    show_default=True,
    help="Where names this index does not host are redirected.",
)
@click.option(
    "--max-upload-mb",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="Largest file an upload may carry, in MiB.",
)
def serve(data_dir: Path, host: str, port: int, upstream: str, max_upload_mb: int) -> None:
    """Serve the index (put TLS in front of it in production)."""
    import uvicorn

    from .app import create_app

    private_dir(data_dir)
    config = IndexConfig(data_dir, upstream, max_upload_mb * 1024 * 1024)
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        server_header=False,
    )


@main.command(name="admin-token")
@data_option
def admin_token(data_dir: Path) -> None:
    """Create (or replace) the upload token and print it once."""
    click.echo(_run(lambda: Accounts(data_dir).set_admin_token()))


@main.group()
def customers() -> None:
    """Add, change and list customers."""


@customers.command(name="add")
@data_option
@click.argument("customer_id")
@click.option("--name", required=True, help="The customer's name, for your records.")
@click.option(
    "--tier",
    "tiers",
    multiple=True,
    required=True,
    type=click.Choice(TIERS),
    help="A tier they may download; repeatable.",
)
@click.option("--license-id", help="Their license id, so revoking it also ends downloads.")
def add_customer(
    data_dir: Path, customer_id: str, name: str, tiers: tuple[Tier, ...], license_id: str | None
) -> None:
    """Add customer CUSTOMER_ID (then give them a token with `tokens issue`)."""
    _run(lambda: Accounts(data_dir).add_customer(customer_id, name, tiers, license_id))
    click.echo(f"added {customer_id}; give them a token with `workhorse-index tokens issue`")


@customers.command(name="update")
@data_option
@click.argument("customer_id")
@click.option(
    "--tier",
    "tiers",
    multiple=True,
    type=click.Choice(TIERS),
    help="Replace their tiers with these; repeatable.",
)
@click.option("--license-id", help="Their new license id.")
@click.option(
    "--suspend/--reinstate",
    default=None,
    help="Stop (or allow again) every download of this customer.",
)
def update_customer(
    data_dir: Path,
    customer_id: str,
    tiers: tuple[Tier, ...],
    license_id: str | None,
    suspend: bool | None,
) -> None:
    """Change customer CUSTOMER_ID: tiers, license id, suspended or not."""
    _run(
        lambda: Accounts(data_dir).update_customer(
            customer_id, tiers=tiers or None, license_id=license_id, suspended=suspend
        )
    )
    click.echo(f"updated {customer_id}")


@customers.command(name="list")
@data_option
def list_customers(data_dir: Path) -> None:
    """Every customer: name, tiers, license id, state and token ids."""
    for c in _run(lambda: Accounts(data_dir).customers()):
        state = "suspended" if c.suspended else "active"
        click.echo(
            f"{c.customer_id}\t{c.name}\t{','.join(c.tiers)}\t{c.license_id or '-'}"
            f"\t{state}\ttokens: {', '.join(c.token_ids) or '-'}"
        )


@main.group()
def tokens() -> None:
    """Issue and revoke customers' download tokens."""


@tokens.command(name="issue")
@data_option
@click.argument("customer_id")
def issue_token(data_dir: Path, customer_id: str) -> None:
    """Print a new download token for CUSTOMER_ID (shown once; only its hash is stored)."""
    token_id, token = _run(lambda: Accounts(data_dir).issue_token(customer_id))
    click.echo(f"token id {token_id}", err=True)
    click.echo(token)


@tokens.command(name="revoke")
@data_option
@click.argument("customer_id")
@click.argument("token_id")
def revoke_token(data_dir: Path, customer_id: str, token_id: str) -> None:
    """Revoke download token TOKEN_ID of CUSTOMER_ID (see `customers list`)."""
    _run(lambda: Accounts(data_dir).revoke_token(customer_id, token_id))
    click.echo(f"revoked token {token_id} of {customer_id}")
