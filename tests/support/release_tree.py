"""A copy of the released part of the repository, to release from in tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RELEASED = ("core", "licensing", "pro", "enterprise", "CHANGELOG.md")
NOTES = "\n### workhorse\n\n#### Fixed\n\n- A fix worth a release.\n"


def copy_tree(destination: Path, notes: str = NOTES) -> Path:
    """The released part of the repository in ``destination``, with release notes."""
    ignore = shutil.ignore_patterns("dist", "build", "__pycache__", "*.egg-info")
    for name in RELEASED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, destination / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, destination / name)
    changelog = destination / "CHANGELOG.md"
    changelog.write_text(with_unreleased(changelog.read_text(), notes))
    return destination


def with_unreleased(changelog: str, notes: str) -> str:
    """``changelog`` with ``notes`` as the whole of its Unreleased section."""
    head, marker, rest = changelog.partition("## [Unreleased]\n")
    _, next_heading, tail = rest.partition("\n## [")
    return head + marker + notes + ("\n## [" + tail if next_heading else "")
