"""Version bumps and pins across the four distributions, and the changelog (issue 25)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from packaging.version import Version

from workhorse_release import ReleaseError, changelog, versions


def project(tree: Path, directory: str) -> dict[str, object]:
    return tomllib.loads((tree / directory / "pyproject.toml").read_text())["project"]


def pins(tree: Path, directory: str) -> dict[str, str]:
    dependencies = project(tree, directory)["dependencies"]
    assert isinstance(dependencies, list)
    return {
        name: spec
        for name, spec in versions.pinned(dependencies).items()
        if name.startswith("workhorse")
    }


def test_the_four_distributions_share_one_version_today(tree: Path) -> None:
    assert versions.current_version(tree) == Version("1.0.0")


def test_a_patch_release_bumps_every_version_and_keeps_the_minor_pins(tree: Path) -> None:
    versions.bump(tree, Version("1.0.1"))
    for directory in ("core", "licensing", "pro", "enterprise"):
        assert project(tree, directory)["version"] == "1.0.1"
    assert pins(tree, "pro") == {"workhorse": "<2,>=1.0", "workhorse-licensing": "<2,>=1.0"}
    assert pins(tree, "enterprise") == {
        "workhorse": "<2,>=1.0",
        "workhorse-pro": "<2,>=1.0",
        "workhorse-licensing": "<2,>=1.0",
    }
    assert pins(tree, "core") == {} and pins(tree, "licensing") == {}


def test_a_minor_release_raises_the_lower_bound_and_a_major_the_upper(tree: Path) -> None:
    versions.bump(tree, Version("1.3.0"))
    assert pins(tree, "enterprise")["workhorse-pro"] == "<2,>=1.3"
    versions.bump(tree, Version("2.0.0"))
    assert pins(tree, "pro")["workhorse"] == "<3,>=2.0"


def test_a_bump_touches_only_the_version_line_and_the_pins(tree: Path) -> None:
    before = (tree / "enterprise" / "pyproject.toml").read_text().splitlines()
    versions.bump(tree, Version("1.1.0"))
    after = (tree / "enterprise" / "pyproject.toml").read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        ('version = "1.0.0"', 'version = "1.1.0"'),
        (
            'dependencies = ["workhorse>=1.0,<2", "workhorse-pro>=1.0,<2",'
            ' "workhorse-licensing>=1.0,<2", "croniter>=2"]',
            'dependencies = ["workhorse>=1.1,<2", "workhorse-pro>=1.1,<2",'
            ' "workhorse-licensing>=1.1,<2", "croniter>=2"]',
        ),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "v1.0.1",
        "1.0",
        "1",
        "1.0.1rc1",
        "1.0.1.post1",
        "1.0.1+local",
        "01.0.1",
        "1.0.01",
        "1.0.1 ",
        " 1.0.1",
        "1.0.1\n",
        "1.0.1;rm -rf /",
        "",
        "1..1",
        "\uff11.0.1",
        "1.0.1" * 40,
    ],
)
def test_a_version_that_is_not_plain_major_minor_patch_is_refused(raw: str) -> None:
    with pytest.raises(ReleaseError, match=r"is not of the form MAJOR.MINOR.PATCH"):
        versions.parse_target(raw, Version("1.0.0"))


@pytest.mark.parametrize("raw", ["1.0.0", "0.9.9"])
def test_a_version_not_above_the_current_one_is_refused(raw: str) -> None:
    with pytest.raises(ReleaseError, match=r"is not above the current version 1.0.0"):
        versions.parse_target(raw, Version("1.0.0"))


def test_distributions_on_different_versions_are_refused(tree: Path) -> None:
    path = tree / "pro" / "pyproject.toml"
    path.write_text(path.read_text().replace('version = "1.0.0"', 'version = "1.0.5"'))
    with pytest.raises(ReleaseError, match=r"disagree on their version.*workhorse-pro 1.0.5"):
        versions.current_version(tree)


def test_a_pin_that_cannot_be_found_stops_the_bump(tree: Path) -> None:
    path = tree / "pro" / "pyproject.toml"
    path.write_text(path.read_text().replace('"workhorse>=1.0,<2", ', ""))
    with pytest.raises(ReleaseError, match=r"exactly one requirement on workhorse with"):
        versions.bump(tree, Version("1.0.1"))


def test_a_tree_that_is_not_the_repository_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match=r"cannot read \[project\].*is --root the repository"):
        versions.current_version(tmp_path)


# --- changelog -------------------------------------------------------------------------------

LOG = """# Changelog

## [Unreleased]

### workhorse

- Fixed a thing.

## [1.0.0] - 2026-12-04

- First.

[Unreleased]: https://example.org/r/compare/v1.0.0...HEAD
[1.0.0]: https://example.org/r/releases/tag/v1.0.0
"""


def test_a_release_dates_the_unreleased_notes_and_opens_a_new_section() -> None:
    dated = changelog.date_release(LOG, Version("1.0.1"), date(2027, 1, 2))
    assert "## [Unreleased]\n\n## [1.0.1] - 2027-01-02\n\n### workhorse\n\n- Fixed" in dated
    assert "[Unreleased]: https://example.org/r/compare/v1.0.1...HEAD\n" in dated
    assert "[1.0.1]: https://example.org/r/compare/v1.0.0...v1.0.1\n" in dated
    assert changelog.release_notes(dated.replace("## [Unreleased]\n", "## [Unreleased]\n- x\n"))


def test_a_release_with_nothing_under_unreleased_is_refused() -> None:
    empty = LOG.replace("### workhorse\n\n- Fixed a thing.\n\n", "")
    with pytest.raises(ReleaseError, match=r"nothing under ## \[Unreleased\]"):
        changelog.date_release(empty, Version("1.0.1"), date(2027, 1, 2))


def test_a_version_already_in_the_changelog_is_refused() -> None:
    with pytest.raises(ReleaseError, match=r"already has a section for 1.0.0"):
        changelog.date_release(LOG, Version("1.0.0"), date(2027, 1, 2))


@pytest.mark.parametrize("text", ["# Changelog\n", LOG + "## [Unreleased]\n"])
def test_a_changelog_without_exactly_one_unreleased_heading_is_refused(text: str) -> None:
    with pytest.raises(ReleaseError, match=r"exactly one line"):
        changelog.release_notes(text)


def test_the_repository_changelog_describes_1_0_0_for_every_distribution() -> None:
    text = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()
    section = text.split("## [1.0.0]")[1]
    for name in ("workhorse", "workhorse-licensing", "workhorse-pro", "workhorse-enterprise"):
        assert f"\n### {name}\n" in section
