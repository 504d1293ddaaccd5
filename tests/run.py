"""The test command behind `hatch run test` (README's quick start; .ci/run calls it).

It installs the system pieces the suite needs when they are missing and it can
(Debian's chromium for browser tests, ruby-sidekiq for the interoperability
tests, redis-server), then runs pytest. pytest's exit code 5 ("no tests
collected") is a failure here, never a pass.

A whole-suite run (no test path, node id or -k/-m selection; what .ci/run does)
runs the linters first and stops at the first that fails, so CI is red on lint as on
a failing test. A focused run skips them: it is for the code being edited.
`hatch run lint` is `python tests/run.py --lint-only`.

A whole-suite run spreads the test files over parallel pytest-xdist workers, each with
a private Redis of its own (tests/conftest.py): the tests mostly wait on processes
and Redis, so even two cores run four workers well. WORKHORSE_TEST_WORKERS sets the
number (0 runs in one process); a -n/--numprocesses or -p no:xdist given wins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTED = ["core", "pro", "enterprise", "licensing", "tests", "tools", "examples"]
LINT_COMMANDS = [
    ["ruff", "check", *LINTED],
    ["ruff", "format", "--check", *LINTED],
    ["mypy"],  # its files are in pyproject.toml
]

APT_PACKAGES = {"redis-server": "redis-server", "chromium": "chromium", "ruby": "ruby-sidekiq"}


def missing_system_packages() -> list[str]:
    wanted = [pkg for binary, pkg in APT_PACKAGES.items() if shutil.which(binary) is None]
    if (
        shutil.which("ruby")
        and subprocess.run(
            ["ruby", "-e", "require 'sidekiq'"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        wanted.append("ruby-sidekiq")
    return sorted(set(wanted))


def install_system_packages(packages: list[str]) -> None:
    if not packages:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(
            f"note: cannot install {', '.join(packages)} (not root or no apt-get); "
            "tests that need them will say so",
            file=sys.stderr,
        )
        return
    print(f"installing system packages: {', '.join(packages)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", *packages],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def lint() -> int:
    for command in LINT_COMMANDS:
        if subprocess.call([sys.executable, "-m", *command], cwd=ROOT) != 0:
            print(
                f"error: `{' '.join(command)}` failed (above); fix that first. "
                "`hatch run lint` repeats the checks; `ruff format` and `ruff check --fix` "
                "fix most of them",
                file=sys.stderr,
            )
            return 1
    return 0


# The workspace's own distributions (root pyproject.toml, workspace.members).
MEMBERS = ["core", "licensing", "pro", "enterprise", "tests/plugin_fixture", "tests/testkeys"]


def members_digest(root: Path = ROOT) -> str:
    return hashlib.sha256(
        b"".join((root / m / "pyproject.toml").read_bytes() for m in MEMBERS)
    ).hexdigest()


def refresh_workspace_members(prefix: Path = Path(sys.prefix)) -> bool:
    """Reinstall our own packages when their metadata changed since this environment got
    them. hatch syncs dependencies, not our entry points: an environment kept from an older
    checkout would run stale console scripts and miss new plugins. True if it reinstalled."""
    stamp, digest = prefix / ".workhorse-members", members_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return False
    print("refreshing the workspace's own packages (their metadata changed)", file=sys.stderr)
    editable = [arg for member in MEMBERS for arg in ("-e", str(ROOT / member))]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *editable], check=True
    )
    stamp.write_text(digest)
    return True


def selects_tests(argv: list[str]) -> bool:
    """True for a focused run: a path or node id, or a -k/-m expression."""
    return any(not arg.startswith("-") or arg.startswith(("-k", "-m")) for arg in argv)


MIN_WORKERS = 4  # the suite waits more than it computes: never fewer, even on 2 cores


def parallel(argv: list[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The xdist options a run adds: whole-suite runs only, unless the caller chose."""
    chosen = any(
        arg.startswith(("-n", "--numprocesses")) or arg.endswith("no:xdist") for arg in argv
    )
    if chosen or selects_tests(argv):
        return []
    workers = environ.get("WORKHORSE_TEST_WORKERS", "")
    count = int(workers) if workers.isdigit() else max(MIN_WORKERS, os.cpu_count() or 1)
    return ["-n", str(count), "--dist", "loadfile"] if count > 0 else []


def main(argv: list[str]) -> int:
    if argv == ["--lint-only"]:
        return lint()
    refresh_workspace_members()
    if not selects_tests(argv) and lint() != 0:
        return 1
    install_system_packages(missing_system_packages())
    code = subprocess.call([sys.executable, "-m", "pytest", *parallel(argv), *argv])
    if code == 5:
        print("error: pytest collected no tests; that is a failure", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
