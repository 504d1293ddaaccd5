"""Where a release goes: an index that speaks the upload API, or a directory.

An upload target is PyPI, or the vendor's private index (``/legacy/``), or
any index twine can upload to; the token travels in twine's environment,
never on a command line that ``ps`` shows. A directory target is a static
PEP 503 index (``pip install --index-url file:///DIR/``): the stand-in for a
public index in tests, and a way to stage a release for inspection. Neither
overwrites a file already published: a version is published once.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from . import ReleaseError
from .building import artifact_project


class Target(Protocol):
    @property
    def label(self) -> str: ...

    def publish(self, files: list[Path]) -> None: ...


@dataclass(frozen=True)
class UploadTarget:
    url: str
    token: str
    label: str

    def publish(self, files: list[Path]) -> None:
        argv = [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            self.url,
            "-u",
            "__token__",
            *map(str, files),
        ]
        env = {**os.environ, "TWINE_PASSWORD": self.token, "NO_COLOR": "1"}
        result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            raise ReleaseError(f"uploading to {self.label} failed:\n{result.stdout}{result.stderr}")


@dataclass(frozen=True)
class DirectoryTarget:
    root: Path
    label: str

    def publish(self, files: list[Path]) -> None:
        for file in files:
            project = artifact_project(file)
            if project is None:
                raise ReleaseError(f"{file.name} is not a wheel or sdist")
            if (self.root / project / file.name).exists():
                raise ReleaseError(
                    f"{file.name} is already in {self.label}; a version is"
                    " published once, release a new one instead"
                )
        for file in files:
            folder = self.root / str(artifact_project(file))
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, folder / file.name)
            _write_project_page(folder)
        _write_root_page(self.root)


def target(spec: str, token: str | None) -> Target:
    """An upload target for an http(s) URL (``token`` required), else a directory."""
    parts = urlsplit(spec)
    if parts.scheme in ("http", "https"):
        if parts.username or parts.password:
            raise ReleaseError(
                f"put no credentials in the index URL {parts.hostname}; pass the"
                " token through the environment variable instead"
            )
        if not token:
            raise ReleaseError(
                f"no upload token for {spec}; set the environment variable"
                " named in `release --help`"
            )
        return UploadTarget(spec, token, spec)
    if parts.scheme not in ("", "file"):
        raise ReleaseError(f"cannot publish to {spec!r}: give an http(s) upload URL or a directory")
    path = Path(parts.path if parts.scheme == "file" else spec).resolve()
    return DirectoryTarget(path, f"directory {path}")


def _write_project_page(folder: Path) -> None:
    links = []
    for file in sorted(folder.iterdir()):
        if file.name == "index.html":
            continue
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        name = html.escape(file.name)
        links.append(f'<a href="{name}#sha256={digest}">{name}</a><br>')
    _write_page(folder / "index.html", links)


def _write_root_page(root: Path) -> None:
    projects = sorted(p.name for p in root.iterdir() if p.is_dir())
    _write_page(root / "index.html", [f'<a href="{p}/">{p}</a><br>' for p in projects])


def _write_page(path: Path, links: list[str]) -> None:
    body = "\n".join(links)
    path.write_text(f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n")
