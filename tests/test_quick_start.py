"""The README's two quick-start commands: CI runs the same test line, and neither calls
the system's pip, which Debian 12 and Ubuntu 24.04 refuse (PEP 668). Issue 17."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> dict[str, str]:
    """``{"demo": line, "test": line}``: the one-line ``sh`` blocks of the Quick start."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = re.findall(r"```sh\n(.+?)\n```", section)
    assert len(lines) == 2, f"expected the demo and the test command, found {lines}"
    return {"demo": lines[0], "test": lines[1]}


def commands_of(line: str) -> list[list[str]]:
    """``a b && c d`` -> ``[["a", "b"], ["c", "d"]]``."""
    return [shlex.split(part) for part in line.split("&&")]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [
        line for line in script if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == [quick_start_commands()["test"]]


def test_quick_start_commands_never_call_the_system_pip() -> None:
    for name, line in quick_start_commands().items():
        for argv in commands_of(line):
            program = argv[0]
            assert program == "python3" or program.startswith(".venv/bin/"), (name, argv)
            if program == "python3":
                assert argv[1:3] == ["-m", "venv"], f"{name}: {argv} uses the system Python"


def test_both_commands_share_one_venv_that_pytest_does_not_collect() -> None:
    for line in quick_start_commands().values():
        assert commands_of(line)[0] == ["python3", "-m", "venv", ".venv"]
    assert ".venv/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '".*"' in pyproject.split("norecursedirs", 1)[1].split("\n", 1)[0]


def test_the_test_command_installs_a_hatch_that_knows_workspaces() -> None:
    install = commands_of(quick_start_commands()["test"])[1]
    assert install[:3] == [".venv/bin/pip", "install", "-q"]
    assert "hatch>=1.16" in install  # workspace.members in pyproject.toml needs 1.16
