"""Release tests: the release code in tools/ and a copy of the tree to release from."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

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
    changelog.write_text(changelog.read_text().replace("## [Unreleased]\n",
                                                       "## [Unreleased]\n" + notes, 1))
    return destination


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path / "tree")
