"""The hosted files on disk.

Layout under ``DATA/packages/<normalized project>/``::

    <filename>            the distribution, byte for byte as uploaded
    <filename>.metadata   its core metadata (wheels), served for PEP 658/714
    <filename>.json       sidecar: sha256, size, requires-python, metadata hash, time

A file is published by hard-linking a finished temporary file into place:
``os.link`` fails if the name exists, so two concurrent uploads of one name
cannot overwrite each other and readers never see half a file (issue 6: "no
overwrite of an existing file").
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .distfiles import CoreMetadata
from .names import DistName, dist_filename, project_name


class AlreadyExists(Exception):
    """The file name is taken; published files are immutable."""


@dataclass(frozen=True)
class DistFile:
    project: str
    filename: str
    version: str
    sha256: str
    size: int
    requires_python: str | None
    metadata_sha256: str | None
    upload_time: str


class Catalog:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "packages"
        self.tmp = data_dir / "tmp"

    def projects(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and project_name(p.name) == p.name
        )

    def files(self, project: str) -> list[DistFile]:
        folder = self.root / project
        if project_name(project) != project or not folder.is_dir():
            return []
        found = [self._sidecar(path) for path in sorted(folder.glob("*.json"))]
        return [f for f in found if f is not None]

    def find(self, project: str, filename: str) -> DistFile | None:
        return next((f for f in self.files(project) if f.filename == filename), None)

    def path(self, dist: DistFile) -> Path:
        return self.root / dist.project / dist.filename

    def metadata_path(self, dist: DistFile) -> Path:
        return self.root / dist.project / f"{dist.filename}.metadata"

    def add(self, dist: DistName, staged: Path, sha256: str, meta: CoreMetadata) -> DistFile:
        """Publish the finished file ``staged`` under ``dist.filename``; never overwrite."""
        folder = self.root / dist.project
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / dist.filename
        metadata_sha = hashlib.sha256(meta.raw).hexdigest() if dist.kind == "wheel" else None
        record = DistFile(
            dist.project,
            dist.filename,
            meta.version,
            sha256,
            staged.stat().st_size,
            meta.requires_python,
            metadata_sha,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        pending = folder / f".{dist.filename}.metadata.{os.getpid()}"
        if metadata_sha is not None:
            self._write_new(pending, meta.raw)
        try:
            os.link(staged, target)
        except FileExistsError:
            pending.unlink(missing_ok=True)
            raise AlreadyExists(dist.filename) from None
        finally:
            staged.unlink(missing_ok=True)
        if metadata_sha is not None:
            os.replace(pending, folder / f"{dist.filename}.metadata")
        # The sidecar goes last: a file is listed only once everything it needs exists.
        self._write_new(
            folder / f"{dist.filename}.json", json.dumps(asdict(record), indent=2).encode()
        )
        return record

    def staging_file(self) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"upload-{os.getpid()}-{os.urandom(8).hex()}"

    @staticmethod
    def _write_new(path: Path, data: bytes) -> None:
        with path.open("wb") as handle:
            handle.write(data)

    @staticmethod
    def _sidecar(path: Path) -> DistFile | None:
        try:
            record = DistFile(**json.loads(path.read_text(encoding="utf-8")))
            # A hand-edited sidecar must not point outside its own folder.
            valid = dist_filename(record.filename).project == record.project == path.parent.name
        except (OSError, ValueError, TypeError):
            return None
        return record if valid else None
