"""The root ``workhorse`` group: core commands, then every plugin's commands."""

from __future__ import annotations

import logging
from typing import Any

import click

from workhorse import plugins
from workhorse.cli.output import BadInput, NotFound
from workhorse.errors import InputError, NotFoundError, WorkhorseError
from workhorse.version import __version__

log = logging.getLogger(__name__)


class WorkhorseGroup(click.Group):
    """Adds plugin commands lazily and turns our errors into clean exits."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            for command in plugins.cli_commands():
                if command.name and command.name not in self.commands:
                    self.add_command(command)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the CLI
            log.error("could not load plugin commands: %s", exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            raise BadInput(str(exc)) from None
        except NotFoundError as exc:
            raise NotFound(str(exc)) from None
        except WorkhorseError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=WorkhorseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    "-V",
    "--version",
    prog_name="workhorse",
    help="Print the workhorse version and exit (`workhorse version` says more).",
)
def main() -> None:
    """workhorse: background jobs for Python on Redis (Sidekiq-compatible)."""


def _register_core_commands() -> None:
    from workhorse.cli import (
        demo_cmd,
        doctor_cmd,
        enqueue_cmd,
        job_cmd,
        process_cmd,
        queues_cmd,
        sets_cmd,
        status_cmd,
        version_cmd,
        web_cmd,
        worker_cmd,
    )

    main.add_command(worker_cmd.worker)
    for command in (
        enqueue_cmd.enqueue,
        status_cmd.status,
        job_cmd.job,
        job_cmd.cancel,
        queues_cmd.queues,
        sets_cmd.retries,
        sets_cmd.scheduled,
        sets_cmd.dead,
        process_cmd.quiet,
        process_cmd.stop,
        version_cmd.version_command,
        doctor_cmd.doctor,
        demo_cmd.demo,
        web_cmd.web,
    ):
        main.add_command(command)


_register_core_commands()
