"""Each ``workhorse`` command loads only what it uses: a worker process (and every
``-p N`` child is one) must not carry the dashboard, the demo, table printing or an
HTTP client in its memory."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from workhorse.cli import main
from workhorse.cli.group import CORE_COMMANDS

NOT_FOR_WORKERS = ("rich", "httpx", "starlette", "workhorse.web", "workhorse.demo")


def modules_loaded_by(argv: list[str]) -> set[str]:
    probe = (
        "import json, sys\n"
        "from workhorse.cli import main\n"
        f"sys.argv = ['workhorse', *{argv!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


def test_the_worker_command_loads_no_dashboard_demo_tables_or_http_client() -> None:
    loaded = modules_loaded_by(["worker", "--help"])
    assert "workhorse.cli.worker_cmd" in loaded  # the probe did reach the command
    heavy = sorted(m for m in loaded if m.startswith(NOT_FOR_WORKERS))
    assert heavy == []


def test_the_table_commands_still_load_what_they_print_with() -> None:
    assert "rich" in modules_loaded_by(["queues", "--help"])


@pytest.mark.parametrize("name", sorted(CORE_COMMANDS))
def test_every_core_command_is_listed_and_resolves_under_its_own_name(name: str) -> None:
    ctx = click.Context(main)
    assert name in main.list_commands(ctx)
    command = main.get_command(ctx, name)
    assert command is not None and command.name == name


def test_an_unknown_command_is_still_a_usage_error_naming_it() -> None:
    result = CliRunner().invoke(main, ["wrokers"])
    assert result.exit_code == 2 and "No such command 'wrokers'" in result.output
