"""``workhorse demo``: see workhorse work in one command (embedded Redis, no setup)."""

from __future__ import annotations

import click

from workhorse.demo import DemoOptions, run_demo


@click.command()
@click.option(
    "--redis-url",
    default=None,
    metavar="URL",
    help="Use this Redis (default: WORKHORSE_REDIS_URL, else the embedded server).",
)
@click.option(
    "--prefix",
    default="demo",
    show_default=True,
    help="Key prefix, so demo jobs never mix with your own.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Stop after this many seconds (default: run until Ctrl-C).",
)
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Worker threads.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7420,
    show_default=True,
    help="Dashboard port (0: any free port).",
)
@click.option("--no-dashboard", is_flag=True, help="Do not start the dashboard.")
@click.option(
    "--live/--plain",
    default=None,
    help="Live display or one line every 2 s (default: live on a terminal).",
)
def demo(
    redis_url: str | None,
    prefix: str,
    duration: float | None,
    concurrency: int,
    port: int,
    no_dashboard: bool,
    live: bool | None,
) -> None:
    """Enqueue example jobs and run them with a live display, until Ctrl-C."""
    run_demo(
        DemoOptions(
            redis_url=redis_url,
            prefix=prefix,
            duration=duration,
            concurrency=concurrency,
            port=port,
            dashboard=not no_dashboard,
            live=live,
        ),
        echo=click.echo,
    )
