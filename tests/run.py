"""The test command behind `hatch run test` (README's quick start; .ci/run calls it).

It installs the system pieces the suite needs when they are missing and it can
(Debian's chromium for browser tests, ruby-sidekiq for the interoperability
tests, redis-server), then runs pytest. pytest's exit code 5 ("no tests
collected") is a failure here, never a pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

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


def main(argv: list[str]) -> int:
    install_system_packages(missing_system_packages())
    code = subprocess.call([sys.executable, "-m", "pytest", *argv])
    if code == 5:
        print("error: pytest collected no tests; that is a failure", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
