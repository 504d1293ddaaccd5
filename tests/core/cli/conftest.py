"""CLI tests: run ``workhorse`` commands in-process with CliRunner against a private Redis."""

from __future__ import annotations

import pytest
from cli_support import Invoke  # type: ignore[import-not-found]
from click.testing import CliRunner, Result

from workhorse.cli import main


@pytest.fixture
def cli(redis_url: str) -> Invoke:
    """``cli("status", "--json")`` runs ``workhorse status --json --redis-url <this test's db>``."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, url: str | None = None) -> Result:
        argv = list(args)
        if "--redis-url" not in argv and url != "":
            argv += ["--redis-url", url or redis_url]
        return runner.invoke(main, argv, input=input, catch_exceptions=False)

    return invoke
