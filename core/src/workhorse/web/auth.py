"""Ready-made authorization hooks; any ``Callable[[Request], bool]`` (or async) works too."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from workhorse.errors import ConfigError


class BasicAuth:
    """HTTP Basic authentication against one username and password.

    >>> create_app(auth=BasicAuth("admin", "s3cret"))  # doctest: +SKIP

    Use it only over HTTPS: Basic sends the password with every request.
    """

    challenge = 'Basic realm="workhorse", charset="UTF-8"'

    def __init__(self, username: str, password: str) -> None:
        if not username or not password:
            raise ConfigError("basic auth needs a non-empty username and password")
        self._expected = f"{username}:{password}".encode()

    @classmethod
    def parse(cls, spec: str) -> BasicAuth:
        """From ``USER:PASSWORD`` (the CLI's ``--basic-auth`` value)."""
        username, sep, password = spec.partition(":")
        if not sep:
            raise ConfigError("basic auth must be given as USER:PASSWORD, e.g. admin:s3cret")
        return cls(username, password)

    def __call__(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        # Constant time, so the comparison does not leak how much of it matched.
        return hmac.compare_digest(given, self._expected)
