"""``hatch run release X.Y.Z [--dry-run | --no-publish]``: the one release command.

In order: check the version and the changelog, resolve where to publish (so a
missing token stops the release before anything changed), bump the four
pyproject.toml files and date the changelog, build the eight artifacts, check
them all, then publish: all four to the private index first, then the free
two to the public index. Nothing is published unless every check passed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import click
from packaging.version import Version

from . import ReleaseError, building, changelog, inspection, publishing, versions
from .distributions import DISTRIBUTIONS, FREE

REPO = Path(__file__).resolve().parents[2]
PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
PRIVATE_TOKEN = "WORKHORSE_RELEASE_PRIVATE_TOKEN"
PUBLIC_TOKEN = "WORKHORSE_RELEASE_PUBLIC_TOKEN"
_COPIED = ("core", "licensing", "pro", "enterprise", "CHANGELOG.md")
_FREE_NAMES = frozenset(d.name for d in FREE)


@dataclass(frozen=True)
class Targets:
    private: publishing.Target
    public: publishing.Target


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("version")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Bump and build in a temporary copy and check; publish nothing. The"
    " repository is not changed.",
)
@click.option(
    "--no-publish", is_flag=True, help="Bump the repository, build and check; publish nothing."
)
@click.option(
    "--private-index",
    envvar="WORKHORSE_RELEASE_PRIVATE_INDEX",
    metavar="URL|DIR",
    help="Upload URL of the private index (https://HOST/legacy/), or a directory."
    f" Token: ${PRIVATE_TOKEN}. [env WORKHORSE_RELEASE_PRIVATE_INDEX]",
)
@click.option(
    "--public-index",
    envvar="WORKHORSE_RELEASE_PUBLIC_INDEX",
    metavar="URL|DIR",
    default=PYPI_UPLOAD,
    show_default=True,
    help=f"Where the free packages go. Token: ${PUBLIC_TOKEN}."
    " [env WORKHORSE_RELEASE_PUBLIC_INDEX]",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=REPO,
    help="Repository root (default: this checkout).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the artifacts (default: ROOT/dist/release-VERSION).",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Release date for the changelog (default: today, UTC).",
)
def main(
    version: str,
    dry_run: bool,
    no_publish: bool,
    private_index: str | None,
    public_index: str,
    root: Path,
    out: Path | None,
    day: datetime | None,
) -> None:
    """Release VERSION of workhorse, workhorse-licensing, workhorse-pro and
    workhorse-enterprise: bump versions and pins, build, check, publish."""
    try:
        current = versions.current_version(root)
        target = versions.parse_target(version, current)
        changelog.release_notes((root / "CHANGELOG.md").read_text())
        targets = None if dry_run or no_publish else _targets(private_index, public_index)
        release_day = day.date() if day else datetime.now(UTC).date()
        with _workspace(root, dry_run) as tree:
            artifacts = _prepare(tree, current, target, release_day, out, dry_run)
            _publish(artifacts, targets)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from None
    _say_next(target, dry_run, targets is not None)


def _targets(private_index: str | None, public_index: str) -> Targets:
    if not private_index:
        raise ReleaseError(
            "no private index: pass --private-index URL (or set"
            " WORKHORSE_RELEASE_PRIVATE_INDEX), or use --no-publish"
        )
    return Targets(
        publishing.target(private_index, os.environ.get(PRIVATE_TOKEN)),
        publishing.target(public_index, os.environ.get(PUBLIC_TOKEN)),
    )


@contextmanager
def _workspace(root: Path, dry_run: bool) -> Iterator[Path]:
    """The tree to release from: the repository, or for a dry run a copy of it."""
    if not dry_run:
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="workhorse-release-") as tmp:
        ignore = shutil.ignore_patterns("dist", "build", "__pycache__", "*.egg-info", ".venv")
        for name in _COPIED:
            source, copy = root / name, Path(tmp) / name
            if source.is_dir():
                shutil.copytree(source, copy, ignore=ignore)
            else:
                shutil.copy2(source, copy)
        click.echo(f"dry run: working in a copy ({tmp}); the repository is not changed")
        yield Path(tmp)


def _prepare(
    tree: Path, current: Version, target: Version, day: date, out: Path | None, dry_run: bool
) -> list[Path]:
    out = out or (tree / "dist" / f"release-{target}")
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty; remove it or pass another --out")
    out.mkdir(parents=True, exist_ok=True)
    changed = versions.bump(tree, target)
    click.echo(
        f"version {current} -> {target} in " + ", ".join(str(p.relative_to(tree)) for p in changed)
    )
    click.echo(f"pins on workhorse, workhorse-licensing, workhorse-pro: {versions.pin(target)}")
    notes = tree / "CHANGELOG.md"
    notes.write_text(changelog.date_release(notes.read_text(), target, day))
    click.echo(f"CHANGELOG.md: [Unreleased] -> [{target}] - {day.isoformat()}")
    artifacts = _build_all(tree, out)
    _check_all(artifacts, target)
    if dry_run:
        free = [p.name for p in artifacts if building.artifact_project(p) in _FREE_NAMES]
        click.echo(
            f"dry run: would upload all {len(artifacts)} files to the private index, and"
            f" to the public index only {', '.join(free)}"
        )
    return [] if dry_run else artifacts


def _build_all(tree: Path, out: Path) -> list[Path]:
    artifacts = []
    for dist in DISTRIBUTIONS:
        built = building.build(tree, dist, out)
        if len(built) != 2:
            raise ReleaseError(
                f"expected a wheel and an sdist of {dist.name}, got {[p.name for p in built]}"
            )
        artifacts += built
    click.echo(f"built {len(artifacts)} artifacts in {out}:")
    for path in artifacts:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        click.echo(f"  {path.name:<48} {path.stat().st_size:>9,} bytes  sha256 {digest[:16]}")
    return artifacts


def _check_all(artifacts: list[Path], target: Version) -> None:
    inspection.twine_check(artifacts)
    by_name = {d.name: d for d in DISTRIBUTIONS}
    found = [
        problem
        for path in artifacts
        for problem in inspection.problems(
            path, by_name[str(building.artifact_project(path))], target
        )
    ]
    if found:
        raise ReleaseError("the artifacts are not fit to publish:\n  " + "\n  ".join(found))
    paid = ", ".join(d.name for d in DISTRIBUTIONS if d.paid)
    click.echo(
        f"checked: twine check --strict passed; '{inspection.PRIVATE}' on {paid} only;"
        " license files inside every wheel and sdist; pins match"
    )


def _publish(artifacts: list[Path], targets: Targets | None) -> None:
    if targets is None or not artifacts:
        return
    free = [p for p in artifacts if building.artifact_project(p) in _FREE_NAMES]
    for destination, files in ((targets.private, artifacts), (targets.public, free)):
        destination.publish(files)
        click.echo(f"published to {destination.label}: " + ", ".join(p.name for p in files))


def _say_next(target: Version, dry_run: bool, published: bool) -> None:
    if dry_run:
        click.echo(f"dry run of {target} passed")
        return
    if not published:
        click.echo(f"built and checked {target}; nothing published (--no-publish)")
    click.echo(f'next: git commit -am "release {target}" && git tag v{target}')
