"""The four distributions released together, and how they pin each other."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ReleaseError


@dataclass(frozen=True)
class Distribution:
    name: str
    directory: str
    paid: bool
    requires: tuple[str, ...]  # the workhorse distributions it pins

    def pyproject(self, root: Path) -> Path:
        return root / self.directory / "pyproject.toml"


DISTRIBUTIONS: tuple[Distribution, ...] = (
    Distribution("workhorse", "core", paid=False, requires=()),
    Distribution("workhorse-licensing", "licensing", paid=False, requires=()),
    Distribution("workhorse-pro", "pro", paid=True, requires=("workhorse", "workhorse-licensing")),
    Distribution(
        "workhorse-enterprise",
        "enterprise",
        paid=True,
        requires=("workhorse", "workhorse-pro", "workhorse-licensing"),
    ),
)
FREE = tuple(d for d in DISTRIBUTIONS if not d.paid)


def project_table(root: Path, dist: Distribution) -> dict[str, Any]:
    """The ``[project]`` table of a distribution, checked to be the one we expect."""
    path = dist.pyproject(root)
    try:
        project: dict[str, Any] = tomllib.loads(path.read_text())["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise ReleaseError(
            f"cannot read [project] from {path}: {exc}; is --root the repository root?"
        ) from None
    if project.get("name") != dist.name:
        raise ReleaseError(f"{path} names {project.get('name')!r}, expected {dist.name!r}")
    return project
