"""The legacy upload API (``POST /legacy/``, ``:action=file_upload``).

This is what ``hatch publish`` and twine send. Checks, in order: admin
token, body size, form shape, file name, hosted project, declared name and
version, sha256, the metadata inside the archive. Refusals are 4xx with one
plain-text sentence, which both tools print.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from packaging.utils import canonicalize_name, canonicalize_version
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive

from .catalog import AlreadyExists, Catalog
from .distfiles import read_metadata
from .entitlements import PACKAGE_TIERS, hosted
from .names import BadName, DistName, dist_filename
from .responses import refuse

_CHUNK = 1024 * 1024


def limited(receive: Receive, max_bytes: int) -> Receive:
    """Wrap ``receive`` so a body larger than ``max_bytes`` stops with 413 mid-stream."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > max_bytes:
            raise HTTPException(413, f"upload larger than {max_bytes} bytes")
        return message

    return receive_limited


async def handle_upload(request: Request, catalog: Catalog, max_bytes: int) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return refuse(413, f"upload larger than {max_bytes} bytes")
    request = Request(request.scope, limited(request.receive, max_bytes))
    async with request.form(max_files=1, max_fields=500) as form:
        if form.get(":action") != "file_upload":
            return refuse(400, "unsupported :action; only file_upload is accepted")
        content = form.get("content")
        if not isinstance(content, UploadFile) or not content.filename:
            return refuse(400, "missing the 'content' file field")
        try:
            dist = _check_names(
                content.filename, str(form.get("name", "")), str(form.get("version", ""))
            )
        except BadName as exc:
            return refuse(400, str(exc))
        staged = catalog.staging_file()
        try:
            sha256 = await _stage(content, staged)
            return _publish(catalog, dist, staged, sha256, form.get("sha256_digest"))
        finally:
            staged.unlink(missing_ok=True)


def _check_names(filename: str, name: str, version: str) -> DistName:
    dist = dist_filename(filename)
    if not hosted(dist.project):
        raise BadName(
            f"this index hosts only {', '.join(PACKAGE_TIERS)}; {dist.project!r}"
            " belongs on a public index"
        )
    if canonicalize_name(name) != dist.project:
        raise BadName(f"form field name {name!r} does not match the file {filename!r}")
    if not version or canonicalize_version(version) != dist.version:
        raise BadName(f"form field version {version!r} does not match the file {filename!r}")
    return dist


async def _stage(content: UploadFile, staged: Path) -> str:
    digest = hashlib.sha256()
    with staged.open("wb") as out:
        while chunk := await content.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _publish(
    catalog: Catalog, dist: DistName, staged: Path, sha256: str, declared: object
) -> Response:
    if declared and str(declared).lower() != sha256:
        return refuse(400, "sha256_digest does not match the uploaded bytes; upload again")
    try:
        meta = read_metadata(staged, dist)
        catalog.add(dist, staged, sha256, meta)
    except BadName as exc:
        return refuse(400, str(exc))
    except AlreadyExists:
        return refuse(
            409,
            f"File already exists: {dist.filename}; published files are"
            " immutable, so bump the version to publish a new build",
        )
    return PlainTextResponse(f"published {dist.filename}\n")
