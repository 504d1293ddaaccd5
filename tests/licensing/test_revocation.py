"""Signed revocation lists: honoured from a file or URL; a failed fetch never disables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from workhorse_testkeys import SigningKey, sample_license

from workhorse_licensing import InvalidLicense, status
from workhorse_licensing.keyring import Keyring
from workhorse_licensing.revocation import load_revocations, parse_revocation_list

JAN = datetime(2026, 1, 10, tzinfo=UTC)
FEB = datetime(2026, 2, 10, tzinfo=UTC)


def keyring_of(key: SigningKey) -> Keyring:
    return Keyring({key.key_id: key.public_key})


def licensed(monkeypatch: pytest.MonkeyPatch, key: SigningKey, source: str) -> None:
    monkeypatch.setenv("WORKHORSE_LICENSE", key.issue(sample_license()))
    monkeypatch.setenv("WORKHORSE_LICENSE_REVOCATIONS", source)


def test_a_license_listed_in_the_revocation_file_is_revoked(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "revocations.wh"
    path.write_text(trusted.sign_revocations(["lic_123", "lic_other"], JAN))
    licensed(monkeypatch, trusted, str(path))
    current = status("pro")
    assert (current.state, current.message) == ("revoked", "license lic_123 has been revoked")


def test_a_list_naming_other_licenses_leaves_this_one_valid(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "revocations.wh"
    path.write_text(trusted.sign_revocations(["lic_other"], JAN))
    licensed(monkeypatch, trusted, str(path))
    assert status("pro").state == "valid"


def test_a_list_signed_by_a_stranger_is_ignored_and_reported(
    trusted: SigningKey, stranger_key: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "revocations.wh"
    path.write_text(stranger_key.sign_revocations(["lic_123"], JAN))
    licensed(monkeypatch, trusted, str(path))
    current = status("pro")
    assert current.state == "valid"
    assert "signature does not match" in current.warnings[0]


def test_a_missing_list_file_never_disables_a_valid_license(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    licensed(monkeypatch, trusted, str(tmp_path / "nowhere.wh"))
    current = status("pro")
    assert current.state == "valid"
    assert current.warnings[0].startswith("could not read the revocation list")


def test_an_unreachable_url_is_reported_and_the_license_stays_valid(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    licensed(monkeypatch, trusted, "http://127.0.0.1:9/revocations.wh")  # discard port: refused
    current = status("pro")
    assert current.state == "valid"
    assert "no earlier copy is cached, so revocations are not checked" in current.warnings[0]


def _fetcher(responses: list[str | Exception]) -> object:
    def fetch(url: str) -> str:
        answer = responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return fetch


def test_a_fetched_list_is_cached_for_when_the_url_is_down(
    vendor_key: SigningKey, tmp_path: Path
) -> None:
    import httpx

    keys = keyring_of(vendor_key)
    listed = vendor_key.sign_revocations(["lic_123"], JAN)
    fetch = _fetcher([listed, httpx.ConnectError("down")])
    url = "https://vendor.example/revocations.wh"
    first = load_revocations(url, keys, tmp_path, fetch)  # type: ignore[arg-type]
    second = load_revocations(url, keys, tmp_path, fetch)  # type: ignore[arg-type]
    assert first.revoked == second.revoked == {"lic_123"}
    assert second.problem is not None and "using the copy from 2026-01-10" in second.problem


def test_an_older_list_served_later_cannot_unrevoke(vendor_key: SigningKey, tmp_path: Path) -> None:
    keys = keyring_of(vendor_key)
    newer = vendor_key.sign_revocations(["lic_123"], FEB)
    older = vendor_key.sign_revocations([], JAN)
    fetch = _fetcher([newer, older])
    url = "https://vendor.example/revocations.wh"
    load_revocations(url, keys, tmp_path, fetch)  # type: ignore[arg-type]
    assert load_revocations(url, keys, tmp_path, fetch).revoked == {"lic_123"}  # type: ignore[arg-type]


def test_a_license_cannot_pose_as_a_revocation_list(vendor_key: SigningKey) -> None:
    with pytest.raises(InvalidLicense, match="is a workhorse license key, not a revocation list"):
        parse_revocation_list(vendor_key.issue(sample_license()), keyring_of(vendor_key))
