"""Implements every core seam in the smallest way, so tests can see each one fire."""

from __future__ import annotations

from collections.abc import Mapping

import click

from workhorse.hookspecs import hookimpl
from workhorse.types import PluginReport, ProcessContext

EVENTS: list[str] = []


class EchoService:
    name = "echo"

    def __init__(self, process: ProcessContext) -> None:
        self.process = process

    def start(self) -> None:
        self.process.redis.rpush("testplugin:events", "service-start")

    def stop(self, timeout: float) -> None:  # noqa: ARG002
        self.process.redis.rpush("testplugin:events", "service-stop")


@hookimpl
def workhorse_job_options() -> Mapping[str, bool]:
    return {"testplugin_color": True}


@hookimpl
def workhorse_validate_job_options(options: Mapping[str, object]) -> None:
    from workhorse.errors import ConfigError

    color = options.get("testplugin_color")
    if color is not None and color not in ("red", "blue"):
        raise ConfigError(f"testplugin_color must be red or blue, got {color!r}")


@hookimpl
def workhorse_startup(process: ProcessContext) -> None:
    process.redis.rpush("testplugin:events", "startup")


@hookimpl
def workhorse_shutdown(process: ProcessContext) -> None:
    process.redis.rpush("testplugin:events", "shutdown")


@hookimpl
def workhorse_quiet(process: ProcessContext) -> None:
    process.redis.rpush("testplugin:events", "quiet")


@hookimpl
def workhorse_heartbeat(process: ProcessContext) -> None:
    process.redis.set("testplugin:beat", "1")


@hookimpl
def workhorse_services(process: ProcessContext) -> list[EchoService]:
    return [EchoService(process)]


@click.command("testplugin-hello")
def hello() -> None:
    """Say hello from the test plugin."""
    click.echo("hello from testplugin")


@hookimpl
def workhorse_cli_commands() -> list[click.Command]:
    return [hello]


@hookimpl
def workhorse_diagnostics() -> list[PluginReport]:
    return [PluginReport("workhorse-testplugin", "0.1.0", "free")]
