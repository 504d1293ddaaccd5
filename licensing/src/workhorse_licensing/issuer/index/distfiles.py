"""Core metadata out of an uploaded distribution, checked against its name.

For a wheel the ``METADATA`` bytes are kept exactly as found, because PEP 658
clients compare their hash with the one the index advertises. The archive is
only read, never extracted.
"""

from __future__ import annotations

import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from packaging.utils import canonicalize_name, canonicalize_version

from .names import BadName, DistName

MAX_METADATA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CoreMetadata:
    raw: bytes
    name: str
    version: str
    requires_python: str | None


def read_metadata(path: Path, dist: DistName) -> CoreMetadata:
    """Read and check the metadata of the file at ``path``; raise ``BadName`` on mismatch."""
    raw = _wheel_metadata(path, dist) if dist.kind == "wheel" else _sdist_metadata(path, dist)
    message = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise BadName(f"{dist.filename}: metadata lacks Name or Version")
    if canonicalize_name(str(name)) != dist.project:
        raise BadName(f"{dist.filename}: metadata names project {name!r}, not {dist.project!r}")
    if canonicalize_version(str(version)) != dist.version:
        raise BadName(
            f"{dist.filename}: metadata says version {version!r}, the filename {dist.version!r}"
        )
    requires = message.get("Requires-Python")
    return CoreMetadata(raw, str(name), str(version), str(requires) if requires else None)


def _wheel_metadata(path: Path, dist: DistName) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            candidates = [
                info
                for info in archive.infolist()
                if info.filename.count("/") == 1
                and info.filename.endswith(".dist-info/METADATA")
                and canonicalize_name(info.filename.split("-", 1)[0]) == dist.project
            ]
            if len(candidates) != 1:
                raise BadName(f"{dist.filename}: expected one <name>-<version>.dist-info/METADATA")
            return _bounded(
                archive.read(candidates[0])
                if candidates[0].file_size <= MAX_METADATA_BYTES
                else b"",
                dist,
            )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BadName(f"{dist.filename}: not a readable wheel ({exc})") from None


def _sdist_metadata(path: Path, dist: DistName) -> bytes:
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None and member.size <= MAX_METADATA_BYTES:
                        return _bounded(handle.read(), dist)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BadName(f"{dist.filename}: not a readable sdist ({exc})") from None
    raise BadName(f"{dist.filename}: no <name>-<version>/PKG-INFO in the sdist")


def _bounded(raw: bytes, dist: DistName) -> bytes:
    if not raw:
        raise BadName(
            f"{dist.filename}: metadata is empty or larger than {MAX_METADATA_BYTES} bytes"
        )
    return raw
