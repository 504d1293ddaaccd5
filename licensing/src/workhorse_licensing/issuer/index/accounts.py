"""Customers, their download tokens and the admin (upload) token.

Stored in ``DATA/accounts.json`` (mode 0600). Only SHA-256 hashes of tokens
are kept: the tokens are 256-bit random strings, so a fast hash is enough
(there is nothing to brute-force) and a stolen file grants no access.
Comparisons use ``hmac.compare_digest``, and a customer with no live token
(unknown, never issued one, every token revoked) is compared once against a
stand-in digest, so response time does not tell which ids exist or hold a
token (issue 6). The stand-in never counts as a match: its value is random
per process, and a login needs a stored token hash to match (issue 16).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...claims import IDENTIFIER, TIERS, Tier
from ..files import private_dir, write_atomic

TOKEN_PREFIX = "whd_"
# Random per process: no password hashes to it, and it is never accepted anyway.
_STAND_IN = secrets.token_hex(32)


class AccountError(ValueError):
    """A management command was given something it cannot do; the message says why."""


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    tiers: tuple[Tier, ...]
    license_id: str | None
    suspended: bool
    token_ids: tuple[str, ...]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Accounts:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "accounts.json"
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None

    # -- reading (the server) -------------------------------------------------

    def _data(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {"admin_token_sha256": None, "customers": {}}
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._cache is None or self._cache[0] != stamp:
            # Re-read when the CLI changed the file, so the server needs no restart.
            self._cache = (stamp, json.loads(self.path.read_text(encoding="utf-8")))
        return self._cache[1]

    def authenticate(self, customer_id: str, token: str) -> Customer | None:
        """The customer whose live download token this is, else None.

        A suspended customer with a live token is returned (marked suspended),
        so the index can answer 403 with the reason instead of a bare 401.
        """
        record = self._data()["customers"].get(customer_id)
        hashes = [str(t["sha256"]) for t in record["tokens"].values()] if record else []
        presented = _digest(token)
        matched = False
        for stored in hashes:
            matched |= hmac.compare_digest(presented, stored)
        if not hashes:
            hmac.compare_digest(presented, _STAND_IN)  # same work; the result cannot log in
        return self._customer(customer_id, record) if record and matched else None

    def is_admin(self, token: str) -> bool:
        stored = self._data().get("admin_token_sha256")
        matched = hmac.compare_digest(_digest(token), stored or _STAND_IN)
        return matched and bool(stored)

    def customers(self) -> list[Customer]:
        return [self._customer(cid, rec) for cid, rec in sorted(self._data()["customers"].items())]

    @staticmethod
    def _customer(customer_id: str, record: dict[str, Any]) -> Customer:
        return Customer(
            customer_id,
            record["name"],
            tuple(record["tiers"]),
            record.get("license_id"),
            bool(record.get("suspended")),
            tuple(sorted(record["tokens"])),
        )

    # -- changing (the CLI) ---------------------------------------------------

    def _fresh(self) -> dict[str, Any]:
        """A private copy to change, so a failed save leaves the cache untouched."""
        copy: dict[str, Any] = json.loads(json.dumps(self._data()))
        return copy

    def _save(self, data: dict[str, Any]) -> None:
        private_dir(self.path.parent)
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True).encode(), 0o600)
        self._cache = None

    def _record(self, data: dict[str, Any], customer_id: str) -> dict[str, Any]:
        record: dict[str, Any] | None = data["customers"].get(customer_id)
        if record is None:
            raise AccountError(f"no customer {customer_id!r}; add it with `customers add`")
        return record

    def add_customer(
        self, customer_id: str, name: str, tiers: tuple[Tier, ...], license_id: str | None = None
    ) -> None:
        if not IDENTIFIER.fullmatch(customer_id):
            raise AccountError(
                f"customer id {customer_id!r} must be letters, digits, '.', '_' or '-' (at most 64)"
            )
        if not tiers or not set(tiers) <= set(TIERS):
            raise AccountError(f"tiers must be among {', '.join(TIERS)}")
        data = self._fresh()
        if customer_id in data["customers"]:
            raise AccountError(f"customer {customer_id!r} already exists; use `customers update`")
        data["customers"][customer_id] = {
            "name": name,
            "tiers": list(tiers),
            "license_id": license_id,
            "suspended": False,
            "tokens": {},
        }
        self._save(data)

    def update_customer(
        self,
        customer_id: str,
        *,
        tiers: tuple[Tier, ...] | None = None,
        license_id: str | None = None,
        suspended: bool | None = None,
    ) -> None:
        data = self._fresh()
        record = self._record(data, customer_id)
        if tiers:
            record["tiers"] = list(tiers)
        if license_id is not None:
            record["license_id"] = license_id
        if suspended is not None:
            record["suspended"] = suspended
        self._save(data)

    def issue_token(self, customer_id: str) -> tuple[str, str]:
        """Create a download token; return (token id, token). The token is shown once."""
        data = self._fresh()
        record = self._record(data, customer_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = _digest(token)[:12]
        record["tokens"][token_id] = {
            "sha256": _digest(token),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._save(data)
        return token_id, token

    def revoke_token(self, customer_id: str, token_id: str) -> None:
        data = self._fresh()
        if self._record(data, customer_id)["tokens"].pop(token_id, None) is None:
            raise AccountError(f"customer {customer_id!r} has no token {token_id!r}")
        self._save(data)

    def set_admin_token(self) -> str:
        data = self._fresh()
        token = "wha_" + secrets.token_urlsafe(32)
        data["admin_token_sha256"] = _digest(token)
        self._save(data)
        return token
