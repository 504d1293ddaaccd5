"""The documentation site builds without a single warning (issue 25).

`mkdocs build --strict` turns every warning into a failure: a broken link or
anchor, a page missing from the nav, a docstring mkdocstrings cannot read, a
missing snippet. The generated parts are checked too: an API page rendered
from docstrings, and one page per CLI command generated from click.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from workhorse.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text()


def test_every_core_command_has_its_own_page(site: Path) -> None:
    ctx = click.Context(main, info_name="workhorse")
    core = [
        name
        for name in main.list_commands(ctx)
        if (command := main.get_command(ctx, name)) is not None
        and getattr(command.callback, "__module__", "").startswith("workhorse.")
    ]
    assert {"worker", "status", "web", "doctor"} <= set(core)
    for name in core:
        assert f"workhorse {name}" in page(site, f"commands/{name}"), name


def test_a_command_page_shows_usage_and_every_option(site: Path) -> None:
    worker = page(site, "commands/worker")
    assert "Usage: workhorse worker [OPTIONS]" in worker
    for option in ("--require", "--queue", "--concurrency", "--processes", "--redis-url"):
        assert option in worker


def test_paid_commands_say_which_package_provides_them(site: Path) -> None:
    assert "Provided by <code>workhorse-pro</code>" in page(site, "commands/batches")
    assert "workhorse batches status" in page(site, "commands/batches")


def test_the_api_reference_is_rendered_from_docstrings(site: Path) -> None:
    api = page(site, "reference/workhorse")
    assert "Push by job name" in api  # Client.enqueue's docstring
    assert "perform_async" in api


def test_the_changelog_and_security_policy_are_part_of_the_site(site: Path) -> None:
    assert "Keep a Changelog" in page(site, "changelog")
    assert "Reporting a vulnerability" in page(site, "security")
