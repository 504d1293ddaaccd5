"""The whole commercial path, as a customer and the vendor live it (issues 6, 16).

hatch build the four distributions -> hatch publish all four (the free core
and licensing too) to a freshly started private index -> an empty virtualenv
-> `pip install workhorse-pro` with one `--index-url` and nothing else: the
vendor's names come from the index, third-party ones (redis, click, httpx...)
through its redirect to the upstream this machine's pip uses -> a real
worker: without a license paid APIs refuse and free jobs run; with a Pro
license Pro works and Enterprise refuses. The same empty-machine install is
done with `uv pip install` and with `uv sync` in a small customer project.

The worker trusts the test signing key through ``tests/support/
licensed_workhorse.py`` (code, not configuration), as DESIGN.md section 5
requires; the helper it calls comes from the test-only ``tests/testkeys``
source tree on PYTHONPATH, since no installed wheel carries one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support.licenses import TEST_KEY
from support.redis_server import free_port
from support.waiting import wait_for
from workhorse_testkeys import sample_license

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

BIN = Path(sys.executable).parent
UV = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
PACKAGES = ("core", "licensing", "pro", "enterprise")


Argv = list[str | Path]


def run(
    argv: Argv, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        env=env,
        check=False,
    )


def ok(argv: Argv, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = run(argv, cwd, env)
    assert result.returncode == 0, f"{argv[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.strip()


@dataclass
class Index:
    url: str
    tokens: dict[str, str]

    def simple(self, customer: str) -> str:
        credentials = f"{customer}:{self.tokens[customer]}@"
        return self.url.replace("http://", f"http://{credentials}") + "/simple/"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("journey")


@pytest.fixture(scope="module")
def dists(work: Path) -> dict[str, Path]:
    """Vendor: `hatch build` each of the four distributions."""
    out = {}
    for package in PACKAGES:
        out[package] = work / "dist" / package
        ok([sys.executable, "-m", "hatch", "build", out[package]], cwd=REPO / package)
        assert list(out[package].glob("*.whl")) and list(out[package].glob("*.tar.gz"))
    return out


def machine_upstream() -> str:
    """The index this machine's pip uses (PIP_INDEX_URL, pip's config, else PyPI)."""
    configured = (
        os.environ.get("PIP_INDEX_URL")
        or run([sys.executable, "-m", "pip", "config", "get", "global.index-url"]).stdout.strip()
    )
    upstream = configured.split()[0] if configured else "https://pypi.org/simple/"
    if not upstream.startswith(("http://", "https://")):
        pytest.fail(
            f"this machine's pip index {upstream!r} is not an http(s) URL, so the"
            " private index cannot redirect third-party names to it"
        )
    return upstream


def empty_machine_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a machine with no pip or uv configuration of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "WORKHORSE_")) and k != "VIRTUAL_ENV"
    }
    no_config = work / "empty-config-home"  # no user-level uv.toml or pip.conf in here
    no_config.mkdir(exist_ok=True)
    return {
        **env,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "XDG_CONFIG_HOME": str(no_config),
        "UV_PYTHON_DOWNLOADS": "never",
        **extra,
    }


@pytest.fixture(scope="module")
def index(work: Path, dists: dict[str, Path]) -> Iterator[Index]:
    """Vendor: start a fresh index, add two customers, `hatch publish` all four packages."""
    data = work / "index"
    admin: Argv = [BIN / "workhorse-index"]
    token = ok([*admin, "admin-token", "--data", data])
    ok(
        [
            *admin,
            "customers",
            "add",
            "--data",
            data,
            "cus_acme",
            "--name",
            "ACME Corp",
            "--tier",
            "pro",
            "--license-id",
            "lic_e2e",
        ]
    )
    ok(
        [
            *admin,
            "customers",
            "add",
            "--data",
            data,
            "cus_bigco",
            "--name",
            "BigCo",
            "--tier",
            "enterprise",
        ]
    )
    tokens = {
        c: ok([*admin, "tokens", "issue", "--data", data, c]) for c in ("cus_acme", "cus_bigco")
    }
    port = free_port()
    server = subprocess.Popen(
        [
            *map(str, admin),
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            "--upstream",
            machine_upstream(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), "the private index to answer on " + url, timeout=30)
        for package in PACKAGES:
            ok(
                [
                    sys.executable,
                    "-m",
                    "hatch",
                    "publish",
                    "--no-prompt",
                    "-r",
                    f"{url}/legacy/",
                    "-u",
                    "__token__",
                    "-a",
                    token,
                    dists[package],
                ],
                cwd=REPO / package,
            )
        yield Index(url, tokens)
    finally:
        server.terminate()
        server.wait(15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def installed(python: Path, env: dict[str, str]) -> dict[str, str]:
    listing = ok(
        [
            python,
            "-c",
            "import importlib.metadata as m, json; print(json.dumps("
            "{d.metadata['Name']: d.version for d in m.distributions()}))",
        ],
        env=env,
    )
    return {name.lower(): version for name, version in json.loads(listing).items()}


VENDOR = {"workhorse": "1.0.0", "workhorse-licensing": "1.0.0", "workhorse-pro": "1.0.0"}


@pytest.fixture(scope="module")
def venv(work: Path, dists: dict[str, Path], index: Index) -> Path:
    """Customer: an empty virtualenv; `pip install workhorse-pro` from the one index URL."""
    env_dir = work / "venv"
    env = empty_machine_env(work)
    ok([sys.executable, "-m", "venv", env_dir], env=env)
    python = env_dir / "bin" / "python"
    assert set(installed(python, env)) <= {"pip", "setuptools"}  # nothing pre-installed
    pip: Argv = [python, "-m", "pip"]
    ok([*pip, "install", "workhorse-pro", "--index-url", index.simple("cus_acme")], env=env)
    assert VENDOR.items() <= installed(python, env).items()
    refused = run(
        [*pip, "install", "-vv", "workhorse-enterprise", "--index-url", index.simple("cus_acme")],
        env=env,
    )
    assert refused.returncode != 0 and "403 Client Error: Forbidden" in refused.stdout
    # A second customer, on Enterprise, installs it into the same environment, so
    # the worker below can be asked for an Enterprise feature under a Pro license.
    ok([*pip, "install", "workhorse-enterprise", "--index-url", index.simple("cus_bigco")], env=env)
    return env_dir


def test_pip_installs_into_an_empty_venv_from_the_one_index_url(venv: Path, work: Path) -> None:
    versions = installed(venv / "bin" / "python", empty_machine_env(work))
    assert {**VENDOR, "workhorse-enterprise": "1.0.0"}.items() <= versions.items()
    assert {"redis", "click", "httpx", "cryptography", "pluggy"} <= set(versions)


def test_a_refused_customer_learns_why_from_check_index(
    venv: Path, work: Path, index: Index
) -> None:
    check: Argv = [venv / "bin" / "workhorse", "license", "check-index"]
    env = empty_machine_env(work)
    works = ok([*check, index.simple("cus_acme")], env=env)
    assert works.startswith(
        "the credentials of customer id 'cus_acme' work; the plan covers"
        " workhorse-pro (and the free workhorse, workhorse-licensing)"
    )
    wrong = run(
        [*check, index.url + "/simple/", "--customer", "cus_acme", "--token", "whd_x"], env=env
    )
    assert wrong.returncode == 1 and "refused the credentials" in wrong.stderr


@pytest.mark.skipif(UV is None, reason="uv is a dev dependency; install it to run this check")
def test_uv_pip_installs_into_an_empty_venv_from_the_one_index_url(
    work: Path, index: Index
) -> None:
    env = empty_machine_env(work, UV_CACHE_DIR=str(work / "uv-cache"))
    env_dir = work / "uv-venv"
    ok([str(UV), "venv", "--python", sys.executable, env_dir], env=env)
    python = env_dir / "bin" / "python"
    assert installed(python, env) == {}  # uv's venv holds nothing, not even pip
    uv_pip: Argv = [
        str(UV),
        "pip",
        "install",
        "--python",
        python,
        "--index-url",
        index.simple("cus_acme"),
    ]
    # Only the free packages first: check-index must work before any paid tier is there.
    ok([*uv_pip, "workhorse", "workhorse-licensing"], env=env)
    assert "covers workhorse-pro" in ok(
        [env_dir / "bin" / "workhorse", "license", "check-index", index.simple("cus_acme")], env=env
    )
    ok([*uv_pip, "workhorse-pro"], env=env)
    assert VENDOR.items() <= installed(python, env).items()
    ok([python, "-c", "import workhorse_pro.batches"], env=env)


@pytest.mark.skipif(UV is None, reason="uv is a dev dependency; install it to run this check")
def test_uv_sync_installs_a_customer_project_from_the_one_index_url(
    work: Path, index: Index
) -> None:
    project = work / "acme-app"
    project.mkdir()
    (project / "pyproject.toml").write_text(CUSTOMER_PROJECT.format(index=index.url))
    env = empty_machine_env(
        work,
        UV_CACHE_DIR=str(work / "uv-cache"),
        UV_INDEX_WORKHORSE_USERNAME="cus_acme",
        UV_INDEX_WORKHORSE_PASSWORD=index.tokens["cus_acme"],
    )
    ok([str(UV), "sync", "--python", sys.executable], cwd=project, env=env)
    python = project / ".venv" / "bin" / "python"
    assert VENDOR.items() <= installed(python, env).items()
    lock = (project / "uv.lock").read_text()
    assert index.tokens["cus_acme"] not in lock  # credentials stay in the environment
    for name in VENDOR:  # each locked to the private index, none to an upstream
        assert (
            f'name = "{name}"\nversion = "1.0.0"\nsource = {{ registry = "{index.url}/simple/" }}'
        ) in lock


# What docs/licensing.md tells a uv customer to write (there with the vendor's host).
CUSTOMER_PROJECT = """\
[project]
name = "acme-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["workhorse-pro>=1,<2"]

[[tool.uv.index]]
name = "workhorse"
url = "{index}/simple/"
default = true
"""


@dataclass
class Worker:
    results: list[dict[str, object]]
    log: str


@pytest.fixture
def start_worker(venv: Path, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(license_key: str | None) -> Worker:
        import redis

        path = os.pathsep.join([str(Path(__file__).parent), str(REPO / "tests/testkeys/src")])
        env = {
            **os.environ,
            "HOME": str(tmp_path),
            "PYTHONPATH": path,
            "E2E_REDIS_URL": redis_url,
            "WORKHORSE_REDIS_URL": redis_url,
            "WH_TEST_TRUSTED_KEY": f"{TEST_KEY.key_id}:{TEST_KEY.public_text()}",
        }
        env.pop("WORKHORSE_LICENSE", None)
        if license_key:
            env["WORKHORSE_LICENSE"] = license_key
        python = str(venv / "bin" / "python")
        log_path = tmp_path / f"worker-{len(processes)}.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [
                    python,
                    str(REPO / "tests/support/licensed_workhorse.py"),
                    "worker",
                    "-r",
                    "e2e_jobs",
                    "-c",
                    "2",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(worker)
        ok([python, "-c", "import e2e_jobs; e2e_jobs.enqueue_all()"], env=env)
        client = redis.Redis.from_url(redis_url)
        wait_for(
            lambda: client.llen("e2e:results") >= 3, "the worker to run the three jobs", timeout=60
        )
        worker.send_signal(signal.SIGTERM)
        worker.wait(40)
        results = [json.loads(r) for r in client.lrange("e2e:results", 0, -1)]
        client.delete("e2e:results")
        return Worker(results, log_path.read_text())

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _by_job(worker: Worker) -> dict[str, dict[str, object]]:
    return {str(r["job"]): r for r in worker.results}


def test_without_a_license_free_jobs_run_and_paid_apis_refuse_clearly(
    start_worker: Callable[..., Worker],
) -> None:
    worker = start_worker(None)
    outcome = _by_job(worker)
    assert outcome["free"] == {"job": "free", "ok": True, "detail": "ran"}
    assert outcome["pro"]["ok"] is False and outcome["pro"]["error"] == "FeatureNotLicensed"
    message = str(outcome["pro"]["message"])
    assert message.startswith("workhorse-pro is not available: no license key found")
    assert "set WORKHORSE_LICENSE to your license key" in message
    assert "workhorse-pro 1.0 is not licensed (no license key found" in worker.log


def test_a_pro_license_switches_pro_on_but_not_enterprise(
    start_worker: Callable[..., Worker],
) -> None:
    now = datetime.now(UTC)
    key = TEST_KEY.issue(
        sample_license(
            license_id="lic_e2e",
            issued_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=30),
        )
    )
    worker = start_worker(key)
    outcome = _by_job(worker)
    assert outcome["free"]["ok"] is True
    assert outcome["pro"] == {"job": "pro", "ok": True, "detail": "ACME Corp"}
    assert outcome["enterprise"]["ok"] is False
    assert outcome["enterprise"]["message"] == (
        "workhorse-enterprise is not available: license lic_e2e does not include enterprise;"
        " to upgrade, contact licensing@workhorse.dev"
    )
    expires = (now + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f"workhorse-pro 1.0 licensed to ACME Corp (id lic_e2e), expires {expires}" in worker.log
