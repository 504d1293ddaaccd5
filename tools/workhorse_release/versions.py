"""Bump the version of every distribution and the pins between them.

The four are released under one version (docs/versioning.md). A paid tier at
X.Y.Z requires ``>=X.Y,<X+1`` of what it builds on: the minor it was built
with, up to the next major. The files are edited as text, so comments and
layout survive, and read back with tomllib to prove the edit.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from . import ReleaseError
from .distributions import DISTRIBUTIONS, Distribution, project_table

_RELEASE = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})")
_VERSION_LINE = re.compile(r'^version = "[^"\n]*"$', re.MULTILINE)


def current_version(root: Path) -> Version:
    """The one version the four distributions share now."""
    found = {d.name: str(project_table(root, d).get("version")) for d in DISTRIBUTIONS}
    if len(set(found.values())) != 1:
        listed = ", ".join(f"{name} {v}" for name, v in found.items())
        raise ReleaseError(
            f"the distributions disagree on their version ({listed});"
            " set them to one version by hand first"
        )
    return Version(next(iter(found.values())))


def parse_target(raw: str, current: Version) -> Version:
    """The version to release: plain MAJOR.MINOR.PATCH and above the current one."""
    if not _RELEASE.fullmatch(raw):
        raise ReleaseError(
            f"release version {raw[:40]!r} is not of the form MAJOR.MINOR.PATCH"
            " (for example 1.0.1), without a 'v' or suffix"
        )
    target = Version(raw)
    if target <= current:
        raise ReleaseError(
            f"release version {target} is not above the current version"
            f" {current}; pick a higher one"
        )
    return target


def pin(target: Version) -> str:
    """The specifier a paid tier at ``target`` puts on what it builds on."""
    return f">={target.major}.{target.minor},<{target.major + 1}"


def bump(root: Path, target: Version) -> list[Path]:
    """Write ``target`` and the matching pins into every pyproject.toml; return them."""
    changed = []
    for dist in DISTRIBUTIONS:
        path = dist.pyproject(root)
        text = _set_version(path, path.read_text(), target)
        for required in dist.requires:
            text = _set_pin(path, text, required, pin(target))
        path.write_text(text)
        _verify(root, dist, target)
        changed.append(path)
    return changed


def _set_version(path: Path, text: str, target: Version) -> str:
    new, count = _VERSION_LINE.subn(f'version = "{target}"', text)
    if count != 1:
        raise ReleaseError(f"{path}: expected exactly one line 'version = \"...\"', found {count}")
    return new


def _set_pin(path: Path, text: str, required: str, specifier: str) -> str:
    # "workhorse>=1.0,<2" but not "workhorse-pro>=...": the name ends at an operator.
    pattern = re.compile(rf'"{re.escape(required)}\s*[<>=!~][^"\n]*"')
    new, count = pattern.subn(f'"{required}{specifier}"', text)
    if count != 1:
        raise ReleaseError(
            f"{path}: expected exactly one requirement on {required} with a"
            f" version specifier, found {count}"
        )
    return new


def _verify(root: Path, dist: Distribution, target: Version) -> None:
    project = project_table(root, dist)
    if project.get("version") != str(target):
        raise ReleaseError(
            f"{dist.pyproject(root)}: version is {project.get('version')!r}"
            f" after the edit, expected {target}"
        )
    pins = pinned(project.get("dependencies", []))
    for required in dist.requires:
        if pins.get(required) != canonical_pin(pin(target)):
            raise ReleaseError(
                f"{dist.pyproject(root)}: {required} is pinned"
                f" {pins.get(required)!r} after the edit, expected {pin(target)}"
            )


def pinned(requirements: list[str]) -> dict[str, str]:
    """Name -> specifier (sorted, as packaging prints it) of each requirement string."""
    out = {}
    for raw in requirements:
        try:
            requirement = Requirement(raw)
        except InvalidRequirement:
            continue
        out[requirement.name] = ",".join(sorted(str(s) for s in requirement.specifier))
    return out


def canonical_pin(specifier: str) -> str:
    """``specifier`` in the form ``pinned`` returns, for comparisons."""
    return ",".join(sorted(specifier.split(",")))
