"""The eight artifacts as they would be published today (issue 25).

Each distribution's wheel and sdist is built from this checkout; then
``twine check --strict`` and a look inside every archive: the license texts
travel with the code, the metadata says which license applies, index pages
have a description and links, and only the paid packages carry the
classifier that makes PyPI refuse them.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from support.release_tree import REPO

from workhorse_release.building import build
from workhorse_release.distributions import DISTRIBUTIONS, Distribution

PRIVATE = "Private :: Do Not Upload"
LGPL = {
    "COPYING.LESSER": "GNU LESSER GENERAL PUBLIC LICENSE",
    "COPYING": "GNU GENERAL PUBLIC LICENSE",
}
AGREEMENT = {"LICENSE.md": "# workhorse Commercial License Agreement"}


def expected_licenses(dist: Distribution) -> dict[str, str]:
    return AGREEMENT if dist.paid else LGPL


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("artifacts")
    return {dist.name: build(REPO, dist, out) for dist in DISTRIBUTIONS}


def all_files(artifacts: dict[str, list[Path]]) -> list[Path]:
    return [path for paths in artifacts.values() for path in paths]


def read_archive(path: Path) -> tuple[Message, dict[str, bytes]]:
    """The metadata of a wheel or sdist, and its files by path inside the archive."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            files = {name: wheel.read(name) for name in wheel.namelist()}
        metadata = next(v for k, v in files.items() if k.endswith(".dist-info/METADATA"))
    else:
        with tarfile.open(path) as sdist:
            files = {
                m.name: sdist.extractfile(m).read()  # type: ignore[union-attr]
                for m in sdist.getmembers()
                if m.isfile()
            }
        metadata = files[f"{path.name.removesuffix('.tar.gz')}/PKG-INFO"]
    return BytesParser().parsebytes(metadata), files


def test_each_distribution_builds_one_wheel_and_one_sdist(artifacts: dict[str, list[Path]]) -> None:
    for name, paths in artifacts.items():
        assert sorted(p.suffix for p in paths) == [".gz", ".whl"], name


def test_twine_check_strict_passes_for_all_eight(artifacts: dict[str, list[Path]]) -> None:
    files = all_files(artifacts)
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 8


def test_every_wheel_and_sdist_carries_its_license_texts(artifacts: dict[str, list[Path]]) -> None:
    for dist in DISTRIBUTIONS:
        for path in artifacts[dist.name]:
            metadata, files = read_archive(path)
            assert sorted(metadata.get_all("License-File", [])) == sorted(expected_licenses(dist))
            for license_file, first_words in expected_licenses(dist).items():
                inside = [
                    data
                    for name, data in files.items()
                    if name.endswith(
                        ("/licenses/" if path.suffix == ".whl" else "/") + license_file
                    )
                ]
                assert len(inside) == 1, f"{license_file} not in {path.name}"
                assert inside[0].decode().lstrip().startswith(first_words), path.name


def test_metadata_names_the_license_that_applies(artifacts: dict[str, list[Path]]) -> None:
    for dist in DISTRIBUTIONS:
        for path in artifacts[dist.name]:
            metadata, _ = read_archive(path)
            expected = "LicenseRef-workhorse-Commercial" if dist.paid else "LGPL-3.0-or-later"
            assert metadata["License-Expression"] == expected, path.name
            assert not any(c.startswith("License ::") for c in metadata.get_all("Classifier", []))


def test_only_the_paid_packages_carry_do_not_upload(artifacts: dict[str, list[Path]]) -> None:
    for dist in DISTRIBUTIONS:
        for path in artifacts[dist.name]:
            metadata, _ = read_archive(path)
            assert (PRIVATE in metadata.get_all("Classifier", [])) is dist.paid, path.name


def test_every_index_page_has_a_description_links_and_classifiers(
    artifacts: dict[str, list[Path]],
) -> None:
    for dist in DISTRIBUTIONS:
        metadata, _ = read_archive(next(p for p in artifacts[dist.name] if p.suffix == ".whl"))
        assert metadata["Description-Content-Type"] == "text/markdown"
        description = metadata.get_payload()
        assert isinstance(description, str) and len(description) > 1000, dist.name
        urls = {u.split(",")[0] for u in metadata.get_all("Project-URL", [])}
        wanted = {"Documentation", "Changelog"} | (
            {"Support"} if dist.paid else {"Source", "Issues"}
        )
        assert wanted <= urls, dist.name
        classifiers = metadata.get_all("Classifier", [])
        assert "Development Status :: 5 - Production/Stable" in classifiers
        assert "Programming Language :: Python :: 3.11" in classifiers


def test_the_paid_agreement_is_one_text_and_the_free_texts_are_one_copy() -> None:
    assert (REPO / "pro/LICENSE.md").read_bytes() == (REPO / "enterprise/LICENSE.md").read_bytes()
    for name in LGPL:
        assert (REPO / "core" / name).read_bytes() == (REPO / "licensing" / name).read_bytes()
