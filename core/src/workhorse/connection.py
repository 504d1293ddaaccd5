"""Redis clients built from settings: plain, TLS, unix socket, Sentinel and Cluster URLs."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.sentinel import Sentinel

from workhorse.config import Settings
from workhorse.errors import ConfigError, RedisUnavailable

log = logging.getLogger(__name__)

LOCAL_DEFAULT = "redis://localhost:6379/0"


def resolve_url(explicit: str | None = None) -> str:
    """Explicit argument, then WORKHORSE_REDIS_URL, then REDIS_URL, then localhost/embedded."""
    url = explicit or os.environ.get("WORKHORSE_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        return url
    # WORKHORSE_NO_LOCALHOST=1 skips the probe (tests; machines whose 6379 is someone else's).
    if os.environ.get("WORKHORSE_NO_LOCALHOST") != "1" and _answers(LOCAL_DEFAULT):
        return LOCAL_DEFAULT
    from workhorse import embedded  # late: only needed when nothing is configured

    return embedded.ensure_server()


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.5)
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def connect(settings: Settings | str | None = None, *, pool_size: int = 50) -> redis.Redis:
    """A redis-py client with a connection pool, strings decoded."""
    url_arg = settings if isinstance(settings, str) else (settings.redis_url if settings else None)
    url = resolve_url(url_arg)
    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 30,
    }
    scheme = urlsplit(url).scheme
    if scheme in ("redis+sentinel", "sentinel"):
        return _sentinel(url, common, pool_size)
    if scheme in ("redis+cluster", "rediss+cluster"):
        prefix = settings.prefix if isinstance(settings, Settings) else ""
        require_hash_tag(prefix, url)
        return _cluster(url, common)
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"unsupported Redis URL scheme {scheme!r} in {redact(url)}: use redis://, rediss://, "
            "unix://, redis+sentinel:// or redis+cluster://"
        )
    if scheme == "unix":
        common.pop("socket_keepalive")  # not an option of unix-socket connections
    return redis.Redis.from_url(url, max_connections=pool_size, **common)


def _sentinel(url: str, common: dict[str, Any], pool_size: int) -> redis.Redis:
    """``redis+sentinel://[:password@]host:port[,host:port]/service[/db]``."""
    parts = urlsplit(url)
    hosts = []
    for hostport in parts.netloc.rsplit("@", 1)[-1].split(","):
        host, _, port = hostport.partition(":")
        hosts.append((host, int(port or 26379)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ConfigError(f"sentinel URL {redact(url)} names no service: add /SERVICE_NAME")
    db = int(path[1]) if len(path) > 1 else 0
    password = unquote(parts.password) if parts.password else None
    sentinel = Sentinel(hosts, socket_timeout=common["socket_connect_timeout"])  # type: ignore[no-untyped-call]
    return sentinel.master_for(  # type: ignore[no-any-return,no-untyped-call]
        path[0], db=db, password=password, max_connections=pool_size, **common
    )


def require_hash_tag(prefix: str, url: str) -> None:
    """On a Redis Cluster every key of one installation must share a slot."""
    start = prefix.find("{")
    if start < 0 or prefix.find("}", start) <= start + 1:
        raise ConfigError(
            f"Redis Cluster ({redact(url)}) needs a key prefix with a hash tag so that every "
            f"workhorse key lands in one slot; got prefix {prefix!r}. Use e.g. --prefix '{{wh}}' "
            "or WORKHORSE_PREFIX='{wh}'"
        )


def _cluster(url: str, common: dict[str, Any]) -> redis.Redis:
    from redis.cluster import RedisCluster

    plain = url.replace("+cluster", "", 1)
    common.pop("health_check_interval", None)
    query = parse_qs(urlsplit(plain).query)
    del query  # reserved for future options; redis-py parses the rest
    return RedisCluster.from_url(plain, **common)  # type: ignore[return-value]


def redact(url: str) -> str:
    """The URL with any password replaced, safe for logs and errors."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def check(client: redis.Redis, url: str = "") -> None:
    """Ping, turning connection failures into an actionable :class:`RedisUnavailable`."""
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at {redact(url) or 'the configured URL'} ({exc}); start Redis, "
            "or pass --redis-url / set WORKHORSE_REDIS_URL to a server that is running"
        ) from None
