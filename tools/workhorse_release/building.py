"""Build each distribution's sdist and wheel with ``python -m build``.

``--no-isolation`` builds with the hatchling of this (dev) environment, so a
release needs no network and is built by the backend version the tests ran
with; ``build`` still refuses when that hatchling does not satisfy the
package's ``build-system.requires``. The wheel is built from the sdist, which
proves the sdist is complete.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from . import ReleaseError
from .distributions import Distribution


def build(root: Path, dist: Distribution, out: Path) -> list[Path]:
    """Build ``dist`` into ``out``; return its sdist and wheel."""
    argv = [
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--outdir",
        str(out),
        str(root / dist.directory),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"building {dist.name} failed:\n{_tail(result.stdout + result.stderr)}")
    return sorted(p for p in out.iterdir() if artifact_project(p) == dist.name)


def artifact_project(path: Path) -> str | None:
    """The canonical project name of a wheel or sdist file name, else None."""
    return _parse(path)[0]


def artifact_version(path: Path) -> Version | None:
    return _parse(path)[1]


def _parse(path: Path) -> tuple[str | None, Version | None]:
    try:
        if path.name.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(path.name)
            return canonicalize_name(name), version
        if path.name.endswith(".tar.gz"):
            name, version = parse_sdist_filename(path.name)
            return canonicalize_name(name), version
    except ValueError:
        pass
    return None, None


def _tail(output: str, lines: int = 30) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
