"""Turn CHANGELOG.md's Unreleased section into the release's section.

Keep a Changelog: ``## [Unreleased]`` collects changes as they land; a release
renames it ``## [X.Y.Z] - YYYY-MM-DD`` and opens a new empty Unreleased above.
A release with nothing under Unreleased is refused: it would ship changes no
customer can read about.
"""

from __future__ import annotations

import re
from datetime import date

from packaging.version import Version

from . import ReleaseError

UNRELEASED = "## [Unreleased]"
_HEADING = re.compile(r"^## \[", re.MULTILINE)
_COMPARE = re.compile(
    r"^\[Unreleased\]: (?P<base>\S+)/compare/v(?P<previous>\S+)\.\.\.HEAD$", re.MULTILINE
)


def release_notes(text: str) -> str:
    """What is written under ``## [Unreleased]`` (stripped), or raise ``ReleaseError``."""
    if text.count(UNRELEASED + "\n") != 1:
        raise ReleaseError(f"CHANGELOG.md must have exactly one line {UNRELEASED!r}")
    start = text.index(UNRELEASED + "\n") + len(UNRELEASED) + 1
    following = _HEADING.search(text, start)
    body = text[start : following.start() if following else len(text)]
    notes = _COMPARE.sub("", body).strip()
    if not notes:
        raise ReleaseError(
            f"CHANGELOG.md has nothing under {UNRELEASED}; describe what this"
            " release changes there (one ### section per distribution) first"
        )
    return notes


def date_release(text: str, version: Version, day: date) -> str:
    """``text`` with Unreleased renamed to ``version`` and a new empty Unreleased above."""
    release_notes(text)
    if f"## [{version}]" in text:
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    dated = text.replace(
        UNRELEASED + "\n", f"{UNRELEASED}\n\n## [{version}] - {day.isoformat()}\n", 1
    )
    return _COMPARE.sub(lambda m: _links(m, version), dated, count=1)


def _links(match: re.Match[str], version: Version) -> str:
    base, previous = match["base"], match["previous"]
    return (
        f"[Unreleased]: {base}/compare/v{version}...HEAD\n"
        f"[{version}]: {base}/compare/v{previous}...v{version}"
    )
