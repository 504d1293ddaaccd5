"""Simple Repository API pages: PEP 503 HTML and PEP 691 JSON, chosen by ``Accept``.

Links are relative (``../../files/...``) so the index works behind a path
prefix. Each file carries its sha256, ``requires-python`` and, for wheels,
the PEP 658/714 core-metadata hash; JSON follows API version 1.1 (PEP 700).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any, Literal

from packaging.version import Version

from .catalog import DistFile

API_VERSION = "1.1"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
Format = Literal["json", "html", "text"]
# Server preference breaks ties between equal q-values (PEP 691 suggests JSON).
_OFFERS: list[tuple[str, Format]] = [
    (JSON_TYPE, "json"),
    ("application/vnd.pypi.simple.latest+json", "json"),
    (HTML_TYPE, "html"),
    ("application/vnd.pypi.simple.latest+html", "html"),
    ("text/html", "text"),
]
CONTENT_TYPES: dict[Format, str] = {
    "json": JSON_TYPE,
    "html": HTML_TYPE,
    "text": "text/html; charset=utf-8",
}


def negotiate(accept: str | None) -> Format | None:
    """The best format for ``accept``; ``text`` when absent; None means 406."""
    if not accept or not accept.strip():
        return "text"
    best: tuple[float, int, Format] | None = None
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = _quality(params)
        for rank, (offer, fmt) in enumerate(_OFFERS):
            if quality > 0 and _matches(media.strip().lower(), offer):
                candidate = (quality, -rank, fmt)
                best = candidate if best is None or candidate[:2] > best[:2] else best
    return best[2] if best else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def _matches(media: str, offer: str) -> bool:
    if media in ("*/*", offer):
        return True
    return media.endswith("/*") and offer.startswith(media[:-1])


def index_page(projects: Sequence[str], fmt: Format) -> bytes:
    if fmt == "json":
        return _json(
            {"meta": {"api-version": API_VERSION}, "projects": [{"name": p} for p in projects]}
        )
    links = "".join(f'    <a href="{p}/">{p}</a><br>\n' for p in projects)
    return _html("Simple index", links)


def project_page(project: str, files: Sequence[DistFile], fmt: Format) -> bytes:
    if fmt == "json":
        return _json(
            {
                "meta": {"api-version": API_VERSION},
                "name": project,
                "versions": sorted({f.version for f in files}, key=Version),
                "files": [_json_file(f) for f in files],
            }
        )
    links = "".join(_html_link(f) for f in files)
    return _html(f"Links for {html.escape(project)}", links)


def file_url(dist: DistFile) -> str:
    return f"../../files/{dist.project}/{dist.filename}"


def _json_file(dist: DistFile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": dist.filename,
        "url": file_url(dist),
        "hashes": {"sha256": dist.sha256},
        "requires-python": dist.requires_python,
        "size": dist.size,
        "upload-time": dist.upload_time.replace("+00:00", "Z"),
        "yanked": False,
    }
    if dist.metadata_sha256:
        # PEP 714 renamed the key; older clients still read the PEP 658 one.
        entry["core-metadata"] = {"sha256": dist.metadata_sha256}
        entry["dist-info-metadata"] = {"sha256": dist.metadata_sha256}
    return entry


def _html_link(dist: DistFile) -> str:
    attrs = [f'href="{html.escape(file_url(dist))}#sha256={dist.sha256}"']
    if dist.requires_python:
        attrs.append(f'data-requires-python="{html.escape(dist.requires_python)}"')
    if dist.metadata_sha256:
        attrs.append(f'data-core-metadata="sha256={dist.metadata_sha256}"')
        attrs.append(f'data-dist-info-metadata="sha256={dist.metadata_sha256}"')
    return f"    <a {' '.join(attrs)}>{html.escape(dist.filename)}</a><br>\n"


def _html(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
        f"{body}  </body>\n</html>\n"
    ).encode()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
