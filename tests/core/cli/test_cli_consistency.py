"""Every command of every workhorse CLI (core, Pro's and Enterprise's plugin commands, the
vendor tools) answers ``-h`` and documents each of its options and arguments; the root
answers ``--version``. Issue 17."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from workhorse.cli import main
from workhorse.version import __version__
from workhorse_licensing.issuer.cli import main as license_main
from workhorse_licensing.issuer.index.cli import main as index_main

ROOTS = {"workhorse": main, "workhorse-license": license_main, "workhorse-index": index_main}
PLUGIN_COMMANDS = {"batches", "pause", "unpause", "reliable", "license", "limits", "cron"}


def walk(
    command: click.Command, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """``(path, command)`` for a command and, depth first, everything under it."""
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name} but cannot load it"
            yield from walk(sub, (*path, name))


def every_command() -> list[tuple[str, ...]]:
    return [path for name, root in ROOTS.items() for path, _ in walk(root, (name,))]


def command_at(path: tuple[str, ...]) -> click.Command:
    return dict(walk(ROOTS[path[0]], path[:1]))[path]


def argument_name(argument: click.Argument) -> str:
    """How usage shows the argument, without brackets and dots: ``[JID]...`` -> ``JID``."""
    return (argument.metavar or (argument.name or "").upper()).strip("[].")


def test_the_walk_reaches_plugin_commands_and_subcommands() -> None:
    top = {path[1] for path in every_command() if path[0] == "workhorse" and len(path) == 2}
    assert top >= PLUGIN_COMMANDS, f"missing plugin commands: {PLUGIN_COMMANDS - top}"
    assert ("workhorse", "queues", "jobs") in every_command()
    assert ("workhorse-index", "customers", "add") in every_command()


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_every_command_answers_dash_h_with_its_usage(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(ROOTS[path[0]], [*path[1:], "-h"], prog_name=path[0])
    assert result.exit_code == 0, result.output
    assert f"Usage: {' '.join(path)}" in result.output
    assert "-h, --help" in result.output


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_every_command_option_and_argument_is_documented(path: tuple[str, ...]) -> None:
    command = command_at(path)
    assert (command.help or command.short_help or "").strip(), f"{path}: no description"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[-1]}: no help text"
        elif isinstance(param, click.Argument):
            assert argument_name(param) in (command.help or ""), (
                f"{' '.join(path)}: the description never says what {argument_name(param)} is"
            )


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_the_version(flag: str) -> None:
    result = CliRunner().invoke(main, [flag])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"workhorse, version {__version__}"
