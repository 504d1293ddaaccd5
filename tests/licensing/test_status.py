"""What a process sees: status(), require() and describe() per DESIGN.md section 5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from workhorse_testkeys import SigningKey, frozen_clock, reset, sample_license

from workhorse_licensing import FeatureNotLicensed, LicenseError, describe, require, status

EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)  # sample_license() expiry, 14 grace days


def use(monkeypatch: pytest.MonkeyPatch, key: SigningKey, **changes: object) -> None:
    monkeypatch.setenv("WORKHORSE_LICENSE", key.issue(sample_license(**changes)))


def test_no_key_anywhere_is_missing_and_says_how_to_fix_it(trusted: SigningKey) -> None:
    current = status("pro")
    assert (current.state, current.license, current.active) == ("missing", None, False)
    with pytest.raises(FeatureNotLicensed) as caught:
        require("pro")
    assert "set WORKHORSE_LICENSE to your license key" in str(caught.value)
    assert isinstance(caught.value, LicenseError)


def test_a_valid_pro_key_turns_pro_on(trusted: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, trusted)
    assert status("pro").state == "valid"
    assert require("pro").customer_name == "ACME Corp"
    assert describe("pro").endswith("licensed to ACME Corp (id lic_123), expires 2027-01-01")


def test_a_pro_key_does_not_cover_enterprise(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, trusted)
    assert status("enterprise").state == "wrong_tier"
    with pytest.raises(FeatureNotLicensed, match="license lic_123 does not include enterprise"):
        require("enterprise")


def test_an_enterprise_key_also_covers_pro(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, trusted, tiers=("enterprise",))
    assert status("pro").state == status("enterprise").state == "valid"


def test_a_feature_list_limits_what_require_grants(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, trusted, features=("batches",))
    assert require("pro", "batches").license_id == "lic_123"
    with pytest.raises(FeatureNotLicensed, match="does not include feature 'reliable_fetch'"):
        require("pro", "reliable_fetch")


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (EXPIRES - timedelta(seconds=1), "valid"),
        (EXPIRES, "grace"),
        (EXPIRES + timedelta(days=14) - timedelta(seconds=1), "grace"),
        (EXPIRES + timedelta(days=14), "expired"),
    ],
)
def test_expiry_and_grace_at_their_boundaries(
    vendor_key: SigningKey,
    trusted: SigningKey,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
    state: str,
) -> None:
    use(monkeypatch, vendor_key)
    with frozen_clock(now):
        assert status("pro").state == state


def test_grace_keeps_features_on_and_warns_with_both_dates(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, trusted)
    with frozen_clock(EXPIRES + timedelta(days=3)):
        assert require("pro").license_id == "lic_123"
        assert status("pro").message == (
            "license lic_123 expired on 2027-01-01; grace period ends 2027-01-15"
        )
        assert "renew with licensing@workhorse.dev" in describe("pro")


def test_after_grace_paid_features_refuse(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, trusted)
    with (
        frozen_clock(EXPIRES + timedelta(days=30)),
        pytest.raises(
            FeatureNotLicensed, match="expired on 2027-01-01; grace period ended 2027-01-15"
        ),
    ):
        require("pro")


def test_the_state_is_computed_once_per_process(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running worker is never stopped: later changes apply at the next start."""
    use(monkeypatch, trusted)
    assert status("pro").state == "valid"
    monkeypatch.setenv("WORKHORSE_LICENSE", "garbage")
    assert status("pro").state == "valid"
    reset()
    assert status("pro").state == "invalid"


def test_a_key_from_an_unknown_vendor_is_invalid(
    trusted: SigningKey, stranger_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, stranger_key)
    current = status("pro")
    assert current.state == "invalid"
    assert "signature does not match any workhorse signing key" in current.message


def test_the_default_license_file_is_read(trusted: SigningKey, tmp_path: Path) -> None:
    path = tmp_path / "home" / ".config" / "workhorse" / "license"
    path.parent.mkdir(parents=True)
    path.write_text(trusted.issue(sample_license()) + "\n")
    assert status("pro").state == "valid"


def test_workhorse_license_file_names_another_file(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "acme.license"
    path.write_text(trusted.issue(sample_license()))
    monkeypatch.setenv("WORKHORSE_LICENSE_FILE", str(path))
    assert status("pro").state == "valid"


def test_the_environment_variable_wins_over_the_file(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.license"
    path.write_text("garbage")
    monkeypatch.setenv("WORKHORSE_LICENSE_FILE", str(path))
    use(monkeypatch, trusted)
    assert status("pro").state == "valid"


def test_an_unreadable_license_file_is_reported(
    trusted: SigningKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKHORSE_LICENSE_FILE", str(tmp_path))  # a directory
    current = status("pro")
    assert current.state == "invalid"
    assert current.message.startswith(f"the license file {tmp_path} cannot be read")


def test_a_key_issued_in_the_future_points_at_the_clock(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    use(monkeypatch, trusted, issued_at=start, expires_at=start + timedelta(days=30))
    assert "check this machine's clock" in status("pro").message


def test_without_trusted_test_keys_only_the_vendor_key_is_trusted(
    vendor_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, vendor_key)
    assert "not a workhorse signing key" in status("pro").message


def test_no_environment_variable_can_add_a_trusted_key(
    vendor_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WORKHORSE_PUBLIC_KEY", "WORKHORSE_LICENSE_KEYS", "WORKHORSE_TRUSTED_KEYS"):
        monkeypatch.setenv(name, vendor_key.public_text())
    use(monkeypatch, vendor_key)
    assert status("pro").state == "invalid"


def test_an_unknown_tier_is_a_programming_error(trusted: SigningKey) -> None:
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        status("gold")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state_setup", "phrase"),
    [
        ("missing", "is not licensed (no license key found"),
        ("invalid", "is not licensed (this is not a workhorse license key"),
    ],
)
def test_describe_explains_why_a_tier_is_off(
    trusted: SigningKey, monkeypatch: pytest.MonkeyPatch, state_setup: str, phrase: str
) -> None:
    if state_setup == "invalid":
        monkeypatch.setenv("WORKHORSE_LICENSE", "garbage")
    line = describe("enterprise")
    assert line.startswith("workhorse-enterprise") and phrase in line
    assert "paid features are off" in line
