"""No shipped distribution offers a way to trust another signing key (issue 16).

DESIGN.md section 5: the vendor's keys are built in; no environment variable,
config file, entry point or public function adds one. The helpers that do it
for tests live in ``tests/testkeys`` (distribution ``workhorse-testkeys``),
installed only into the dev environment. These tests build the real wheels
and attack an install made from them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("core", "licensing", "pro", "enterprise")
DOCUMENTED_ENV = {
    "WORKHORSE_LICENSE",
    "WORKHORSE_LICENSE_FILE",
    "WORKHORSE_LICENSE_REVOCATIONS",
    "HOME",
    "XDG_CACHE_HOME",
}
# Writing the trusted keyring: its one definition in keyring.py is allowed, nothing else.
WRITES_KEYRING = re.compile(r"\b_trusted\s*(?::[^=\n]*)?=(?!=)")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    built = {}
    for package in SHIPPED:
        subprocess.run(
            [sys.executable, "-m", "hatch", "build", "-t", "wheel", str(out / package)],
            cwd=REPO / package,
            check=True,
            capture_output=True,
            timeout=240,
        )
        (built[package],) = (out / package).glob("*.whl")
    return built


def sources(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith((".py", ".txt", ".pth", "METADATA"))
        }


def test_no_shipped_wheel_contains_or_calls_a_test_key_helper(wheels: dict[str, Path]) -> None:
    for package, wheel in wheels.items():
        for name, text in sources(wheel).items():
            where = f"{wheel.name}:{name}"
            assert not name.startswith(("workhorse_testkeys", "tests/")), where
            assert name != "workhorse_licensing/testing.py", where
            for marker in ("workhorse_testkeys", "install_trusted_keys", "set_override"):
                assert marker not in text, f"{where} mentions {marker}"
            if name != "workhorse_licensing/keyring.py":
                assert not WRITES_KEYRING.search(text), f"{where} writes the trusted keyring"
        if package == "licensing":
            keyring_py = sources(wheel)["workhorse_licensing/keyring.py"]
            assert len(WRITES_KEYRING.findall(keyring_py)) == 1


def test_the_licensing_wheel_registers_only_its_commands(wheels: dict[str, Path]) -> None:
    """The vendor's console scripts, and the plugin that adds `workhorse license` (the
    customer's report and `check-index`); nothing that could run code to trust a key."""
    (entry_points,) = (
        text
        for name, text in sources(wheels["licensing"]).items()
        if name.endswith("entry_points.txt")
    )
    sections = re.findall(r"^\[(.+)\]$", entry_points, re.M)
    assert sections == ["console_scripts", "workhorse.plugins"]
    scripts, plugins = entry_points.split("[workhorse.plugins]")
    targets = re.findall(r"=\s*(\S+)", scripts)
    assert targets and all(t.startswith("workhorse_licensing.issuer.") for t in targets)
    assert re.findall(r"=\s*(\S+)", plugins) == ["workhorse_licensing.workhorse_plugin"]


def test_an_installed_package_cannot_make_the_shipped_wheel_trust_its_key(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheels["licensing"]) as archive:
        archive.extractall(unpacked)
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("attacker.py")), str(REPO), str(unpacked)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["imported_from"].startswith(str(unpacked))
    assert found["helper_modules"] == []
    assert found["suspicious_names"] == []
    assert found["keyring_mutable"] is False
    assert found["states"] == {"pro": "invalid", "enterprise": "invalid"}
    assert "not a workhorse signing key" in found["message"] or "does not match" in found["message"]
    assert set(found["env_read"]) <= DOCUMENTED_ENV


def test_the_test_key_distribution_cannot_be_uploaded() -> None:
    project = tomllib.loads((REPO / "tests/testkeys/pyproject.toml").read_text())["project"]
    assert "Private :: Do Not Upload" in project["classifiers"]
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())
    members = workspace["tool"]["hatch"]["envs"]["default"]["workspace"]["members"]
    assert "tests/testkeys" in members  # the dev environment has it; no shipped one depends on it
    for package in SHIPPED:
        meta = tomllib.loads((REPO / package / "pyproject.toml").read_text())["project"]
        assert not any("testkeys" in d for d in meta.get("dependencies", []))
