"""Redis clients built from settings: plain, TLS, unix socket, Sentinel and Cluster URLs."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.sentinel import Sentinel

from workhorse.config import Settings
from workhorse.errors import ConfigError, RedisUnavailable
from workhorse.held import HeldRedis
from workhorse.redaction import redact

__all__ = [
    "LOCAL_DEFAULT",
    "RedisTarget",
    "check",
    "connect",
    "describe_client",
    "redact",
    "resolve",
    "resolve_url",
    "resolved",
    "unavailable",
    "where",
]

log = logging.getLogger(__name__)

LOCAL_DEFAULT = "redis://localhost:6379/0"
# Where a resolved URL came from, as the worker's start line, doctor and errors say it.
LOCALHOST = "localhost:6379 answered"
EMBEDDED = "embedded server: no URL configured, nothing on localhost:6379"


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """A resolved Redis URL and where it came from (``argument``, an env var, ...)."""

    url: str = field(repr=False)  # may carry a password; str() shows it redacted
    source: str = ""

    def __str__(self) -> str:
        return f"{redact(self.url)} (from {self.source})"


def resolve(settings: Settings | str | None = None) -> RedisTarget:
    """Explicit URL, then WORKHORSE_REDIS_URL, then REDIS_URL, then localhost, then embedded."""
    if isinstance(settings, Settings):
        if settings.redis_url:
            return RedisTarget(settings.redis_url, settings.redis_url_source or "settings")
        settings = None
    if settings:
        return RedisTarget(settings, "argument")
    for name in ("WORKHORSE_REDIS_URL", "REDIS_URL"):
        if os.environ.get(name):
            return RedisTarget(os.environ[name], name)
    # WORKHORSE_NO_LOCALHOST=1 skips the probe (tests; machines whose 6379 is someone else's).
    if os.environ.get("WORKHORSE_NO_LOCALHOST") != "1" and _answers(LOCAL_DEFAULT):
        return RedisTarget(LOCAL_DEFAULT, LOCALHOST)
    from workhorse import embedded  # late: only needed when nothing is configured

    return RedisTarget(embedded.ensure_server(), EMBEDDED)


def resolve_url(explicit: str | None = None) -> str:
    """:func:`resolve`, URL only."""
    return resolve(explicit).url


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.3, socket_timeout=0.5)
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def connect(settings: Settings | str | None = None, *, pool_size: int = 50) -> redis.Redis:
    """A redis-py client with a connection pool, strings decoded."""
    url = resolve(settings).url
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
    # Job threads send their commands on a connection each (held.py); others use the pool.
    return HeldRedis.from_url(url, max_connections=pool_size, **common)


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
    sentinel = Sentinel(hosts, socket_timeout=common["socket_connect_timeout"])
    return sentinel.master_for(  # type: ignore[no-any-return]
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


def resolved(settings: Settings) -> Settings:
    """``settings`` with the Redis URL resolved once, and where it came from filled in."""
    target = resolve(settings)
    return settings.with_changes(redis_url=target.url, redis_url_source=target.source)


Place = RedisTarget | Settings | str | None


def where(place: Place) -> str:
    """The redacted URL of ``place`` and, when known, where it came from: for messages."""
    if isinstance(place, Settings):
        url, source = place.redis_url, place.redis_url_source or "settings"
        place = RedisTarget(url, source) if url else None
    if isinstance(place, RedisTarget):
        return str(place)
    return redact(place) if place else "the configured URL"


def unavailable(exc: BaseException, place: Place) -> RedisUnavailable:
    """The error for a Redis that did not answer, naming which one and what to do."""
    if isinstance(exc, redis.TimeoutError):
        return RedisUnavailable(
            f"Redis at {where(place)} did not answer in time: {exc}. It is reachable but "
            "slow to reply (a long command or a save on the server, a loaded network); what "
            "was sent may still be done, so check before sending it again, or raise the "
            "client's socket_timeout"
        )
    return RedisUnavailable(
        f"cannot reach Redis at {where(place)}: {exc}. Start Redis, or pass --redis-url / set "
        "WORKHORSE_REDIS_URL to a server that is running"
    )


def check(client: redis.Redis, place: Place = None) -> None:
    """Ping, turning connection failures into an actionable :class:`RedisUnavailable`."""
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise unavailable(exc, place) from None


def describe_client(client: object) -> str:
    """Where an already-built client points (host, port, db), without any password."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if kwargs.get("path"):
        return f"unix:{kwargs['path']} db {kwargs.get('db', 0)}"
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')} db {kwargs.get('db', 0)}"
