"""`hatch run release X.Y.Z`, run as the vendor runs it, on a copy of the tree (issue 25)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support.release_tree import REPO, copy_tree

from workhorse_release import ReleaseError
from workhorse_release.publishing import DirectoryTarget, target

FREE = {"workhorse", "workhorse-licensing"}
ALL = FREE | {"workhorse-pro", "workhorse-enterprise"}


def release(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("WORKHORSE_RELEASE_")}
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / "release.py"), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        env={**base, **(env or {})},
    )


def fingerprint(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def projects(index: Path) -> set[str]:
    return {p.name for p in index.iterdir() if p.is_dir()} if index.exists() else set()


def test_a_dry_run_builds_and_checks_everything_and_changes_nothing(tree: Path) -> None:
    before = fingerprint(tree)
    result = release("1.0.1", "--dry-run", "--root", tree)
    assert result.returncode == 0, result.stderr
    assert "version 1.0.0 -> 1.0.1 in core/pyproject.toml, licensing/pyproject.toml" in (
        result.stdout
    )
    assert "built 8 artifacts" in result.stdout
    assert "checked: twine check --strict passed" in result.stdout
    assert "would upload all 8 files to the private index" in result.stdout
    assert fingerprint(tree) == before


def test_a_release_publishes_all_four_privately_and_only_the_free_two_publicly(
    tree: Path, tmp_path: Path
) -> None:
    private, public = tmp_path / "private", tmp_path / "public"
    result = release(
        "1.1.0",
        "--root",
        tree,
        "--private-index",
        private,
        "--public-index",
        public,
        "--date",
        "2027-01-02",
    )
    assert result.returncode == 0, result.stderr
    assert projects(private) == ALL and projects(public) == FREE
    assert len(list(private.glob("*/*.whl"))) == 4 and len(list(public.glob("*/*.tar.gz"))) == 2
    enterprise = tomllib.loads((tree / "enterprise/pyproject.toml").read_text())["project"]
    assert enterprise["version"] == "1.1.0"
    assert "workhorse-pro>=1.1,<2" in enterprise["dependencies"]
    assert "## [1.1.0] - 2027-01-02\n" in (tree / "CHANGELOG.md").read_text()
    assert 'next: git commit -am "release 1.1.0" && git tag v1.1.0' in result.stdout
    # The public stand-in is a working index: pip finds the release in it.
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--index-url",
            public.as_uri() + "/",
            "-d",
            str(tmp_path / "got"),
            "workhorse==1.1.0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert download.returncode == 0, download.stdout + download.stderr
    assert [p.name for p in (tmp_path / "got").iterdir()] == ["workhorse-1.1.0-py3-none-any.whl"]


def test_no_publish_bumps_builds_and_checks_but_uploads_nothing(tree: Path, tmp_path: Path) -> None:
    result = release("1.0.1", "--no-publish", "--root", tree, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "nothing published (--no-publish)" in result.stdout
    assert len(list((tmp_path / "out").iterdir())) == 8


def test_publishing_without_a_private_index_stops_before_anything_changes(tree: Path) -> None:
    before = fingerprint(tree)
    result = release("1.0.1", "--root", tree)
    assert result.returncode == 1
    assert "no private index: pass --private-index URL" in result.stderr
    assert fingerprint(tree) == before


def test_an_upload_url_without_a_token_stops_before_anything_changes(
    tree: Path, tmp_path: Path
) -> None:
    before = fingerprint(tree)
    result = release(
        "1.0.1",
        "--root",
        tree,
        "--private-index",
        "http://127.0.0.1:9/legacy/",
        "--public-index",
        tmp_path / "public",
    )
    assert result.returncode == 1
    assert "no upload token for http://127.0.0.1:9/legacy/" in result.stderr
    assert fingerprint(tree) == before


def test_a_paid_package_without_do_not_upload_is_never_published(
    tree: Path, tmp_path: Path
) -> None:
    pyproject = tree / "pro" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"Private :: Do Not Upload",', ""))
    private, public = tmp_path / "private", tmp_path / "public"
    result = release("1.0.1", "--root", tree, "--private-index", private, "--public-index", public)
    assert result.returncode == 1
    assert (
        "workhorse_pro-1.0.1-py3-none-any.whl: the classifier 'Private :: Do Not Upload'"
        " must be present on a paid package"
    ) in result.stderr
    assert projects(private) == set() and projects(public) == set()


def test_a_release_without_changelog_notes_is_refused(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree", notes="")
    result = release("1.0.1", "--dry-run", "--root", tree)
    assert result.returncode == 1
    assert "CHANGELOG.md has nothing under ## [Unreleased]" in result.stderr


def test_a_hostile_version_argument_is_refused_with_the_expected_form(tree: Path) -> None:
    result = release("--dry-run", "--root", tree, "--", "1.0.1; touch /tmp/x")
    assert result.returncode != 0
    assert "is not of the form MAJOR.MINOR.PATCH" in result.stderr


def test_a_directory_index_never_overwrites_a_published_file(tmp_path: Path) -> None:
    wheel = tmp_path / "workhorse-1.0.1-py3-none-any.whl"
    wheel.write_bytes(b"first")
    index = DirectoryTarget(tmp_path / "index", "the test index")
    index.publish([wheel])
    wheel.write_bytes(b"second")
    with pytest.raises(ReleaseError, match="already in the test index; a version is published"):
        index.publish([wheel])
    assert (tmp_path / "index/workhorse/workhorse-1.0.1-py3-none-any.whl").read_bytes() == b"first"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("https://user:secret@host/legacy/", "put no credentials in the index URL host"),
        ("ftp://host/legacy/", "give an http\\(s\\) upload URL or a directory"),
    ],
)
def test_index_specs_that_would_leak_or_cannot_work_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        target(spec, "token")
