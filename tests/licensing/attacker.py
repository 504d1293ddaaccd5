"""An installed package trying to make workhorse-licensing trust its own signing key.

Run by test_no_key_backdoor.py as ``python attacker.py REPO WHEEL_DIR`` with
the shipped wheel unpacked in WHEEL_DIR and the source tree (and the test-only
``workhorse_testkeys``) removed from ``sys.path``, as on a customer's machine.
Prints one JSON object: what it found and whether any route worked.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

REPO, WHEEL_DIR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path[:] = [WHEEL_DIR] + [
    p for p in sys.path if p and not os.path.abspath(p).startswith(REPO + os.sep)
]

import workhorse_licensing  # noqa: E402
from workhorse_licensing import builtin_keys, keyring, runtime, status  # noqa: E402
from workhorse_licensing.claims import License  # noqa: E402
from workhorse_licensing.signing import SigningKey  # noqa: E402

SUSPICIOUS = re.compile(r"trust|override|install|add_?key|allow_?key|register|inject", re.I)
found: dict[str, Any] = {"imported_from": workhorse_licensing.__file__}

# The attacker's key even reuses the vendor's key id.
attacker = SigningKey.generate(next(iter(builtin_keys.PUBLIC_KEYS)))
now = datetime.now(UTC)
os.environ["WORKHORSE_LICENSE"] = attacker.issue(
    License(
        license_id="lic_evil",
        customer_id="cus_evil",
        customer_name="Evil Corp",
        tiers=("pro", "enterprise"),
        issued_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=365),
        grace_days=14,
    )
)
pair = f"{attacker.key_id}:{attacker.public_text()}"
for name in (
    "WH_TEST_TRUSTED_KEY",
    "WORKHORSE_TRUSTED_KEYS",
    "WORKHORSE_PUBLIC_KEYS",
    "WORKHORSE_LICENSE_PUBLIC_KEY",
    "WORKHORSE_SIGNING_KEY",
):
    os.environ[name] = pair

# 1. helper modules that used to ship (or might)
found["helper_modules"] = []
for name in ("workhorse_licensing.testing", "workhorse_testkeys"):
    try:
        importlib.import_module(name)
        found["helper_modules"].append(name)
    except ImportError:
        pass


# 2. every public name, in every module of the package, that sounds like a way in
def modules() -> Iterator[Any]:
    yield workhorse_licensing
    for info in pkgutil.walk_packages(workhorse_licensing.__path__, "workhorse_licensing."):
        yield importlib.import_module(info.name)


found["suspicious_names"] = sorted(
    f"{module.__name__}.{attr}"
    for module in modules()
    for attr in dir(module)
    if not attr.startswith("_")
    and SUSPICIOUS.search(attr)
    and getattr(module, attr) is not keyring.trusted_keyring  # the read-only getter
)

# 3. mutate what is public: the built-in key table and the keyring handed out
builtin_keys.PUBLIC_KEYS[attacker.key_id] = attacker.public_text()
builtin_keys.PUBLIC_KEYS["evil"] = attacker.public_text()
try:
    keyring.trusted_keyring().keys[attacker.key_id] = attacker.public_key  # type: ignore[index]
    found["keyring_mutable"] = True
except TypeError:
    found["keyring_mutable"] = False


# 4. which environment variables the license check reads
class Recording(dict[str, str]):
    read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


os.environ = Recording(os.environ)  # type: ignore[assignment]  # noqa: B003 - on purpose
runtime.reset()
found["states"] = {"pro": status("pro").state, "enterprise": status("enterprise").state}
found["message"] = status("pro").message
found["env_read"] = sorted(Recording.read)
print(json.dumps(found))
