"""Project and distribution file names, validated before they touch a path.

Every name that reaches the file system went through ``project_name`` or
``dist_filename`` first; both accept only the characters the packaging specs
allow, so ``..``, slashes, NUL and friends never get near ``open`` (issue 6:
path traversal in filenames and project names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)

# PEP 508 names, at most 100 characters (PyPI's limit is close to that).
_PROJECT = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]{0,254}")


class BadName(ValueError):
    """A project or file name that the index refuses; the message says why."""


def project_name(raw: str) -> str | None:
    """The PEP 503 normalized form of ``raw``, or None if it is not a valid name."""
    return canonicalize_name(raw) if _PROJECT.fullmatch(raw) else None


@dataclass(frozen=True)
class DistName:
    filename: str
    project: str
    version: str  # canonical form, for comparisons only
    kind: str  # "wheel" or "sdist"


def dist_filename(filename: str) -> DistName:
    """Parse a wheel or sdist file name, or raise ``BadName``."""
    problem = (
        f"invalid filename {filename[:120]!r}: expected a wheel (.whl) or an sdist"
        " (.tar.gz) named <project>-<version>"
    )
    if not _FILENAME.fullmatch(filename) or ".." in filename:
        raise BadName(problem)
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return DistName(filename, name, canonicalize_version(version), "wheel")
        if filename.endswith(".tar.gz"):
            name, version = parse_sdist_filename(filename)
            return DistName(filename, name, canonicalize_version(version), "sdist")
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    raise BadName(problem)
