"""The private index over HTTP (in-process client): auth, entitlement, Simple API, caching."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from index_support import make_wheel, seed_accounts, wheel_metadata
from starlette.testclient import TestClient

from workhorse_licensing.issuer.index.app import IndexConfig, create_app

JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class Index:
    client: TestClient
    data: Path
    admin: str
    tokens: dict[str, str]
    wheels: dict[str, Path]

    def auth(self, customer: str) -> tuple[str, str]:
        return customer, self.tokens[customer]

    def upload(
        self, path: Path, name: str | None = None, version: str | None = None, **fields: str
    ) -> tuple[int, str]:
        dist_name, dist_version = path.name.split("-")[:2]
        data = {
            ":action": "file_upload",
            "protocol_version": "1",
            "name": name or dist_name,
            "version": version or dist_version,
            **fields,
        }
        with path.open("rb") as handle:
            response = self.client.post(
                "/legacy/",
                data=data,
                auth=("__token__", self.admin),
                files={"content": (path.name, handle)},
            )
        return response.status_code, response.text


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def build_index(tmp: Path, max_upload_bytes: int = 10 * 1024 * 1024) -> Iterator[Index]:
    data = tmp / "index-data"
    admin, tokens = seed_accounts(data)
    wheels = {n: make_wheel(tmp, n, "1.0.0") for n in ("workhorse-pro", "workhorse-enterprise")}
    app = create_app(IndexConfig(data, max_upload_bytes=max_upload_bytes))
    with TestClient(app, follow_redirects=False) as client:
        index = Index(client, data, admin, tokens, wheels)
        for wheel in wheels.values():
            assert index.upload(wheel)[0] == 200
        yield index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    yield from build_index(tmp_path_factory.mktemp("index"))


@pytest.fixture
def fresh_index(tmp_path: Path) -> Iterator[Index]:
    yield from build_index(tmp_path, max_upload_bytes=64 * 1024)


# -- authentication ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/simple/",
        "/simple/workhorse-pro/",
        "/simple/requests/",
        "/files/workhorse-pro/workhorse_pro-1.0.0-py3-none-any.whl",
    ],
)
def test_no_credentials_get_401_with_a_basic_challenge(index: Index, path: str) -> None:
    response = index.client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Basic realm="workhorse"')
    assert "customer id as the user name" in response.text


@pytest.mark.parametrize("auth", [("cus_pro", "wrong"), ("nobody", "wrong"), ("cus_pro", "")])
def test_wrong_credentials_get_the_same_401_whoever_is_named(
    index: Index, auth: tuple[str, str]
) -> None:
    response = index.client.get("/simple/", auth=auth)
    assert response.status_code == 401
    assert response.text == (
        "invalid customer id or download token; check the credentials in your index URL\n"
    )


def test_a_token_works_only_with_its_own_customer_id(index: Index) -> None:
    response = index.client.get("/simple/", auth=("cus_ent", index.tokens["cus_pro"]))
    assert response.status_code == 401


@pytest.mark.parametrize("tokens_issued", [0, 2])
def test_a_customer_with_no_live_token_is_a_401_whatever_the_password(
    fresh_index: Index, tokens_issued: int
) -> None:
    """A former customer whose tokens were all revoked (or one never given a token) is out."""
    from workhorse_licensing.issuer.index.accounts import Accounts

    accounts = Accounts(fresh_index.data)
    accounts.add_customer("cus_former", "Former Customer", ("enterprise",))
    for _ in range(tokens_issued):
        accounts.revoke_token("cus_former", accounts.issue_token("cus_former")[0])
    for password in ("no such customer", "", "whd_"):
        response = fresh_index.client.get("/simple/workhorse-pro/", auth=("cus_former", password))
        assert response.status_code == 401, password


def test_a_malformed_authorization_header_is_a_401(index: Index) -> None:
    response = index.client.get("/simple/", headers={"Authorization": "Basic !!!not-base64"})
    assert response.status_code == 401


# -- entitlement and leaks -----------------------------------------------------------


def test_a_pro_customer_sees_the_free_packages_and_workhorse_pro(index: Index) -> None:
    response = index.client.get("/simple/", auth=index.auth("cus_pro"), headers={"Accept": JSON})
    assert [p["name"] for p in response.json()["projects"]] == [
        "workhorse",
        "workhorse-licensing",
        "workhorse-pro",
    ]
    html = index.client.get("/simple/", auth=index.auth("cus_pro"), headers={"Accept": "text/html"})
    assert "enterprise" not in html.text and "workhorse-pro" in html.text


def test_an_enterprise_customer_sees_every_vendor_package(index: Index) -> None:
    response = index.client.get("/simple/", auth=index.auth("cus_ent"), headers={"Accept": JSON})
    assert [p["name"] for p in response.json()["projects"]] == [
        "workhorse",
        "workhorse-enterprise",
        "workhorse-licensing",
        "workhorse-pro",
    ]


def test_the_free_packages_are_hosted_here_and_served_to_every_customer(
    fresh_index: Index, tmp_path: Path
) -> None:
    """Pro depends on them: an empty environment must get them from this same index."""
    for name in ("workhorse", "workhorse-licensing"):
        wheel = make_wheel(tmp_path, name, "1.0.0")
        assert fresh_index.upload(wheel) == (200, f"published {wheel.name}\n")
        page = fresh_index.client.get(
            f"/simple/{name}/", auth=fresh_index.auth("cus_pro"), headers={"Accept": JSON}
        )
        assert [f["filename"] for f in page.json()["files"]] == [wheel.name]
        download = fresh_index.client.get(
            f"/files/{name}/{wheel.name}", auth=fresh_index.auth("cus_pro")
        )
        assert download.content == wheel.read_bytes()


def test_a_suspended_customer_gets_nothing_not_even_the_free_packages(index: Index) -> None:
    listing = index.client.get("/simple/", auth=index.auth("cus_off"), headers={"Accept": JSON})
    assert listing.json()["projects"] == []
    page = index.client.get("/simple/workhorse/", auth=index.auth("cus_off"))
    assert page.status_code == 403 and "suspended" in page.text


def test_a_pro_customer_gets_403_for_enterprise_pages_and_files(index: Index) -> None:
    page = index.client.get("/simple/workhorse-enterprise/", auth=index.auth("cus_pro"))
    wheel = index.wheels["workhorse-enterprise"].name
    file = index.client.get(f"/files/workhorse-enterprise/{wheel}", auth=index.auth("cus_pro"))
    missing = index.client.get(
        "/files/workhorse-enterprise/nope-1.0-py3-none-any.whl", auth=index.auth("cus_pro")
    )
    assert page.status_code == file.status_code == missing.status_code == 403
    # One message for every refusal: it says nothing about the package's files or its buyers.
    assert page.text == file.text == missing.text
    for leak in ("1.0.0", ".whl", "cus_", "Enterprise Customer", "lic_"):
        assert leak not in page.text


def test_a_suspended_customer_is_refused_with_403(index: Index) -> None:
    response = index.client.get("/simple/workhorse-pro/", auth=index.auth("cus_off"))
    assert response.status_code == 403 and "suspended" in response.text


def test_a_revoked_license_ends_downloads(fresh_index: Index, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from workhorse_testkeys import SigningKey, trusted_keys

    key = SigningKey.generate("idx-1")
    (fresh_index.data / "revocations.wh").write_text(
        key.sign_revocations(["lic_pro"], datetime(2026, 1, 1, tzinfo=UTC))
    )
    with trusted_keys(key):
        assert (
            fresh_index.client.get(
                "/simple/workhorse-pro/", auth=fresh_index.auth("cus_pro")
            ).status_code
            == 403
        )
        assert (
            fresh_index.client.get(
                "/simple/workhorse-pro/", auth=fresh_index.auth("cus_ent")
            ).status_code
            == 200
        )


def test_names_not_hosted_redirect_upstream_without_credentials(index: Index) -> None:
    response = index.client.get("/simple/requests/", auth=index.auth("cus_pro"))
    assert response.status_code == 302
    assert response.headers["location"] == "https://pypi.org/simple/requests/"


@pytest.mark.parametrize(
    "name", ["workhorse", "workhorse-licensing", "workhorse-pro", "workhorse-enterprise"]
)
def test_no_vendor_name_ever_redirects_upstream_even_before_its_first_upload(
    tmp_path: Path, name: str
) -> None:
    """Whoever registers one of our names on PyPI first must not land in a customer install."""
    data = tmp_path / "empty-index"
    _admin, tokens = seed_accounts(data)
    with TestClient(create_app(IndexConfig(data)), follow_redirects=False) as client:
        for spelling in (name, name.upper().replace("-", "_")):
            response = client.get(
                f"/simple/{spelling}/",
                auth=("cus_ent", tokens["cus_ent"]),
                headers={"Accept": JSON},
                follow_redirects=True,
            )
            assert response.status_code == 200, spelling
            assert str(response.url).startswith("http://testserver/simple/")
            assert response.json()["files"] == []


def test_a_paid_name_never_redirects_upstream_even_when_unentitled(index: Index) -> None:
    """A public 'workhorse-enterprise' on PyPI must not shadow the private one."""
    response = index.client.get("/simple/Workhorse_Enterprise/", auth=index.auth("cus_pro"))
    assert response.status_code == 301
    assert response.headers["location"] == "/simple/workhorse-enterprise/"
    assert (
        index.client.get("/simple/workhorse-enterprise/", auth=index.auth("cus_pro")).status_code
        == 403
    )


# -- Simple API -----------------------------------------------------------------------


def test_the_html_project_page_links_files_with_hash_python_and_metadata(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    meta_sha = hashlib.sha256(wheel_metadata(wheel)).hexdigest()
    response = index.client.get(
        "/simple/workhorse-pro/", auth=index.auth("cus_pro"), headers={"Accept": "text/html"}
    )
    assert response.headers["content-type"].startswith("text/html")
    assert '<meta name="pypi:repository-version" content="1.1">' in response.text
    assert (
        f'<a href="../../files/workhorse-pro/{wheel.name}#sha256={sha}"'
        f' data-requires-python="&gt;=3.11" data-core-metadata="sha256={meta_sha}"'
        f' data-dist-info-metadata="sha256={meta_sha}">{wheel.name}</a>'
    ) in response.text


def test_the_json_project_page_follows_pep_691_and_700(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    response = index.client.get(
        "/simple/workhorse-pro/",
        auth=index.auth("cus_pro"),
        headers={"Accept": f"{JSON}, text/html;q=0.5"},
    )
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert body["meta"] == {"api-version": "1.1"} and body["versions"] == ["1.0.0"]
    entry = body["files"][0]
    assert entry["filename"] == wheel.name
    assert entry["hashes"] == {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
    assert entry["requires-python"] == ">=3.11" and entry["size"] == wheel.stat().st_size
    assert (
        entry["core-metadata"]
        == entry["dist-info-metadata"]
        == {"sha256": hashlib.sha256(wheel_metadata(wheel)).hexdigest()}
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html", "text/html; charset=utf-8"),
        ("application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.v1+html"),
        ("application/vnd.pypi.simple.latest+json", JSON),
        ("*/*", JSON),
        (f"text/html, {JSON};q=0.9", "text/html; charset=utf-8"),
    ],
)
def test_the_format_follows_accept(index: Index, accept: str, expected: str) -> None:
    response = index.client.get("/simple/", auth=index.auth("cus_pro"), headers={"Accept": accept})
    assert response.headers["content-type"] == expected
    assert response.headers["vary"] == "Accept, Authorization"


def test_an_unservable_accept_gets_406(index: Index) -> None:
    response = index.client.get(
        "/simple/", auth=index.auth("cus_pro"), headers={"Accept": "application/xml"}
    )
    assert response.status_code == 406


def test_metadata_is_served_byte_exact(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    response = index.client.get(
        f"/files/workhorse-pro/{wheel.name}.metadata", auth=index.auth("cus_pro")
    )
    assert response.content == wheel_metadata(wheel)


def test_files_are_served_whole_with_a_strong_etag_and_private_caching(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    response = index.client.get(f"/files/workhorse-pro/{wheel.name}", auth=index.auth("cus_pro"))
    assert response.content == wheel.read_bytes()
    assert response.headers["etag"] == f'"{hashlib.sha256(wheel.read_bytes()).hexdigest()}"'
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"


def test_if_none_match_gets_304_for_files_and_pages(index: Index) -> None:
    auth = index.auth("cus_pro")
    wheel = index.wheels["workhorse-pro"].name
    for path in ("/simple/workhorse-pro/", f"/files/workhorse-pro/{wheel}"):
        etag = index.client.get(path, auth=auth).headers["etag"]
        again = index.client.get(path, auth=auth, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


def test_range_requests_return_the_requested_bytes(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    data = wheel.read_bytes()
    path = f"/files/workhorse-pro/{wheel.name}"
    part = index.client.get(path, auth=index.auth("cus_pro"), headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = index.client.get(path, auth=index.auth("cus_pro"), headers={"Range": "bytes=-7"})
    assert tail.content == data[-7:]
    beyond = index.client.get(
        path, auth=index.auth("cus_pro"), headers={"Range": f"bytes={len(data) + 5}-"}
    )
    assert beyond.status_code == 416


def test_head_gives_headers_without_a_body(index: Index) -> None:
    wheel = index.wheels["workhorse-pro"]
    response = index.client.head(f"/files/workhorse-pro/{wheel.name}", auth=index.auth("cus_pro"))
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == wheel.stat().st_size
    page = index.client.head("/simple/workhorse-pro/", auth=index.auth("cus_pro"))
    assert page.status_code == 200 and page.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/files/workhorse-pro/..%2F..%2Faccounts.json",
        "/files/..%2F..%2Faccounts.json/x.whl",
        "/files/workhorse-pro/%2e%2e/accounts.json",
        "/simple/..%2Faccounts.json/",
        "/files/workhorse-pro/workhorse_pro-1.0.0-py3-none-any.whl.json",
        "/files/workhorse-pro/.workhorse_pro-1.0.0-py3-none-any.whl.metadata.1",
    ],
)
def test_path_traversal_and_sidecars_are_never_served(index: Index, path: str) -> None:
    response = index.client.get(path, auth=index.auth("cus_ent"))
    assert response.status_code in (404, 302, 301)
    assert "sha256" not in response.text and "tokens" not in response.text


# -- upload -----------------------------------------------------------------------------


def test_upload_needs_the_admin_token(fresh_index: Index, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "workhorse-pro", "2.0.0")
    attempts: list[tuple[str, str] | None] = [
        None,
        ("__token__", "wrong"),
        fresh_index.auth("cus_ent"),
    ]
    for auth in attempts:
        with wheel.open("rb") as handle:
            headers = {} if auth is None else {"Authorization": basic_header(*auth)}
            response = fresh_index.client.post(
                "/legacy/",
                headers=headers,
                files={"content": (wheel.name, handle)},
                data={":action": "file_upload", "name": "workhorse-pro", "version": "2.0.0"},
            )
        assert response.status_code == 401
        assert "admin token" in response.text


def test_re_uploading_a_published_file_is_refused(fresh_index: Index) -> None:
    status, text = fresh_index.upload(fresh_index.wheels["workhorse-pro"])
    assert status == 409
    assert text.startswith("File already exists: workhorse_pro-1.0.0-py3-none-any.whl;")


def test_a_new_version_uploads_and_appears(fresh_index: Index, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "workhorse-pro", "1.1.0")
    assert fresh_index.upload(wheel) == (200, f"published {wheel.name}\n")
    page = fresh_index.client.get(
        "/simple/workhorse-pro/", auth=fresh_index.auth("cus_pro"), headers={"Accept": JSON}
    ).json()
    assert page["versions"] == ["1.0.0", "1.1.0"]


@pytest.mark.parametrize(
    ("filename", "fields", "expected"),
    [
        ("../../evil-1.0-py3-none-any.whl", {}, "invalid filename"),
        ("workhorse_pro-3.0.0-py3-none-any.zip", {}, "invalid filename"),
        ("requests-3.0.0-py3-none-any.whl", {"name": "requests"}, "this index hosts only"),
        (
            "workhorse_pro-3.0.0-py3-none-any.whl",
            {"name": "workhorse-enterprise"},
            "does not match",
        ),
        ("workhorse_pro-3.0.0-py3-none-any.whl", {"version": "3.0.1"}, "does not match"),
        ("workhorse_pro-3.0.0-py3-none-any.whl", {"sha256_digest": "0" * 64}, "sha256_digest"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(
    fresh_index: Index, tmp_path: Path, filename: str, fields: dict[str, str], expected: str
) -> None:
    wheel = make_wheel(tmp_path, "workhorse-pro", "3.0.0")
    data = {":action": "file_upload", "name": "workhorse-pro", "version": "3.0.0", **fields}
    response = fresh_index.client.post(
        "/legacy/",
        data=data,
        auth=("__token__", fresh_index.admin),
        files={"content": (filename, wheel.read_bytes())},
    )
    assert response.status_code == 400 and expected in response.text
    assert not (fresh_index.data / "evil-1.0-py3-none-any.whl").exists()


def test_a_wheel_whose_metadata_disagrees_with_its_name_is_refused(
    fresh_index: Index, tmp_path: Path
) -> None:
    other = make_wheel(tmp_path, "workhorse-enterprise", "4.0.0")
    renamed = other.rename(tmp_path / "workhorse_pro-4.0.0-py3-none-any.whl")
    status, text = fresh_index.upload(renamed)
    assert status == 400 and "expected one <name>-<version>.dist-info/METADATA" in text


def test_an_oversized_upload_is_refused_with_413(fresh_index: Index, tmp_path: Path) -> None:
    big = make_wheel(tmp_path, "workhorse-pro", "5.0.0", padding=200 * 1024)
    import os

    with big.open("ab") as handle:  # incompressible bytes so the file stays large
        handle.write(os.urandom(100 * 1024))
    status, text = fresh_index.upload(big)
    assert status == 413 and "larger than 65536 bytes" in text
    assert not list((fresh_index.data / "tmp").glob("*"))


def test_a_chunked_upload_is_cut_off_at_the_limit_while_streaming(fresh_index: Index) -> None:
    """No Content-Length to check up front: the byte count stops it mid-stream."""
    boundary = "wh-boundary"
    name = "workhorse_pro-9.0.0-py3-none-any.whl"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\n'
            f"file_upload\r\n--{boundary}\r\nContent-Disposition: form-data;"
            f' name="content"; filename="{name}"\r\n\r\n'
        ).encode()
        for _ in range(200):
            yield b"x" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    response = fresh_index.client.post(
        "/legacy/",
        content=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": basic_header("__token__", fresh_index.admin),
        },
    )
    assert response.status_code == 413
    assert not list((fresh_index.data / "packages" / "workhorse-pro").glob("*9.0.0*"))


def test_tokens_are_stored_only_as_hashes(index: Index) -> None:
    stored = (index.data / "accounts.json").read_text()
    assert all(token not in stored for token in [index.admin, *index.tokens.values()])
    assert (index.data / "accounts.json").stat().st_mode & 0o077 == 0
    assert json.loads(stored)["customers"]["cus_pro"]["tokens"]


# -- entitlements (what `workhorse license check-index` reads) ---------------------------


@pytest.mark.parametrize(
    ("customer", "packages", "tiers"),
    [
        ("cus_pro", ["workhorse", "workhorse-licensing", "workhorse-pro"], ["pro"]),
        (
            "cus_ent",
            ["workhorse", "workhorse-enterprise", "workhorse-licensing", "workhorse-pro"],
            ["enterprise"],
        ),
    ],
)
def test_entitlements_list_the_callers_own_packages(
    index: Index, customer: str, packages: list[str], tiers: list[str]
) -> None:
    response = index.client.get("/api/entitlements", auth=index.auth(customer))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "customer_id": customer,
        "tiers": tiers,
        "packages": packages,
        "problem": None,
    }


def test_entitlements_say_why_a_suspended_customer_gets_nothing(index: Index) -> None:
    body = index.client.get("/api/entitlements", auth=index.auth("cus_off")).json()
    assert body["packages"] == [] and "suspended" in body["problem"]


def test_entitlements_say_when_the_license_was_revoked(fresh_index: Index) -> None:
    from datetime import UTC, datetime

    from workhorse_testkeys import SigningKey, trusted_keys

    key = SigningKey.generate("idx-2")
    (fresh_index.data / "revocations.wh").write_text(
        key.sign_revocations(["lic_pro"], datetime(2026, 1, 1, tzinfo=UTC))
    )
    with trusted_keys(key):
        body = fresh_index.client.get("/api/entitlements", auth=fresh_index.auth("cus_pro")).json()
    assert body["packages"] == [] and "revoked" in body["problem"]


@pytest.mark.parametrize("auth", [None, ("cus_pro", "wrong"), ("nobody", "x")])
def test_entitlements_need_valid_credentials(index: Index, auth: tuple[str, str] | None) -> None:
    response = index.client.get("/api/entitlements", auth=auth)
    assert response.status_code == 401 and "cus_" not in response.text


def test_entitlements_never_mention_other_customers(index: Index) -> None:
    text = index.client.get("/api/entitlements", auth=index.auth("cus_pro")).text
    for leak in ("cus_ent", "cus_off", "Enterprise Customer", "lic_", "enterprise", "Pro Customer"):
        assert leak not in text
