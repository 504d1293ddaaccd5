"""`hatch run test` (tests/run.py): a whole-suite run, as CI's, lints before it tests;
a focused run goes straight to pytest. Issue 23."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "workhorse_test_runner", ROOT / "tests" / "run.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    """The runner with its child processes recorded; a command containing "FAIL" fails."""
    module = load_runner()
    started: list[list[str]] = []

    def call(argv: list[str], **_: object) -> int:
        command = argv[2:] if argv[:2] == [sys.executable, "-m"] else argv
        started.append(command)
        return 1 if "FAIL" in command else 0

    monkeypatch.setattr(module.subprocess, "call", call)
    monkeypatch.setattr(module, "missing_system_packages", list)
    monkeypatch.setattr(module, "refresh_workspace_members", lambda: False)
    monkeypatch.setattr(module, "parallel", lambda argv: [])
    return module, started


def test_a_whole_suite_run_lints_before_pytest(runner: tuple[ModuleType, list[list[str]]]) -> None:
    module, started = runner
    assert module.main(["-q"]) == 0
    assert started == [*module.LINT_COMMANDS, ["pytest", "-q"]]


def test_a_lint_failure_stops_the_run_before_any_test(
    runner: tuple[ModuleType, list[list[str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module, started = runner
    monkeypatch.setattr(module, "LINT_COMMANDS", [["ruff", "check", "FAIL"], ["mypy"]])
    assert module.main([]) == 1
    assert started == [["ruff", "check", "FAIL"]]
    assert "`ruff check FAIL` failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["tests/core/test_client.py"], ["-q", "tests/core::test_x"], ["-k", "x"], ["-kx"]]
)
def test_a_focused_run_skips_the_linters(
    runner: tuple[ModuleType, list[list[str]]], argv: list[str]
) -> None:
    module, started = runner
    assert module.main(argv) == 0
    assert started == [["pytest", *argv]]


def test_the_lint_covers_the_formatting_of_every_source_folder() -> None:
    commands = load_runner().LINT_COMMANDS
    folders = ["core", "pro", "enterprise", "licensing", "tests", "tools", "examples"]
    assert ["ruff", "check", *folders] in commands
    assert ["ruff", "format", "--check", *folders] in commands
    assert ["mypy"] in commands


def test_hatch_lint_runs_the_same_checks() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'lint = "python tests/run.py --lint-only"' in pyproject


def test_our_packages_are_reinstalled_once_when_their_metadata_changed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A hatch environment kept from an older checkout gets fresh entry points (a renamed
    console-script module once broke every e2e test of such an environment)."""
    module = load_runner()
    installs: list[list[str]] = []
    monkeypatch.setattr(module.subprocess, "run", lambda argv, **_: installs.append(argv))
    assert module.refresh_workspace_members(tmp_path) is True
    assert module.refresh_workspace_members(tmp_path) is False  # the stamp matches now
    assert len(installs) == 1 and "--no-deps" in installs[0]
    assert [installs[0][i + 1] for i, a in enumerate(installs[0]) if a == "-e"] == [
        str(ROOT / member) for member in module.MEMBERS
    ]
    (tmp_path / ".workhorse-members").write_text("an older checkout")
    assert module.refresh_workspace_members(tmp_path) is True


def test_a_whole_suite_run_spreads_files_over_at_least_four_workers() -> None:
    parallel = load_runner().parallel
    assert parallel([], {}) == ["-n", str(max(4, os.cpu_count() or 1)), "--dist", "loadfile"]
    assert parallel(["-q", "--durations=20"], {})[:2] == ["-n", str(max(4, os.cpu_count() or 1))]


def test_the_number_of_workers_can_be_set_and_zero_runs_in_one_process() -> None:
    parallel = load_runner().parallel
    assert parallel([], {"WORKHORSE_TEST_WORKERS": "7"})[:2] == ["-n", "7"]
    assert parallel([], {"WORKHORSE_TEST_WORKERS": "0"}) == []


@pytest.mark.parametrize(
    "argv", [["-n", "2"], ["-n2"], ["--numprocesses=auto"], ["-p", "no:xdist"], ["tests/web"]]
)
def test_a_run_that_chose_its_workers_or_its_tests_gets_no_added_workers(
    argv: list[str],
) -> None:
    assert load_runner().parallel(argv, {}) == []


def test_the_whole_suite_command_passes_the_workers_to_pytest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_runner()
    started: list[list[str]] = []
    monkeypatch.setattr(module.subprocess, "call", lambda argv, **_: started.append(argv) or 0)
    monkeypatch.setattr(module, "missing_system_packages", list)
    monkeypatch.setattr(module, "refresh_workspace_members", lambda: False)
    monkeypatch.setattr(module, "lint", lambda: 0)
    monkeypatch.setenv("WORKHORSE_TEST_WORKERS", "3")
    assert module.main(["-q"]) == 0
    assert started == [[sys.executable, "-m", "pytest", "-n", "3", "--dist", "loadfile", "-q"]]
