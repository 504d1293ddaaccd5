"""Options shared by many commands: Redis URL and key prefix, paging through jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def redis_options(fn: F) -> F:
    fn = click.option(
        "--prefix",
        envvar="WORKHORSE_PREFIX",
        default="",
        show_default=False,
        help="Key prefix (e.g. '{wh}' for Redis Cluster). Default: none, Sidekiq's keys.",
    )(fn)
    fn = click.option(
        "--redis-url",
        "redis_url",
        default=None,
        metavar="URL",
        help="Redis URL; else WORKHORSE_REDIS_URL, REDIS_URL, localhost:6379, embedded server.",
    )(fn)
    return fn


def page_options(skipped: str = "jobs") -> Callable[[F], F]:
    """``--limit`` and ``--offset`` for a command that lists jobs page by page;
    ``skipped`` says what ``--offset`` counts (e.g. "(matching) jobs")."""

    def add(fn: F) -> F:
        fn = click.option(
            "--offset",
            type=click.IntRange(0),
            default=0,
            help=f"Skip this many {skipped} first (next page: --offset 25).",
        )(fn)
        fn = click.option(
            "--limit",
            type=click.IntRange(1),
            default=25,
            show_default=True,
            help="Show at most this many jobs.",
        )(fn)
        return fn

    return add
