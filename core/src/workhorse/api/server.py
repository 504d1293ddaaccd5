"""A few facts about the Redis server itself, for the dashboard's footer panel."""

from __future__ import annotations

from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class ServerInfo:
    version: str
    uptime_days: float
    connected_clients: int
    used_memory_human: str
    used_memory_peak_human: str


def server_info(client: redis.Redis) -> ServerInfo | None:
    """Redis (or Valkey) version, uptime, clients and memory; None if INFO is not allowed.

    Managed services may rename or forbid INFO; the dashboard works without it.
    """
    try:
        info = client.info()
    except redis.ResponseError:
        return None
    if not isinstance(info, dict) or "redis_version" not in info:
        return None  # e.g. a cluster client answering per node
    return ServerInfo(
        version=str(info.get("valkey_version") or info.get("redis_version", "?")),
        uptime_days=float(info.get("uptime_in_seconds", 0)) / 86400,
        connected_clients=int(info.get("connected_clients", 0)),
        used_memory_human=str(info.get("used_memory_human", "?")),
        used_memory_peak_human=str(info.get("used_memory_peak_human", "?")),
    )
