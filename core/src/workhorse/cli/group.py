"""The root ``workhorse`` group: core commands, then every plugin's commands."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from workhorse import plugins
from workhorse.cli.exits import BadInput, NotFound
from workhorse.errors import InputError, NotFoundError, WorkhorseError
from workhorse.version import __version__

log = logging.getLogger(__name__)


# Each core command's module is imported when the command is asked for: a worker
# process (each ``-p N`` child is one) then never loads the dashboard, the demo or the
# table printing (about 5 MiB of RSS and 100 ms of start-up per process).
CORE_COMMANDS = {
    "worker": "workhorse.cli.worker_cmd:worker",
    "enqueue": "workhorse.cli.enqueue_cmd:enqueue",
    "status": "workhorse.cli.status_cmd:status",
    "job": "workhorse.cli.job_cmd:job",
    "cancel": "workhorse.cli.job_cmd:cancel",
    "queues": "workhorse.cli.queues_cmd:queues",
    "retries": "workhorse.cli.sets_cmd:retries",
    "scheduled": "workhorse.cli.sets_cmd:scheduled",
    "dead": "workhorse.cli.sets_cmd:dead",
    "quiet": "workhorse.cli.process_cmd:quiet",
    "stop": "workhorse.cli.process_cmd:stop",
    "version": "workhorse.cli.version_cmd:version_command",
    "doctor": "workhorse.cli.doctor_cmd:doctor",
    "demo": "workhorse.cli.demo_cmd:demo",
    "web": "workhorse.cli.web_cmd:web",
}


def _import_command(where: str) -> click.Command:
    module, _, attribute = where.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command), where
    return command


class WorkhorseGroup(click.Group):
    """Loads core commands on first use, adds plugin commands lazily, and turns our
    errors into clean exits."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        try:
            for command in plugins.cli_commands():
                if command.name and command.name not in {*CORE_COMMANDS, *self.commands}:
                    self.add_command(command)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the CLI
            log.error("could not load plugin commands: %s", exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted({*CORE_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in CORE_COMMANDS:
            command = _import_command(CORE_COMMANDS[cmd_name])
            self.add_command(command, cmd_name)
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
