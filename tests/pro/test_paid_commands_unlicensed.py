"""Every paid CLI command, run without a license, exits 1 with one line that says what to do.

The commands are read from the ``workhorse`` click group (plugin commands
included), so a paid command added later is walked too. Each runs as a real
``workhorse`` process against this test's Redis: a command that forgot its
gate would succeed there and fail this test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from workhorse import plugins

PAID_PACKAGES = ("workhorse_pro", "workhorse_enterprise")
# `workhorse license` is the diagnosis itself: it reports each tier (exit 1 unlicensed).
REPORTS = {("license",)}


def _leaves(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path


def _paid(command: click.Command) -> bool:
    callback = getattr(command.callback, "__wrapped__", command.callback)
    return getattr(callback, "__module__", "").startswith(PAID_PACKAGES)


def paid_commands() -> dict[tuple[str, ...], click.Command]:
    found: dict[tuple[str, ...], click.Command] = {}
    for top in plugins.cli_commands():
        if top.name and _paid(top):
            for path in _leaves(top, (top.name,)):
                command: click.Command = top
                for name in path[1:]:
                    command = command.commands[name]  # type: ignore[attr-defined]
                found[path] = command
    return {path: cmd for path, cmd in found.items() if path not in REPORTS}


PAID = paid_commands()


def argv_for(command: click.Command, redis_url: str) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            # A value the argument accepts, so the license is what refuses the command.
            args.append("1" if isinstance(param.type, click.types.IntParamType) else "mail")
        elif param.name == "redis_url":
            args += ["--redis-url", redis_url]
    return args


def test_the_walk_finds_the_paid_commands_of_both_tiers() -> None:
    names = {" ".join(path) for path in PAID}
    assert {
        "pause",
        "unpause",
        "reliable",
        "batches list",
        "batches status",
        "limits",
        "cron list",
        "cron pause",
        "cron resume",
        "cron run",
        "unique list",
        "unique clear",
        "encryption keygen",
        "encryption check",
    } <= names


@pytest.mark.parametrize("path", sorted(PAID), ids=" ".join)
def test_a_paid_command_without_a_license_exits_1_with_one_line_saying_what_to_do(
    path: tuple[str, ...], redis_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKHORSE_LICENSE")}
    env["HOME"] = str(tmp_path)
    argv = [*path, *argv_for(PAID[path], redis_url)]
    result = subprocess.run(
        [sys.executable, "-m", "workhorse", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, (argv, result.stdout, result.stderr)
    assert result.stdout == "" and len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: workhorse-")
    assert "is not available: no license key found" in lines[0]
    assert "set WORKHORSE_LICENSE to your license key" in lines[0]


def test_help_of_a_paid_command_still_works_without_a_license(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKHORSE_LICENSE")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "workhorse", "pause", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0 and "Pause QUEUES" in result.stdout
