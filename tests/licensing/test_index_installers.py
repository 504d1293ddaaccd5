"""Real installers against the index on a real port: pip, uv, hatch publish, httpx.

These are the conformance checks of issue 6: what pip and uv actually send
and accept, not what we think they do.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from index_support import ThreadedServer, make_wheel, seed_accounts
from starlette.types import ASGIApp, Receive, Scope, Send
from workhorse_testkeys import SigningKey, frozen_clock, sample_license, trusted_keys

from workhorse_licensing import status
from workhorse_licensing.issuer.index.app import IndexConfig, create_app

UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


@dataclass
class RecordingApp:
    """Remembers every (method, path) the installers asked for."""

    app: ASGIApp
    seen: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@dataclass
class LiveIndex:
    data: Path
    server: ThreadedServer
    recorder: RecordingApp
    admin: str
    tokens: dict[str, str]
    wheels: dict[str, Path]

    def simple(self, customer: str | None = None, password: str | None = None) -> str:
        if customer is not None and password is None:
            password = self.tokens[customer]
        return self.server.url(customer, password) + "/simple/"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveIndex]:
    tmp = tmp_path_factory.mktemp("live")
    admin, tokens = seed_accounts(tmp / "data")
    recorder = RecordingApp(create_app(IndexConfig(tmp / "data")))
    wheels = {n: make_wheel(tmp, n, "1.0.0") for n in ("workhorse-pro", "workhorse-enterprise")}
    with ThreadedServer(recorder) as server:
        for wheel in wheels.values():
            response = httpx.post(
                server.url() + "/legacy/",
                auth=("__token__", admin),
                data={
                    ":action": "file_upload",
                    "name": wheel.name.split("-")[0],
                    "version": "1.0.0",
                },
                files={"content": (wheel.name, wheel.read_bytes())},
            )
            response.raise_for_status()
        yield LiveIndex(tmp / "data", server, recorder, admin, tokens, wheels)


def quiet_env() -> dict[str, str]:
    env = dict(
        os.environ,
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_NO_CACHE="1",
        PYTHONWARNINGS="ignore",
    )
    for name in (
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "UV_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
        "UV_FIND_LINKS",
    ):
        env.pop(name, None)
    return env


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-cache-dir", "--no-deps"],
        capture_output=True,
        text=True,
        env=quiet_env(),
        timeout=120,
    )


def pip_download(index_url: str, project: str, dest: Path) -> subprocess.CompletedProcess[str]:
    # -vv makes pip print the HTTP status of a page it could not fetch.
    return pip("download", "-vv", "--index-url", index_url, "-d", str(dest / "dl"), project)


def test_pip_without_credentials_is_refused_with_401(live: LiveIndex, tmp_path: Path) -> None:
    result = pip_download(live.simple(), "workhorse-pro", tmp_path)
    assert result.returncode != 0
    assert "401 Client Error: Unauthorized" in result.stdout + result.stderr


def test_pip_with_a_wrong_token_is_refused_with_401(live: LiveIndex, tmp_path: Path) -> None:
    result = pip_download(live.simple("cus_pro", "not-the-token"), "workhorse-pro", tmp_path)
    assert result.returncode != 0
    assert "401 Error, Credentials not correct" in result.stdout + result.stderr


def test_pip_as_pro_customer_cannot_fetch_enterprise(live: LiveIndex, tmp_path: Path) -> None:
    result = pip_download(live.simple("cus_pro"), "workhorse-enterprise", tmp_path)
    assert result.returncode != 0
    assert "403 Client Error: Forbidden" in result.stdout + result.stderr
    assert not list(tmp_path.rglob("*.whl"))


def test_pip_downloads_with_the_right_credentials_and_checks_hashes(
    live: LiveIndex, tmp_path: Path
) -> None:
    live.recorder.seen.clear()
    result = pip_download(live.simple("cus_pro"), "workhorse-pro", tmp_path)
    assert result.returncode == 0, result.stderr
    wheel = live.wheels["workhorse-pro"]
    downloaded = tmp_path / "dl" / wheel.name
    assert (
        hashlib.sha256(downloaded.read_bytes()).digest()
        == hashlib.sha256(wheel.read_bytes()).digest()
    )
    # pip read the PEP 658 metadata file (and checked it against the advertised hash).
    assert ("GET", f"/files/workhorse-pro/{wheel.name}.metadata") in live.recorder.seen


def test_pip_installs_enterprise_for_an_enterprise_customer(
    live: LiveIndex, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    result = pip(
        "install",
        "--index-url",
        live.simple("cus_ent"),
        "--target",
        str(target),
        "workhorse-enterprise",
        "workhorse-pro",
    )
    assert result.returncode == 0, result.stderr
    assert (target / "workhorse_enterprise" / "__init__.py").exists()
    assert (target / "workhorse_pro" / "__init__.py").exists()


@pytest.mark.skipif(UV is None, reason="uv is a dev dependency; install it to run this check")
def test_uv_installs_through_the_json_api(live: LiveIndex, tmp_path: Path) -> None:
    live.recorder.seen.clear()
    target = tmp_path / "site"
    result = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--no-deps",
            "--target",
            str(target),
            "--python",
            sys.executable,
            "--index-url",
            live.simple("cus_pro"),
            "workhorse-pro",
        ],
        capture_output=True,
        text=True,
        env=quiet_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (target / "workhorse_pro" / "__init__.py").exists()
    denied = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--no-deps",
            "--target",
            str(tmp_path / "other"),
            "--python",
            sys.executable,
            "--index-url",
            live.simple("cus_pro"),
            "workhorse-enterprise",
        ],
        capture_output=True,
        text=True,
        env=quiet_env(),
        timeout=120,
    )
    assert denied.returncode != 0 and "403" in denied.stderr


def test_hatch_publish_uploads_with_the_admin_token_and_refuses_a_repeat(
    live: LiveIndex, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    (project / "src" / "workhorse_pro").mkdir(parents=True)
    (project / "src" / "workhorse_pro" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "workhorse-pro"\nversion = "7.0.0"\nrequires-python = ">=3.11"\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/workhorse_pro"]\n'
    )
    hatch = [sys.executable, "-m", "hatch"]
    env = quiet_env()
    subprocess.run(
        [*hatch, "build"], cwd=project, check=True, capture_output=True, env=env, timeout=120
    )
    publish = [
        *hatch,
        "publish",
        "--no-prompt",
        "-r",
        live.server.url() + "/legacy/",
        "-u",
        "__token__",
        "-a",
        live.admin,
    ]
    first = subprocess.run(
        publish, cwd=project, capture_output=True, text=True, env=env, timeout=120
    )
    assert first.returncode == 0, first.stdout + first.stderr
    files = httpx.get(
        live.server.url() + "/simple/workhorse-pro/",
        auth=("cus_pro", live.tokens["cus_pro"]),
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    ).json()["files"]
    assert {"workhorse_pro-7.0.0-py3-none-any.whl", "workhorse_pro-7.0.0.tar.gz"} <= {
        f["filename"] for f in files
    }
    again = subprocess.run(
        publish, cwd=project, capture_output=True, text=True, env=env, timeout=120
    )
    assert again.returncode != 0
    assert "409 Conflict" in again.stdout + again.stderr
    wrong = subprocess.run(
        [*publish[:-1], "wrong-token"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert wrong.returncode != 0 and "401" in wrong.stdout + wrong.stderr


def test_a_revocation_list_fetched_over_http_revokes_the_license(
    live: LiveIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey.generate("live-1")
    published = live.data / "revocations.wh"
    published.write_text(key.sign_revocations(["lic_123"], datetime(2026, 2, 1, tzinfo=UTC)))
    monkeypatch.setenv("WORKHORSE_LICENSE", key.issue(sample_license()))
    monkeypatch.setenv("WORKHORSE_LICENSE_REVOCATIONS", live.server.url() + "/revocations.wh")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        with trusted_keys(key), frozen_clock(datetime(2026, 3, 1, tzinfo=UTC)):
            assert status("pro").state == "revoked"
    finally:
        published.unlink()
