"""Options shared by many commands: Redis URL and key prefix."""

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
