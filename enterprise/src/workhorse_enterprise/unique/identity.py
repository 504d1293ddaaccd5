"""A unique job's identity: which pushes count as "the same job".

By default class + queue + arguments; ``unique_key=callable`` replaces the
arguments part with ``callable(*args)``. The identity is hashed, so a lock key
has a bounded length whatever the arguments, and stored in the payload as
``unique_digest`` so the worker releases the lock without recomputing it.

The identity of an encrypted job holds the clear value of its secret
argument, and a plain hash of a small secret (a PIN, a card's CVC) falls to a
dictionary attack by anyone who reads Redis. So an encrypted job's identity is
hashed with HMAC-SHA256 under a key derived from the encryption key ring
(``KeyRing.digest_key``): only holders of the ring can test a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from workhorse.errors import ConfigError

UntilWhen = ("start", "success")
KeyFunction = Callable[..., Any]


def digest(
    name: str,
    queue: str,
    args: list[Any],
    key: KeyFunction | None = None,
    secret: bytes | None = None,
) -> str:
    """A hex digest naming the identity of a push of job ``name`` with ``args``.

    With ``secret`` (an encrypted job), an HMAC under it instead of a plain hash.
    """
    part: Any = args if key is None else key(*args)
    try:
        text = json.dumps([name, queue, part], sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"the unique key of {name} must be JSON (str, number, list, dict...), got "
            f"{part!r}: {exc}"
        ) from None
    if secret is not None:
        return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(text.encode()).hexdigest()


def validate(options: Mapping[str, object]) -> None:
    """Raise ``ConfigError`` for bad ``unique_for`` / ``unique_until`` / ``unique_key``."""
    seconds = options.get("unique_for")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0
    ):
        raise ConfigError(f"unique_for= takes a number of seconds above 0, got {seconds!r}")
    until = options.get("unique_until")
    if until is not None and until not in UntilWhen:
        raise ConfigError(f'unique_until= is "start" or "success", got {until!r}')
    key = options.get("unique_key")
    if key is not None and not callable(key):
        raise ConfigError(f"unique_key= takes a callable of the job's arguments, got {key!r}")
