"""``workhorse web``: serve the dashboard with uvicorn."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import click

from workhorse import logs
from workhorse.cli.options import redis_options
from workhorse.config import Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger("workhorse.web")

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="WORKHORSE_WEB_HOST",
    help="Address to listen on; 0.0.0.0 serves every interface (add --basic-auth).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=7420,
    show_default=True,
    envvar="WORKHORSE_WEB_PORT",
    help="TCP port to listen on.",
)
@click.option(
    "--base-path",
    default="",
    envvar="WORKHORSE_WEB_BASE_PATH",
    metavar="PATH",
    help="Serve under this path, e.g. /sidekiq behind a reverse proxy.",
)
@click.option(
    "--read-only",
    is_flag=True,
    envvar="WORKHORSE_WEB_READ_ONLY",
    help="Show everything, change nothing: every action is refused.",
)
@click.option(
    "--basic-auth",
    metavar="USER:PASSWORD",
    envvar="WORKHORSE_WEB_AUTH",
    help="Require HTTP Basic auth (better given as WORKHORSE_WEB_AUTH, kept out of ps).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.2),
    default=5.0,
    show_default=True,
    help="Seconds between live chart updates.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.option(
    "--shard",
    "shards",
    multiple=True,
    metavar="URL",
    help="Show every shard of a sharded installation (repeat per shard).",
)
@redis_options
def web(
    host: str,
    port: int,
    base_path: str,
    read_only: bool,
    basic_auth: str | None,
    poll_interval: float,
    verbose: bool,
    shards: tuple[str, ...],
    redis_url: str | None,
    prefix: str,
) -> None:
    """Serve the dashboard: workhorse web --port 7420 --redis-url redis://localhost:6379/0"""
    try:
        import uvicorn

        from workhorse.web import BasicAuth
        from workhorse.web.options import normalize_base_path
    except ImportError as exc:
        raise click.ClickException(
            f"the dashboard needs its optional dependencies ({exc.name} is missing): "
            "pip install 'workhorse[web]'"
        ) from None
    logs.configure("DEBUG" if verbose else "INFO", "text")
    settings = Settings.from_env(redis_url=redis_url, prefix=prefix)
    options: dict[str, Any] = {
        "base_path": base_path,
        "read_only": read_only,
        "poll_interval": poll_interval,
        "auth": BasicAuth.parse(basic_auth) if basic_auth else None,
    }
    app, shown_redis = build_app(settings, shards, options)
    shown_host = f"[{host}]" if ":" in host else host
    log.info(
        "dashboard at http://%s:%d%s/ (Redis %s%s%s)",
        shown_host,
        port,
        normalize_base_path(base_path),
        shown_redis,
        f", prefix {settings.prefix!r}" if settings.prefix else "",
        ", read-only" if read_only else "",
    )
    if host not in _LOOPBACK and options["auth"] is None:
        log.warning(
            "the dashboard listens on %s without authentication: anyone who can reach "
            "it can delete jobs; add --basic-auth (or WORKHORSE_WEB_AUTH) or "
            "--read-only",
            host,
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info" if verbose else "warning",
        access_log=verbose,
        server_header=False,
    )


def build_app(
    settings: Settings, shards: tuple[str, ...], options: dict[str, Any]
) -> tuple[ASGIApp, str]:
    """The app ``workhorse web`` serves, and which Redis it shows (for the start line)."""
    return _sharded_app(settings, shards, options) if shards else _single_app(settings, options)


def _single_app(settings: Settings, options: dict[str, Any]) -> tuple[ASGIApp, str]:
    from workhorse.api import Inspector
    from workhorse.connection import check, connect, resolved, where
    from workhorse.keys import Keys
    from workhorse.web import create_app

    settings = resolved(settings)
    client = connect(settings)
    check(client, settings)
    return create_app(Inspector(client, Keys(settings.prefix), settings), **options), where(
        settings
    )


def _sharded_app(
    base: Settings, shards: tuple[str, ...], options: dict[str, Any]
) -> tuple[ASGIApp, str]:
    from workhorse.api import Inspector
    from workhorse.connection import check, connect
    from workhorse.keys import Keys
    from workhorse.web.shards import create_sharded_app

    inspectors = {}
    for i, url in enumerate(shards):
        settings = base.with_changes(redis_url=url, redis_url_source="--shard")
        client = connect(settings)
        check(client, settings)
        inspectors[f"shard{i}"] = Inspector(client, Keys(settings.prefix), settings)
    return create_sharded_app(inspectors, **options), f"{len(shards)} shards"
