"""Check the built artifacts before anything is published.

``twine check --strict`` proves the metadata and long description render on
an index page. Our own checks read the metadata inside each archive (a wheel's
METADATA, an sdist's PKG-INFO) and prove what a slip would get wrong: the
version, the ``Private :: Do Not Upload`` classifier on the paid packages and
only on them, the license files the metadata names being inside the archive,
and the pins between the tiers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import RawMetadata, parse_email
from packaging.version import Version

from . import ReleaseError
from .distributions import Distribution
from .versions import canonical_pin, pin, pinned

PRIVATE = "Private :: Do Not Upload"


@dataclass(frozen=True)
class Contents:
    """What an artifact says about itself, and the license files it carries."""

    metadata: RawMetadata
    license_files: dict[str, bool]  # path named in License-File -> present in the archive


def read_contents(path: Path) -> Contents:
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as wheel:
            names = set(wheel.namelist())
            dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata, _ = parse_email(wheel.read(f"{dist_info}/METADATA"))
            prefix = f"{dist_info}/licenses/"
    else:
        with tarfile.open(path) as sdist:
            names = set(sdist.getnames())
            top = path.name.removesuffix(".tar.gz")
            member = sdist.extractfile(f"{top}/PKG-INFO")
            if member is None:
                raise ReleaseError(f"{path.name} has no PKG-INFO")
            metadata, _ = parse_email(member.read())
            prefix = f"{top}/"
    declared = metadata.get("license_files", [])
    return Contents(metadata, {f: prefix + f in names for f in declared})


def problems(path: Path, dist: Distribution, version: Version) -> list[str]:
    """Everything wrong with one artifact of ``dist`` at ``version`` (empty when fine)."""
    contents = read_contents(path)
    meta = contents.metadata
    found: list[str] = []
    if meta.get("version") != str(version):
        found.append(f"version is {meta.get('version')!r}, expected {version}")
    private = PRIVATE in meta.get("classifiers", [])
    if private != dist.paid:
        found.append(
            f"the classifier {PRIVATE!r} must be {'present' if dist.paid else 'absent'}"
            f" on a {'paid' if dist.paid else 'free'} package"
        )
    if not contents.license_files:
        found.append("no License-File in the metadata")
    found += [
        f"License-File {f} is not inside the archive"
        for f, present in contents.license_files.items()
        if not present
    ]
    pins = pinned(meta.get("requires_dist", []))
    found += [
        f"requires {r}{pins.get(r, ' (missing)')}, expected {r}{pin(version)}"
        for r in dist.requires
        if pins.get(r) != canonical_pin(pin(version))
    ]
    return [f"{path.name}: {p}" for p in found]


def twine_check(paths: list[Path]) -> str:
    """Run ``twine check --strict``; return its report or raise ``ReleaseError``."""
    argv = [sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)]
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1"}
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise ReleaseError(f"twine check --strict failed:\n{result.stdout}{result.stderr}")
    return result.stdout
