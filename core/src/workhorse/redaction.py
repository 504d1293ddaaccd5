"""The one place that makes a Redis URL safe to print: logs, CLI output, errors, pages.

A password may sit in the userinfo (``redis://:pw@host``, ``redis://user:pw@host``)
or in the query string, where redis-py reads ``password``, ``sentinel_password``
and friends. Every query parameter whose name mentions a password, token, secret
or credential has its value replaced; the rest of the URL stays readable so an
operator can still tell which server is meant.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
# Matched against the decoded parameter name: password, sentinel_password, ssl_password,
# passwd, pwd, auth_token, secret, client_secret, credentials, api_key, access_key ...
_SECRET_NAME = re.compile(r"pass|pwd|token|secret|credential|auth|api_?key|access_?key", re.I)
# Fallback for strings urlsplit refuses: anything between "//" and the last "@" of the
# authority, and the value of every secret-looking "name=value".
_USERINFO = re.compile(r"(?<=//)[^/?#]*@")
_PAIR = re.compile(r"([^?&;#=]+)=([^&;#]*)")


def redact(url: str) -> str:
    """``url`` with every password-like part replaced by ``***``; never raises."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _scrub(url)
    netloc = _redact_userinfo(parts.netloc)
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    if netloc == parts.netloc and query == parts.query:
        return url
    return parts._replace(netloc=netloc, query=query).geturl()


def _redact_userinfo(netloc: str) -> str:
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        return netloc
    user, colon, _ = userinfo.partition(":")
    # ``redis://secret@host`` is a username to redis-py, but people write passwords
    # there too; hide it rather than guess.
    return f"{user}:{MASK}@{hosts}" if colon else f"{MASK}@{hosts}"


def _redact_pair(pair: str) -> str:
    name, eq, _ = pair.partition("=")
    if eq and _SECRET_NAME.search(unquote(name)):
        return f"{name}={MASK}"
    return pair


def _scrub(text: str) -> str:
    text = _USERINFO.sub(f"{MASK}@", text)
    return _PAIR.sub(
        lambda m: f"{m[1]}={MASK}" if _SECRET_NAME.search(unquote(m[1])) else m[0], text
    )
