"""The Starlette application of the private index.

Routes (DESIGN.md section 6)::

    GET/HEAD /simple/                     projects this customer may see
    GET/HEAD /simple/<project>/           its files; 403 unentitled; not hosted: upstream
    GET/HEAD /files/<project>/<file>      a distribution (Range, ETag) or its .metadata
    POST     /legacy/                     upload (admin token)
    GET      /revocations.wh              the signed revocation list, if the vendor put one
    GET/HEAD /api/entitlements            JSON: this customer's packages, or why none
                                          (``workhorse license check-index`` reads it)

Every customer route authenticates first, so an anonymous caller learns
nothing, not even which names are hosted. Messages never name another
customer or a package the caller is not entitled to. The names the vendor
publishes (``entitlements.PACKAGE_TIERS``) are never redirected upstream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ...advice import CONTACT
from ...errors import LicenseError
from ...keyring import trusted_keyring
from ...revocation import parse_revocation_list
from .accounts import Accounts, Customer
from .catalog import Catalog
from .entitlements import entitled, entitlement, hosted, visible_projects
from .names import project_name
from .pages import CONTENT_TYPES, index_page, negotiate, project_page
from .responses import basic_credentials, challenge, file, page, refuse
from .upload import handle_upload

log = logging.getLogger(__name__)
DEFAULT_UPSTREAM = "https://pypi.org/simple/"
LOGIN_HINT = (
    "authentication required: use your workhorse customer id as the user name and your"
    " download token as the password"
)


@dataclass(frozen=True)
class IndexConfig:
    data_dir: Path
    upstream: str = DEFAULT_UPSTREAM
    max_upload_bytes: int = 200 * 1024 * 1024


class PrivateIndex:
    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self.catalog = Catalog(config.data_dir)
        self.accounts = Accounts(config.data_dir)
        self._revocations = config.data_dir / "revocations.wh"

    def revoked(self) -> frozenset[str]:
        if not self._revocations.exists():
            return frozenset()
        try:
            text = self._revocations.read_text(encoding="utf-8")
            return parse_revocation_list(text, trusted_keyring()).revoked
        except (OSError, UnicodeDecodeError, LicenseError) as exc:
            log.error("ignoring %s: %s", self._revocations, exc)
            return frozenset()

    def customer(self, request: Request) -> Customer | Response:
        credentials = basic_credentials(request)
        if credentials is None:
            return challenge(LOGIN_HINT)
        customer = self.accounts.authenticate(*credentials)
        return (
            customer
            if customer is not None
            else challenge(
                "invalid customer id or download token; check the credentials in your index URL"
            )
        )

    def denied(self, customer: Customer) -> Response:
        if customer.suspended:
            return refuse(403, f"access for this account is suspended; contact {CONTACT}")
        return refuse(
            403,
            f"your workhorse license does not include this package, or it was"
            f" revoked; contact {CONTACT}; `workhorse license check-index URL`"
            " shows what your plan covers",
        )

    async def entitlements(self, request: Request) -> Response:
        """The caller's own account: never another customer, never an unentitled name."""
        customer = self.customer(request)
        if isinstance(customer, Response):
            return customer
        body = entitlement(customer, self.revoked()).as_json()
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Vary": "Authorization"})

    async def simple_index(self, request: Request) -> Response:
        customer = self.customer(request)
        if isinstance(customer, Response):
            return customer
        fmt = negotiate(request.headers.get("accept"))
        if fmt is None:
            return refuse(406, "this index serves text/html and application/vnd.pypi.simple.v1")
        projects = visible_projects(customer, self.revoked())
        return page(request, index_page(projects, fmt), CONTENT_TYPES[fmt])

    async def project(self, request: Request) -> Response:
        customer = self.customer(request)
        if isinstance(customer, Response):
            return customer
        raw = request.path_params["project"]
        name = project_name(raw)
        if name is None:
            return refuse(404, "not a valid project name")
        if name != raw or not request.url.path.endswith("/"):
            root = request.scope.get("root_path", "")
            return RedirectResponse(f"{root}/simple/{name}/", 301)
        if not hosted(name):
            # Public names go to the public index; credentials stay here.
            return RedirectResponse(f"{self.config.upstream.rstrip('/')}/{name}/", 302)
        if not entitled(customer, name, self.revoked()):
            return self.denied(customer)
        fmt = negotiate(request.headers.get("accept"))
        if fmt is None:
            return refuse(406, "this index serves text/html and application/vnd.pypi.simple.v1")
        body = project_page(name, self.catalog.files(name), fmt)
        return page(request, body, CONTENT_TYPES[fmt])

    async def download(self, request: Request) -> Response:
        customer = self.customer(request)
        if isinstance(customer, Response):
            return customer
        project, filename = request.path_params["project"], request.path_params["filename"]
        if project_name(project) != project or not hosted(project):
            return refuse(404, "no such file")
        if not entitled(customer, project, self.revoked()):
            return self.denied(customer)
        if filename.endswith(".metadata"):
            dist = self.catalog.find(project, filename.removesuffix(".metadata"))
            if dist is not None and dist.metadata_sha256 is not None:
                return file(
                    request,
                    self.catalog.metadata_path(dist),
                    dist.metadata_sha256,
                    "application/octet-stream",
                )
        dist = self.catalog.find(project, filename)
        if dist is None:
            return refuse(404, "no such file")
        return file(request, self.catalog.path(dist), dist.sha256, "application/octet-stream")

    async def upload(self, request: Request) -> Response:
        credentials = basic_credentials(request)
        if credentials is None or not self.accounts.is_admin(credentials[1]):
            return challenge(
                "uploading needs the admin token as the password (user name __token__)"
            )
        return await handle_upload(request, self.catalog, self.config.max_upload_bytes)

    async def revocation_list(self, request: Request) -> Response:
        try:
            body = self._revocations.read_bytes()
        except FileNotFoundError:
            return refuse(404, "no revocation list is published here")
        return page(request, body, "text/plain; charset=utf-8")

    async def home(self, request: Request) -> Response:  # noqa: ARG002
        return PlainTextResponse(
            "workhorse private package index: pip install --index-url"
            " https://<customer id>:<download token>@<this host>/simple/\n"
        )


def create_app(config: IndexConfig) -> Starlette:
    index = PrivateIndex(config)
    return Starlette(
        routes=[
            Route("/", index.home),
            Route("/simple/", index.simple_index),
            Route("/simple/{project}/", index.project),
            Route("/simple/{project}", index.project),
            Route("/files/{project}/{filename}", index.download),
            Route("/legacy/", index.upload, methods=["POST"]),
            Route("/revocations.wh", index.revocation_list),
            Route("/api/entitlements", index.entitlements),
        ]
    )
